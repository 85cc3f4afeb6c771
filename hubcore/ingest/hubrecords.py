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
import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, select, update
from tqdm import tqdm

from hubcore import codes, geo
from hubcore.errors import HubcoreError
from hubcore.ingest.base import (
    PROGRESS_ROWS,
    _user,
    academic_year,
    finish,
    known_urns,
    stored_values,
)
from hubcore.ingest.reader import Table, check_header, read_table
from hubcore.ingest.report import ImportReport
from hubcore.ingest.spec import IDENTIFYING_COLUMNS, SPECS, FileSpec, parse_columns
from hubcore.ingest.upsert import UpsertResult, normalise, upsert
from hubcore.ingest.validate import Checker
from hubcore.models import (
    CaseEvent,
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
    prefer_file: bool = False,
) -> ImportReport:
    """Import one hub-kept file of ``kind`` (one of :data:`HUB_KINDS`).

    ``prefer_file`` (hand-overs only): a row that differs from a hand-over edited in the suite
    overwrites it instead of being listed as a conflict (see :func:`_handovers`)."""
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
    prepare = _PREPARE[kind]
    if kind == "handovers":
        prepare = functools.partial(_handovers, report=report, prefer_file=prefer_file)
    rows, write_rows = prepare(engine, checker, typed)
    checker.duplicates(
        _key_frame(typed, spec.key), spec.key[0], "key (" + " + ".join(spec.key) + ")"
    )
    keep = ~checker.bad
    rows = rows if keep.all() else rows.loc[keep]
    if kind == "handovers" and dry_run:
        # A dry run writes nothing, but says which rows would be conflicts.
        with engine.connect() as conn:
            _note_conflicts(report, _edited_differences(conn, rows, table.first_row,
                                                        prefer_file), prefer_file)
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


def _handovers(engine, checker: Checker, t: pd.DataFrame, report: ImportReport | None = None,
               prefer_file: bool = False):
    """Hand-over rows, and a writer that follows the import-vs-edit rule (:data:`HANDOVER_RULE`):
    a stored hand-over edited in the suite (``edited_at`` set) is not overwritten by a file row
    that differs from it: the row is left out, listed on ``report.conflicts`` and recorded as
    an ``import_conflict`` case event, unless ``prefer_file``. Rows that change a hand-over
    never edited in the suite are written as before and its ``version`` goes up by one."""
    report = report if report is not None else ImportReport(kind="handovers", file="")
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
    from_urn = pd.to_numeric(from_urn, errors="coerce").astype("Int64")
    # A hand-over with no receiving area is worked by the service of the school's upper-tier
    # LA, as a referral from the worklists is; left blank, no NCS adviser or LA tracking
    # officer would ever see the case.
    with engine.connect() as conn:
        school = School.__table__.c
        la_of = dict(conn.execute(select(school.urn, school.la_gss)).all())
    blank_area = t["ncs_area"].isna()
    ncs_area = t["ncs_area"].astype(object).where(~blank_area, from_urn.map(la_of))
    filled = int((blank_area & ncs_area.notna()).to_numpy()[~checker.bad].sum())
    if filled:
        report.notes.append(f"{filled:,} hand-over{'s' if filled != 1 else ''} with no ncs_area "
                            "take the upper-tier LA of the school handing over")
    rows = t.assign(from_urn=from_urn, ncs_area=ncs_area)
    first_row = checker.table.first_row

    def write(conn, rows, show):
        # Under the writers' lock (finish() bumped the data version first), so no suite edit
        # can slip in between this comparison and the writes.
        found = _edited_differences(conn, rows, first_row, prefer_file)
        _note_conflicts(report, found, prefer_file)
        # Edited rows the file repeats unchanged are never written; differing ones only with
        # --prefer-file, and then not where the file's values and the suite's own (outcome,
        # contact attempts) would together break a hand-over rule.
        leave_out = found.same + (found.blocked if prefer_file else found.labels)
        result = upsert(conn, Handover.__table__, rows.drop(index=leave_out),
                        HANDOVER_KEY, progress=show)
        _bump_versions(conn, rows.loc[result.touched[: result.updated]])
        _record_conflicts(conn, found, prefer_file)
        result.unchanged += len(found.same)
        return result

    return rows, write


