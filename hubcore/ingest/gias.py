"""GIAS establishments (``edubasealldata*.csv``) → the ``school`` table.

The GIAS download is Windows-1252 or UTF-8, has over 100 columns, and is cumulative: closed
establishments stay in it, and an academy conversion appears as a new URN whose predecessor is
closed. We keep establishments that are open (or open but proposed to close) and in a hub's
scope (DOMAIN.md §5.1: types in :data:`hubcore.codes.HUB_TYPES` with phase 4–7, or a special,
AP or 16+ type). A URN already stored is always updated, even once it closes, so its status
changes and nothing stored is lost. Predecessor URNs come from the optional GIAS links file.

Pseudo codes GIAS uses for ungeocoded rows (``LSOA (code)`` ``999999999``,
``DistrictAdministrative (code)`` ``9999``, ``GSSLACode (name)`` ``X999999``) become blanks.

An optional column missing from the file is not the same as an empty cell. A re-import never
changes a stored value from a column the file does not have: its school columns are left out of
the update (:data:`WRITES`), and the school kind, which depends on ``StatutoryHighAge``, is
worked out from the stored high age. A column that is there with an empty cell (or a pseudo
code) says GIAS holds no value, and the stored value is cleared, as GIAS is the authority for
these fields. Without ``GSSLACode (name)``, the upper-tier code derived from a unitary or
metropolitan district fills an empty ``la_gss`` only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, bindparam, select, update

from hubcore import codes, geo
from hubcore.ingest.base import PROGRESS_ROWS, finish, known_urns
from hubcore.ingest.reader import check_header, read_table
from hubcore.ingest.report import ImportReport
from hubcore.ingest.upsert import upsert
from hubcore.ingest.validate import Checker
from hubcore.models import School

OPEN_STATUSES = ("Open", "Open, but proposed to close")
REQUIRED = [
    "URN", "LA (code)", "EstablishmentName", "TypeOfEstablishment (code)",
    "PhaseOfEducation (code)", "EstablishmentStatus (name)",
]
OPTIONAL = [
    "EstablishmentNumber", "UKPRN", "StatutoryLowAge", "StatutoryHighAge", "NumberOfPupils",
    "PercentageFSM", "Postcode", "Easting", "Northing", "DistrictAdministrative (code)",
    "GSSLACode (name)", "LSOA (code)", "Trusts (code)", "LastChangedDate",
]
#: Older parsers and files spell some columns differently (DOMAIN.md §5.1 "case drift").
ALIASES = {"NumberofPupils": "NumberOfPupils", "GSSLACode": "GSSLACode (name)"}
PSEUDO = {"999999999", "9999", "X999999", "E99999999"}
LINKS_REQUIRED = ["URN", "LinkURN", "LinkType"]
#: The ``school`` columns each optional GIAS column writes (a file without the column leaves
#: them as stored). ``LastChangedDate`` only dates the LSOA vintage, written with the LSOA.
WRITES: dict[str, tuple[str, ...]] = {
    "EstablishmentNumber": ("establishment_number",),
    "UKPRN": ("ukprn",),
    "StatutoryLowAge": ("statutory_low_age",),
    "StatutoryHighAge": ("statutory_high_age",),
    "NumberOfPupils": ("pupils",),
    "PercentageFSM": ("percentage_fsm",),
    "Postcode": ("postcode",),
    # A location is a pair: half of one is not written (nor the lat/lon made from it).
    "Easting": ("easting", "northing", "lat", "lon"),
    "Northing": ("easting", "northing", "lat", "lon"),
    "DistrictAdministrative (code)": ("lad_gss",),
    "GSSLACode (name)": ("la_gss",),
    "LSOA (code)": ("lsoa_code", "lsoa_vintage"),
    "Trusts (code)": ("trust_code",),
    "LastChangedDate": (),
}


def fix_c1(text: pd.Series) -> pd.Series:
    """Repair Windows-1252 characters mis-decoded as C1 controls (``\\x92`` → ``’``), as in the
    real Leeds extract's "Prince Henry\\x92s"."""
    def repair(value):
        if not isinstance(value, str) or not any("\x80" <= ch <= "\x9f" for ch in value):
            return value
        try:
            return value.encode("latin-1").decode("cp1252")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    return text.map(repair)


