"""A big first import into an empty table takes the bulk path: SQLite drops and rebuilds the
encounter table's indexes; PostgreSQL also drops its foreign keys and adds them back, checked
by one join. Rejects, idempotency and refusals must be as on the row-by-row path, and the
schema must come back exactly as it was.

``REBUILD_INDEXES_FROM`` is lowered to 1 so a handful of rows takes that path. Runs on SQLite,
and on PostgreSQL with ``HUBCORE_TEST_DATABASE_URL`` set (see scripts/_postgres.sh).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from hubcore.errors import HubcoreError
from hubcore.ingest import hubrecords, import_file, upsert
from hubcore.models import Encounter
from tests.ingest_corpus import TODAY, encounter_rows, seed_employers, seed_schools, write_csv

T_ENC = Encounter.__table__


@pytest.fixture
def hub(engine, monkeypatch):
    seed_schools(engine)
    seed_employers(engine)
    monkeypatch.setattr(upsert, "REBUILD_INDEXES_FROM", 1)
    return engine


def _schema(engine) -> tuple[list, list]:
    """The encounter table's index definitions and foreign keys, as the database states them."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            indexes = conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'encounter' ORDER BY 1")).all()
            fks = conn.execute(text(
                "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                "WHERE conrelid = 'encounter'::regclass AND contype = 'f' ORDER BY 1")).all()
        else:
            indexes = conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'encounter' ORDER BY 1")).all()
            fks = conn.execute(text("PRAGMA foreign_key_list(encounter)")).all()
    return [tuple(r) for r in indexes], sorted(tuple(r) for r in fks)


def _rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(T_ENC.c.id, T_ENC.c.date, T_ENC.c.participants).order_by(T_ENC.c.id))]


def test_first_import_with_a_repeated_key_and_a_bad_row(hub, tmp_path):
    schema = _schema(hub)
    assert len(schema[0]) >= 3 and len(schema[1]) == 2  # pk, key, secondary; school, employer
    rows = encounter_rows(4)  # 2025-03-10 … 13, participants 100 … 103
    rows.append({**rows[1], "participants": 999})  # same natural key as row 1: a repeat
    rows.append({**rows[0], "urn": 999999, "date": "2025-03-20"})  # no such school
    path = write_csv(tmp_path / "e.csv", rows)

    first = import_file(hub, "encounters", path, today=TODAY)
    # By hand: 6 rows read; the repeat (file row 6, header is row 1) and the unknown school
    # (file row 7) are rejected; the other 4 are new.
    assert (first.read, first.rejected, first.inserted, first.updated, first.unchanged) == (
        6, 2, 4, 0, 0)
    assert sorted(first.rejects["row"].tolist()) == [6, 7]
    stored = _rows(hub)
    assert [(d, p) for _, d, p in stored] == [
        (dt.date(2025, 3, 10 + i), 100 + i) for i in range(4)]  # the repeat's 999 is not kept
    assert _schema(hub) == schema  # every index and foreign key back as it was

    again = import_file(hub, "encounters", path, today=TODAY)
    assert (again.read, again.rejected, again.inserted, again.updated, again.unchanged) == (
        6, 2, 0, 0, 4)
    assert _rows(hub) == stored  # same ids, same values
    assert _schema(hub) == schema


def _sneak(monkeypatch, change) -> None:
    """Change the rows after validation, as a bug or a race could: only the database stops
    them now."""
    original = hubrecords._encounters

    def sneaky(engine, checker, typed):
        rows, write = original(engine, checker, typed)
        return change(rows), write

    monkeypatch.setitem(hubrecords._PREPARE, "encounters", sneaky)


@pytest.mark.parametrize("change", [
    pytest.param(lambda r: r.assign(urn=[r["urn"].iloc[0], 999999, r["urn"].iloc[0]]),
                 id="unknown school"),
    pytest.param(lambda r: r.assign(date=[r["date"].iloc[0]] * 3), id="repeated key"),
])
def test_a_refusal_on_the_bulk_path_writes_nothing_and_keeps_the_schema(hub, tmp_path,
                                                                        monkeypatch, change):
    """On PostgreSQL the unknown school is refused when the foreign key is added back, the
    repeated key when the unique index is rebuilt; on SQLite by the row's own checks. Either
    way nothing is written and the dropped indexes and keys come back."""
    schema = _schema(hub)
    _sneak(monkeypatch, change)
    path = write_csv(tmp_path / "e.csv", encounter_rows(3))
    with pytest.raises(HubcoreError, match="nothing was written"):
        import_file(hub, "encounters", path, today=TODAY)
    hub.dispose()
    assert _rows(hub) == []
    assert _schema(hub) == schema
