"""Benchmark: import one million encounter rows end to end (parse + validate + insert).

Seeds 200 schools and 500 employers into a fresh SQLite database, writes an encounters CSV of
``--rows`` rows (default 1,000,000) to a temporary folder, then times ``import_file`` and prints
rows per second. A second run of the same file is timed too (all rows unchanged). With
``--repeat N`` the pair runs N times, each on a fresh database, and the best and median are
printed (timings on a shared machine are noisy). ``--without-rollups`` leaves out the summary
refresh that runs in the import's transaction, to time the import on its own.

    .venv/bin/python benchmarks/import_encounters.py [--rows N] [--keep DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

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
    args = parser.parse_args(argv)
    if args.without_rollups:
        rollups.after_import = lambda *a, **k: None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path = folder / "encounters.csv"
        rates: dict[str, list[float]] = {"first import": [], "re-import": []}
        for run in range(args.repeat):
            engine, urns, refs = fresh_database(folder)
            if run == 0:
                t0 = time.perf_counter()
                make_csv(csv_path, args.rows, urns, refs)
                print(
                    f"wrote {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in "
                    f"{time.perf_counter() - t0:.1f} s"
                )
            for label, rate in timed_imports(engine, csv_path):
                rates[label].append(rate)
            engine.dispose()
        if args.repeat > 1:
            for label, values in rates.items():
                print(f"{label}: best {max(values):,.0f} rows/s, median "
                      f"{statistics.median(values):,.0f} rows/s over {len(values)} runs")
    return 0


def fresh_database(folder: Path):
    """An empty, migrated SQLite database in ``folder`` with schools and employers."""
    for suffix in ("", "-wal", "-shm"):
        Path(folder / f"bench.db{suffix}").unlink(missing_ok=True)
    engine = db.get_engine(db.sqlite_url(folder / "bench.db"))
    engine.dispose()  # get_engine caches by URL: drop connections to a deleted file
    db.upgrade(engine)
    urns, refs = seed(engine)
    return engine, urns, refs


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