HANDOVER_KEY = ["leaver_key", "to_org_type", "left_on"]
#: The import-vs-edit rule, as the import report states it.
HANDOVER_RULE = (
    "Rule: a hand-over changed in the suite (worklists) is not overwritten by a file row that "
    "differs; that row is listed as a conflict and recorded in the case history "
    "(import_conflict). Re-import with --prefer-file to take the file's values. Hand-overs never "
    "edited in the suite take the file's values, and their version goes up by one."
)


class _Differences:
    """File rows whose hand-over was edited in the suite: ``labels`` (index labels of rows that
    differ), ``same`` (labels of rows equal to what is stored), ``blocked`` (differing rows
    whose values cannot replace the suite's: the whole row would break a rule) and ``table``
    (one line per differing row: file row, key, the columns that differ with both values, who
    edited, and ``problem``, the broken rule in words, for blocked rows)."""

    def __init__(self, labels: list, same: list, table: pd.DataFrame,
                 blocked: list | None = None) -> None:
        self.labels, self.same, self.table = labels, same, table
        self.blocked = blocked or []


CONFLICT_COLUMNS = ["row", "handover_id", "leaver_key", "to_org_type", "left_on", "columns",
                    "suite_values", "file_values", "edited_by", "edited_at", "version", "urn",
                    "problem"]


def _edited_differences(conn: Connection, rows: pd.DataFrame, first_row: int,
                        prefer_file: bool = False) -> _Differences:
    """Compare ``rows`` with the stored hand-overs that were edited in the suite
    (``edited_at`` set); only those can conflict, so only they are read. With
    ``prefer_file``, each differing row is checked whole (the file's values over the stored
    row) with the worklists' rules, and blocked if it would break one."""
    table = Handover.__table__
    compare = [c for c in rows.columns if c in table.c and c not in HANDOVER_KEY]
    full = [dict(r) for r in conn.execute(
        select(table).where(table.c.edited_at.is_not(None))).mappings()]
    by_id = {r["id"]: r for r in full}
    names = ["id", *HANDOVER_KEY, *compare, "version", "edited_at", "edited_by"]
    stored = pd.DataFrame([[r[n] for n in names] for r in full], columns=names)
    empty = _Differences([], [], pd.DataFrame(columns=CONFLICT_COLUMNS))
    if stored.empty or rows.empty:
        return empty
    incoming = rows[HANDOVER_KEY].copy()
    incoming["_label"] = rows.index
    for frame in (incoming, stored):
        frame["_k_key"] = frame["leaver_key"].astype(str)
        frame["_k_to"] = frame["to_org_type"].astype(str)
        frame["_k_left"] = normalise(frame["left_on"], table.c.left_on.type)
    pairs = incoming[["_label", "_k_key", "_k_to", "_k_left"]].merge(
        stored.drop(columns=HANDOVER_KEY), on=["_k_key", "_k_to", "_k_left"], how="inner"
    )
    if pairs.empty:
        return empty
    file_rows = rows.loc[pairs["_label"]]
    differ: dict[str, np.ndarray] = {}
    for column in compare:
        sql_type = table.c[column].type
        a = normalise(file_rows[column].reset_index(drop=True), sql_type)
        b = normalise(pairs[column].reset_index(drop=True), sql_type)
        both_missing = (a.isna() & b.isna()).to_numpy()
        equal = (a == b).fillna(False).to_numpy(dtype=bool) if len(a) else np.zeros(0, bool)
        differ[column] = ~(equal | both_missing)
    from hubcore.worklists.errors import InvalidEdit
    from hubcore.worklists.rules import check_case

    lines, labels, same, blocked = [], [], [], []
    for i, pair in enumerate(pairs.itertuples(index=False)):
        changed = [c for c in compare if differ[c][i]]
        label = pairs["_label"].iloc[i]
        if not changed:
            same.append(label)
            continue
        labels.append(label)
        problem = None
        if prefer_file:
            merged = {**by_id[pair.id], **{c: _python(file_rows[c].iloc[i]) for c in compare}}
            try:
                check_case(merged)
            except InvalidEdit as exc:
                problem = str(exc)
                blocked.append(label)
        lines.append({
            "row": int(label) + first_row,
            "handover_id": int(pair.id),
            "leaver_key": str(pairs["_k_key"].iloc[i]),
            "to_org_type": str(pairs["_k_to"].iloc[i]),
            "left_on": _plain(file_rows["left_on"].iloc[i]),
            "columns": ", ".join(changed),
            "suite_values": {c: _plain(pairs[c].iloc[i]) for c in changed},
            "file_values": {c: _plain(file_rows[c].iloc[i]) for c in changed},
            "edited_by": pair.edited_by,
            "edited_at": pair.edited_at,
            "version": int(pair.version),
            "urn": _plain(pairs["from_urn"].iloc[i]),
            "problem": problem,
        })
    conflicts = pd.DataFrame(lines, columns=CONFLICT_COLUMNS)
    return _Differences(labels, same, conflicts, blocked)


