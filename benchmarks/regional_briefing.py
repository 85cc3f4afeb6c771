"""Time a regional briefing (``hubcore brief --region``) on the synthetic ``region`` demo
(nine LAs, about 300 schools, one hub per LA). Target (issue #16): at most 10 s.

    .venv/bin/python benchmarks/regional_briefing.py [--db FILE] [--repeat N] [--workers N]

``--db``: an existing region demo SQLite file (default: build one in a temporary folder,
about 4 minutes). The demo's generated LAs have no region, so the script places all of them
in region E12000004 (an ``UPDATE`` of the LA rows' ``parent_code``, on that file only: the
membership the ONS LA-to-region lookup would give real LAs). It prints the wall and CPU time
of the whole pack (PDF + 300-dpi PNG) per run, and the machine load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from hubcore import db
from hubcore.briefing.region import write_region_pack

REGION = "E12000004"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="existing region demo SQLite file")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None,
                        help="processes building the hubs' figures (default: one per core, "
                        "as `hubcore brief` does; 1 = one after the other)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="regional-briefing-"))
    path = Path(args.db) if args.db else folder / "region.db"
    engine = db.get_engine(f"sqlite:///{path}")
    # An older demo file gets the newer tables (area membership) too.
    db.upgrade(engine)
    if not args.db:
        from hubcore import demo

        demo.build(engine, size="region", progress=False)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE area SET parent_code = :r WHERE kind IN ('lad', 'utla')"),
                     {"r": REGION})
    print(f"load before: {os.getloadavg()}")
    for run in range(args.repeat):
        started, cpu = time.perf_counter(), _cpu()
        paths = write_region_pack(engine, folder / f"out{run}", region=REGION,
                                  as_of=dt.date(2026, 12, 1), workers=args.workers)
        took, cpu = time.perf_counter() - started, _cpu() - cpu
        # CPU seconds too (this process and its workers): on a shared machine the wall time
        # grows with the load, the CPU time much less.
        print(f"run {run + 1}: {took:.1f} s wall, {cpu:.1f} s CPU for {len(paths)} files "
              f"({', '.join(p.name for p in paths)}), workers: {args.workers or os.cpu_count()}")
    print(f"load after: {os.getloadavg()}  (cores: {os.cpu_count()})")


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished worker processes."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                     resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
