"""Time every metric family on the England-sized synthetic database.

    python benchmarks/metrics_speed.py [--db FILE] [--rebuild] [--repeat N] [--hub ID]

The database is built once with ``hubcore.demo.build(engine, size="england")`` (minutes) and
cached at ``$HUBCORE_BENCH_DB``, else ``$HUBCORE_HOME/bench/england.db``, else
``<tempdir>/hubcore-bench/england.db`` — never inside the repository. Each metric is timed
twice: ``read`` (the store reads, timed once: on all of England some take minutes) and
``compute`` (the pure functions on the frames read, best of ``--repeat`` runs), in seconds.
The default scope is all of England (an unrestricted admin scope); ``--hub`` times one hub.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from hubcore import db, store
from hubcore.access import Scope
from hubcore.metrics import benchmarks as bm
from hubcore.metrics import coverage as cov
from hubcore.metrics import employers as emp
from hubcore.metrics import priority as prio
from hubcore.metrics import risk
from hubcore.metrics import transitions as tr

TARGET_SECONDS = 1.0


def default_db() -> Path:
    """Where the benchmark database lives (outside the repository)."""
    if os.environ.get("HUBCORE_BENCH_DB"):
        return Path(os.environ["HUBCORE_BENCH_DB"])
    if os.environ.get("HUBCORE_HOME"):
        return Path(os.environ["HUBCORE_HOME"]) / "bench" / "england.db"
    return Path(tempfile.gettempdir()) / "hubcore-bench" / "england.db"


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
    demo.build(engine, size=size, seed=demo.DEFAULT_SEED, progress=True)
    # Fold the write-ahead log into the file before renaming it.
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    partial.replace(path)  # only a finished build takes the real name
    print(f"built {size} database in {time.perf_counter() - started:.0f} s: {path}")


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Fastest of ``repeat`` runs of ``fn``, seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


class Reads:
    """Store reads done once per run and shared between metrics; ``used`` collects the first-read
    seconds of every input a metric asked for, so each metric is charged its full read cost."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.seconds: dict[str, float] = {}
        self.used: set[str] = set()

    def get(self, key: str, fn: Callable[[], object]) -> object:
        if key not in self.values:
            started = time.perf_counter()
            self.values[key] = fn()
            self.seconds[key] = time.perf_counter() - started
        self.used.add(key)
        return self.values[key]

    def charge(self) -> float:
        total = sum(self.seconds[k] for k in self.used)
        self.used = set()
        return total


def _frame(gdf) -> pd.DataFrame:
    return pd.DataFrame(gdf.drop(columns="geometry"))


