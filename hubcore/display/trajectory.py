"""Benchmark trajectory as people read it (issue 15 item 4): per school, a benchmark's score now
and projected to the July snapshot against the score that counts as achieved, whether the
school will miss it and which benchmarks hold it back; for the hub, per benchmark, how many
schools will miss it against the hub's target share of schools.

Every figure comes from :mod:`hubcore.metrics.trajectory` (method: ``docs/metrics.md``,
"Benchmark trajectory"); this module only picks, names, rounds and words them. Scores and
shares of schools describe institutions, not people, so nothing is suppressed: percentages are
rounded to one decimal, slopes to one decimal (:data:`SPEC`).

Sources (in :data:`hubcore.display.SOURCES`): :func:`trajectory_schools` (one row per school
for one benchmark) and :func:`trajectory_hub` (one row per benchmark). The pure builders
:func:`school_rows` and :func:`hub_rows` take the frames a page or briefing already holds.
Metadata (:func:`hubcore.display.meta`) name the method, the snapshot date, the base of every
count of schools and the target.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from hubcore import defaults, store
from hubcore.access import Scope
from hubcore.benchmarks import benchmark_name
from hubcore.disclosure import Spec
from hubcore.display.base import _meta, plural, protect
from hubcore.metrics import trajectory as tj

#: A benchmark counts as achieved at 100 % of its assessment areas (DOMAIN.md §2.2): the score
#: every school is measured against, percent.
ACHIEVED_PCT = 100.0

#: ``will_miss`` in words.
YES, NO = "yes", "no"
NOT_ENOUGH = tj.NOT_ENOUGH  # "not enough history"
NO_ASSESSMENT = "no assessment"

#: How the projection is made, in one sentence (the frames' ``method`` metadata).
METHOD = (
    "Per school, a least-squares line through its Compass assessments of the latest framework "
    "(at least two dates), read on the July snapshot and kept within 0-100 %; an assessment "
    "on the snapshot itself is taken as it is."
)
#: The base of the per-benchmark counts of schools.
BASE = (
    "schools with a projection: an assessment on the snapshot, or assessments on at least two "
    "dates in the latest framework"
)

#: Rounding only: no count of people here (see the module note).
SPEC = Spec(
    percents={"current_pct": None, "projected_pct": None, "pct_projected_achieving": None,
              "target_pct": None, "school_target_pct": None},
    rounded={"slope_pp_per_year": 1},
)  # fmt: skip

#: The columns of the list of schools that will miss (:func:`at_risk`), with their titles. The
#: school's name is ``school``: on the overview it sits beside the schools table, whose
#: ``name`` column a person (or a browser test) filters by.
TITLES: dict[str, str] = {
    "school": "School or college",
    "urn": "URN",
    "current_pct": "Score now (%, latest Compass)",
    "projected_pct": "Projected on the snapshot (%)",
    "target_pct": "Achieved at (%)",
    "will_miss": "Will miss",
    "trend": "Trend",
    "held_back_by": "Benchmarks holding it back",
    "latest_on": "Latest assessment",
    "assessments": "Assessments used",
    "method": "Method",
}


def _iso(day) -> str | None:
    return day.isoformat() if isinstance(day, dt.date) else None


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _will_miss(row: pd.Series) -> str:
    if pd.isna(row["assessments"]) or row["assessments"] == 0:
        return NO_ASSESSMENT
    if pd.isna(row["projected_achieved"]):
        return NOT_ENOUGH
    return NO if bool(row["projected_achieved"]) else YES


def school_rows(
    assessments: pd.DataFrame,
    school_list: pd.DataFrame,
    benchmark: int = defaults.BENCHMARK,
    as_of: dt.date | None = None,
    trajectories: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per school of ``school_list`` (``urn``, ``name``, and ``kind``/``la_gss`` when
    present, for the pages' filters) for ``benchmark`` (1–8), from ``assessments``
    (:func:`hubcore.store.assessments`), as of ``as_of`` (default today).

    Columns: ``urn``, ``name``, ``kind``, ``la_gss``, ``benchmark`` ("BM5"), ``framework``
    (of the assessments used), ``assessments`` (number used), ``latest_on`` (YYYY-MM-DD),
    ``current_pct`` (percent at the latest assessment), ``projected_pct`` (percent on the
    snapshot), ``target_pct`` (100: a benchmark is achieved at 100 %), ``will_miss`` ("yes",
    "no", "not enough history", "no assessment"), ``trend`` ("rising", "flat", "falling" or
    empty), ``slope_pp_per_year`` (percentage points a year), ``held_back_by`` (every
    benchmark projected short, furthest first, e.g. "BM6 62.5 % (falling); BM3 90 %"),
    ``method`` and ``snapshot`` (YYYY-MM-DD). Schools that will miss come first, lowest
    projection first. Percentages to one decimal. Metadata add ``heading`` (for the list of
    schools that will miss), ``titles`` (column titles), ``benchmark``, ``snapshot``,
    ``method``, ``base`` and ``will_miss`` (how many will miss).

    ``trajectories`` (:func:`school_trajectories` of the same ``assessments`` and ``as_of``)
    saves working every benchmark's trajectories out again for each benchmark chosen.
    """
    if not 1 <= int(benchmark) <= 8:
        raise ValueError(f"benchmark must be 1-8, not {benchmark!r}")
    snapshot = tj.snapshot_date(as_of)
    traj = tj.school_trajectories(assessments, as_of) if trajectories is None else trajectories
    back = tj.holding_back(traj)
    one = traj[traj["benchmark"].eq(int(benchmark))].drop(columns=["benchmark", "snapshot"])
    keep = [c for c in ("urn", "name", "kind", "la_gss") if c in school_list.columns]
    frame = school_list[keep].astype({"urn": "int64"}).merge(one, on="urn", how="left")
    frame = frame.merge(back[["urn", "held_back_by"]], on="urn", how="left")
    frame["will_miss"] = frame.apply(_will_miss, axis=1) if len(frame) else pd.Series(
        dtype="string")
    frame["assessments"] = frame["assessments"].fillna(0).astype("int64")
    frame["method"] = frame["method"].where(frame["assessments"] > 0, NO_ASSESSMENT)
    frame = frame.assign(
        benchmark=f"BM{int(benchmark)}",
        current_pct=frame["latest_pct"],
        target_pct=ACHIEVED_PCT,
        snapshot=snapshot.isoformat(),
        latest_on=frame["latest_on"].map(_iso),
        held_back_by=frame["held_back_by"].astype("string").fillna(""),
        trend=frame["trend"].astype("string").fillna(""),
        framework=frame["framework"].astype("string"),
    )
    order = {YES: 0, NO: 2, NOT_ENOUGH: 1, NO_ASSESSMENT: 1}
    frame = frame.assign(_order=frame["will_miss"].map(order)).sort_values(
        ["_order", "projected_pct", "name"], na_position="last")
    columns = ["urn", "name", *(c for c in ("kind", "la_gss") if c in frame.columns),
               "benchmark", "framework", "assessments", "latest_on", "current_pct",
               "projected_pct", "target_pct", "will_miss", "trend", "slope_pp_per_year",
               "held_back_by", "method", "snapshot", "_order"]  # fmt: skip
    out = protect(frame[columns].reset_index(drop=True), SPEC)
    missing = int(out["will_miss"].eq(YES).sum())
    name = benchmark_name(int(benchmark))
    return _meta(
        out,
        title=f"BM{int(benchmark)} {name}: projected to {_day(snapshot)}",
        heading=f"Schools projected to miss BM{int(benchmark)} {name} by {_day(snapshot)}",
        units={"current_pct": "%", "projected_pct": "%", "target_pct": "%",
               "slope_pp_per_year": "percentage points a year"},
        titles=dict(TITLES),
        benchmark=int(benchmark),
        snapshot=snapshot.isoformat(),
        method=METHOD,
        base="every school in scope (one row each)",
        will_miss=missing,
        note=f"Source: each school's Compass self-assessments. {METHOD} A benchmark is "
        "achieved at 100 %. The data hold each benchmark's score, not its criteria, so the "
        "benchmarks projected short are the finest detail named.",
    )


