"""English Indices of Deprivation by LSOA → ``area.imd_rank``, ``imd_decile``,
``idaci_decile`` and ``imd_vintage``.

Both releases are recognised from their headers: IoD2019 (``LSOA code (2011)``,
``Local Authority District code (2019)``, ``Index of Multiple Deprivation (IMD) Rank``…) and
IoD2025 (``LSOA code (2021)``, ``… Rank (where 1 is most deprived)``, ``… Decile (where 1 is most
deprived 10% of LSOAs)``). File 1 (IMD only) and File 7 (all ranks) both work; the IDACI decile
is taken when present.

Deprivation updates the LSOAs already stored (from a boundary import). LSOAs with no stored row
are counted as skipped, not rejected, so a national file can be loaded for one hub's area; with
``create_missing`` they are stored as areas without geometry instead. An empty ``parent_code`` is
filled from the file's local authority district code.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, bindparam, update

from hubcore.errors import HubcoreError
from hubcore.ingest.base import finish
from hubcore.ingest.reader import read_table
from hubcore.ingest.report import ImportReport
from hubcore.ingest.upsert import UpsertResult, python_records, upsert
from hubcore.ingest.validate import Checker
from hubcore.models import Area

IMD_VINTAGE_BY_LSOA = {2011: 2019, 2021: 2025}
PATTERNS = {
    "code": r"LSOA code \((\d{4})\)",
    "name": r"LSOA name \(\d{4}\)",
    "lad": r"Local Authority District code \(\d{4}\)",
    "rank": r"Index of Multiple Deprivation \(IMD\) Rank( \(where 1 is most deprived\))?",
    "decile": r"Index of Multiple Deprivation \(IMD\) Decile"
    r"( \(where 1 is most deprived 10% of LSOAs\))?",
    "idaci": r"Income Deprivation Affecting Children Index \(IDACI\) Decile.*",
}


def find_columns(columns) -> dict[str, str]:
    """Map roles (code, name, lad, rank, decile, idaci) to the file's column names."""
    found = {}
    for role, pattern in PATTERNS.items():
        for column in columns:
            if re.fullmatch(pattern, column.strip()):
                found[role] = column
                break
    return found


def import_imd(
    engine: Engine,
    path: str | Path,
    imd_vintage: int | None = None,
    create_missing: bool = False,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import IMD ranks and deciles by LSOA (see the module notes)."""
    path = Path(path)
    table = read_table(path, normalise_headers=False,
                       known_columns=["LSOA code (2011)", "LSOA code (2021)"])
    found = find_columns(table.frame.columns)
    missing = [r for r in ("code", "rank", "decile") if r not in found]
    if missing:
        wanted = {"code": "LSOA code (2011 or 2021)",
                  "rank": "Index of Multiple Deprivation (IMD) Rank",
                  "decile": "Index of Multiple Deprivation (IMD) Decile"}
        raise HubcoreError(
            f"{path.name}: wrong header (missing columns: "
            + ", ".join(wanted[m] for m in missing)
            + "); this does not look like an English Indices of Deprivation file; nothing was "
            "imported"
        )
    lsoa_year = int(re.fullmatch(PATTERNS["code"], found["code"].strip()).group(1))
    vintage = imd_vintage or IMD_VINTAGE_BY_LSOA.get(lsoa_year)
    if vintage is None:
        raise HubcoreError(f"{path.name}: unknown IoD release for {lsoa_year} LSOAs; give "
                           "--imd-vintage")
    checker = Checker(table, today=today)
    code = checker.parse_pattern(found["code"], r"[EW]01\d{6}", "bad_code",
                                 "not an LSOA code such as E01011685", required=True)
    rank = checker.parse_int(found["rank"], True, 1, 40000)
    decile = checker.parse_int(found["decile"], True, 1, 10)
    idaci = (checker.parse_int(found["idaci"], False, 1, 10) if "idaci" in found
             else pd.Series(pd.NA, index=table.frame.index, dtype="Int64"))
    lad = (checker.parse_pattern(found["lad"], r"[EW]0[6-9]\d{6}", "bad_code",
                                 "not a local authority district code") if "lad" in found
           else pd.Series(None, index=table.frame.index, dtype=object))
    name = checker.text(found["name"]) if "name" in found else code
    checker.duplicates(pd.DataFrame({"code": code.astype(str)}), found["code"], "LSOA code")
    rows = pd.DataFrame(
        {"code": code, "imd_rank": rank, "imd_decile": decile, "idaci_decile": idaci,
         "imd_vintage": vintage},
        index=table.frame.index,
    )
    good = rows.loc[~checker.bad]
    extra = pd.DataFrame({"code": code, "parent_code": lad, "name": name}).loc[~checker.bad]
    report = ImportReport(kind="imd", file=str(path))
    table_ = Area.__table__

    def write(conn) -> UpsertResult:
        result = upsert(conn, table_, good, ["code"], insert=False)
        matched = extra.loc[~extra["code"].isin(result.missing["code"])].dropna(
            subset=["parent_code"]
        )
        if len(matched):
            # Fill a missing parent only; a parent set by a boundary import is kept.
            conn.execute(
                update(table_)
                .where(table_.c.code == bindparam("_code"), table_.c.parent_code.is_(None))
                .values(parent_code=bindparam("_parent")),
                python_records(
                    matched.rename(columns={"code": "_code", "parent_code": "_parent"})[
                        ["_code", "_parent"]
                    ]
                ),
            )
        if create_missing and len(result.missing):
            bare = result.missing.merge(extra, on="code").assign(
                kind="lsoa", vintage=lsoa_year, name=lambda f: f["name"].str.slice(0, 200)
            )
            conn.execute(table_.insert(), python_records(bare))
            result.inserted = len(bare)
            result.missing = result.missing.iloc[0:0]
        report.skipped = len(result.missing)
        return result

    finish(engine, report, checker, write, rejects_path, dry_run)
    report.accepted = report.read - report.rejected - report.skipped
    if report.skipped:
        report.notes.append(
            f"{report.skipped:,} LSOAs have no stored boundary and were skipped (import the "
            "boundaries first, or use --create-missing)"
        )
    report.notes.append(f"IoD{vintage} on {lsoa_year} LSOAs")
    return report
