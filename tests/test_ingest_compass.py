"""Compass-style benchmark results and the templates of hub-kept files."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from hubcore.errors import HubcoreError
from hubcore.ingest import import_file
from hubcore.ingest.spec import SPECS
from hubcore.ingest.templates import write_template
from hubcore.models import BenchmarkAssessment, BenchmarkScore
from tests.ingest_corpus import TODAY, seed_employers, seed_schools, write_csv


def compass_row(urn=108055, date="2025-03-31", **kw):
    scores = {f"BM{n}": p for n, p in zip(range(1, 9), (100, 88, 75, 100, 67, 50, 100, 80),
                                           strict=True)}
    return {"URN": urn, "Assessed On": date, **scores, **kw}


def test_compass_import_derives_period_and_is_idempotent(engine, tmp_path):
    seed_schools(engine)
    rows = [compass_row(), compass_row(137704, "2025-12-31"), compass_row(date="2024-11-05")]
    rows[1]["BM5"] = "67%"
    path = write_csv(tmp_path / "compass.csv", rows)
    report = import_file(engine, "compass", path, today=TODAY)
    assert (report.accepted, report.rejected, report.inserted) == (3, 0, 3)
    with engine.connect() as conn:
        stored = pd.read_sql(select(BenchmarkAssessment.__table__).order_by("assessed_on"), conn)
        n_scores = conn.execute(select(func.count()).select_from(BenchmarkScore.__table__))
        assert n_scores.scalar_one() == 24
    assert stored["academic_year"].tolist() == ["2024/25", "2024/25", "2025/26"]
    assert stored["snapshot"].tolist() == ["other", "mar31", "dec31"]
    assert stored["framework"].tolist() == ["2014", "2014", "2024"]
    # A special school takes Compass's specialist evaluation unless the file says otherwise.
    assert stored["evaluation_type"].tolist() == ["schools", "schools", "specialist"]
    again = import_file(engine, "compass", path, today=TODAY)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    rows[0]["BM8"] = 90
    changed = import_file(engine, "compass", write_csv(tmp_path / "c2.csv", rows), today=TODAY)
    assert (changed.updated, changed.unchanged) == (1, 2)


def test_compass_percent_140_and_other_rejects(engine, tmp_path):
    seed_schools(engine)
    rows = [compass_row(BM5=140), compass_row(date="2026-09-01"), compass_row(urn=100001),
            compass_row(date="2025-01-10", academic_year="2023/24"),
            compass_row(date="2025-02-01", framework="2030")]
    report = import_file(engine, "compass", write_csv(tmp_path / "c.csv", rows), today=TODAY)
    assert report.rejects[["row", "column", "rule"]].values.tolist() == [
        [2, "bm5", "out_of_range"],
        [3, "assessed_on", "future_date"],
        [4, "urn", "unknown_school"],
        [5, "academic_year", "academic_year_mismatch"],
        [6, "framework", "unknown_code"],
    ]
    assert report.accepted == 0


def test_compass_missing_benchmark_column(engine, tmp_path):
    frame = pd.DataFrame([compass_row()]).drop(columns=["BM7"])
    with pytest.raises(HubcoreError, match="missing columns: bm7"):
        import_file(engine, "compass", write_csv(tmp_path / "c.csv", frame))


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_templates_document_every_column_and_import_empty(engine, tmp_path, kind):
    xlsx = write_template(kind, tmp_path / f"{kind}.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None, dtype=str)
    header = list(sheets[kind].columns)
    assert header == [c.name for c in SPECS[kind].columns]
    assert sheets["Columns"]["column"].tolist() == header
    assert set(sheets["Columns"]["required"]) <= {"yes", "no"}
    csv = write_template(kind, tmp_path / f"{kind}.csv")
    text = csv.read_text()
    assert text.splitlines()[-1] == ",".join(header)
    assert all(f"#   {c} (" in text for c in header)
    # A blank template is a valid (empty) file for its importer.
    report = import_file(engine, kind, csv, today=TODAY)
    assert (report.read, report.rejected) == (0, 0)


def test_filled_csv_template_imports(engine, tmp_path):
    seed_schools(engine)
    seed_employers(engine)
    path = write_template("encounters", tmp_path / "enc.csv")
    with path.open("a") as f:
        f.write("108055,2025-03-14,talk,5,10,11,120,EMP-1,,,,,,\n")
    report = import_file(engine, "encounters", path, today=TODAY)
    assert report.inserted == 1
    # The header is below the comment block, so the data row's number counts those lines.
    with path.open("a") as f:
        f.write("108055,2025-03-15,talk,9,10,11,120,EMP-1,,,,,,\n")
    report = import_file(engine, "encounters", path, today=TODAY)
    n_lines = len(path.read_text().splitlines())
    assert report.rejects["row"].tolist() == [n_lines]
