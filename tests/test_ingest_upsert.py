"""The bulk upsert: exact change detection, ``touched`` order, and all-or-nothing big loads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, inspect, select

from hubcore.errors import HubcoreError
from hubcore.ingest import hubrecords, import_file, upsert
from hubcore.ingest.hubrecords import ENCOUNTER_KEY
from hubcore.models import Encounter
from tests.ingest_corpus import TODAY, encounter_rows, seed_employers, seed_schools, write_csv


@pytest.fixture
def hub(engine):
    seed_schools(engine)
    seed_employers(engine)
    return engine


def _encounters(n: int, start: int = 0) -> pd.DataFrame:
    """Typed rows as the encounters importer hands them to ``upsert``."""
    return pd.DataFrame(
        {
            "urn": pd.array([108055] * n, dtype="Int64"),
            "date": [dt.date(2025, 3, 1) + dt.timedelta(days=i % 20) for i in range(n)],
            "kind": ["talk"] * n,
            "benchmark": pd.array([5] * n, dtype="Int64"),
            "year_from": pd.array([10] * n, dtype="Int64"),
            "year_to": pd.array([11] * n, dtype="Int64"),
            "participants": pd.array(range(100, 100 + n), dtype="Int64"),
            "employer_id": pd.array([None] * n, dtype="Int64"),
            "provider_urn": pd.array([None] * n, dtype="Int64"),
            "provider_name": [f"Provider {start + i}" for i in range(n)],
            "mode": ["in_person"] * n,
            "provider_access": np.zeros(n, dtype=bool),
            "duration_days": pd.array([None] * n, dtype="Float64"),
            "academic_year": ["2024/25"] * n,
        },
        index=pd.RangeIndex(start, start + n),
    )


def test_upsert_sorts_rows_into_new_changed_and_unchanged(hub):
    first = _encounters(6)
    with hub.begin() as conn:
        result = upsert.upsert(conn, Encounter.__table__, first, ENCOUNTER_KEY)
    assert (result.inserted, result.updated, result.unchanged) == (6, 0, 0)
    assert result.touched == list(range(6)) and result.rows is first

    again = pd.concat([first.iloc[:4], _encounters(2, start=100)])
    again.loc[[1, 3], "participants"] = 7  # two changed, two unchanged, two new
    with hub.begin() as conn:
        result = upsert.upsert(conn, Encounter.__table__, again, ENCOUNTER_KEY)
        written = result.rows.loc[result.touched]
    assert (result.inserted, result.updated, result.unchanged) == (2, 2, 2)
    assert result.touched == [1, 3, 100, 101]  # updated first, then inserted
    assert written["participants"].tolist() == [7, 7, 100, 101]
    with hub.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(Encounter.__table__)).scalar()
        sevens = conn.execute(
            select(func.count()).where(Encounter.__table__.c.participants == 7)
        ).scalar()
    assert (stored, sevens) == (8, 2)

    with hub.begin() as conn:
        result = upsert.upsert(conn, Encounter.__table__, again, ENCOUNTER_KEY)
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 6)


def test_refused_big_load_keeps_the_table_and_its_indexes(hub, tmp_path, monkeypatch):
    """Big SQLite loads drop and rebuild indexes; a refusal must roll that back too."""
    before = sorted(i["name"] for i in inspect(hub).get_indexes("encounter"))
    monkeypatch.setattr(upsert, "REBUILD_INDEXES_FROM", 1)
    original = hubrecords._encounters

    def sneaky(engine, checker, typed):
        rows, write = original(engine, checker, typed)
        return rows.assign(participants=[5, 6, -1]), write

    monkeypatch.setitem(hubrecords._PREPARE, "encounters", sneaky)
    path = write_csv(tmp_path / "e.csv", encounter_rows(3))
    with pytest.raises(HubcoreError, match="nothing was written"):
        import_file(hub, "encounters", path, today=TODAY)
    hub.dispose()
    assert sorted(i["name"] for i in inspect(hub).get_indexes("encounter")) == before
    with hub.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Encounter.__table__)).scalar() == 0