def at_risk(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` (:func:`school_rows`, perhaps filtered) of schools that will miss
    the benchmark, lowest projection first, cut to the columns of :data:`TITLES` a page shows
    (the name as ``school``). Metadata kept, with ``titles`` for those columns."""
    rows = frame[frame["will_miss"].eq(YES)].rename(columns={"name": "school"})
    columns = [c for c in TITLES if c in rows.columns]
    out = rows[columns].reset_index(drop=True)
    meta = dict(frame.attrs.get("display", {}))
    meta["titles"] = {c: TITLES[c] for c in columns}
    out.attrs["display"] = meta
    return out


def at_risk_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`at_risk` as people read it (what a download holds): titled columns, one decimal
    for percentages, dates as YYYY-MM-DD."""
    from hubcore import vocabulary

    rows = at_risk(frame)
    meta = rows.attrs["display"]
    out = vocabulary.for_display(rows)
    out.columns = [meta["titles"][c] for c in rows.columns]
    return out


def sentences(frame: pd.DataFrame) -> list[str]:
    """Plain-text lines (no markup) about ``frame`` (:func:`school_rows`, perhaps filtered):
    how many schools will miss the benchmark by the snapshot, out of how many with a
    projection (the base, named), and how many cannot be projected."""
    meta = frame.attrs["display"]
    bm, day = f"BM{meta['benchmark']}", _day(dt.date.fromisoformat(meta["snapshot"]))
    counts = frame["will_miss"].value_counts()
    miss, on = int(counts.get(YES, 0)), int(counts.get(NO, 0))
    base = miss + on
    lines = []
    if base == 0:
        lines.append(f"No school shown can be projected to {day} on {bm} yet.")
    else:
        lines.append(f"{plural(miss, 'school')} of the {base:,} with a "
                     f"projection will miss {bm} (100 %) by {day}; "
                     f"{on:,} {plural(on, 'is', 'are', number=False)} on course.")
    unknown = int(counts.get(NOT_ENOUGH, 0)) + int(counts.get(NO_ASSESSMENT, 0))
    if unknown:
        lines.append(f"{plural(unknown, 'school')} {plural(unknown, 'has', 'have', number=False)}"
                     " too little Compass history to project (one assessment, or none).")
    return lines


def hub_rows(
    assessments: pd.DataFrame,
    school_list: pd.DataFrame,
    as_of: dt.date | None = None,
    target_pct: float = defaults.TARGET_PCT,
) -> pd.DataFrame:
    """One row per benchmark (1–8) for the schools of ``school_list`` from ``assessments``.

    Columns: ``benchmark`` ("BM5"), ``benchmark_name``, ``schools`` (in scope),
    ``projected`` (schools with a projection: the base), ``not_projected`` (schools − projected:
    too little history or no assessment), ``projected_achieving``, ``will_miss`` (projected −
    projected achieving), ``pct_projected_achieving`` (% of projected; missing when none is
    projected), ``target_pct`` (the hub's target, % of schools), ``meets_target`` ("yes", "no",
    "cannot tell"), ``schools_short`` (schools more that must achieve to reach the target),
    ``held_back`` (the schools that will miss, lowest projection first, by name) and
    ``sentence`` (the row in words). Metadata add ``snapshot``, ``method``, ``base`` (of the
    counts of schools) and ``target_pct``.
    """
    snapshot = tj.snapshot_date(as_of)
    names = school_list[["urn", "name"]].astype({"urn": "int64"})
    traj = tj.school_trajectories(assessments, as_of)
    traj = traj[traj["urn"].isin(set(names["urn"]))].merge(names, on="urn", how="left")
    hub = tj.hub_trajectory(traj, target_pct)
    in_scope = len(names)
    missing = (
        traj[traj["projected_achieved"].eq(False).fillna(False)]
        .sort_values(["benchmark", "projected_pct", "name"])
        .groupby("benchmark")["name"].agg(lambda s: "; ".join(s.astype(str)))
    )
    out = pd.DataFrame({
        "benchmark": hub["benchmark"].map(lambda b: f"BM{int(b)}"),
        "benchmark_name": hub["benchmark"].map(lambda b: benchmark_name(int(b))),
        "schools": in_scope,
        "projected": hub["projected"],
        "not_projected": in_scope - hub["projected"],
        "projected_achieving": hub["projected_achieving"],
        "will_miss": hub["projected"] - hub["projected_achieving"],
        "pct_projected_achieving": hub["pct_projected_achieving"],
        "target_pct": hub["target_pct"],
        "meets_target": hub["meets_target"].map(
            lambda v: "cannot tell" if v is pd.NA else (YES if v else NO)).astype(object),
        "schools_short": hub["schools_short"],
        "held_back": hub["benchmark"].map(missing).astype("string").fillna(""),
    })  # fmt: skip
    out = protect(out, SPEC)
    day = _day(snapshot)

    def say(r: pd.Series) -> str:
        if r["projected"] == 0:
            return f"{r['benchmark']}: no school can be projected to {day} yet."
        text = (f"{r['benchmark']}: {plural(r['will_miss'], 'school')} of "
                f"{r['projected']:,} with a projection will miss it by {day}; "
                f"{r['pct_projected_achieving']:.1f} % projected to achieve it against the "
                f"hub's target of {r['target_pct']:g} %")
        if r["schools_short"]:
            text += f" ({plural(r['schools_short'], 'school')} short)"
        return text + "."

    out["sentence"] = out.apply(say, axis=1).astype("string")
    return _meta(
        out,
        title=f"Benchmark trajectory: projected to {day}",
        units={"schools": "schools", "projected": "schools", "not_projected": "schools",
               "projected_achieving": "schools", "will_miss": "schools",
               "pct_projected_achieving": "% of schools with a projection",
               "target_pct": "% of schools", "schools_short": "schools"},
        snapshot=snapshot.isoformat(),
        method=METHOD,
        base=BASE,
        target_pct=float(target_pct),
        note=f"Source: each school's Compass self-assessments. {METHOD} A school will miss a "
        f"benchmark when its projection is under 100 %. Counts of schools are out of the {BASE}; "
        f"the hub's target is {target_pct:g} % of them.",
    )


def _reads(engine: Engine, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    school_list = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    return store.assessments(engine, scope), school_list


def school_trajectories(assessments: pd.DataFrame, as_of: dt.date | None = None
                        ) -> pd.DataFrame:
    """Every school's trajectory on each benchmark 1–8
    (:func:`hubcore.metrics.trajectory.school_trajectories`): the input :func:`school_rows`
    shares between benchmarks; not shown as it is (its rows are the protected rows'
    source)."""
    return tj.school_trajectories(assessments, as_of)


def trajectory_schools(
    engine: Engine,
    scope: Scope,
    benchmark: int = defaults.BENCHMARK,
    as_of: dt.date | None = None,
    *,
    assessments: pd.DataFrame | None = None,
    school_list: pd.DataFrame | None = None,
    trajectories: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`school_rows` for the scope's schools (columns listed there): each school's
    ``benchmark`` score now and projected to the July snapshot, against 100 %. A page passes
    the ``assessments`` (:func:`hubcore.store.assessments`) and ``school_list`` it holds, and
    may pass their ``trajectories`` (:func:`school_trajectories`)."""
    if assessments is None or school_list is None:
        read_a, read_s = _reads(engine, scope)
        assessments = read_a if assessments is None else assessments
        school_list = read_s if school_list is None else school_list
    return school_rows(assessments, school_list, benchmark, as_of, trajectories)


def trajectory_hub(
    engine: Engine,
    scope: Scope,
    as_of: dt.date | None = None,
    target_pct: float = defaults.TARGET_PCT,
) -> pd.DataFrame:
    """:func:`hub_rows` for the scope's schools (columns listed there): per benchmark, how
    many schools will miss it by the July snapshot, against the hub's target."""
    assessments, school_list = _reads(engine, scope)
    return hub_rows(assessments, school_list, as_of, target_pct)
