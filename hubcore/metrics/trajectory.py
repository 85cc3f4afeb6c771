"""Benchmark trajectory: per school, each benchmark's trend across its Compass assessments,
projected to the July snapshot; for the hub, the share of schools projected to achieve each
benchmark against the hub's target (:data:`hubcore.defaults.TARGET_PCT`), the schools that will
miss and the benchmarks that hold each school back. Definitions and method:
``docs/metrics.md`` ("Benchmark trajectory").

Method, per school and benchmark:

- the snapshot is CEC's formal measure on **31 July** (DOMAIN.md §2.1) ending the academic
  year of ``as_of`` (default today): ``as_of`` in August–December → 31 July of the next
  calendar year;
- the assessments used are the school's assessments dated on or before the snapshot **of the
  framework of the latest of them** (2014 and 2024 scores measure different criteria and are
  never mixed, DOMAIN.md data model);
- if the latest is dated on the snapshot itself, the snapshot has been measured: the
  projection is that observed percent (``method`` "observed on the snapshot");
- otherwise, with assessments on at least two different dates, an ordinary least-squares line
  of percent against the assessment date (days) is evaluated on the snapshot date and capped
  to 0–100 (percent of assessment areas met) (``method`` "least squares over N assessments");
- otherwise there is no projection (``method`` "not enough history").

A benchmark counts as achieved at 100 % (DOMAIN.md §2.2), so a school is projected to achieve
it when the projection, rounded to one decimal as shown, is 100.0.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import defaults, disclosure, store
from hubcore.access import Scope
from hubcore.disclosure import Spec

BENCHMARKS: tuple[int, ...] = tuple(range(1, 9))
NOT_ENOUGH = "not enough history"
OBSERVED = "observed on the snapshot"


def snapshot_date(as_of: dt.date | None = None) -> dt.date:
    """31 July ending the academic year (1 August – 31 July) that contains ``as_of`` (default
    today): CEC's July measure (DOMAIN.md §2.1)."""
    day = as_of if as_of is not None else dt.date.today()
    return dt.date(day.year if day.month <= 7 else day.year + 1, 7, 31)


def project(
    dates: pd.Series | list, values: pd.Series | list, snapshot: dt.date
) -> tuple[float, float, str]:
    """``(projected percent, slope in percentage points per year, method)`` of one school's
    benchmark (see the module note). ``dates`` are assessment dates on or before
    ``snapshot``; ``values`` their percents (0–100). The slope is per 365.25 days; the
    projection and slope are NaN where there is not enough history (slope NaN also for an
    observed snapshot with one assessment)."""
    when = pd.to_datetime(pd.Series(list(dates))).reset_index(drop=True)
    y = pd.Series(list(values), dtype="float64").reset_index(drop=True)
    keep = y.notna() & when.notna()
    when, y = when[keep], y[keep]
    if not len(when):
        return math.nan, math.nan, NOT_ENOUGH
    snap = pd.Timestamp(snapshot)
    x = (when - when.min()).dt.days.to_numpy(dtype="float64")
    return _fit(x, y.to_numpy(), (when == snap).to_numpy(), (snap - when.min()).days)


def _fit(x: np.ndarray, y: np.ndarray, on_snapshot: np.ndarray, at: float
         ) -> tuple[float, float, str]:
    """:func:`project` on arrays: ``x`` days since the first assessment, ``y`` percents,
    ``on_snapshot`` which assessments are dated on the snapshot, ``at`` the snapshot's day."""
    slope = math.nan
    distinct = len(set(x.tolist()))
    if distinct >= 2:
        xm, ym = x.mean(), y.mean()
        slope_day = float(((x - xm) * (y - ym)).sum() / ((x - xm) ** 2).sum())
        slope = slope_day * 365.25
    if on_snapshot.any():
        # The snapshot itself was assessed: that is the measure, not a projection (the mean
        # of the assessments on that day, should there be two).
        return float(y[on_snapshot].mean()), slope, OBSERVED
    if distinct < 2:
        return math.nan, math.nan, NOT_ENOUGH
    fitted = ym + slope_day * (at - xm)
    return float(np.clip(fitted, 0.0, 100.0)), slope, f"least squares over {len(x)} assessments"


def _trend(slope: float) -> str:
    if math.isnan(slope):
        return ""
    # Below a hundredth of a point a year is rounding noise of equal scores, not a trend.
    if abs(slope) < 0.01:
        return "flat"
    return "rising" if slope > 0 else "falling"


