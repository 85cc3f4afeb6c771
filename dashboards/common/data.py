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
from hubcore import data_version, display, store
from hubcore.access import Role, Scope

#: Scopes spanning more LAs than this are drawn at national zoom (the small areas as a raster
#: until zoomed in, ``area_map.AreaMap``): a browser cannot usefully show tens of thousands of
#: polygons at once.
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
    """The hub's schools (``hubcore.display.schools``)."""
    return display.schools(engine_for(url), _scope(key))


@pn.cache(max_items=32)
def la_names(url: str, key: ScopeKey) -> dict[str, str]:
    """Names of the LAs of the hub's schools: GSS code → name (``display.la_names``)."""
    return display.la_names(engine_for(url), schools(url, key)["la_gss"].dropna().unique())


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
    return display.benchmarks_at(assessments(url, key), period)


@pn.cache(max_items=32)
def coverage(url: str, key: ScopeKey) -> pd.DataFrame:
    """Encounter coverage per school for the latest academic year in the log, the input of
    :func:`overview_schools` (``hubcore.display.overview_coverage``; never shown as it is)."""
    return display.overview_coverage(engine_for(url), _scope(key))


@pn.cache(max_items=64)
def overview_schools(url: str, key: ScopeKey, period: str | None) -> pd.DataFrame:
    """The overview's schools table at ``period`` (``hubcore.display.overview_schools``),
    from the cached reads above."""
    from hubcore.errors import HubcoreError

    try:
        cover = coverage(url, key)
    except HubcoreError:  # a hub with no encounters yet has no coverage to show
        cover = None
    return display.overview_schools(
        engine_for(url), _scope(key), period, school_list=schools(url, key),
        benchmarks=school_benchmarks_at(url, key, period) if period else None, coverage=cover)



# The overview's selections: each new session selected the same rows again and made a new
# table frame of them, which the table then prepared again (tables.prepared_for reuses a
# prepared frame only for the very same frame object): about a tenth of an overview
# session's server CPU.
@pn.cache(max_items=64)
def overview_school_rows(url: str, key: ScopeKey, period: str | None, types: tuple[str, ...],
                         la: str | None) -> pd.DataFrame:
    """The schools of ``types`` (codes) in ``la`` (GSS code, None for all) at ``period``
    (``hubcore.display.overview.select_schools`` of :func:`overview_schools`)."""
    return display.overview.select_schools(overview_schools(url, key, period), list(types), la)


@pn.cache(max_items=64)
def overview_school_columns(url: str, key: ScopeKey, period: str | None,
                            types: tuple[str, ...], la: str | None) -> pd.DataFrame:
    """:func:`overview_school_rows` in the table's columns (``overview_columns``)."""
    return display.overview.overview_columns(overview_school_rows(url, key, period, types, la))

@pn.cache(max_items=64)
def area_measure(url: str, key: ScopeKey, benchmark: int) -> pd.DataFrame:
    """Per small area: schools nearby, how many are below threshold on the benchmark's measure,
    and whether it is a cold spot (``hubcore.display.area_coverage``)."""
    # Every coverage benchmark is measured from the one cached encounter coverage per scope
    # (England: 4–6 s a benchmark when each read it again); others need not read it at all.
    shared = coverage(url, key) if benchmark in display.COVERAGE_BENCHMARKS else None
    return display.area_coverage(engine_for(url), _scope(key), benchmark,
                                 areas=boundaries(url, key, "lsoa"), coverage=shared)


@pn.cache(max_items=32)
def area_neet(url: str, key: ScopeKey) -> pd.DataFrame:
    """NEET + not known by home small area, disclosed values only
    (``hubcore.display.area_neet``)."""
    return display.area_neet(engine_for(url), _scope(key))


#: The overview map's layers, and those of them that follow the chosen benchmark.
MAP_LAYERS = ("deprivation", "neet", "gap", "cold")
BENCHMARK_LAYERS = ("gap", "cold")


def area_layer(url: str, key: ScopeKey, layer: str, benchmark: int) -> pd.DataFrame:
    """The overview map's area layer (``hubcore.display.area_layer``, a GeoDataFrame) from the
    cached frames: the same (read-only) frame for every benchmark of a layer that does not
    follow one, so a benchmark change leaves such a layer, and its raster, as they are."""
    return _area_layer(url, key, layer, benchmark if layer in BENCHMARK_LAYERS else 5)


