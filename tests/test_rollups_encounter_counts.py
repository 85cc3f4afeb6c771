"""The encounters rollup built in memory by an import (hubcore.rollups._encounter_counts and
_summed, which group by sorting one integer per row rather than with ``groupby``): counts
worked out by hand on small awkward rows, the packs stored in the order reads rely on, and an
import sequence (first import, a school with no rows, a re-import, then more rows merged into
stored packs) on SQLite and, with ``HUBCORE_TEST_DATABASE_URL``, PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from hubcore import rollups
from hubcore.ingest import import_file
from tests.ingest_corpus import TODAY, seed_employers, seed_schools, write_csv

COLUMNS = ["urn", "academic_year", "benchmark", "kind", "year_from", "year_to",
           "provider_access", "month", "encounters", "participants"]  # fmt: skip


def _rows(records: list[tuple]) -> pd.DataFrame:
    """Encounter rows as an import holds them: (urn, date, kind, benchmark, year_from,
    year_to, provider_access, participants, academic_year)."""
    frame = pd.DataFrame(records, columns=["urn", "date", "kind", "benchmark", "year_from",
                                           "year_to", "provider_access", "participants",
                                           "academic_year"])  # fmt: skip
    frame["date"] = [dt.date.fromisoformat(d) for d in frame["date"]]
    for name in ("urn", "benchmark", "year_from", "year_to", "participants"):
        frame[name] = frame[name].astype("Int64")
    frame["provider_access"] = frame["provider_access"].astype(object)
    return frame


def test_counts_group_and_sort_awkward_rows():
    rows = _rows([
        # Two talks at school 200 in different months, not provider access: one group
        # (month 0), 30 + 12 pupils.
        (200, "2025-03-10", "talk", 5, 10, 11, False, 30, "2024/25"),
        (200, "2025-04-01", "talk", 5, 10, 11, False, 12, "2024/25"),
        # Provider encounters at school 100 keep their month (January, February) apart.
        (100, "2025-02-03", "provider_encounter", 7, 10, 10, True, 6, "2024/25"),
        (100, "2025-01-20", "provider_encounter", 7, 10, 10, True, 5, "2024/25"),
        # Provider access unknown (blank) counts as not: month 0; an earlier academic year.
        (100, "2024-02-03", "provider_encounter", 7, 10, 10, None, 7, "2023/24"),
        # Same school and year as the talks but "mentoring" sorts before "talk".
        (200, "2025-03-11", "mentoring", 5, 10, 11, False, 1, "2024/25"),
    ])
    got = rollups._encounter_counts(rows)
    assert list(got.columns) == COLUMNS
    assert got.values.tolist() == [
        [100, "2023/24", 7, "provider_encounter", 10, 10, False, 0, 1, 7],
        [100, "2024/25", 7, "provider_encounter", 10, 10, True, 1, 1, 5],
        [100, "2024/25", 7, "provider_encounter", 10, 10, True, 2, 1, 6],
        [200, "2024/25", 5, "mentoring", 10, 11, False, 0, 1, 1],
        [200, "2024/25", 5, "talk", 10, 11, False, 0, 2, 42],
    ]
    # The types the packs' schema wants (so packing is a copy of buffers).
    assert got["academic_year"].dtype == pd.StringDtype("pyarrow")
    assert got["urn"].dtype == "int64" and got["provider_access"].dtype == bool


def test_summed_adds_stored_counts_to_new_ones():
    stored = rollups._encounter_counts(_rows([
        (100, "2025-01-20", "provider_encounter", 7, 10, 10, True, 5, "2024/25"),
        (100, "2025-01-21", "provider_encounter", 7, 10, 10, True, 4, "2024/25"),
        (300, "2025-03-10", "talk", 5, 10, 11, False, 30, "2024/25"),
    ]))
    new = rollups._encounter_counts(_rows([
        (100, "2025-01-05", "provider_encounter", 7, 10, 10, True, 10, "2024/25"),
        (200, "2025-03-10", "talk", 5, 10, 11, False, 8, "2024/25"),
    ]))
    both = rollups._summed(pd.concat([stored, new], ignore_index=True))
    assert both[["urn", "month", "encounters", "participants"]].values.tolist() == [
        [100, 1, 3, 19],  # 5 + 4 stored, 10 new, all January
        [200, 0, 1, 8],
        [300, 0, 1, 30],
    ]


def test_summed_of_nothing_is_an_empty_typed_frame():
    got = rollups._encounter_counts(_rows([]))
    assert got.empty and list(got.columns) == COLUMNS


def _csv_rows(urn: int, n: int, start_day: int, participants: int) -> list[dict]:
    return [{"urn": urn, "date": f"2025-03-{start_day + i:02d}", "kind": "talk",
             "benchmark": 5, "year_from": 10, "year_to": 11,
             "participants": participants + i, "employer_ref": "EMP-1"}
            for i in range(n)]  # fmt: skip


def _stored(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return rollups.stored(conn, "encounters")


def test_imports_add_to_packs_in_read_order(engine, tmp_path):
    seed_schools(engine)  # 108055, 108076, 137704
    seed_employers(engine)
    # School 108076 has no rows at first; 137704 never has any.
    first = _csv_rows(108055, 3, 10, 100)
    report = import_file(engine, "encounters", write_csv(tmp_path / "a.csv", first), today=TODAY)
    assert report.inserted == 3
    assert _stored(engine)[["urn", "encounters", "participants"]].values.tolist() == [
        [108055, 3, 303]]  # 100 + 101 + 102

    again = import_file(engine, "encounters", write_csv(tmp_path / "b.csv", first), today=TODAY)
    assert again.unchanged == 3 and again.inserted == 0
    assert _stored(engine)[["urn", "encounters", "participants"]].values.tolist() == [
        [108055, 3, 303]]  # a re-import changes nothing

    # New rows for both schools, one a new mentoring group: added to the stored pack.
    more = _csv_rows(108055, 2, 20, 10) + _csv_rows(108076, 1, 5, 7)
    more.append({**more[0], "date": "2025-03-25", "kind": "mentoring"})
    import_file(engine, "encounters", write_csv(tmp_path / "c.csv", more), today=TODAY)
    got = rollups.read(engine, "encounters")
    assert got[["urn", "kind", "encounters", "participants"]].values.tolist() == [
        [108055, "mentoring", 1, 10],
        [108055, "talk", 5, 324],  # 303 + 10 + 11
        [108076, "talk", 1, 7],
    ]
    # Reads rely on packs stored sorted by every column (no sort when read).
    pd.testing.assert_frame_equal(got, got.sort_values(COLUMNS, ignore_index=True))
    with engine.connect() as conn:
        fresh = rollups.fresh(conn, "encounters")
    pd.testing.assert_frame_equal(_stored(engine), fresh, check_dtype=False)


def test_missing_keys_form_their_own_group_after_every_value():
    # Not possible through an import (academic_year is derived when blank) but _summed also
    # merges stored packs: a missing key groups alone and sorts last, as SQL and
    # ``sort_values`` put it.
    got = rollups._encounter_counts(_rows([
        (100, "2025-03-10", "talk", 5, 10, 11, False, 3, None),
        (100, "2025-03-11", "talk", 5, 10, 11, False, 4, "2024/25"),
        (100, "2025-03-12", "talk", 5, 10, 11, False, 5, None),
    ]))
    assert got["academic_year"].isna().tolist() == [False, True]
    assert got[["encounters", "participants"]].values.tolist() == [[1, 4], [2, 8]]