def in_scope(type_code: pd.Series, phase_code: pd.Series, status: pd.Series) -> pd.Series:
    """Open establishments a Careers Hub works with (DOMAIN.md §5.1)."""
    t = pd.to_numeric(type_code, errors="coerce")
    p = pd.to_numeric(phase_code, errors="coerce")
    special_or_ap = t.isin(list(codes.SPECIAL_TYPES | codes.AP_TYPES | {32}))
    return status.str.strip().isin(OPEN_STATUSES) & t.isin(list(codes.HUB_TYPES)) & (
        p.between(4, 7) | special_or_ap
    )


def read_predecessors(path: str | Path) -> dict[int, int]:
    """URN → predecessor URN from a GIAS links file (``links_edubasealldata*.csv``).

    Where a school has several predecessors (an amalgamation) the lowest URN is kept.
    """
    table = read_table(path, normalise_headers=False)
    check_header(table, LINKS_REQUIRED, allow_unknown=True)
    frame = table.frame
    pred = frame[frame["LinkType"].str.strip().str.lower() == "predecessor"]
    urn = pd.to_numeric(pred["URN"], errors="coerce")
    link = pd.to_numeric(pred["LinkURN"], errors="coerce")
    pairs = pd.DataFrame({"urn": urn, "link": link}).dropna().astype(int)
    return pairs.groupby("urn")["link"].min().to_dict()


def _lsoa_vintage(last_changed: pd.Series) -> int:
    """GIAS carried 2011 LSOAs until its 2021-census geography update; we take extracts last
    changed before 2024 as 2011 (the Leeds 2023 file is), later ones as 2021. Override with
    ``lsoa_vintage=`` when you know better."""
    dates = pd.to_datetime(last_changed, format="%d-%m-%Y", errors="coerce")
    latest = dates.max()
    return 2011 if pd.isna(latest) or latest.year < 2024 else 2021


def parse(
    path: str | Path,
    stored: set[int] | None = None,
    links: str | Path | None = None,
    lsoa_vintage: int | None = None,
) -> tuple[pd.DataFrame, Checker, int]:
    """Parse and validate a GIAS file: ``(rows for the school table, checker, skipped)``.

    ``stored`` URNs are kept whatever their status, so their changes are recorded. Optional
    columns missing from the file come back empty (see :func:`absent_columns`).
    """
    rows, checker, skipped, _absent = _parse(path, stored, links, lsoa_vintage)
    return rows, checker, skipped


def absent_columns(rows: pd.DataFrame, absent: list[str]) -> list[str]:
    """The columns of ``rows`` written from optional GIAS columns in ``absent``."""
    dropped = {c for column in absent for c in WRITES[column]}
    return [c for c in rows.columns if c in dropped]