def metrics(
    engine, scope: Scope, reads: Reads
) -> dict[str, tuple[Callable[[], dict], Callable[[dict], object]]]:
    """Per metric: a reader returning its inputs, and the computation on them."""
    r = reads.get

    def coverage_inputs() -> dict:
        years = r("years", lambda: store.encounter_years(engine, scope))
        year = years[-1]
        wanted = [year, cov.previous_academic_year(year)]
        summary = r("summary", lambda: store.encounter_summary(engine, scope, wanted))
        points = r("points", lambda: store.schools(engine, scope))
        schools = r("schools", lambda: _frame(points))  # the same read, without geometry
        return {"summary": summary, "schools": schools, "year": year}

    def with_areas(read: Callable[[], dict]) -> Callable[[], dict]:
        def inner() -> dict:
            data = read()
            data["areas"] = r("areas", lambda: store.areas(engine, scope))
            data["school_points"] = r("points", lambda: store.schools(engine, scope))
            return data

        return inner

    def employer_inputs() -> dict:
        data = coverage_inputs()
        year = data["year"]
        data["offers"] = r(
            "offers", lambda: store.employer_offers(engine, scope, academic_year=year)
        )
        data["employers"] = r("employers", lambda: store.employers(engine, scope))
        return data

    def run_employers(d: dict) -> object:
        c = cov.school_coverage(d["summary"], d["schools"], d["year"])
        spare = emp.spare_offers(d["offers"], d["employers"])
        return emp.offer_matches(spare, d["schools"], c)

    def run_what(d: dict) -> object:
        c = cov.school_coverage(d["summary"], d["schools"], d["year"])
        yg = cov.bm5_by_year_group(d["summary"], d["schools"], d["year"])
        spare = emp.spare_offers(d["offers"], d["employers"])
        return emp.what_would_it_take(c, d["schools"], spare, 5, 90.0, 10.0, yg)

    def run_coldspots(d: dict) -> object:
        c = cov.school_coverage(d["summary"], d["schools"], d["year"])
        return cov.cold_spots(d["areas"], d["school_points"], c, "bm5_min_per_pupil", 1.0, 5.0)

    def run_gaps(d: dict) -> object:
        c = cov.school_coverage(d["summary"], d["schools"], d["year"])
        return [cov.coverage_gaps(c, d["schools"], d["areas"], by=b)
                for b in ("kind", "imd_decile", "la_gss")]  # fmt: skip

    def transitions_inputs() -> dict:
        return {"counts": r("counts", lambda: store.destination_counts(engine, scope)),
                "hand": r("hand", lambda: store.handover_dates(engine, scope))}  # fmt: skip

    def run_transitions(d: dict) -> object:
        keys = ("urn", "year_group")
        return (
            tr.destination_mix(d["counts"]),
            tr.neet_rates(d["counts"], keys),
            tr.handover_funnel(d["hand"], keys),
            tr.referral_lag(d["hand"], keys),
            tr.overdue_handovers(d["hand"], pd.Timestamp("2026-10-01"), 30, keys),
        )

    def priority_inputs() -> dict:
        return {
            "schools": _frame(r("points", lambda: store.schools(engine, scope))),
            "areas": r("areas", lambda: store.areas(engine, scope)),
            "assessments": r("assessments", lambda: store.assessments(engine, scope)),
            "counts": r("counts", lambda: store.destination_counts(engine, scope)),
        }

    def run_priority(d: dict) -> object:
        latest = bm.school_benchmarks(d["assessments"])
        neet = tr.neet_rates(d["counts"], ("urn",))
        return prio.priority_index(d["schools"], latest, neet, d["areas"])

    def last_cohort() -> int:
        return int(r("counts", lambda: store.destination_counts(engine, scope))["cohort"].max())

    def profile_inputs() -> dict:
        last = last_cohort()
        return {"profiles": r("profiles", lambda: store.leaver_profiles(engine, scope, last))}

    def risk_inputs() -> dict:
        last = last_cohort()
        return {"leavers": r("leavers", lambda: store.leavers(engine, scope, cohort=last))}

    pupil_rows = {
        # Pupil rows are read for one school or hub at a time (that is who may see them);
        # England-wide, RONI is counted from profiles (the metric above).
        "RONI per leaver (one cohort, pupil rows)": (
            risk_inputs,
            lambda d: risk.roni_summary(risk.roni_table(d["leavers"])),
        ),
    } if scope.hub_id is not None else {}  # fmt: skip

    return {
        "benchmarks": (
            lambda: {"a": r("assessments", lambda: store.assessments(engine, scope))},
            lambda d: bm.benchmark_rollup(bm.school_benchmarks(d["a"])),
        ),
        "coverage (per school)": (
            coverage_inputs,
            lambda d: cov.school_coverage(d["summary"], d["schools"], d["year"]),
        ),
        "coverage gaps (kind/decile/LA)": (with_areas(coverage_inputs), run_gaps),
        "cold spots (BM5, 5 km)": (with_areas(coverage_inputs), run_coldspots),
        "employer offers → gap schools": (employer_inputs, run_employers),
        "what would it take (BM5, 90 %)": (employer_inputs, run_what),
        "transitions (mix, NEET, funnel, lag, overdue)": (transitions_inputs, run_transitions),
        "RONI bands per school (one cohort)": (
            profile_inputs,
            lambda d: risk.roni_summary(risk.roni_table(d["profiles"])),
        ),
        **pupil_rows,
        "priority index": (priority_inputs, run_priority),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=default_db())
    parser.add_argument("--size", default="england", choices=("hub", "region", "england"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hub", help="time one hub instead of all of England")
    parser.add_argument("--warm", action="store_true", help="read once before timing reads")
    args = parser.parse_args(argv)

    ensure_db(args.db, args.rebuild, args.size)
    engine = db.get_engine(db.sqlite_url(args.db))
    scope = Scope.admin(hub_id=args.hub)
    print(f"database: {args.db} ({args.db.stat().st_size / 1e6:.0f} MB); scope: "
          f"{args.hub or 'all of England'}; compute best of {args.repeat}; "
          f"{'warm' if args.warm else 'cold'} reads")  # fmt: skip
    width = 46
    print(f"{'metric':<{width}}  {'read (s)':>9}  {'compute (s)':>11}  {'total (s)':>9}  ≤ 1 s")
    slow = 0
    reads = Reads()
    for name, (read, compute) in metrics(engine, scope, reads).items():
        # Each input is read once (on all of England some take minutes) and its first-read
        # time charged to every metric that uses it; compute is best of N.
        if args.warm:
            read()  # fill SQLite's and the OS's caches first, as a running server would have
            reads.values.clear()
            reads.used = set()
        data = read()
        t_read = reads.charge()
        t_compute = best_of(lambda c=compute, d=data: c(d), args.repeat)
        total = t_read + t_compute
        ok = total <= TARGET_SECONDS
        slow += not ok
        print(f"{name:<{width}}  {t_read:9.3f}  {t_compute:11.3f}  {total:9.3f}  "
              f"{'yes' if ok else 'NO'}", flush=True)  # fmt: skip
    return 0 if slow == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
