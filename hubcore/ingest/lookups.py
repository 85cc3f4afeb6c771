"""Official LA-district lookups → ``area_membership``: which English region (E12), combined
authority (E47) or Local Skills Improvement Plan area (E69) each LA district is in.

The file is recognised from its header, not its name: one ``LADyyCD`` column (``LADyyNM``
optional) and at least one of ``RGNyyCD``, ``CAUTHyyCD`` or ``LSIPyyCD`` (each with its
optional ``…NM``), in any case. That covers the ONS "Local Authority District to Region" and
"… to Combined Authority" lookups (UTF-8 with a byte-order mark, an ``ObjectId`` column) and
DfE's "LA Districts to LSIPs" sheet (names padded with spaces, an extra column); other columns
are ignored. A file with several parent columns gives each district one membership per kind.

The edition stored (``vintage``) is the year of the parent column: ``CAUTH25CD`` → 2025. A
district's codes must be English LA district codes (E06, E07, E08, E09; synthetic demo
districts X06/X07 too) and a parent's code must have its kind's prefix; other rows are rejected
with their row numbers, as every importer does. A blank parent (a district in no combined
authority) stores nothing for that kind; a row with no parent at all is counted as skipped.
Names are stored with surrounding and repeated spaces removed. Re-importing the same lookup
changes nothing: the key is district + kind + edition, a changed parent or name updates the
stored row, and a district the file now leaves blank for a kind loses that kind's membership of
the edition (a district not in the file at all keeps what is stored: a file may cover part of
England).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete

from hubcore.errors import HubcoreError
from hubcore.ingest.base import finish
from hubcore.ingest.reader import read_table
from hubcore.ingest.report import ImportReport
from hubcore.ingest.upsert import UpsertResult, upsert
from hubcore.ingest.validate import Checker
from hubcore.models import AreaMembership

#: Column stem of each parent kind → (kind stored, code pattern, what the code is, example).
PARENTS: dict[str, tuple[str, str, str, str]] = {
    "RGN": ("region", r"E12\d{6}", "an English region code", "E12000003"),
    "CAUTH": ("cauth", r"E47\d{6}", "a combined authority code", "E47000003"),
    "LSIP": ("lsip", r"E69\d{6}", "an LSIP area code", "E69000028"),
}
#: LA district codes accepted: English districts, and the demo's synthetic ones (never issued
#: by ONS, as the ``school`` table allows them).
DISTRICT = r"E0[6-9]\d{6}|X0[67]\d{6}"
NAME_LENGTH = 200
_CODE_COLUMN = re.compile(r"(LAD|RGN|CAUTH|LSIP)(\d{2})CD", re.IGNORECASE)


def find_columns(columns) -> tuple[str, str | None, dict[str, tuple[str, str | None, int]]]:
    """``(district code column, district name column, {stem: (code, name, year)})`` from a
    header. Raises :class:`HubcoreError` naming what is missing."""
    by_upper = {str(c).strip().upper(): c for c in columns}
    lad: list[str] = []
    parents: dict[str, tuple[str, str | None, int]] = {}
    for upper, column in by_upper.items():
        m = _CODE_COLUMN.fullmatch(upper)
        if not m:
            continue
        stem, yy = m.group(1).upper(), m.group(2)
        name = by_upper.get(f"{stem}{yy}NM")
        if stem == "LAD":
            lad.append(column)
        elif stem in parents:
            raise HubcoreError(
                f"two {stem}..CD columns ({parents[stem][0]}, {column}); keep one edition per "
                "file; nothing was imported"
            )
        else:
            parents[stem] = (column, name, 2000 + int(yy))
    if len(lad) != 1 or not parents:
        wanted = []
        if len(lad) != 1:
            wanted.append("one LA district code column such as LAD25CD"
                          + (f" (found {', '.join(lad)})" if lad else ""))
        if not parents:
            wanted.append("a parent code column: RGNyyCD, CAUTHyyCD or LSIPyyCD")
        raise HubcoreError(
            "wrong header (" + "; ".join(wanted) + "); this does not look like an ONS or DfE "
            "LA-district lookup; nothing was imported"
        )
    district_name = by_upper.get(re.sub(r"CD$", "NM", str(lad[0]).strip().upper()))
    return lad[0], district_name, parents


def _names(checker: Checker, column: str | None, index: pd.Index) -> pd.Series:
    """Names with surrounding and repeated spaces removed (``None`` where blank or absent)."""
    if column is None:
        return pd.Series(None, index=index, dtype=object)
    raw = checker.parse_str(column, max_length=NAME_LENGTH)
    return raw.map(lambda v: " ".join(v.split()) or None if isinstance(v, str) else None)


def import_area_lookup(
    engine: Engine,
    path: str | Path,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import an LA-district → region / combined authority / LSIP lookup (see the module
    notes) into ``area_membership``, in one transaction."""
    path = Path(path)
    known = [f"{stem}{yy:02d}CD" for stem in ("LAD", *PARENTS) for yy in range(100)]
    table = read_table(path, normalise_headers=False, known_columns=known)
    try:
        lad, lad_name, parents = find_columns(table.frame.columns)
    except HubcoreError as exc:
        raise HubcoreError(f"{path.name}: {exc}") from None
    checker = Checker(table, today=today)
    index = table.frame.index
    child = checker.parse_pattern(
        lad, DISTRICT, "bad_code",
        "not an English LA district code (E06, E07, E08 or E09 and six digits, e.g. "
        "E08000035)", required=True,
    )
    child = child.map(lambda v: v.upper() if isinstance(v, str) else None)
    child_name = _names(checker, lad_name, index)
    found: list[pd.DataFrame] = []
    for stem, (code_col, name_col, year) in parents.items():
        kind, pattern, what, example = PARENTS[stem]
        code = checker.parse_pattern(code_col, pattern, "bad_code",
                                     f"not {what} (e.g. {example})")
        code = code.map(lambda v: v.upper() if isinstance(v, str) else None)
        found.append(pd.DataFrame({
            "child_code": child, "child_name": child_name, "parent_kind": kind,
            "parent_code": code, "parent_name": _names(checker, name_col, index),
            "vintage": year,
        }, index=index))
    # One row per district: a second row for the same district would be a second membership
    # of the same kind and edition (the key), so it is rejected, pointing to the first.
    checker.duplicates(pd.DataFrame({"code": child.astype(object)}), lad, "LA district code")
    rows = pd.concat(found)
    rows = rows.loc[~checker.bad[index.get_indexer(rows.index)]]
    # Districts the file places in no area of a kind (a blank parent): a membership stored
    # from an earlier import of the same edition is no longer true and goes.
    left = rows.loc[rows["parent_code"].isna(), ["child_code", "parent_kind", "vintage"]]
    rows = rows.loc[rows["parent_code"].notna()].assign(source=path.name[:NAME_LENGTH])
    good = ~checker.bad
    report = ImportReport(kind="area-lookup", file=str(path))
    report.skipped = int(good.sum()) - int(np.isin(index[good], rows.index).sum())
    rows = rows.reset_index(drop=True)
    table_ = AreaMembership.__table__

    removed: list[int] = []

    def write(conn) -> UpsertResult:
        # ``source`` is not compared: the same lookup under another file name changes nothing.
        result = upsert(conn, table_, rows, ["child_code", "parent_kind", "vintage"],
                        compare=["child_name", "parent_code", "parent_name"], progress=progress)
        c = table_.c
        for (kind, year), group in left.groupby(["parent_kind", "vintage"]):
            gone = conn.execute(delete(table_).where(
                c.parent_kind == kind, c.vintage == int(year),
                c.child_code.in_(group["child_code"].tolist()))).rowcount
            removed.append(int(gone))
        result.updated += sum(removed)  # a membership ended is a change to the stored lookup
        return result

    finish(engine, report, checker, write, rejects_path, dry_run)
    for stem, (_, _, year) in parents.items():
        kind = PARENTS[stem][0]
        mine = rows[rows["parent_kind"].eq(kind)]
        report.notes.append(
            f"{stem}{year % 100:02d}: {mine['child_code'].nunique():,} LA districts in "
            f"{mine['parent_code'].nunique():,} {_plural(kind, mine['parent_code'].nunique())} "
            f"(edition {year})"
        )
    if report.skipped:
        report.notes.append(f"{report.skipped:,} districts have no parent area in the file and "
                            "were skipped")
    if sum(removed):
        n = sum(removed)
        report.notes.append(f"{n:,} stored membership{'s' if n != 1 else ''} removed: the file "
                            "now places those districts in no area of that kind")
    return report


def _plural(kind: str, n: int) -> str:
    one, many = {"region": ("region", "regions"),
                 "cauth": ("combined authority", "combined authorities"),
                 "lsip": ("LSIP area", "LSIP areas")}[kind]
    return one if n == 1 else many