def _parse(path, stored, links, lsoa_vintage) -> tuple[pd.DataFrame, Checker, int, list[str]]:
    table = read_table(path, known_columns=REQUIRED + OPTIONAL, normalise_headers=False)
    check_header(table, REQUIRED, OPTIONAL, allow_unknown=True, aliases=ALIASES)
    frame = table.frame
    absent = [column for column in OPTIONAL if column not in frame.columns]
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = ""
    stored = stored or set()
    urn_text = frame["URN"].str.strip()
    urn_num = pd.to_numeric(urn_text, errors="coerce")
    scope = in_scope(frame["TypeOfEstablishment (code)"], frame["PhaseOfEducation (code)"],
                     frame["EstablishmentStatus (name)"])
    wanted = scope | urn_num.isin(list(stored))
    # The cumulative file may list a URN more than once: prefer the open row, then the latest.
    changed = pd.to_datetime(frame["LastChangedDate"], format="%d-%m-%Y", errors="coerce")
    order = pd.DataFrame({"urn": urn_text, "open": scope, "changed": changed})
    order = order[wanted].sort_values(["open", "changed"], ascending=False, kind="stable")
    keep_index = order.drop_duplicates("urn").index.sort_values()
    subset = frame.loc[keep_index]
    skipped = len(frame) - len(subset)
    checker = Checker(table, frame=subset)
    urn = checker.parse_int("URN", True, 100000, 999999)
    la = checker.parse_int("LA (code)", True, 201, 999)
    type_code = checker.parse_int("TypeOfEstablishment (code)", True)
    checker.reject(~type_code.isin(list(codes.ESTABLISHMENT_TYPES)).to_numpy() & type_code.notna()
                   .to_numpy(), "TypeOfEstablishment (code)", "unknown_code",
                   "not a GIAS establishment type")
    phase = checker.parse_int("PhaseOfEducation (code)", True, 0, 7, rule="unknown_code")
    # FE colleges publish 99 ("no upper age"), which the schema keeps as it is.
    high_age = checker.parse_int("StatutoryHighAge", False, 0, 99)
    low_age = checker.parse_int("StatutoryLowAge", False, 0)
    low_age = low_age.where(low_age <= 25)
    easting = checker.parse_float("Easting", False, 0, 700000, percent_sign=False)
    northing = checker.parse_float("Northing", False, 0, 1300000, percent_sign=False)
    pupils = checker.parse_int("NumberOfPupils", False, 0)
    fsm = checker.parse_float("PercentageFSM", False, 0, 100)
    lsoa = _gss(checker, "LSOA (code)", r"[EW]01\d{6}")
    lad = _gss(checker, "DistrictAdministrative (code)", r"E0[6-9]\d{6}|W06\d{6}")
    la_gss = _gss(checker, "GSSLACode (name)", r"E(06|08|09|10)\d{6}|W06\d{6}")
    upper_from_lad = lad.where(lad.str.match(r"E0[689]").fillna(False).astype(bool))
    la_gss = la_gss.where(la_gss.notna(), upper_from_lad)
    name = checker.parse_str("EstablishmentName", True, 200)
    located = (easting.notna() & northing.notna()).to_numpy()
    lon = np.full(len(subset), np.nan)
    lat = np.full(len(subset), np.nan)
    if located.any():
        lon[located], lat[located] = geo.bng_to_lonlat(
            easting[located].astype(float), northing[located].astype(float)
        )
    kind = [
        codes.school_kind(int(t), int(p), None if pd.isna(h) else int(h))
        if pd.notna(t) and pd.notna(p) else None
        for t, p, h in zip(type_code, phase, high_age, strict=True)
    ]
    rows = pd.DataFrame(
        {
            "urn": urn,
            "name": fix_c1(name),
            "la_code": la,
            "establishment_number": pd.to_numeric(subset["EstablishmentNumber"],
                                                  errors="coerce").astype("Int64"),
            "ukprn": pd.to_numeric(subset["UKPRN"], errors="coerce").astype("Int64"),
            "type_code": type_code,
            "phase_code": phase,
            "kind": kind,
            "status": subset["EstablishmentStatus (name)"].str.strip().str.slice(0, 40),
            "statutory_low_age": low_age,
            "statutory_high_age": high_age,
            "pupils": pupils,
            "percentage_fsm": fsm,
            "postcode": subset["Postcode"].str.strip().str.slice(0, 10).replace("", None),
            "easting": easting,
            "northing": northing,
            "lat": pd.Series(lat, index=subset.index).where(located, None),
            "lon": pd.Series(lon, index=subset.index).where(located, None),
            "lad_gss": lad,
            "la_gss": la_gss,
            "lsoa_code": lsoa,
            "lsoa_vintage": (lsoa_vintage or _lsoa_vintage(frame["LastChangedDate"])),
            "is_special": type_code.isin(list(codes.SPECIAL_TYPES | {32})).fillna(False)
            .astype(bool),
            "is_ap": type_code.isin(list(codes.AP_TYPES)).fillna(False).astype(bool),
            "trust_code": subset["Trusts (code)"].str.strip().str.slice(0, 20).replace("", None),
        },
        index=subset.index,
    )
    rows["lsoa_vintage"] = rows["lsoa_vintage"].where(rows["lsoa_code"].notna(), None)
    if links is not None:
        predecessors = read_predecessors(links)
        rows["predecessor_urn"] = rows["urn"].map(predecessors).astype("Int64")
    checker.duplicates(pd.DataFrame({"urn": urn.astype(str)}), "URN", "URN")
    return rows, checker, skipped, absent


def _gss(checker: Checker, column: str, pattern: str) -> pd.Series:
    """A geography code column with GIAS pseudo codes blanked; other malformed codes rejected."""
    text = checker.text(column)
    text = text.where(~text.isin(PSEUDO), "")
    bad = (text != "") & ~text.str.fullmatch(pattern)
    checker.reject(bad.to_numpy(), column, "bad_code", f"{column} is not a valid GSS code")
    return text.where(text != "", None).astype(object)


