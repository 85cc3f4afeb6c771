"""Compass-style benchmark results → ``benchmark_assessment`` + eight ``benchmark_score`` rows.

The layout (``hubcore template compass`` writes it) is one row per evaluation::

    urn, assessed_on, bm1, bm2, bm3, bm4, bm5, bm6, bm7, bm8,
    evaluation_type, framework, academic_year, snapshot

``bm1``–``bm8`` are percents (0–100) of each benchmark's assessment areas met; a trailing
``%`` is allowed, ``BM1``/``Benchmark 1`` headers are accepted. Blank optional columns are
derived: ``evaluation_type`` from the school's kind (special → specialist, colleges → fe_itp,
else schools); ``framework`` 2024 from 1 September 2025 (when Compass moved to the refreshed
benchmarks), else 2014; ``academic_year`` from the date (September start); ``snapshot`` dec31,
mar31 or jul31 when the date is one of CEC's national measurement days, else other.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from hubcore import codes
from hubcore.ingest.base import academic_year, finish, known_urns
from hubcore.ingest.hubrecords import school_kinds
from hubcore.ingest.reader import check_header, read_table
from hubcore.ingest.report import ImportReport
from hubcore.ingest.spec import COMPASS, parse_columns
from hubcore.ingest.upsert import UpsertResult, upsert
from hubcore.ingest.validate import Checker
from hubcore.models import BenchmarkAssessment, BenchmarkScore

ALIASES = {
    **{f"benchmark_{n}": f"bm{n}" for n in range(1, 9)},
    **{f"gbm{n}": f"bm{n}" for n in range(1, 9)},
    **{f"bm_{n}": f"bm{n}" for n in range(1, 9)},
    "date": "assessed_on",
    "assessed_date": "assessed_on",
    "completed_on": "assessed_on",
}
#: Compass moved to the 2024 Gatsby framework for evaluations from this date.
FRAMEWORK_2024_FROM = dt.date(2025, 9, 1)
SNAPSHOT_DAYS = {(12, 31): "dec31", (3, 31): "mar31", (7, 31): "jul31"}


def snapshot_of(dates: pd.Series) -> pd.Series:
    """CEC's measurement snapshot for each date (``other`` off those days)."""
    return dates.map(
        lambda d: SNAPSHOT_DAYS.get((d.month, d.day), "other") if d is not None else None
    )


def import_compass(
    engine: Engine,
    path: str | Path,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import Compass results (upsert on URN + assessed_on + evaluation_type)."""
    path = Path(path)
    table = read_table(path, known_columns=[c.name for c in COMPASS.columns] + list(ALIASES))
    check_header(table, COMPASS.required, COMPASS.optional, aliases=ALIASES)
    checker = Checker(table, today=today)
    t = parse_columns(checker, COMPASS)
    urns = known_urns(engine)
    filled = t["urn"].notna().to_numpy()
    checker.reject(filled & ~t["urn"].isin(list(urns)).to_numpy(), "urn", "unknown_school",
                   "no school with this urn is stored")
    kinds = school_kinds(engine)
    by_kind = t["urn"].map(lambda u: codes.EVALUATION_TYPE_BY_KIND.get(kinds.get(u), "schools")
                           if pd.notna(u) else None)
    given_type = table.frame.get("evaluation_type", pd.Series("", index=t.index)).str.strip()
    t["evaluation_type"] = t["evaluation_type"].where(given_type != "", by_kind)
    derived_fw = t["assessed_on"].map(
        lambda d: None if d is None else ("2024" if d >= FRAMEWORK_2024_FROM else "2014")
    )
    t["framework"] = t["framework"].where(t["framework"].notna(), derived_fw)
    derived_ay = academic_year(t["assessed_on"])
    given = t["academic_year"]
    checker.reject((given.notna() & derived_ay.notna() & (given != derived_ay)).to_numpy(),
                   "academic_year", "academic_year_mismatch",
                   "academic_year does not contain assessed_on")
    t["academic_year"] = given.where(given.notna(), derived_ay)
    t["snapshot"] = t["snapshot"].where(t["snapshot"].notna(), snapshot_of(t["assessed_on"]))
    key = ["urn", "assessed_on", "evaluation_type"]
    checker.duplicates(t[key].astype(str), "assessed_on", "urn + assessed_on + evaluation_type")
    good = t.loc[~checker.bad]
    report = ImportReport(kind="compass", file=str(path))

    def write(conn) -> UpsertResult:
        if good.empty:
            return UpsertResult()
        assessments = good[key + ["academic_year", "snapshot", "framework"]]
        first = upsert(conn, BenchmarkAssessment.__table__, assessments, key)
        a = BenchmarkAssessment.__table__
        ids = pd.read_sql(select(a.c.id, a.c.urn, a.c.assessed_on, a.c.evaluation_type), conn)
        lookup = dict(zip(_joined(ids, key), ids["id"], strict=True))
        file_key = _joined(good, key)
        scores = pd.concat(
            [
                pd.DataFrame({"assessment_id": file_key.map(lookup), "benchmark": n,
                              "percent": good[f"bm{n}"].astype(float), "_row": good.index})
                for n in range(1, 9)
            ],
            ignore_index=True,
        )
        second = upsert(conn, BenchmarkScore.__table__,
                        scores.drop(columns="_row"), ["assessment_id", "benchmark"])
        touched_rows = set(scores.loc[second.touched, "_row"]) | set(first.touched)
        # ``touched`` lists updated rows first, then inserted ones.
        new_rows = set(first.touched[first.updated :])
        return UpsertResult(
            inserted=first.inserted,
            updated=len(touched_rows - new_rows),
            unchanged=len(good) - len(touched_rows),
            rows=good,  # the schools touched, for the summary tables
            touched=sorted(touched_rows),
            table=BenchmarkAssessment.__table__.name,
        )

    return finish(engine, report, checker, write, rejects_path, dry_run)


def _joined(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """``"108055|2025-03-31|schools"``: one text key per row (dates in ISO form)."""
    parts = [frame[c].map(str) for c in columns]
    out = parts[0]
    for part in parts[1:]:
        out = out + "|" + part
    return out
