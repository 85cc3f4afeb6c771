"""Bulk writes through COPY (PostgreSQL) and executemany (SQLite): awkward text survives both
ways in, imports are idempotent, a stored key is updated in place, and a refusal writes nothing.

Written for PostgreSQL's COPY path (run with ``HUBCORE_TEST_DATABASE_URL`` set, see
scripts/_postgres.sh); on SQLite the same expectations hold for its own path.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from hubcore import data_version
from hubcore.errors import HubcoreError
from hubcore.ingest import hubrecords, import_file, upsert
from hubcore.ingest.hubrecords import ENCOUNTER_KEY
from hubcore.models import Employer, Encounter
from tests.ingest_corpus import TODAY, encounter_rows, seed_employers, seed_schools, write_csv

T_ENC = Encounter.__table__
T_EMP = Employer.__table__

#: Text that COPY's text and CSV formats must escape (delimiters, quotes, line ends, the
#: escape character itself, the text format's NULL marker and end-of-data marker), plus
#: non-ASCII; ``None`` must arrive as NULL, not as the text "None" or an empty string.
AWKWARD = [
    "Smith, Jones & Co",
    'The "Best" Provider',
    "line one\nline two",
    "tab\there",
    "back\\slash",
    "ends with a backslash\\",
    "\\N",
    "\\.",
    "carriage\rreturn",
    "  spaces kept  ",
    "Café – naïve ☕",
    None,
]


@pytest.fixture
def hub(engine):
    seed_schools(engine)
    seed_employers(engine)
    return engine


def _encounters(names: list, participants: list[int], duration: list) -> pd.DataFrame:
    """Typed rows as the encounters importer hands them to ``upsert`` (one school, one day:
    the provider name alone tells the rows apart)."""
    n = len(names)
    return pd.DataFrame(
        {
            "urn": pd.array([108055] * n, dtype="Int64"),
            "date": [dt.date(2025, 3, 1)] * n,
            "kind": ["talk"] * n,
            "benchmark": pd.array([5] * n, dtype="Int64"),
            "year_from": pd.array([10] * n, dtype="Int64"),
            "year_to": pd.array([11] * n, dtype="Int64"),
            "participants": pd.array(participants, dtype="Int64"),
            "employer_id": pd.array([None] * n, dtype="Int64"),
            "provider_urn": pd.array([None] * n, dtype="Int64"),
            "provider_name": pd.Series(names, dtype=object),
            "mode": ["in_person"] * n,
            "provider_access": np.array([i % 2 == 0 for i in range(n)]),
            "duration_days": pd.array(duration, dtype="Float64"),
            "academic_year": ["2024/25"] * n,
        }
    )


def _stored(engine, *columns) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(*[T_ENC.c[c] for c in columns]).order_by(T_ENC.c.participants))]


def test_awkward_text_and_nulls_arrive_unchanged(hub):
    n = len(AWKWARD)
    duration = [None if i % 3 == 0 else i / 4 for i in range(n)]  # 0.25, 0.5, NULL, …
    rows = _encounters(AWKWARD, list(range(1, n + 1)), duration)
    with hub.begin() as conn:
        result = upsert.upsert(conn, T_ENC, rows, ENCOUNTER_KEY)
    assert (result.inserted, result.updated, result.unchanged) == (n, 0, 0)
    stored = _stored(hub, "participants", "provider_name", "duration_days", "provider_access",
                     "employer_id", "date", "mode")
    # Worked out by hand: row i (participants i + 1) holds AWKWARD[i], duration i/4 unless i
    # is a multiple of 3, provider access on even rows, no employer, the one date.
    assert stored == [
        (1, "Smith, Jones & Co", None, True, None, dt.date(2025, 3, 1), "in_person"),
        (2, 'The "Best" Provider', 0.25, False, None, dt.date(2025, 3, 1), "in_person"),
        (3, "line one\nline two", 0.5, True, None, dt.date(2025, 3, 1), "in_person"),
        (4, "tab\there", None, False, None, dt.date(2025, 3, 1), "in_person"),
        (5, "back\\slash", 1.0, True, None, dt.date(2025, 3, 1), "in_person"),
        (6, "ends with a backslash\\", 1.25, False, None, dt.date(2025, 3, 1), "in_person"),
        (7, "\\N", None, True, None, dt.date(2025, 3, 1), "in_person"),
        (8, "\\.", 1.75, False, None, dt.date(2025, 3, 1), "in_person"),
        (9, "carriage\rreturn", 2.0, True, None, dt.date(2025, 3, 1), "in_person"),
        (10, "  spaces kept  ", None, False, None, dt.date(2025, 3, 1), "in_person"),
        (11, "Café – naïve ☕", 2.5, True, None, dt.date(2025, 3, 1), "in_person"),
        (12, None, 2.75, False, None, dt.date(2025, 3, 1), "in_person"),
    ]
    with hub.connect() as conn:
        nulls = conn.execute(
            select(func.count()).where(T_ENC.c.provider_name.is_(None))).scalar()
    assert nulls == 1  # only the None, not "\\N" nor an empty string

    # Same rows again: every awkward value compares equal to what was stored.
    with hub.begin() as conn:
        again = upsert.upsert(conn, T_ENC, rows, ENCOUNTER_KEY)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, n)


def test_updates_carry_awkward_text_through_the_staging_table(hub):
    """Updates of a text column (PostgreSQL: COPY into a staging table, then one joined
    UPDATE) keep every awkward value, set NULLs, and leave other rows alone."""
    refs = [f"R{i:02d}" for i in range(len(AWKWARD))]
    first = pd.DataFrame({"ref": refs, "name": [f"Plain {r}" for r in refs],
                          "sector": ["Retail"] * len(refs), "size_band": ["small"] * len(refs)})
    with hub.begin() as conn:
        upsert.upsert(conn, T_EMP, first, ["ref"])
    with hub.connect() as conn:
        ids = dict(conn.execute(select(T_EMP.c.ref, T_EMP.c.id)).all())
    # Names become the awkward texts (the None one keeps a name: name is NOT NULL); sector
    # goes NULL on even rows; R00 is sent unchanged.
    second = first.copy()
    names = [a if a is not None else "was None" for a in AWKWARD]
    second["name"] = ["Plain R00"] + names[1:]
    second["sector"] = [None if i % 2 == 0 and i else "Retail" for i in range(len(refs))]
    with hub.begin() as conn:
        result = upsert.upsert(conn, T_EMP, second, ["ref"])
    assert (result.inserted, result.updated, result.unchanged) == (0, len(refs) - 1, 1)
    with hub.connect() as conn:
        got = conn.execute(
            select(T_EMP.c.ref, T_EMP.c.id, T_EMP.c.name, T_EMP.c.sector)
            .where(T_EMP.c.ref.like("R%")).order_by(T_EMP.c.ref)).all()
    assert [tuple(r) for r in got] == [
        ("R00", ids["R00"], "Plain R00", "Retail"),
        ("R01", ids["R01"], 'The "Best" Provider', "Retail"),
        ("R02", ids["R02"], "line one\nline two", None),
        ("R03", ids["R03"], "tab\there", "Retail"),
        ("R04", ids["R04"], "back\\slash", None),
        ("R05", ids["R05"], "ends with a backslash\\", "Retail"),
        ("R06", ids["R06"], "\\N", None),
        ("R07", ids["R07"], "\\.", "Retail"),
        ("R08", ids["R08"], "carriage\rreturn", None),
        ("R09", ids["R09"], "  spaces kept  ", "Retail"),
        ("R10", ids["R10"], "Café – naïve ☕", None),
        ("R11", ids["R11"], "was None", "Retail"),
    ]
    with hub.connect() as conn:  # the seeded employers were not touched
        assert conn.execute(select(T_EMP.c.name).where(T_EMP.c.ref == "EMP-1")).scalar() == \
            "Employer EMP-1"


def _all_encounters(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(T_ENC).order_by(T_ENC.c.id))]


def test_import_twice_stores_the_same_rows_and_bumps_the_version(hub, tmp_path):
    path = write_csv(tmp_path / "e.csv", encounter_rows(4))
    v0 = data_version.current(hub)
    first = import_file(hub, "encounters", path, today=TODAY)
    assert (first.inserted, first.updated, first.unchanged) == (4, 0, 0)
    after_first = _all_encounters(hub)
    assert [(r[T_ENC.c.keys().index("date")], r[T_ENC.c.keys().index("participants")])
            for r in after_first] == [(dt.date(2025, 3, 10 + i), 100 + i) for i in range(4)]
    second = import_file(hub, "encounters", path, today=TODAY)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 4)
    assert _all_encounters(hub) == after_first  # same ids, same values
    assert data_version.current(hub) == v0 + 2  # one bump per import


def test_reimport_updates_a_stored_key_in_place(hub, tmp_path):
    rows = encounter_rows(3)
    import_file(hub, "encounters", write_csv(tmp_path / "a.csv", rows), today=TODAY)
    before = {r[0]: r[1:] for r in _stored(hub, "date", "id", "participants")}
    rows[1] = {**rows[1], "participants": 7}  # same natural key (2025-03-11), new count
    report = import_file(hub, "encounters", write_csv(tmp_path / "b.csv", rows), today=TODAY)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    after = {r[0]: r[1:] for r in _stored(hub, "date", "id", "participants")}
    assert after == {
        dt.date(2025, 3, 10): (before[dt.date(2025, 3, 10)][0], 100),
        dt.date(2025, 3, 11): (before[dt.date(2025, 3, 11)][0], 7),  # same id, updated
        dt.date(2025, 3, 12): (before[dt.date(2025, 3, 12)][0], 102),
    }


def test_a_bad_row_mid_file_is_rejected_and_the_rest_written(hub, tmp_path):
    rows = encounter_rows(5)
    rows[2] = {**rows[2], "urn": 999999}  # no such school
    report = import_file(hub, "encounters", write_csv(tmp_path / "e.csv", rows), today=TODAY)
    assert (report.read, report.rejected, report.inserted) == (5, 1, 4)
    assert report.rejects[["row", "column"]].values.tolist() == [[4, "urn"]]  # header is row 1
    assert [r[0] for r in _stored(hub, "participants")] == [100, 101, 103, 104]


def test_a_refused_row_after_others_were_copied_writes_nothing(hub, tmp_path, monkeypatch):
    """The database refuses the last row (participants < 0 passes no check constraint):
    the rows already sent, the data version and the audit event all roll back."""
    import_file(hub, "encounters", write_csv(tmp_path / "a.csv", encounter_rows(2)),
                today=TODAY)
    before, version = _all_encounters(hub), data_version.current(hub)
    original = hubrecords._encounters

    def sneaky(engine, checker, typed):
        rows, write = original(engine, checker, typed)
        return rows.assign(participants=[1, 55, 2, 3, -1]), write

    monkeypatch.setitem(hubrecords._PREPARE, "encounters", sneaky)
    rows = encounter_rows(5)  # two stored keys (one changed), three new, the last refused
    with pytest.raises(HubcoreError, match="nothing was written"):
        import_file(hub, "encounters", write_csv(tmp_path / "b.csv", rows), today=TODAY)
    assert _all_encounters(hub) == before
    assert data_version.current(hub) == version


def test_whole_floats_in_an_integer_column_are_written_as_integers(hub):
    """A float column bound for an integer column (pandas turns an integer column with a gap
    into floats): COPY's text must read "120", not "120.0", which PostgreSQL refuses."""
    rows = _encounters(["A", "B"], [1, 2], [None, None]).assign(
        participants=np.array([120.0, 7.0]), provider_urn=np.array([np.nan, 130001.0]))
    with hub.begin() as conn:
        upsert.upsert(conn, T_ENC, rows, ENCOUNTER_KEY)
    assert _stored(hub, "provider_name", "participants", "provider_urn") == [
        ("B", 7, 130001), ("A", 120, None)]