def read_schools(
    path: str | Path, links: str | Path | None = None, lsoa_vintage: int | None = None
) -> pd.DataFrame:
    """Open in-scope schools of a GIAS file as rows shaped like the ``school`` table, plus
    ``la_name`` (invalid rows left out), e.g. to lay the synthetic demo over a real area."""
    rows, checker, _ = parse(path, links=links, lsoa_vintage=lsoa_vintage)
    names = checker.frame["LA (name)"] if "LA (name)" in checker.frame else None
    rows["la_name"] = names.str.strip() if names is not None else None
    # Every column of the table, with its default where GIAS says nothing (hub-kept flags).
    for column in School.__table__.columns:
        if column.name not in rows:
            default = column.default
            rows[column.name] = default.arg if default is not None and default.is_scalar else None
    keep = ~checker.bad
    scope = rows["status"].isin(OPEN_STATUSES).to_numpy()
    out = rows.loc[keep & scope].reset_index(drop=True)
    # Plain NumPy dtypes (NaN for missing numbers) suit array code better than nullable ones.
    for name in out.columns:
        dtype = out[name].dtype
        if isinstance(dtype, pd.Int64Dtype):
            out[name] = out[name].astype("int64" if out[name].notna().all() else "float64")
        elif isinstance(dtype, pd.Float64Dtype):
            out[name] = out[name].astype("float64")
        elif name in ("lat", "lon", "lsoa_vintage"):
            out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    return out


def import_gias(
    engine: Engine,
    path: str | Path,
    links: str | Path | None = None,
    lsoa_vintage: int | None = None,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import a GIAS establishments CSV into ``school`` (upsert on URN). Columns the file does
    not have leave the stored values alone (see the module text)."""
    rows, checker, skipped, absent = _parse(path, known_urns(engine), links, lsoa_vintage)
    report = ImportReport(kind="gias", file=str(path), skipped=skipped,
                          read=len(checker.table.frame))
    report.notes.append(f"{skipped:,} closed, out-of-scope or repeated rows skipped")
    kept = absent_columns(rows, absent)
    if kept:
        report.notes.append(
            "not in the file, so left as stored: " + ", ".join(c for c in absent if WRITES[c])
        )
    good = rows.loc[~checker.bad]
    derived_la = good["la_gss"] if "la_gss" in kept else None
    good = good.drop(columns=kept)
    show = progress and len(good) > PROGRESS_ROWS

    def write(conn):
        rows = good
        if "StatutoryHighAge" in absent and len(rows):
            rows = _kind_from_stored_age(conn, rows)
        result = upsert(conn, School.__table__, rows, ["urn"], progress=show)
        if derived_la is not None:
            _fill_blank_la(conn, good["urn"], derived_la)
        return result

    return finish(engine, report, checker, write, rejects_path, dry_run)


def _kind_from_stored_age(conn, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the kind of stored schools worked out from their stored high age (the file
    has no ``StatutoryHighAge``; without it an 11–18 school would read as 11–16)."""
    table = School.__table__
    urns = [int(u) for u in rows["urn"].dropna()]
    ages: dict[int, int | None] = {}
    for start in range(0, len(urns), 10_000):
        chunk = urns[start : start + 10_000]
        found = conn.execute(
            select(table.c.urn, table.c.statutory_high_age).where(table.c.urn.in_(chunk))
        ).all()
        ages.update((urn, age) for urn, age in found)
    kind = [
        codes.school_kind(int(t), int(p), None if ages.get(int(u)) is None else int(ages[int(u)]))
        if int(u) in ages else k
        for u, t, p, k in zip(rows["urn"], rows["type_code"], rows["phase_code"], rows["kind"],
                              strict=True)
    ]
    return rows.assign(kind=kind)


def _fill_blank_la(conn, urns: pd.Series, la_gss: pd.Series) -> None:
    """Set ``la_gss`` from the district where it is stored empty (no ``GSSLACode`` column)."""
    table = School.__table__
    pairs = [{"_urn": int(u), "_la": v} for u, v in zip(urns, la_gss.loc[urns.index],
                                                          strict=True) if isinstance(v, str)]
    if pairs:
        conn.execute(
            update(table)
            .where(table.c.urn == bindparam("_urn"), table.c.la_gss.is_(None))
            .values(la_gss=bindparam("_la")),
            pairs,
        )
