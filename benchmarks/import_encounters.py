"""Benchmark: import one million encounter rows end to end (parse + validate + insert).

Seeds 200 schools and 500 employers into a fresh SQLite database, writes an encounters CSV of
``--rows`` rows (default 1,000,000) to a temporary folder, then times ``import_file`` and prints
rows per second. A second run of the same file is timed too (all rows unchanged). With
``--repeat N`` the pair runs N times, each on a fresh database, and the best and median are
printed (timings on a shared machine are noisy). ``--without-rollups`` leaves out the summary
refresh that runs in the import's transaction, to time the import on its own.

In the same run it times the database's own floor on the same rows (those the first import
stored, read back untimed): on SQLite, ``sqlite3.executemany`` into the same schema with the
encounter table's indexes dropped and rebuilt (the fastest plain insert found); on PostgreSQL,
``COPY … FROM STDIN`` into the same schema, with the indexes kept, with them dropped and
rebuilt, and with the foreign keys dropped and added back too (what the importer itself does
for a first import into an empty table, so the floor that matches it). Each floor runs on a
fresh database with the same schools and employers, and the import's rate is printed as a
share of each floor. The machine's load average is printed at the start and the end (the
machine is shared; read the ratios, not the rates).

    .venv/bin/python benchmarks/import_encounters.py [--rows N] [--keep DIR] [--repeat N]
    .venv/bin/python benchmarks/import_encounters.py --postgres ADMIN_URL   # and PostgreSQL

``ADMIN_URL`` is a PostgreSQL URL allowed to create databases (e.g. the test server's
``$HUBCORE_TEST_DATABASE_URL`` from ``scripts/_postgres.sh``); a database is created and
dropped per run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import make_url, text

from hubcore import codes, db, rollups
from hubcore.ingest import import_file
from hubcore.models import Employer, School


def seed(engine, n_schools: int = 200, n_employers: int = 500) -> tuple[np.ndarray, list[str]]:
    urns = np.arange(140000, 140000 + n_schools)
    schools = [
        {
            "urn": int(u),
            "name": f"School {u}",
            "la_code": 383,
            "type_code": 34,
            "phase_code": 4,
            "kind": "mainstream_11_16",
            "status": "Open",
        }
        for u in urns
    ]
    refs = [f"EMP-{i:05d}" for i in range(n_employers)]
    employers = [{"ref": r, "name": f"Employer {r}", "size_band": "small"} for r in refs]
    with engine.begin() as conn:
        conn.execute(School.__table__.insert(), schools)
        conn.execute(Employer.__table__.insert(), employers)
    return urns, refs


def make_csv(path: Path, rows: int, urns: np.ndarray, refs: list[str], seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2021-09-01")
    days = rng.integers(0, 1400, rows)
    year_from = rng.integers(7, 12, rows)
    frame = pd.DataFrame(
        {
            "urn": rng.choice(urns, rows),
            "date": (start + days).astype("datetime64[D]").astype(str),
            "kind": rng.choice(list(codes.ENCOUNTER_KINDS), rows),
            "benchmark": rng.integers(1, 9, rows),
            "year_from": year_from,
            "year_to": year_from + rng.integers(0, 3, rows),
            "participants": rng.integers(5, 300, rows),
            "employer_ref": rng.choice(np.array(refs), rows),
            "mode": rng.choice(list(codes.ENCOUNTER_MODES), rows),
            # Unique per row so the natural key never repeats (a real log has distinct events).
            "provider_name": pd.Series(np.arange(rows)).map("Provider {}".format),
        }
    )
    frame.to_csv(path, index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR instead of a temp folder")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh database")
    parser.add_argument("--without-rollups", action="store_true",
                        help="skip the in-transaction summary refresh (diagnostic)")
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        help="also run on PostgreSQL (a database created and dropped per run)")
    parser.add_argument("--no-floor", action="store_true", help="time the import only")
    parser.add_argument("--postgres-only", action="store_true",
                        help="with --postgres: leave SQLite out (shorter runs)")
    args = parser.parse_args(argv)
    print("load average (1, 5, 15 min) at start: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    if args.without_rollups:
        rollups.after_import = lambda *a, **k: None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path = folder / "encounters.csv"
        rates: dict[str, list[float]] = {}
        databases = ([] if args.postgres and args.postgres_only else ["sqlite"]) + (
            ["postgresql"] if args.postgres else [])
        for run in range(args.repeat):
            for kind in databases:
                with fresh(kind, folder, args.postgres) as engine:
                    urns, refs = seed(engine)
                    if run == 0 and kind == databases[0]:
                        t0 = time.perf_counter()
                        make_csv(csv_path, args.rows, urns, refs)
                        print(f"wrote {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB)"
                              f" in {time.perf_counter() - t0:.1f} s")
                    for label, rate in timed_imports(engine, csv_path):
                        rates.setdefault(f"{kind}: {label}", []).append(rate)
                    stored = None if args.no_floor else export_encounters(engine)
                if stored is None:
                    continue
                for label, floor in FLOORS[kind]:
                    with fresh(kind, folder, args.postgres) as target:
                        seed(target)
                        rate = floor(target, stored)
                    print(f"{kind}: floor, {label}: {rate:,.0f} rows/s", flush=True)
                    rates.setdefault(f"{kind}: floor, {label}", []).append(rate)
        print(f"\n{'':72s} {'median rows/s':>13s} {'runs':>5s}")
        for label, values in rates.items():
            print(f"{label:72s} {statistics.median(values):13,.0f} {len(values):5d}")
        for kind in databases:
            first = rates[f"{kind}: first import"]
            for label, _ in [] if args.no_floor else FLOORS[kind]:
                floor = rates[f"{kind}: floor, {label}"]
                # Per run (import and floor measured minutes apart at most), then the median.
                shares = [a / b for a, b in zip(first, floor, strict=True)]
                print(f"{kind}: first import / floor ({label}): "
                      f"{100 * statistics.median(shares):.0f} %")
    print("load average (1, 5, 15 min) at end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0


class fresh:  # noqa: N801 - used as a context manager, like open()
    """An empty, migrated database of ``kind`` (``sqlite`` in ``folder``; ``postgresql``
    created through ``admin_url`` and dropped on exit)."""

    def __init__(self, kind: str, folder: Path, admin_url: str | None):
        self.kind, self.folder, self.admin_url = kind, folder, admin_url

    def __enter__(self):
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(self.folder / f"bench.db{suffix}").unlink(missing_ok=True)
            url = db.sqlite_url(self.folder / "bench.db")
        else:
            self.name = f"hubcore_bench_{secrets.token_hex(4)}"
            admin = db.get_engine(self.admin_url).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            url = make_url(self.admin_url).set(database=self.name).render_as_string(
                hide_password=False)
        self.engine = db.get_engine(url)
        self.engine.dispose()  # get_engine caches by URL: drop connections to a deleted file
        db.upgrade(self.engine)
        return self.engine

    def __exit__(self, *exc) -> None:
        self.engine.dispose()
        if self.kind == "postgresql":
            admin = db.get_engine(self.admin_url).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{self.name}" WITH (FORCE)'))


#: Encounter columns the floors write (the id is the database's own, as in the import).
COLUMNS = ("urn", "employer_id", "provider_urn", "provider_name", "kind", "benchmark", "date",
           "academic_year", "year_from", "year_to", "participants", "mode", "provider_access",
           "duration_days")


def export_encounters(engine):
    """The encounter rows the import stored, in the form each floor writes (untimed): tuples
    as SQLite holds them, or PostgreSQL's CSV from ``COPY … TO STDOUT``."""
    names = ", ".join(COLUMNS)
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            return raw.execute(f"SELECT {names} FROM encounter ORDER BY id").fetchall()
        with raw.cursor() as cur, cur.copy(
                f"COPY (SELECT {names} FROM encounter ORDER BY id) TO STDOUT (FORMAT csv)") as copy:
            return b"".join(bytes(chunk) for chunk in copy)
    finally:
        raw.close()


