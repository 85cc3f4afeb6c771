"""DfE statistics: NEET and not known by LA, and KS4 / 16–18 destination measures by school.

Suppression symbols are kept, never read as zero: ``c`` (suppressed), ``z`` (not applicable),
``x`` (not available), ``low`` (below 0.5%), and the performance tables' ``SUPP``, ``SP`` and
``NA``. A suppressed figure is stored as ``NULL`` and the ``suppressed`` column says which
column carried which symbol (e.g. ``neet_percent=c``).

NEET files: the NCCIS LA dashboard layout (``Cohort_DJFavg, NEET_not_known_percent, …``) and
the EES ``ud_neet_characteristics`` layout (``avg_cohort_count, neet_nk_percent, …``; only
``Total`` characteristic rows are kept). National rows are stored under ``E92000001`` and
regional rows under their ``E12`` code. Rows with no area code (the 2021 file's ``LA demo``
placeholder) are rejected.

Destination measures: the performance-tables download ``england_ks4-pupdest.csv`` (one row per
school; percent strings such as ``84%``; breakdowns Total, Disadvantaged and Not disadvantaged)
and the EES institution files ``ees_ks4_inst_*.csv`` / ``ees_ks5_inst_*.csv`` (long format,
``data_type`` ``Percentage`` rows kept).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from hubcore.errors import HubcoreError
from hubcore.ingest.base import finish
from hubcore.ingest.reader import check_header, read_table
from hubcore.ingest.report import ImportReport
from hubcore.ingest.upsert import UpsertResult, upsert
from hubcore.ingest.validate import Checker
from hubcore.models import LaNeetStat, SchoolDestinationMeasure

SUPPRESSION = {"c", "z", "x", "low", "supp", "sp", "na", ":", "u"}
ENGLAND = "E92000001"


def suppressed_number(
    checker: Checker, column: str, low: float | None = 0, high: float | None = None,
    integer: bool = False,
) -> tuple[pd.Series, pd.Series]:
    """``(value, symbol)`` for a published figure: the number (``None`` when suppressed or
    blank) and the suppression symbol (``None`` when not suppressed); other text is rejected."""
    text = checker.text(column)
    symbol = text.where(text.str.lower().isin(SUPPRESSION), "")
    cleaned = text.where(symbol == "", "").str.removesuffix("%").str.replace(",", "", regex=False)
    number = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")
    bad = (cleaned != "") & number.isna()
    checker.reject(bad.to_numpy(), column, "not_number",
                   f"{column} must be a number or a suppression symbol (c, z, x, low)")
    if low is not None:
        checker.reject((number < low).to_numpy(), column, "out_of_range",
                       f"{column} must be at least {low:g}")
    if high is not None:
        checker.reject((number > high).to_numpy(), column, "out_of_range",
                       f"{column} must be at most {high:g}")
    if integer:
        checker.reject((number % 1 != 0).fillna(False).to_numpy(), column, "not_integer",
                       f"{column} must be a whole number")
    return number.astype("Float64"), symbol.where(symbol != "", None).astype(object)


def _suppressed_text(symbols: dict[str, pd.Series], index) -> pd.Series:
    """``"neet_percent=c; nk_percent=z"`` per row (``None`` when nothing was suppressed)."""
    parts = [
        s.map(lambda v, n=name: f"{n}={v}" if isinstance(v, str) else "")
        for name, s in symbols.items()
    ]
    if not parts:
        return pd.Series(None, index=index, dtype=object)
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + "; " + p
    joined = joined.str.replace(r"(; )+", "; ", regex=True).str.strip("; ")
    return joined.where(joined != "", None).astype(object)


# --- NEET ---------------------------------------------------------------------------------

NEET_LAYOUTS = {
    "dashboard": {
        "age": "Age", "cohort": "Cohort_DJFavg", "neet_nk_percent": "NEET_not_known_percent",
        "neet_percent": "NEET_percent", "nk_percent": "Notknown_percent",
    },
    "ees": {
        "age": "age", "cohort": "avg_cohort_count", "neet_nk_percent": "neet_nk_percent",
        "neet_percent": "neet_percent", "nk_percent": "nk_percent",
    },
}
NEET_KEYS = ["time_period", "geographic_level", "country_code", "region_code", "old_la_code",
             "new_la_code", "la_name"]


def import_neet(
    engine: Engine,
    path: str | Path,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import a DfE NEET / not-known by LA file into ``la_neet_stat`` (upsert on
    time_period + area code + age)."""
    path = Path(path)
    table = read_table(path, known_columns=NEET_KEYS, normalise_headers=False)
    columns = set(table.frame.columns)
    layout = "dashboard" if "NEET_not_known_percent" in columns else "ees"
    names = NEET_LAYOUTS[layout]
    check_header(table, NEET_KEYS + list(names.values()), allow_unknown=True)
    frame = table.frame
    skipped = 0
    subset = frame
    if "characteristic" in columns:
        total = frame["characteristic"].str.strip().str.lower().isin(["total", "all"])
        subset = frame.loc[total]
        skipped = len(frame) - len(subset)
    checker = Checker(table, today=today, frame=subset)
    year_now = (today or dt.date.today()).year
    period = checker.parse_int("time_period", True, 2000, year_now + 1)
    level = checker.text("geographic_level")
    code = checker.text("new_la_code")
    code = code.where(level != "National", checker.text("country_code"))
    code = code.where(level != "Regional", checker.text("region_code"))
    checker.reject((code == "").to_numpy(), "new_la_code", "missing_code",
                   "the row has no area code (placeholder rows such as 'LA demo' are not data)")
    checker.reject(((code != "") & ~code.str.fullmatch(r"E(06|08|09|10|12|92)\d{6}")).to_numpy(),
                   "new_la_code", "bad_code", "not an England upper-tier, region or country code")
    la_code = checker.parse_int("old_la_code", False, 201, 999)
    values, symbols = {}, {}
    values["cohort"], symbols["cohort"] = suppressed_number(checker, names["cohort"], 0)
    for target in ("neet_percent", "nk_percent", "neet_nk_percent"):
        values[target], symbols[target] = suppressed_number(checker, names[target], 0, 100)
    age = checker.text(names["age"]).str.slice(0, 10)
    rows = pd.DataFrame(
        {
            "time_period": period,
            "la_gss": code,
            "la_code": la_code,
            "la_name": checker.text("la_name").where(level == "Local authority",
                                                     checker.text("region_name"))
            .where(level != "National", checker.text("country_name")).str.slice(0, 100),
            "age": age.where(age != "", "16-17"),
            "cohort": values["cohort"].round().astype("Int64"),
            "neet_percent": values["neet_percent"],
            "nk_percent": values["nk_percent"],
            "neet_nk_percent": values["neet_nk_percent"],
            "suppressed": _suppressed_text(symbols, subset.index),
        },
        index=subset.index,
    )
    checker.duplicates(rows[["time_period", "la_gss", "age"]].astype(str), "new_la_code",
                       "time_period + area + age")
    good = rows.loc[~checker.bad]
    report = ImportReport(kind="neet", file=str(path), skipped=skipped, read=len(frame))

    def write(conn):
        return upsert(conn, LaNeetStat.__table__, good, ["time_period", "la_gss", "age"])

    return finish(engine, report, checker, write, rejects_path, dry_run)


