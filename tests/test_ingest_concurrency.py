"""Several writers at once (issue 13 item 4): imports of the same file started together never
store an encounter twice, and each one's summary is true of what it committed.

Runs on SQLite, and on PostgreSQL when ``HUBCORE_TEST_DATABASE_URL`` is set (conftest ``_url``),
where the old read-then-compare upsert stored every row three times.
"""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from hubcore import db, rollups
from hubcore.ingest import import_file
from hubcore.ingest.hubrecords import ENCOUNTER_KEY as IMPORTER_KEY
from hubcore.models import ENCOUNTER_KEY, AuditEvent, Encounter
from tests.conftest import _drop, _url
from tests.ingest_corpus import TODAY, seed_employers, seed_schools, write_csv

T_ENC = Encounter.__table__
IMPORTERS = 3


def _encounter_file(path, n: int = 40):
    """``n`` distinct encounters, awkward on purpose: a third have no employer (NULL in three of
    the key's columns at once), some share everything but the provider's name."""
    rows = []
    for i in range(n):
        row = {"urn": 108055, "date": f"2025-03-{1 + i % 28:02d}", "kind": "talk",
               "benchmark": 5, "year_from": 10, "year_to": 11, "participants": 10 + i,
               "employer_ref": "" if i % 3 == 0 else f"EMP-{1 + i % 2}",
               "provider_name": "" if i < 28 else "Leeds College"}
        rows.append(row)
    return write_csv(path, pd.DataFrame(rows))


def _at_once(engine, path) -> list:
    """Run :data:`IMPORTERS` imports of ``path`` in threads released together; each one's
    report, or the exception it raised."""
    start = threading.Barrier(IMPORTERS)
    results: list = [None] * IMPORTERS

    def one(i: int) -> None:
        start.wait()
        try:
            results[i] = import_file(engine, "encounters", path, today=TODAY,
                                     rejects_path=path.with_suffix(f".{i}.rejects.csv"))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(IMPORTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_three_imports_at_once_store_each_encounter_once(engine, tmp_path):
    seed_schools(engine)
    seed_employers(engine)
    path = _encounter_file(tmp_path / "enc.csv")
    results = _at_once(engine, path)
    failed = [r for r in results if isinstance(r, Exception)]
    assert not failed, failed
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(T_ENC)).scalar_one()
        keys = conn.execute(
            select(func.count()).select_from(
                select(*[T_ENC.c[k] for k in ENCOUNTER_KEY]).distinct().subquery()
            )
        ).scalar_one()
    assert stored == 40  # the file holds 40 distinct encounters
    assert keys == 40
    # Honest summaries: one importer inserted all 40, the others found them already there.
    assert sum(r.inserted for r in results) == stored
    assert sorted((r.inserted, r.updated, r.unchanged) for r in results) == [
        (0, 0, 40), (0, 0, 40), (40, 0, 0)
    ]
    # The summary packs count each encounter once too.
    with engine.connect() as conn:
        packed = rollups.stored(conn, "encounters")
    assert int(packed["encounters"].sum()) == 40
    assert int(packed["participants"].sum()) == sum(10 + i for i in range(40))


def test_three_imports_of_overlapping_files_add_up(engine, tmp_path):
    """Files sharing half their rows, started together: every encounter stored once and the
    three "new" counts add up to the table."""
    seed_schools(engine)
    seed_employers(engine)
    whole = pd.read_csv(_encounter_file(tmp_path / "all.csv"), dtype=str,
                        keep_default_na=False)
    parts = [whole.iloc[0:20], whole.iloc[10:30], whole.iloc[20:40]]
    paths = [write_csv(tmp_path / f"part{i}.csv", p) for i, p in enumerate(parts)]
    start = threading.Barrier(3)
    results: list = [None] * 3

    def one(i: int) -> None:
        start.wait()
        try:
            results[i] = import_file(engine, "encounters", paths[i], today=TODAY)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not [r for r in results if isinstance(r, Exception)], results
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(T_ENC)).scalar_one()
    assert stored == 40
    assert sum(r.inserted for r in results) == 40
    for r in results:
        assert r.inserted + r.unchanged == 20 and r.updated == 0


def test_the_schema_refuses_a_second_copy_of_an_encounter(engine):
    """Even a writer that bypasses the importer cannot store an encounter twice, including one
    whose employer, provider URN and provider name are all empty."""
    seed_schools(engine)
    row = {"urn": 108055, "date": dt.date(2025, 3, 14), "kind": "talk", "benchmark": 5,
           "academic_year": "2024/25", "year_from": 10, "year_to": 11, "participants": 30}
    with engine.begin() as conn:
        conn.execute(T_ENC.insert(), row)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(T_ENC.insert(), {**row, "participants": 31})
    # Another provider name is another encounter.
    with engine.begin() as conn:
        conn.execute(T_ENC.insert(), {**row, "provider_name": "Leeds College"})


def test_importer_matches_on_the_schema_key():
    assert list(IMPORTER_KEY) == list(ENCOUNTER_KEY)


def test_migration_0004_removes_duplicates_keeping_the_lowest_id(tmp_path, capfd):
    """A database at 0003 holding a repeated encounter: the upgrade reports it (count and an
    example), keeps the row stored first, and recounts the school's summary."""
    url = _url(tmp_path)
    engine = db.get_engine(url)
    try:
        db.upgrade(engine, "0003")
        seed_schools(engine)
        row = {"urn": 108055, "date": dt.date(2025, 3, 14), "kind": "talk", "benchmark": 5,
               "academic_year": "2024/25", "year_from": 10, "year_to": 11, "participants": 30}
        other = {**row, "date": dt.date(2025, 3, 15), "participants": 7}
        with engine.begin() as conn:
            # Three copies of one encounter (as three racing imports left them), one other.
            conn.execute(T_ENC.insert(), [row, row, other, row])
            rollups.refresh(conn)
        db.upgrade(engine)
        with engine.connect() as conn:
            kept = conn.execute(select(T_ENC.c.id, T_ENC.c.participants)
                                .order_by(T_ENC.c.id)).all()
            packed = rollups.stored(conn, "encounters")
            audit = conn.execute(select(AuditEvent.__table__.c.rows, AuditEvent.__table__.c.detail)
                                 .where(AuditEvent.__table__.c.action == "deduplicate")).all()
            version = conn.execute(text("SELECT version FROM data_version")).scalar_one()
        assert kept == [(1, 30), (3, 7)]
        assert int(packed["encounters"].sum()) == 2
        assert int(packed["participants"].sum()) == 37
        assert audit and audit[0][0] == 2
        err = capfd.readouterr().err
        assert "2 encounter rows repeated" in err and "URN 108055" in err
        assert version == 1
    finally:
        engine.dispose()
        _drop(url)


def test_an_import_queued_too_long_says_so(engine, tmp_path):
    """SQLite gives up after its busy timeout; the message names the cause, not a driver
    error (the writer below stands in for one whose lock wait ran out)."""
    from sqlalchemy.exc import OperationalError

    from hubcore.errors import HubcoreError
    from hubcore.ingest.base import finish
    from hubcore.ingest.report import ImportReport

    def locked(conn):
        raise OperationalError("UPDATE data_version …", {}, Exception("database is locked"))

    report = ImportReport(kind="encounters", file=str(tmp_path / "enc.csv"))
    with pytest.raises(HubcoreError, match="another import or writer held the database"):
        finish(engine, report, None, locked, tmp_path / "r.csv")