@pn.cache(max_items=64)
def _area_layer(url: str, key: ScopeKey, layer: str, benchmark: int) -> pd.DataFrame:
    engine, scope = engine_for(url), _scope(key)
    areas = boundaries(url, key, "lsoa")  # each layer carries its areas' (cached) geometry
    if layer == "deprivation":
        return display.area_layer(engine, scope, layer, areas=areas)
    if layer == "neet":
        return display.area_layer(engine, scope, layer, areas=areas, neet=area_neet(url, key))
    return display.area_layer(engine, scope, layer, benchmark, areas=areas,
                              coverage=area_measure(url, key, benchmark))


@pn.cache(max_items=32)
def transitions_report(url: str, key: ScopeKey) -> pd.DataFrame:
    """The protected transitions report the transitions and profile pages take their figures
    from (``hubcore.display.transitions_report``)."""
    return display.transitions_report(engine_for(url), _scope(key))


def cohorts(url: str, key: ScopeKey) -> list[int]:
    """Summers of leaving in the transitions report (``hubcore.display.cohorts``)."""
    return display.cohorts(engine_for(url), _scope(key), table=transitions_report(url, key))


@pn.cache(max_items=32)
def transitions(url: str, key: ScopeKey, cohort: int) -> dict[str, pd.DataFrame]:
    """The transitions page's frames for one cohort: ``funnel``, ``lag``, ``neet`` and
    ``histogram_11`` / ``histogram_13`` (``hubcore.display``)."""
    engine, scope, table = engine_for(url), _scope(key), transitions_report(url, key)
    lag = display.transitions_lag(engine, scope, cohort, table=table)
    return {
        "funnel": display.transitions_funnel(engine, scope, cohort, table=table),
        "lag": lag,
        "neet": display.transitions_neet(engine, scope, cohort, table=table),
        **{f"histogram_{yg}": display.lag_histogram(engine, scope, cohort, yg, lag=lag)
           for yg in (11, 13)},
    }


#: (database URL, scope key) → that scope's pupil-level hand-overs, ``None`` where the role
#: may not see them: read once per scope and data version, not once per transitions session.
#: Not ``pn.cache``: each user's read must still write its own audit event (who saw the rows),
#: so the signed-in user's scope is passed in, but is not part of the key.
_HANDOVERS: dict[tuple[str, ScopeKey], pd.DataFrame | None] = {}
_HANDOVERS_MAX = 32


def pupil_handovers(url: str, key: ScopeKey, scope: Scope) -> pd.DataFrame | None:
    """The pupil-level hand-overs ``scope`` may see (``hubcore.display.pupil_handovers``:
    guarded and audited), or ``None`` where its role may not see pupil rows. ``scope`` is the
    signed-in user's scope whose cache key is ``key`` (role, hub, school, NCS area, data
    version): the rows are shared only between sessions of that one scope — a role without
    pupil rows never shares a key with one that has them — and every call that returns rows
    writes an audit event for ``scope.user`` (the first by the read itself), as an uncached
    read would. Read-only."""
    if (scope.role.value, scope.hub_id, scope.urn, scope.ncs_area) != tuple(key[:4]):
        raise ValueError("the scope does not match its cache key")  # a caller's mistake
    from hubcore.errors import AccessDenied

    engine = engine_for(url)
    if (url, key) in _HANDOVERS:
        rows = _HANDOVERS[(url, key)]
        if rows is not None:
            store.record_audit(engine, scope, "view", "handovers", len(rows))
        return rows
    try:
        rows = display.pupil_handovers(engine, scope)  # writes the audit event
    except AccessDenied:
        rows = None
    while len(_HANDOVERS) >= _HANDOVERS_MAX:  # the oldest scope makes room
        _HANDOVERS.pop(next(iter(_HANDOVERS)))
    _HANDOVERS[(url, key)] = rows
    return rows


@pn.cache(max_items=32)
def suggested_matches(url: str, key: ScopeKey) -> pd.DataFrame:
    """Spare offers with the nearest schools that have a gap
    (``hubcore.display.suggested_matches``)."""
    return display.suggested_matches(engine_for(url), _scope(key))


@pn.cache(max_items=64)
def what_it_takes(url: str, key: ScopeKey, benchmark: int, target_pct: float,
                  radius_km: float) -> pd.DataFrame:
    """The "what would it take" table (``hubcore.display.what_it_takes``)."""
    return display.what_it_takes(engine_for(url), _scope(key), benchmark, target_pct,
                                 radius_km)


@pn.cache(max_items=32)
def flows(url: str, key: ScopeKey) -> pd.DataFrame:
    """Leavers' first-autumn destinations and hand-overs per school, suppressed
    (``hubcore.display.transitions_flows``)."""
    return display.transitions_flows(engine_for(url), _scope(key))


