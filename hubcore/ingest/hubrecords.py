"""Importers for the records a hub keeps itself: employers, links, offers, encounters,
leavers, destinations (NCCIS codes) and NCS hand-overs, from CSV or XLSX.

Column layouts are in :mod:`hubcore.ingest.spec` (``hubcore template KIND`` writes them out).
References are checked against what is stored: a link to an unknown employer, an encounter at
an unknown school or a destination for an unknown leaver is rejected with the rule named, so
import employers before links and offers, and leavers before destinations and hand-overs.

Pupil-level files must be pseudonymous: a file with a name, UPN, date-of-birth or address column
is refused before anything is read further, and keys shaped like a UPN or ULN are rejected.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select
from tqdm import tqdm

from hubcore import codes, geo
from hubcore.errors import HubcoreError
from hubcore.ingest.base import (
    PROGRESS_ROWS,
    academic_year,
    finish,
    known_urns,
    stored_values,
)
from hubcore.ingest.reader import Table, check_header, read_table
from hubcore.ingest.report import ImportReport
from hubcore.ingest.spec import IDENTIFYING_COLUMNS, SPECS, FileSpec, parse_columns
from hubcore.ingest.upsert import UpsertResult, upsert
from hubcore.ingest.validate import Checker
from hubcore.models import (
    DestinationRecord,
    Employer,
    EmployerLink,
    EmployerOffer,
    Encounter,
    Handover,
    Leaver,
    School,
)

HUB_KINDS = ("employers", "links", "offers", "encounters", "leavers", "destinations", "handovers")


def check_pseudonymous(table: Table, spec: FileSpec) -> None:
    """Refuse a pupil-level file that carries identifying columns (UK GDPR data minimisation:
    the suite needs only a pseudonymous key, and holding names would make every export of it
    personal data)."""
    found = [c for c in table.frame.columns if c in IDENTIFYING_COLUMNS]
    if found:
        raise HubcoreError(
            f"{table.path.name}: refused: the file has identifying columns ({', '.join(found)}). "
            f"{spec.title} must be pseudonymous for data protection: remove these columns and "
            "identify young people only by a salted-hash key; nothing was imported"
        )


def _employer_ids(engine: Engine) -> dict[str, int]:
    table = Employer.__table__
    with engine.connect() as conn:
        return dict(conn.execute(select(table.c.ref, table.c.id)).all())


def _reference(checker: Checker, values: pd.Series, known, column: str, rule: str, what: str):
    """Reject filled values not in ``known`` (looked up once per distinct value)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    ok = pd.Series(uniques).isin(list(known)).to_numpy() if len(known) else np.zeros(
        len(uniques), bool
    )
    unknown = np.append(~ok, False)[codes]  # code -1 (blank) is never unknown
    checker.reject(unknown, column, rule, f"no {what} with this {column} is stored")


def _lookup(values: pd.Series, mapping: dict) -> pd.Series:
    """``values.map(mapping)``, mapping each distinct value once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = pd.Series(uniques).map(mapping).astype(object).to_numpy()
    return pd.Series(np.append(mapped, None)[codes], index=values.index, dtype=object)


def _derived_years(dates: pd.Series) -> pd.Series:
    """:func:`academic_year` of each date, worked out once per distinct date."""
    codes, uniques = pd.factorize(dates, use_na_sentinel=True)
    years = academic_year(pd.Series(uniques)).to_numpy(dtype=object)
    return pd.Series(np.append(years, None)[codes], index=dates.index, dtype=object)


def _years(checker: Checker, rows: pd.DataFrame) -> None:
    reversed_years = (rows["year_to"] < rows["year_from"]).fillna(False).to_numpy()
    checker.reject(reversed_years, "year_to", "years_reversed", "year_to is before year_from")


def _ay_consistent(checker: Checker, column: str, values: pd.Series) -> None:
    """``2024/25`` must name consecutive years."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    first = pd.to_numeric(text.str.slice(2, 4), errors="coerce")
    second = pd.to_numeric(text.str.slice(5, 7), errors="coerce")
    bad = (text != "") & ((first + 1) % 100 != second)
    checker.reject(bad.to_numpy(), column, "bad_academic_year",
                   f"{column} must name consecutive years, e.g. 2024/25")