def school_trajectories(assessments: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """One row per school and benchmark (1–8) from :func:`hubcore.store.assessments` (``urn``,
    ``assessed_on``, ``framework``, ``bm1`` … ``bm8`` percent).

    Columns: ``urn``, ``benchmark``, ``framework`` (of the assessments used), ``assessments``
    (number used), ``first_on``, ``latest_on``, ``latest_pct`` (percent at the latest),
    ``slope_pp_per_year`` (percentage points per year), ``trend`` ("rising", "flat",
    "falling"; empty without a slope), ``snapshot`` (date), ``projected_pct`` (percent, 0–100,
    one decimal; missing without a projection), ``projected_achieved`` (True / False; missing
    without a projection), ``method``.
    """
    snap = snapshot_date(as_of)
    cols = ["urn", "benchmark", "framework", "assessments", "first_on", "latest_on",
            "latest_pct", "slope_pp_per_year", "trend", "snapshot", "projected_pct",
            "projected_achieved", "method"]  # fmt: skip
    snap_ts = pd.Timestamp(snap)
    frame = assessments.assign(assessed_on=pd.to_datetime(assessments["assessed_on"]))
    frame = frame[frame["assessed_on"] <= snap_ts]
    # Each school's assessments in date order; only those of the framework of its latest are
    # used. Worked per school and benchmark on plain arrays: an England of 4,000 schools made
    # 32,000 small pandas frames here (minutes for one benchmark change on the overview).
    frame = frame.sort_values(["urn", "assessed_on"], kind="stable")
    latest = frame.drop_duplicates("urn", keep="last").set_index("urn")["framework"]
    used = frame[frame["framework"].eq(frame["urn"].map(latest)).fillna(False).astype(bool)]
    found: dict[tuple[int, int], dict] = {}
    for b in BENCHMARKS:
        pts = used[["urn", "assessed_on", f"bm{b}"]].dropna()
        if pts.empty:
            continue
        first = pts.groupby("urn", sort=False)["assessed_on"].transform("min")
        x = (pts["assessed_on"] - first).dt.days.to_numpy(dtype="float64")
        at = (snap_ts - first).dt.days.to_numpy(dtype="float64")
        y = pts[f"bm{b}"].to_numpy(dtype="float64")
        when = pts["assessed_on"].to_numpy()
        on_snap = when == np.datetime64(snap_ts)
        school = pts["urn"].to_numpy()
        starts = np.flatnonzero(np.r_[True, school[1:] != school[:-1]])
        for start, end in zip(starts, [*starts[1:], len(pts)], strict=True):
            projected, slope, method = _fit(x[start:end], y[start:end], on_snap[start:end],
                                            at[start])
            found[(int(school[start]), b)] = {
                "assessments": int(end - start),
                "first_on": pd.Timestamp(when[start]).date(),
                "latest_on": pd.Timestamp(when[end - 1]).date(),
                "latest_pct": float(y[end - 1]), "slope": slope, "projected": projected,
                "method": method,
            }  # fmt: skip
    none = {"assessments": 0, "first_on": None, "latest_on": None, "latest_pct": math.nan,
            "slope": math.nan, "projected": math.nan, "method": NOT_ENOUGH}
    rows = []
    for urn, framework in latest.items():
        for b in BENCHMARKS:
            got = found.get((int(urn), b), none)
            projected, slope = got["projected"], got["slope"]
            shown = round(projected, 1) if not math.isnan(projected) else math.nan
            rows.append({
                "urn": int(urn), "benchmark": b, "framework": str(framework),
                "assessments": got["assessments"], "first_on": got["first_on"],
                "latest_on": got["latest_on"], "latest_pct": got["latest_pct"],
                "slope_pp_per_year": slope, "trend": _trend(slope), "snapshot": snap,
                "projected_pct": shown,
                "projected_achieved": pd.NA if math.isnan(shown) else bool(shown >= 100.0),
                "method": got["method"],
            })  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    out["projected_achieved"] = out["projected_achieved"].astype("boolean")
    return out


def hub_trajectory(
    trajectories: pd.DataFrame, target_pct: float = defaults.TARGET_PCT
) -> pd.DataFrame:
    """Per benchmark, for the hub: ``schools`` (with any assessment), ``projected`` (schools
    with a projection; the base), ``not_enough_history`` = schools − projected,
    ``projected_achieving``, ``pct_projected_achieving`` (÷ projected × 100, percent; missing
    when no school can be projected), ``target_pct`` (percent of schools), ``meets_target``,
    and ``schools_short`` = schools more that must achieve to reach the target
    (⌈target × projected ÷ 100⌉ − projected_achieving, at least 0)."""
    t = trajectories
    g = t.groupby("benchmark", sort=True)
    out = pd.DataFrame({
        "schools": g["urn"].nunique(),
        "projected": g["projected_pct"].count(),
        "projected_achieving": g["projected_achieved"].sum(),
    }).reindex(list(BENCHMARKS), fill_value=0)  # fmt: skip
    out.index.name = "benchmark"
    out = out.astype("int64").reset_index()
    out["not_enough_history"] = out["schools"] - out["projected"]
    base = out["projected"].astype("float64").where(out["projected"] > 0)
    out["pct_projected_achieving"] = 100.0 * out["projected_achieving"] / base
    out["target_pct"] = float(target_pct)
    out["meets_target"] = (out["pct_projected_achieving"] >= target_pct).astype("boolean")
    out.loc[base.isna(), "meets_target"] = pd.NA
    # A hair under whole numbers: 80 % of 5 schools is 4, not 4.000000000000001 → 5.
    needed = np.ceil(target_pct * out["projected"] / 100.0 - 1e-9).astype("int64")
    out["schools_short"] = (needed - out["projected_achieving"]).clip(lower=0)
    return out


def holding_back(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Per school, the benchmarks projected short of achieved, furthest first: ``urn``,
    ``benchmarks_short`` (number), ``held_back_by`` ("BM6 62.5 % (falling); BM3 90 %") and
    ``not_enough_history`` (benchmarks without a projection, e.g. "BM1, BM2"). The data hold
    each benchmark's percent, not its criteria (DOMAIN.md §2.2 criteria are not stored), so a
    benchmark is the finest detail given."""
    # Whole-table string work: a loop over 4,000 schools' frames took two minutes.
    t = trajectories
    urns = pd.Index(sorted(t["urn"].unique()), name="urn")
    short = t[t["projected_achieved"].eq(False).fillna(False).astype(bool)]
    short = short.sort_values(["urn", "projected_pct", "benchmark"], kind="stable")
    trend = short["trend"].astype(object).fillna("").astype(str)
    text = ("BM" + short["benchmark"].astype(int).astype(str) + " "
            + short["projected_pct"].map("{:g}".format).astype(str) + " %"
            + trend.where(trend.eq(""), " (" + trend + ")"))
    none = t[t["projected_pct"].isna()]
    none_text = "BM" + none["benchmark"].astype(int).astype(str)
    out = pd.DataFrame({
        "benchmarks_short": short.groupby("urn").size().reindex(urns, fill_value=0),
        "held_back_by": text.groupby(short["urn"]).agg("; ".join).reindex(urns, fill_value=""),
        "not_enough_history": none_text.groupby(none["urn"]).agg(", ".join).reindex(
            urns, fill_value=""),
    })  # fmt: skip
    out = out.reset_index()
    out["urn"] = out["urn"].astype("int64")
    out["benchmarks_short"] = out["benchmarks_short"].astype("int64")
    return out[["urn", "benchmarks_short", "held_back_by", "not_enough_history"]]


def trajectory_table(
    assessments: pd.DataFrame,
    schools: pd.DataFrame,
    as_of: dt.date | None = None,
    target_pct: float = defaults.TARGET_PCT,
) -> pd.DataFrame:
    """The report table: ``level`` "hub" (one row per benchmark, :func:`hub_trajectory`, with
    ``will_miss``: the schools projected short of it, by name), "school" (one row per school,
    :func:`holding_back`) and "school_benchmark" (:func:`school_trajectories`)."""
    traj = school_trajectories(assessments, as_of)
    names = schools[["urn", "name"]].astype({"urn": "int64"})
    traj = traj.merge(names, on="urn", how="left")
    hub = hub_trajectory(traj, target_pct)
    missing = (
        traj[traj["projected_achieved"].eq(False).fillna(False)]
        .sort_values(["benchmark", "projected_pct", "name"])
        .groupby("benchmark")["name"].agg(lambda s: "; ".join(s.astype(str)))
    )
    hub["will_miss"] = hub["benchmark"].map(missing).fillna("").astype("string")
    hub = hub.assign(level="hub", name="whole hub", snapshot=snapshot_date(as_of))
    per_school = holding_back(traj).merge(names, on="urn", how="left").assign(level="school")
    detail = traj.assign(level="school_benchmark")
    out = pd.concat([hub, per_school, detail], ignore_index=True)
    first = ["level", "urn", "name", "benchmark"]
    out = out[[*first, *[c for c in out.columns if c not in first]]]
    out["benchmark"] = out["benchmark"].map(lambda b: f"BM{int(b)}" if pd.notna(b) else pd.NA)
    out["urn"] = out["urn"].astype("Int64")
    for col in ("snapshot", "first_on", "latest_on"):
        out[col] = out[col].map(lambda d: d.isoformat() if isinstance(d, dt.date) else pd.NA)
    for col in ("schools", "projected", "projected_achieving", "not_enough_history",
                "schools_short", "assessments", "benchmarks_short"):  # fmt: skip
        if col in out.columns and out[col].dtype != object:
            out[col] = out[col].astype("Int64")
    return out


#: Benchmark scores and shares of schools describe institutions, not people (DOMAIN.md §7
#: limits counts of learners): percentages are only rounded to one decimal, slopes to one.
SPEC: Spec = Spec(
    percents={"latest_pct": None, "projected_pct": None, "pct_projected_achieving": None,
              "target_pct": None},
    rounded={"slope_pp_per_year": 1},
    rows_by="level",
)  # fmt: skip


def table_for_scope(
    engine: Engine,
    scope: Scope,
    as_of: dt.date | None = None,
    target_pct: float = defaults.TARGET_PCT,
) -> pd.DataFrame:
    """:func:`trajectory_table` on the scope's assessments (:func:`hubcore.store.assessments`),
    rounded by :data:`SPEC`."""
    schools = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    table = trajectory_table(store.assessments(engine, scope), schools, as_of, target_pct)
    return disclosure.apply_spec(table, SPEC)