@pn.cache(max_items=32)
def flow_map(url: str, key: ScopeKey) -> dict[str, dict]:
    """The transitions page's flow map as the columns of its Bokeh sources, worked out once
    per scope and data version instead of once per session: ``segments_11`` and
    ``segments_13`` (``x0 y0 x1 y1 leavers to width``, from
    ``hubcore.display.flow_segments``), ``schools`` (located schools: ``easting northing
    name type``), ``nodes`` (``hubcore.display.flow_nodes``: ``easting northing label``) and
    ``outlines`` (LA outlines, ``xs ys`` in whole metres). Shared by the sessions of one scope
    only (``key``): read-only."""
    from dashboards.common import charts

    flows_, schools_ = flows(url, key), schools(url, key)
    outlines = boundaries(url, key, "lad")
    xs, ys = charts.plain_paths(outlines) if outlines is not None and len(outlines) \
        else ([], [])
    segments = display.flow_segments(flows_, schools_)
    out = {f"segments_{yg}": charts.columns_of(segments[segments["year_group"] == yg],
                                               ["x0", "y0", "x1", "y1", "leavers", "to",
                                                "width"])
           for yg in (11, 13)}
    located = schools_.dropna(subset=["easting", "northing"])
    out["schools"] = charts.columns_of(located, ["easting", "northing", "name", "type"])
    out["nodes"] = charts.columns_of(display.flow_nodes(schools_),
                                     ["easting", "northing", "label"])
    out["outlines"] = {"xs": xs, "ys": ys}
    out["empty"] = bool(flows_.empty)
    return out


def warm_national(url: str, key: ScopeKey, benchmarks: tuple[int, ...] = (5,)) -> bool:
    """At national zoom, read the overview map's every layer for ``key`` as the page reads it
    (deprivation, NEET, and the coverage gap and cold spots at ``benchmarks``) and work out
    each one's raster in the scope's pixel table (``area_map.prepare_layer``), so neither the
    first session nor its first layer change pays for them (England's NEET layer reads for
    half a minute). Everything is cached under ``key``: nothing is shared with another scope.
    Whether the scope is at national zoom (else nothing is done)."""
    from dashboards.common import area_map
    from hubcore.errors import HubcoreError

    key = _versioned(url, key)
    if not national_zoom(url, key):
        return False
    areas = boundaries(url, key, "lsoa")
    for layer in MAP_LAYERS:
        # area_layer gives a benchmark-free layer one frame for every benchmark, and the
        # pixel table keeps one raster per frame: repeats cost a cache hit.
        for benchmark in benchmarks:
            try:
                area_map.prepare_layer(areas, area_layer(url, key, layer, benchmark))
            except HubcoreError:  # nothing of that kind in this scope yet: the page says so
                pass
    return True


def warm(url: str, key: ScopeKey, benchmarks: tuple[int, ...] = (5,)) -> None:
    """Fill this process's cache with what the pages' first sessions read for ``key`` (called
    when the server starts, so a hub lead's first page does not pay the cold reads). Each call
    is made exactly as the pages make it, so the cache keys match."""
    import datetime as dt

    from dashboards.common import area_map, trajectory_view
    from dashboards.employers import EmployerSupply
    from hubcore import defaults
    from hubcore.errors import HubcoreError

    key = _versioned(url, key)  # the server builds signed-in users' keys without a version
    jobs = EmployerSupply.param
    calls = [
        lambda: boundaries(url, key, "lad"),
        lambda: boundaries(url, key, "lsoa"),
        # National zoom draws the small areas as a raster: its pixel table (and Datashader's
        # compiled code) is built here, not in the first session.
        lambda: area_map.prepare(boundaries(url, key, "lsoa")) if national_zoom(url, key)
        else None,
        lambda: [overview_schools(url, key, p) for p in list(periods(url, key).values())[:1]],
        lambda: area_neet(url, key),
        lambda: flows(url, key),
        lambda: flow_map(url, key),
        lambda: [transitions(url, key, c) for c in cohorts(url, key)[-1:]],
        lambda: suggested_matches(url, key),
        # The overview's projected-to-miss view (every benchmark's trajectories, shared).
        lambda: trajectory_view.trajectory(url, key, defaults.BENCHMARK, dt.date.today()),
        lambda: what_it_takes(url, key, jobs.benchmark.default, jobs.target_pct.default,
                              jobs.radius_km.default),
        *(lambda b=b: area_measure(url, key, b) for b in benchmarks),
    ]
    for call in calls:
        try:
            call()
        except HubcoreError:  # nothing of that kind in this scope yet: the page says so
            pass