def _python(value):
    """A parsed file value as the database driver returns it (``None``, date, int, str)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _plain(value):
    """A stored or parsed value as plain JSON-able Python (dates as ISO text, None for
    missing)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _note_conflicts(report: ImportReport, found: _Differences, prefer_file: bool) -> None:
    """Put the conflicts and the rule on the import report."""
    report.conflicts = found.table
    report.notes = [n for n in report.notes if not n.startswith(("Rule: a hand-over", "  row "))]
    report.notes.append(HANDOVER_RULE)
    if found.table.empty:
        return
    verb = ("overwritten by the file (--prefer-file) unless said otherwise" if prefer_file
            else "kept; the file's row was not imported")
    report.notes.append(f"{len(found.table):,} hand-over(s) edited in the suite differ from "
                        f"the file: the suite's values were {verb}:")
    for line in found.table.head(20).itertuples(index=False):
        when = pd.Timestamp(line.edited_at).strftime("%Y-%m-%d %H:%M") if line.edited_at else ""
        diffs = "; ".join(f"{c} suite {line.suite_values[c]!s} / file {line.file_values[c]!s}"
                          for c in line.suite_values)
        kept = ("" if not line.problem else
                f" — kept: the file's values with the suite's would break a rule "
                f"({line.problem}); change it in the suite")
        report.notes.append(f"  row {line.row}: hand-over {line.handover_id} (edited by "
                            f"{line.edited_by} {when} UTC): {diffs}{kept}")
    if len(found.table) > 20:
        report.notes.append(f"  row …: and {len(found.table) - 20:,} more (report.conflicts)")


def _bump_versions(conn: Connection, changed: pd.DataFrame) -> None:
    """``version + 1`` on each stored hand-over whose row the import just changed."""
    if changed.empty:
        return
    table = Handover.__table__
    statement = update(table).where(
        table.c.leaver_key == bindparam("_k"), table.c.to_org_type == bindparam("_t"),
        table.c.left_on == bindparam("_l"),
    ).values(version=table.c.version + 1)
    left = normalise(changed["left_on"], table.c.left_on.type).dt.date
    conn.execute(statement, [
        {"_k": k, "_t": t, "_l": d}
        for k, t, d in zip(changed["leaver_key"], changed["to_org_type"], left, strict=True)
    ])


def _record_conflicts(conn: Connection, found: _Differences, prefer_file: bool) -> None:
    """One ``import_conflict`` case event per differing edited hand-over: ``before`` holds the
    suite's values, ``after`` the file's, with ``resolution`` saying which were kept
    (``file_applied`` with ``prefer_file`` unless the row was blocked, else ``suite_kept``)."""
    if found.table.empty:
        return
    now = dt.datetime.now(dt.UTC)
    conn.execute(CaseEvent.__table__.insert(), [
        {
            "at": now, "user": _user(), "role": "importer", "action": "import_conflict",
            "handover_id": line.handover_id, "leaver_key": line.leaver_key, "urn": line.urn,
            "before": json.dumps(line.suite_values),
            "after": json.dumps({**line.file_values, "resolution": (
                "file_applied" if prefer_file and not line.problem else "suite_kept")}),
        }
        for line in found.table.itertuples(index=False)
    ])


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