# --- destination measures -----------------------------------------------------------------

#: Performance-tables column stems → model columns (suffix ``PER`` + breakdown suffix).
PT_MEASURES = {
    "overall": "OVERALL_DEST", "education": "EDUCATION", "apprenticeship": "APPREN",
    "employment": "EMPLOYMENT", "not_sustained": "NOT_SUSTAINED", "unknown": "UNKNOWN",
}
PT_BREAKDOWNS = {"Total": "", "Disadvantaged": "_DIS", "Not disadvantaged": "_NONDIS"}
EES_MEASURES = {
    "overall": "overall", "education": "education", "apprenticeship": "appren",
    "employment": "all_work", "not_sustained": "all_notsust", "unknown": "all_unknown",
}


def infer_time_period(columns) -> int | None:
    """The performance tables label earlier cohorts ``_22``, ``_21``: the current cohort is the
    year after the newest, e.g. ``_22`` → ``202223`` (2022/23 leavers)."""
    years = [int(m.group(1)) for c in columns if (m := re.fullmatch(r"COHORT_(\d\d)", c))]
    if not years:
        return None
    start = 2000 + max(years)
    return start * 100 + (start + 1) % 100


def import_destination_measures(
    engine: Engine,
    path: str | Path,
    time_period: int | None = None,
    stage: str | None = None,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import KS4 or 16–18 destination measures by school into ``school_destination_measure``
    (upsert on time_period + URN + stage + breakdown). ``stage`` is ``ks4`` or ``16-18``
    (default: ``16-18`` when the file name says ks5, else ``ks4``); ``time_period`` (e.g.
    ``202223``) is needed for performance-tables files that do not say it."""
    path = Path(path)
    stage = stage or ("16-18" if re.search(r"ks5|16.?18|studest", path.name, re.I) else "ks4")
    if stage not in ("ks4", "16-18"):
        raise HubcoreError(f"stage must be ks4 or 16-18, not {stage!r}")
    table = read_table(path, known_columns=["RECTYPE", "URN", "school_urn", "time_period"],
                       normalise_headers=False)
    columns = set(table.frame.columns)
    if "RECTYPE" in columns:
        return _performance_tables(engine, table, stage, time_period, rejects_path, dry_run,
                                   today)
    return _ees(engine, table, stage, rejects_path, dry_run, today)


def _measure_rows(checker, base: dict, names: dict[str, str], index) -> pd.DataFrame:
    values, symbols = {}, {}
    for target, column in names.items():
        high = None if target == "cohort" else 100
        values[target], symbols[target] = suppressed_number(checker, column, 0, high)
    rows = pd.DataFrame({**base, **values}, index=index)
    if "cohort" in rows:
        rows["cohort"] = rows["cohort"].round().astype("Int64")
    rows["suppressed"] = _suppressed_text(symbols, index).str.slice(0, 120)
    return rows


def _performance_tables(engine, table, stage, time_period, rejects_path, dry_run, today):
    check_header(table, ["RECTYPE", "URN", "COHORT"]
                 + [f"{s}PER" for s in PT_MEASURES.values()], allow_unknown=True)
    frame = table.frame
    period = time_period or infer_time_period(frame.columns)
    if period is None:
        raise HubcoreError(
            f"{table.path.name}: the file does not say which year it covers; give "
            "--time-period (e.g. 202223 for 2022/23 leavers)"
        )
    # LA and national totals (RECTYPE LA / NAT) have no URN: they are not school rows.
    schools = frame["RECTYPE"].str.strip().isin(["1", "2"])
    subset = frame.loc[schools]
    checker = Checker(table, today=today, frame=subset)
    urn = checker.parse_int("URN", True, 100000, 999999)
    parts = []
    for breakdown, suffix in PT_BREAKDOWNS.items():
        names = {t: f"{s}PER{suffix}" for t, s in PT_MEASURES.items()}
        cohort = "COHORT" + suffix
        if not all(c in frame.columns for c in [*names.values(), cohort]):
            continue
        names = {"cohort": cohort, **names}
        base = {"time_period": period, "urn": urn, "stage": stage, "breakdown": breakdown}
        parts.append(_measure_rows(checker, base, names, subset.index))
    rows = pd.concat(parts)
    checker.duplicates(pd.DataFrame({"urn": urn.astype(str)}), "URN", "URN")
    return _write_measures(engine, table, checker, rows, len(frame) - len(subset), rejects_path,
                           dry_run)


def _ees(engine, table, stage, rejects_path, dry_run, today):
    required = ["time_period", "school_urn", "breakdown", "data_type", "cohort",
                *EES_MEASURES.values()]
    check_header(table, required, allow_unknown=True)
    frame = table.frame
    pct = frame["data_type"].str.strip().str.lower() == "percentage"
    subset = frame.loc[pct]
    checker = Checker(table, today=today, frame=subset)
    period = checker.parse_int("time_period", True, 200001, 210099)
    urn = checker.parse_int("school_urn", True, 100000, 999999)
    base = {"time_period": period, "urn": urn, "stage": stage,
            "breakdown": checker.text("breakdown").str.slice(0, 60)}
    names = {"cohort": "cohort", **EES_MEASURES}
    rows = _measure_rows(checker, base, names, subset.index)
    checker.duplicates(rows[["time_period", "urn", "breakdown"]].astype(str), "school_urn",
                       "time_period + school + breakdown")
    return _write_measures(engine, table, checker, rows, len(frame) - len(subset), rejects_path,
                           dry_run)


def _write_measures(engine, table, checker, rows, skipped, rejects_path, dry_run):
    key = ["time_period", "urn", "stage", "breakdown"]
    bad_rows = pd.Series(checker.bad, index=checker.frame.index)
    good = rows.loc[~bad_rows.reindex(rows.index).to_numpy()]
    n_good = len(set(good.index))
    report = ImportReport(kind="ks4-destinations", file=str(table.path), skipped=skipped,
                          read=len(table.frame))
    report.notes.append(f"{len(good):,} measures (school x breakdown)")

    def write(conn):
        # Counts per file row (one row carries up to three breakdowns).
        result = upsert(conn, SchoolDestinationMeasure.__table__, good.reset_index(drop=True), key)
        labels = good.index.to_numpy()
        touched = {labels[i] for i in result.touched}
        new = {labels[i] for i in result.touched[result.updated :]}
        return UpsertResult(inserted=len(new), updated=len(touched - new),
                            unchanged=n_good - len(touched))

    return finish(engine, report, checker, write, rejects_path, dry_run)