def import_hub_file(
    engine: Engine,
    kind: str,
    path: str | Path,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import one hub-kept file of ``kind`` (one of :data:`HUB_KINDS`)."""
    spec = SPECS[kind]
    path = Path(path)
    # Big files (about 75 bytes a row) show their stages; the writer shows rows.
    big = path.exists() and path.stat().st_size > PROGRESS_ROWS * 75
    steps = tqdm(total=3, desc=f"{path.name}: reading", unit="step", leave=False,
                 disable=not (progress and big))
    table = read_table(path, known_columns=[c.name for c in spec.columns])
    if spec.personal:
        check_pseudonymous(table, spec)
    check_header(table, spec.required, spec.optional)
    steps.set_description(f"{path.name}: validating")
    steps.update()
    checker = Checker(table, today=today)
    typed = parse_columns(checker, spec)
    report = ImportReport(kind=kind, file=str(path))
    rows, write_rows = _PREPARE[kind](engine, checker, typed)
    checker.duplicates(
        _key_frame(typed, spec.key), spec.key[0], "key (" + " + ".join(spec.key) + ")"
    )
    keep = ~checker.bad
    rows = rows if keep.all() else rows.loc[keep]
    show = progress and len(rows) > PROGRESS_ROWS
    steps.set_description(f"{path.name}: writing")
    steps.update()

    def write(conn: Connection) -> UpsertResult:
        return write_rows(conn, rows, show)

    try:
        return finish(engine, report, checker, write, rejects_path, dry_run)
    finally:
        steps.update()
        steps.close()


def _key_frame(typed: pd.DataFrame, key) -> pd.DataFrame:
    """The natural-key columns, ready for :meth:`Checker.duplicates` (typed, not text)."""
    return typed[list(key)]


# --- per kind: build rows for the table and a writer -----------------------------------------


def _employers(engine, checker: Checker, t: pd.DataFrame):
    half = t["easting"].isna() != t["northing"].isna()
    checker.reject(half.to_numpy(), "northing", "incomplete_location",
                   "give both easting and northing, or neither")
    rows = t.copy()
    rows["companies_house_no"] = rows["companies_house_no"].map(
        lambda v: v.upper() if isinstance(v, str) else v
    )
    located = (t["easting"].notna() & t["northing"].notna()).to_numpy()
    lon = np.full(len(t), np.nan)
    lat = np.full(len(t), np.nan)
    if located.any():
        lon[located], lat[located] = geo.bng_to_lonlat(
            t.loc[located, "easting"].astype(float), t.loc[located, "northing"].astype(float)
        )
    rows["lon"], rows["lat"] = lon, lat
    rows["lat"] = rows["lat"].where(located, None)
    rows["lon"] = rows["lon"].where(located, None)

    def write(conn, rows, show):
        return upsert(conn, Employer.__table__, rows, ["ref"], progress=show)

    return rows, write


def _links(engine, checker: Checker, t: pd.DataFrame):
    employers = _employer_ids(engine)
    _reference(checker, t["employer_ref"], employers, "employer_ref", "unknown_employer",
               "employer")
    _reference(checker, t["urn"], known_urns(engine), "urn", "unknown_school", "school")
    reversed_dates = pd.Series(
        [bool(s and e and e < s) for s, e in zip(t["start_date"], t["end_date"], strict=True)]
    )
    checker.reject(reversed_dates.to_numpy(), "end_date", "end_before_start",
                   "end_date is before start_date")
    rows = t.drop(columns=["employer_ref"]).assign(employer_id=t["employer_ref"].map(employers))

    def write(conn, rows, show):
        return upsert(conn, EmployerLink.__table__, rows, ["employer_id", "urn", "role"],
                      progress=show)

    return rows, write


def _offers(engine, checker: Checker, t: pd.DataFrame):
    employers = _employer_ids(engine)
    _reference(checker, t["employer_ref"], employers, "employer_ref", "unknown_employer",
               "employer")
    over = (t["taken_up"] > t["capacity"]).fillna(False).to_numpy()
    checker.reject(over, "taken_up", "taken_up_over_capacity", "taken_up exceeds capacity")
    _years(checker, t)
    _ay_consistent(checker, "academic_year", t["academic_year"])
    rows = t.drop(columns=["employer_ref"]).assign(employer_id=t["employer_ref"].map(employers))

    def write(conn, rows, show):
        return upsert(conn, EmployerOffer.__table__, rows,
                      ["employer_id", "academic_year", "kind"], progress=show)

    return rows, write


ENCOUNTER_KEY = ["urn", "date", "kind", "benchmark", "year_from", "year_to", "employer_id",
                 "provider_urn", "provider_name"]


def _encounters(engine, checker: Checker, t: pd.DataFrame):
    employers = _employer_ids(engine)
    _reference(checker, t["employer_ref"], employers, "employer_ref", "unknown_employer",
               "employer")
    _reference(checker, t["urn"], known_urns(engine), "urn", "unknown_school", "school")
    _years(checker, t)
    derived = _derived_years(checker.datetimes["date"])
    given = t["academic_year"]
    mismatch = (given.notna() & derived.notna() & (given != derived)).to_numpy()
    checker.reject(mismatch, "academic_year", "academic_year_mismatch",
                   "academic_year does not contain date")
    rows = t.drop(columns=["employer_ref"]).assign(
        employer_id=_lookup(t["employer_ref"], employers).astype("Int64"),
        academic_year=given.where(given.notna(), derived),
    )

    def write(conn, rows, show):
        return upsert(conn, Encounter.__table__, rows, ENCOUNTER_KEY, progress=show)

    return rows, write


def _leavers(engine, checker: Checker, t: pd.DataFrame):
    key = t["key"].astype(object).where(t["key"].notna(), "").astype(str)
    upn = key.str.fullmatch(r"[A-Za-z]\d{11}[0-9A-Za-z]").to_numpy()
    checker.reject(upn, "key", "looks_like_upn",
                   "key looks like a raw UPN; use a salted hash of it instead (data protection)")
    uln = key.str.fullmatch(r"\d{10}").to_numpy()
    checker.reject(uln, "key", "looks_like_uln",
                   "key looks like a raw ULN; use a salted hash of it instead (data protection)")
    short = ((key != "") & (key.str.len() < 16)).to_numpy() & ~upn & ~uln
    checker.reject(short, "key", "key_too_short", "key must be at least 16 characters")
    _reference(checker, t["urn"], known_urns(engine), "urn", "unknown_school", "school")
    rows = t.assign(sen=t["sen"].str.upper())

    def write(conn, rows, show):
        return upsert(conn, Leaver.__table__, rows, ["key"], progress=show)

    return rows, write


def _leaver_info(engine) -> pd.DataFrame:
    table = Leaver.__table__
    with engine.connect() as conn:
        return pd.read_sql(select(table.c.key, table.c.urn, table.c.left_on), conn)


def _destinations(engine, checker: Checker, t: pd.DataFrame):
    leavers = stored_values(engine, Leaver.__table__.c.key)
    _reference(checker, t["leaver_key"], leavers, "leaver_key", "unknown_leaver", "leaver")
    valid = t["nccis_code"].isin(list(codes.NCCIS_CATEGORY)).to_numpy()
    # Rows already rejected (e.g. a code out of range) are not reported twice.
    checker.reject(t["nccis_code"].notna().to_numpy() & ~valid & ~checker.bad, "nccis_code",
                   "unknown_code",
                   "not an NCCIS current-activity code")
    rows = t.assign(
        category=t["nccis_code"].map(lambda c: codes.NCCIS_CATEGORY.get(int(c))
                                     if pd.notna(c) else None)
    )

    def write(conn, rows, show):
        return upsert(conn, DestinationRecord.__table__, rows,
                      ["leaver_key", "recorded_on", "kind"], progress=show)

    return rows, write


def _later(a: pd.Series, b: pd.Series) -> np.ndarray:
    """True where both dates are set and ``b`` is before ``a``."""
    return np.array([bool(x and y and y < x) for x, y in zip(a, b, strict=True)], dtype=bool)


#: Hand-over statuses that say the young person was reached: they need a contact date.
CONTACTED_STATUSES = ("contacted", "engaged")


def _handovers(engine, checker: Checker, t: pd.DataFrame):
    info = _leaver_info(engine)
    urn_of = dict(zip(info["key"], info["urn"], strict=True))
    _reference(checker, t["leaver_key"], urn_of, "leaver_key", "unknown_leaver", "leaver")
    from_urn = t["from_urn"].astype(object).where(t["from_urn"].notna(),
                                                   t["leaver_key"].map(urn_of))
    _reference(checker, t["from_urn"], known_urns(engine), "from_urn", "unknown_school",
               "school")
    checker.reject(_later(t["left_on"], t["referred_on"]), "referred_on",
                   "referral_before_leaving", "referred_on is before left_on")
    no_referral = t["referred_on"].isna().to_numpy()
    for column in ("contacted_on", "outcome_on"):
        checker.reject(t[column].notna().to_numpy() & no_referral, column,
                       "needs_referral_date", f"{column} given without referred_on")
        checker.reject(_later(t["referred_on"], t[column]), column, "before_referral",
                       f"{column} is before referred_on")
    checker.reject((t["status"] != "pending").to_numpy() & no_referral, "status",
                   "status_needs_referral", "a status other than pending needs referred_on")
    # Engaged (or contacted) means someone reached the young person: without the date of that
    # contact the funnel would count an engagement that was never contacted.
    no_contact = t["contacted_on"].isna().to_numpy()
    checker.reject(t["status"].isin(list(CONTACTED_STATUSES)).to_numpy() & no_contact, "status",
                   "status_needs_contact",
                   "status engaged or contacted needs contacted_on (the date first contacted)")
    outcome = t["outcome_nccis_code"]
    checker.reject(
        (outcome.notna() & ~outcome.isin(list(codes.NCCIS_CATEGORY))).to_numpy() & ~checker.bad,
        "outcome_nccis_code", "unknown_code", "not an NCCIS current-activity code",
    )
    rows = t.assign(from_urn=pd.to_numeric(from_urn, errors="coerce").astype("Int64"))

    def write(conn, rows, show):
        return upsert(conn, Handover.__table__, rows, ["leaver_key", "to_org_type", "left_on"],
                      progress=show)

    return rows, write


_PREPARE = {
    "employers": _employers,
    "links": _links,
    "offers": _offers,
    "encounters": _encounters,
    "leavers": _leavers,
    "destinations": _destinations,
    "handovers": _handovers,
}


def school_kinds(engine: Engine) -> dict[int, str]:
    """URN → school kind of stored schools."""
    table = School.__table__
    with engine.connect() as conn:
        return dict(conn.execute(select(table.c.urn, table.c.kind)).all())
