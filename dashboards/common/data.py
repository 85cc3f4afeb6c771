"""What the pages show, fetched through ``hubcore.store`` and computed by ``hubcore.metrics``,
cached per server process (``pn.cache``) so a filter change never re-reads the database.

Nothing here computes a metric: functions only pick the ``hubcore`` call for a page and key the
cache by database URL, hub, filter values and the data version (:mod:`hubcore.data_version`,
changed by every import and other writer in its own transaction), so a page built after an
import reads the new data while filter changes within one version stay cached. Cached frames are
shared between sessions and must be treated as read-only.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import panel as pn

from dashboards.common.context import default_scope, engine_for
from hubcore import codes, data_version, disclosure, metrics, store
from hubcore.access import Role, Scope
from hubcore.metrics import report

#: Scopes spanning more LAs than this are drawn at national zoom (LA outlines, no small areas):
#: a browser cannot usefully show tens of thousands of polygons at once.
MAX_DETAILED_LAS = 12
#: Simplification per display scale, metres: small areas for a hub; LAs at national zoom.
SIMPLIFY_M = {"lsoa": 25.0, "lad": 250.0}


#: (role, hub, school, NCS area, data version).
ScopeKey = tuple[str, str | None, int | None, str | None, int]


def scope_key(url: str, hub_id: str | None) -> ScopeKey:
    """The cache key of the page user's scope for ``hub_id``: cached results are shared only
    between sessions whose scope is the same (role, hub, school, NCS area), never across roles,
    and only while the data version is the one they were read at (one single-row read)."""
    engine = engine_for(url)
    scope = default_scope(engine, hub_id)
    return (scope.role.value, scope.hub_id, scope.urn, scope.ncs_area,
            data_version.current(engine))


def _versioned(url: str, key: tuple) -> ScopeKey:
    """``key`` with the current data version, if it was built without one."""
    return key if len(key) == 5 else (*key[:4], data_version.current(engine_for(url)))


def _scope(key: ScopeKey) -> Scope:
    role, hub_id, urn, ncs_area = key[:4]
    return Scope(Role(role), hub_id=hub_id, urn=urn, ncs_area=ncs_area)


@pn.cache(max_items=32)
def boundaries(url: str, key: ScopeKey, kind: str) -> gpd.GeoDataFrame:
    """Boundaries of ``kind`` for the hub, simplified once for display."""
    from hubcore import geo

    areas = store.areas(engine_for(url), _scope(key), kind=kind)
    return geo.simplify(areas, SIMPLIFY_M.get(kind, 25.0))


def national_zoom(url: str, key: ScopeKey) -> bool:
    """Whether the scope is too large to draw its small areas."""
    return schools(url, key)["la_gss"].nunique() > MAX_DETAILED_LAS


@pn.cache(max_items=32)
def schools(url: str, key: ScopeKey) -> pd.DataFrame:
    """The hub's schools (easting/northing in BNG metres), with a readable type."""
    frame = pd.DataFrame(store.schools(engine_for(url), _scope(key)).drop(
        columns="geometry"))
    frame["type"] = frame["kind"].map(codes.SCHOOL_KINDS)
    return frame


@pn.cache(max_items=32)
def assessments(url: str, key: ScopeKey) -> pd.DataFrame:
    """Every assessment of the hub's schools (one row each, bm1–bm8 percent, achieved 0–8)."""
    return store.assessments(engine_for(url), _scope(key))


def periods(url: str, key: ScopeKey) -> dict[str, str]:
    """Assessment periods present, newest first: label → ``YYYY-MM-DD|framework``."""
    a = assessments(url, key)
    if a.empty:
        return {}
    snap = a.groupby(["assessed_on", "framework", "academic_year"]).size().reset_index()
    snap = snap.sort_values("assessed_on", ascending=False)
    return {
        f"{r.academic_year} · {r.assessed_on:%d %b %Y} ({r.framework} framework)":
            f"{r.assessed_on:%Y-%m-%d}|{r.framework}"
        for r in snap.itertuples()
    }


@pn.cache(max_items=64)
def school_benchmarks_at(url: str, key: ScopeKey, period: str) -> pd.DataFrame:
    """Each school's latest assessment on or before the period, within its framework, with
    change since the previous one (``hubcore.metrics.school_benchmarks``)."""
    date, framework = period.split("|")
    a = assessments(url, key)
    return metrics.school_benchmarks(a[a["assessed_on"] <= pd.Timestamp(date)], framework)


