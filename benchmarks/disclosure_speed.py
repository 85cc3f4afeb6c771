"""Time disclosure control (primary + complementary suppression) on every report kind.

    python benchmarks/disclosure_speed.py [--size region|england] [--db FILE] [--rebuild]
                                          [--tile N] [--repeat N]

The synthetic database is built once with ``hubcore.demo.build(engine, size=...)`` and cached
at ``$HUBCORE_BENCH_DB``, else ``$HUBCORE_HOME/bench/<size>.db``, else
``<tempdir>/hubcore-bench/<size>.db`` — never inside the repository (the England build takes
many minutes; the region, nine LAs, well under one). For each kind of
:data:`hubcore.metrics.report.KINDS` it prints, in seconds: ``build`` (the raw table:
:func:`hubcore.metrics.report.build`, store reads included), ``disclose`` (the engine on that
table, :func:`hubcore.disclosure.apply_spec`, best of ``--repeat``), their ratio, the rows and
how many cells each stage hides: ``primary`` alone and with ``complementary`` suppression.

``--tile N`` also times the engine on the transitions table repeated N times with distinct
school numbers and LA codes (an England-sized table, about 4,500 schools, is the region's
~300 schools tiled 15 times), for the engine's cost at a size whose build would take too long.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from hubcore import db, disclosure
from hubcore.access import Scope
from hubcore.disclosure import engine as disclosure_engine
from hubcore.metrics import report


def default_db(size: str) -> Path:
    """Where the benchmark database lives (outside the repository)."""
    if os.environ.get("HUBCORE_BENCH_DB"):
        return Path(os.environ["HUBCORE_BENCH_DB"])
    if os.environ.get("HUBCORE_HOME"):
        return Path(os.environ["HUBCORE_HOME"]) / "bench" / f"{size}.db"
    return Path(tempfile.gettempdir()) / "hubcore-bench" / f"{size}.db"


def ensure_db(path: Path, rebuild: bool, size: str) -> None:
    """Build the synthetic database at ``path`` unless a finished one is already there."""
    if path.exists() and not rebuild:
        return
    from hubcore import demo

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    engine = db.get_engine(db.sqlite_url(partial))
    db.upgrade(engine)
    started = time.perf_counter()
    demo.build(engine, size=size, seed=demo.DEFAULT_SEED, progress=False)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    partial.replace(path)  # only a finished build takes the real name
    print(f"built {size} database in {time.perf_counter() - started:.0f} s: {path}")


def hidden_cells(frame: pd.DataFrame) -> int:
    """Cells shown as "c"."""
    return int(frame.astype(object).eq(disclosure.SUPPRESSED).to_numpy().sum())


def disclose(table: pd.DataFrame, kind: str, repeat: int) -> tuple[float, pd.DataFrame]:
    """Best time of the engine on ``table`` (seconds) and its output."""
    best, out = float("inf"), table
    for _ in range(repeat):
        started = time.perf_counter()
        out = disclosure.apply_spec(table, report.SPECS[kind])
        best = min(best, time.perf_counter() - started)
    return best, out


def primary_only(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The table with primary suppression only (the rule before complementary suppression)."""
    disclosure_engine.SECONDARY = False
    try:
        return disclosure.apply_spec(table, report.SPECS[kind])
    finally:
        disclosure_engine.SECONDARY = True


def tiled(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """``table`` repeated ``n`` times, each copy with its own school numbers and LA codes."""
    parts = []
    for i in range(n):
        part = table.copy()
        if "urn" in part:
            part["urn"] = part["urn"] + i * 1_000_000
        if "la_gss" in part:
            part["la_gss"] = part["la_gss"].astype("string") + f"-{i}"
        if "section" in part:  # one hub per copy: hub rows stay apart per copy
            part["cohort"] = part["cohort"] + i * 100
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="region", choices=("hub", "region", "england"))
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--tile", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    path = args.db or default_db(args.size)
    ensure_db(path, args.rebuild, args.size)
    engine = db.get_engine(db.sqlite_url(path))
    scope = Scope.admin()
    print(f"{args.size} database {path}")
    print(f"{'kind':<14}{'rows':>8}{'build s':>10}{'disclose s':>12}{'ratio':>8}"
          f"{'primary c':>11}{'+compl. c':>11}")
    tables: dict[str, pd.DataFrame] = {}
    for kind in report.KINDS:
        started = time.perf_counter()
        try:
            table = report.build(engine, kind, scope)
        except Exception as exc:  # a kind this database cannot produce: say so, go on
            print(f"{kind:<14} not built: {exc}")
            continue
        built = time.perf_counter() - started
        tables[kind] = table
        seconds, out = disclose(table, kind, args.repeat)
        first = hidden_cells(primary_only(table, kind))
        print(f"{kind:<14}{len(table):>8}{built:>10.2f}{seconds:>12.3f}"
              f"{seconds / built if built else float('nan'):>8.3f}{first:>11}"
              f"{hidden_cells(out):>11}")
    if args.tile > 1 and "transitions" in tables:
        big = tiled(tables["transitions"], args.tile)
        seconds, out = disclose(big, "transitions", 1)
        print(f"transitions tiled x{args.tile}: {len(big)} rows, disclose {seconds:.2f} s, "
              f"{hidden_cells(out)} cells hidden")
    return 0


if __name__ == "__main__":
    sys.exit(main())
