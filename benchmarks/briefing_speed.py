"""Benchmark: one hub's briefing pack (PDF + three 300-dpi PNG maps + standalone HTML) on the
synthetic demo hub (36 schools, 180 small areas).

Builds the demo into a temporary SQLite file (or uses ``--db``), warms the imports with one
build, then times ``--runs`` builds and prints each stage (wall and CPU seconds): gathering
(store reads, metrics, disclosure), PDF, PNG and HTML. CPU time is printed beside wall time
because on a shared machine the wall time mostly measures the other processes.

    .venv/bin/python benchmarks/briefing_speed.py [--runs 3] [--db URL_OR_FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from hubcore import db, demo, store
from hubcore.access import Scope
from hubcore.briefing import content
from hubcore.briefing.render_html import render_html
from hubcore.briefing.render_pdf import render_pdf
from hubcore.briefing.render_png import render_pngs

AS_OF = dt.date(2026, 11, 1)


def one_build(engine, scope: Scope) -> dict[str, tuple[float, float]]:
    """Stage → (wall s, CPU s) for one full pack."""
    times: dict[str, tuple[float, float]] = {}
    wall, cpu = time.perf_counter(), time.process_time()

    def lap(stage: str) -> None:
        nonlocal wall, cpu
        now_wall, now_cpu = time.perf_counter(), time.process_time()
        times[stage] = (now_wall - wall, now_cpu - cpu)
        wall, cpu = now_wall, now_cpu

    briefing = content.gather(engine, scope, AS_OF)
    lap("gather")
    render_pdf(briefing)
    lap("pdf")
    pngs = render_pngs(briefing)
    lap("png")
    render_html(briefing, pngs)
    lap("html")
    times["total"] = (sum(w for w, _ in times.values()), sum(c for _, c in times.values()))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", help="database URL or SQLite file (default: a fresh demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = db.resolve_url(args.db) if args.db else db.sqlite_url(Path(tmp) / "demo.db")
        engine = db.get_engine(url)
        if not args.db:
            db.upgrade(engine)
            demo.build(engine, size="hub", progress=False)
        scope = Scope.admin(hub_id=store.default_hub_id(engine), user="benchmark")
        one_build(engine, scope)  # warm-up: imports, font cache
        runs = [one_build(engine, scope) for _ in range(args.runs)]
        for stage in ("gather", "pdf", "png", "html", "total"):
            walls = [r[stage][0] for r in runs]
            cpus = [r[stage][1] for r in runs]
            print(
                f"{stage:>6}: wall median {statistics.median(walls):5.2f} s "
                f"(min {min(walls):5.2f}), CPU median {statistics.median(cpus):5.2f} s"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