@pn.cache(max_items=32)
def coverage(url: str, key: ScopeKey) -> pd.DataFrame:
    """Encounter coverage per school for the latest academic year in the log."""
    return report.school_coverage_for_scope(engine_for(url), _scope(key))


@pn.cache(max_items=64)
def area_measure(url: str, key: ScopeKey, benchmark: int) -> pd.DataFrame:
    """Per small area: schools nearby, how many are below threshold on the benchmark's measure,
    and whether it is a cold spot (``hubcore.metrics.area_coverage``)."""
    engine, scope = engine_for(url), _scope(key)
    source = "coverage" if benchmark in report.COVERAGE_MEASURES else "assessment"
    opts = report.Options(benchmark=benchmark, source=source)
    values, measure, threshold = report.school_measure_for_scope(engine, scope, opts)
    result = metrics.area_coverage(
        boundaries(url, key, "lsoa"), store.schools(engine, scope), values, measure,
        threshold, opts.radius_km,
    )
    return result.assign(measure=measure, threshold=threshold)


@pn.cache(max_items=32)
def area_neet(url: str, key: ScopeKey) -> pd.DataFrame:
    """NEET + not-known percent one year after leaving by home small area; areas with fewer
    than 6 leavers are suppressed (NaN) before anything is drawn."""
    counts = store.destination_counts(engine_for(url), _scope(key), by_home_area=True)
    rates = metrics.neet_rates(counts, by=("home_lsoa",))
    safe = disclosure.apply(rates, counts=["denominator"], percents={"neet_nk_pct": "denominator"})
    return pd.DataFrame(
        {
            "code": rates["home_lsoa"],
            "neet_nk_pct": pd.to_numeric(safe["neet_nk_pct"], errors="coerce"),
            "neet_nk_shown": safe["neet_nk_pct"].astype(str),
            "leavers": safe["denominator"].astype(str),
        }
    )


@pn.cache(max_items=64)
def report_table(url: str, key: ScopeKey, kind: str, exported: bool = True,
                 **options) -> pd.DataFrame:
    """A ``hubcore.metrics.report`` table for the hub (disclosure applied when ``exported``)."""
    engine, scope = engine_for(url), _scope(key)
    opts = report.Options(**options)
    if exported:
        return report.export_table(engine, kind, scope, opts)
    return report.build(engine, kind, scope, opts)


@pn.cache(max_items=32)
def flows(url: str, key: ScopeKey) -> pd.DataFrame:
    """Leavers' first-autumn destinations and hand-overs per school (unsuppressed counts)."""
    return store.destination_flows(engine_for(url), _scope(key))


def warm(url: str, key: ScopeKey, benchmarks: tuple[int, ...] = (5,)) -> None:
    """Fill this process's cache with what the pages' first sessions read for ``key`` (called
    when the server starts, so a hub lead's first page does not pay the cold reads). Each call
    is made exactly as the pages make it, so the cache keys match."""
    from dashboards.employers import EmployerSupply
    from dashboards.transitions import Transitions
    from hubcore.errors import HubcoreError

    key = _versioned(url, key)  # the server builds signed-in users' keys without a version
    jobs, flow = EmployerSupply.param, Transitions.param
    calls = [
        lambda: boundaries(url, key, "lad"),
        lambda: None if national_zoom(url, key) else boundaries(url, key, "lsoa"),
        lambda: [school_benchmarks_at(url, key, p) for p in list(periods(url, key).values())[:1]],
        lambda: coverage(url, key),
        lambda: area_neet(url, key),
        lambda: flows(url, key),
        lambda: report_table(url, key, "transitions", overdue_days=flow.overdue_days.default),
        lambda: report_table(url, key, "employers", exported=False),
        lambda: report_table(url, key, "what-it-takes", exported=False,
                             benchmark=jobs.benchmark.default,
                             target_pct=jobs.target_pct.default,
                             radius_km=jobs.radius_km.default),
        *(lambda b=b: None if national_zoom(url, key) else area_measure(url, key, b)
          for b in benchmarks),
    ]
    for call in calls:
        try:
            call()
        except HubcoreError:  # nothing of that kind in this scope yet: the page says so
            pass