def _sqlite_floor(engine, rows: list[tuple]) -> float:
    """rows/s: executemany into ``encounter`` with its indexes dropped, then rebuilt, in one
    transaction (foreign keys unchecked, as plain sqlite3 leaves them)."""
    conn = sqlite3.connect(engine.url.database)
    try:
        indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                               "tbl_name = 'encounter' AND sql IS NOT NULL").fetchall()
        marks = ", ".join("?" * len(COLUMNS))
        started = time.perf_counter()
        with conn:
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            conn.executemany(f"INSERT INTO encounter ({', '.join(COLUMNS)}) VALUES ({marks})",
                             rows)
            for _, sql in indexes:
                conn.execute(sql)
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return len(rows) / elapsed


def _postgres_floor(drop_indexes: bool, drop_foreign_keys: bool = False):
    def floor(engine, data: bytes) -> float:
        """rows/s: COPY FROM STDIN (CSV) into ``encounter`` in one transaction; optionally
        with the indexes that back no constraint dropped first and rebuilt after, and the
        foreign keys dropped first and added back (checked by one join) after."""
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                cur.execute(
                    "SELECT 'DROP INDEX ' || i.indexrelid::regclass::text, "
                    "pg_get_indexdef(i.indexrelid) "
                    "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
                    "WHERE i.indrelid = 'encounter'::regclass AND c.oid IS NULL")
                indexes = cur.fetchall() if drop_indexes else []
                cur.execute(
                    "SELECT format('ALTER TABLE encounter DROP CONSTRAINT %I', conname), "
                    "format('ALTER TABLE encounter ADD CONSTRAINT %I %s', conname, "
                    "pg_get_constraintdef(oid)) FROM pg_constraint "
                    "WHERE conrelid = 'encounter'::regclass AND contype = 'f'")
                indexes += cur.fetchall() if drop_foreign_keys else []
                raw.commit()
                started = time.perf_counter()
                for drop, _ in indexes:
                    cur.execute(drop)
                with cur.copy(f"COPY encounter ({', '.join(COLUMNS)}) FROM STDIN (FORMAT csv)"
                              ) as copy:
                    copy.write(data)
                for _, sql in indexes:
                    cur.execute(sql)
                raw.commit()
                elapsed = time.perf_counter() - started
        finally:
            raw.close()
        return data.count(b"\n") / elapsed

    return floor


#: Per database: (label, floor function taking an empty seeded engine and the exported rows).
FLOORS = {
    "sqlite": [("executemany, indexes dropped and rebuilt", _sqlite_floor)],
    "postgresql": [("COPY, indexes kept", _postgres_floor(False)),
                   ("COPY, indexes dropped and rebuilt", _postgres_floor(True)),
                   ("COPY, indexes and foreign keys dropped and rebuilt",
                    _postgres_floor(True, True))],
}


def timed_imports(engine, csv_path: Path):
    """Import the file twice (new rows, then all unchanged); yields (label, rows/s)."""
    today = dt.date(2026, 1, 1)
    for label in ("first import", "re-import"):
        t0, c0 = time.perf_counter(), time.process_time()
        report = import_file(engine, "encounters", csv_path, today=today, progress=True)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"{label}: {report.summary()}")
        # CPU time is printed too: on a shared machine wall time also measures the others.
        print(
            f"{label}: {elapsed:.1f} s wall, {report.read / elapsed:,.0f} rows/s; "
            f"{cpu:.1f} s CPU, {report.read / cpu:,.0f} rows/CPU-s"
        )
        yield label, report.read / elapsed


if __name__ == "__main__":
    raise SystemExit(main())
