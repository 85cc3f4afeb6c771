"""Figures for a regional briefing: several hubs side by side, and the region's map layers.

Every figure is taken from :func:`hubcore.display.briefing.briefing_frames`, called once per hub
with that hub's own scope: the same reads, metrics and disclosure rules as a one-hub briefing,
applied per hub. A cell hidden ("c") in a hub's own briefing is hidden here too; nothing is
summed across hubs (a sum of disclosed cells could give back a hidden one). Reads and
per-school figures that do not depend on the hub (boundaries, each school's latest assessment,
NEET status, coverage) are made once for the region and cut per hub
(:class:`~hubcore.display.briefing.SharedReads`): the same figures, without reading and
computing them nine times.

The map's cold spots are the region's (:func:`hubcore.metrics.region.region_cold_spots`): the
hub's definition and radius over every school of the region, so a small area at a hub's edge
with a school of the next hub meeting the measure nearby is not one; touching cold spots are
clustered, and clusters in two or more LAs are the cold spots crossing LA lines. Each hub's
own count (``cold_spots`` in the side-by-side table) stays its own briefing's.

Region membership is what the database says: local authorities (``area`` rows of kind
``lad``/``utla``) whose ``parent_code`` is the region's code (as the ONS LAD→region lookup
imports it); a hub belongs to the region if any of its member schools lies in one of those LAs.
Only the nine English region names (public ONS codes E12000001-E12000009) are shipped here.

Ranking is only done where it is fair (:data:`RANKINGS`): the same measure, on the same base
kind (same framework and year, same coverage year, same cohort and year group, same receiving
organisation), among hubs whose value is shown; a hidden or missing value is not ranked, and a
rank needs at least two hubs on that base. Ties share the better rank (1, 1, 3).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import areas, defaults, disclosure, geo, store
from hubcore.access import Role, Scope
from hubcore.display.base import _meta
from hubcore.display.briefing import (
    BriefingFrames,
    SharedReads,
    briefing_frames,
    shared_reads,
)
from hubcore.errors import HubcoreError
from hubcore.metrics import report
from hubcore.metrics.region import CLUSTER_COLUMNS, cold_spot_clusters, region_cold_spots

#: English regions (ONS RGN codes, public): code → name.
REGIONS: dict[str, str] = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}

#: Fair rankings: rank column → (value column, base columns that must agree, higher is better,
#: caveat printed with the table).
RANKINGS: dict[str, tuple[str, tuple[str, ...], bool, str]] = {
    "rank_vs_national": (
        "vs_national", ("framework", "benchmark_year"), True,
        "Benchmarks vs national: ranked only among hubs compared at the same framework and "
        "academic year (Compass self-assessment, not audited).",
    ),
    "rank_pct_meeting": (
        "pct_meeting", ("coverage_year",), True,
        "Coverage: ranked only among hubs measured in the same academic year; the share of "
        "schools (not pupils) meeting the measure, from each hub's own encounter log.",
    ),
    "rank_y11_neet": (
        "y11_neet_pct", ("neet_cohort", "neet_measured"), False,
        "Year 11 NEET: ranked (lowest first) only among hubs of the same cohort measured the "
        "same way (Dec-Feb average or the same snapshot) whose rate is shown; a hidden rate "
        "('c') is not ranked.",
    ),
    "rank_y11_median_days": (
        "y11_median_days", ("cohort", "y11_handed_to"), False,
        "Hand-over timeliness: median days from leaving to referral, Year 11, ranked (fewest "
        "first) only within the same cohort and receiving organisation.",
    ),
}

SIDE_BY_SIDE_COLUMNS = (
    "hub_id", "hub_name", "schools", "framework", "benchmark_year", "achieved",
    "national_mean_achieved", "vs_national", "rank_vs_national", "coverage_year",
    "meeting", "pct_meeting", "rank_pct_meeting", "cold_spots", "small_areas",
    "employers_with_spare", "spare_places", "cohort", "y11_handed_to", "y11_median_days",
    "y11_overdue", "rank_y11_median_days", "neet_cohort", "neet_measured", "y11_neet_pct",
    "y11_england_neet_pct", "y11_vs_england_neet", "rank_y11_neet", "y13_neet_pct",
    "y13_england_neet_pct", "y13_vs_england_neet",
)


def region_name(code: str) -> str:
    """The region's name, or the code itself if it is not one of :data:`REGIONS`."""
    return REGIONS.get(code, code)


def region_las(engine: Engine, code: str) -> list[str]:
    """GSS codes of the LAs the database places in region ``code`` (E12…): from imported
    LA-to-region lookups and LA rows whose ``parent_code`` is the region
    (:func:`hubcore.areas.las_in`). A clear error, in words, for a code that is not an English
    region or that no LA in the database belongs to."""
    code = code.strip().upper()
    if not re.fullmatch(r"E12\d{6}", code):
        raise HubcoreError(
            f"{code!r} is not an English region code (E12 followed by six digits, e.g. "
            "E12000004 for the East Midlands)"
        )
    # Imported LA-to-region lookups and the LA rows' own parent_code (hubcore.areas).
    return areas.las_in(engine, code)


def region_hub_ids(engine: Engine, code: str) -> list[str]:
    """Hubs with at least one member school in an LA of region ``code``, by id."""
    region_las(engine, code)  # only an English region code here
    return area_hub_ids(engine, code)


def area_hub_ids(engine: Engine, code: str) -> list[str]:
    """Hubs with at least one member school in an LA of English region (E12…), combined
    authority (E47…) or LSIP area (E69…) ``code``, by id. Lookups list LA districts, so a
    school matches on its upper-tier LA (``la_gss``) or its district (``lad_gss``)."""
    las = set(areas.las_in(engine, code))
    out = []
    for hub_id in store.hubs(engine)["id"]:
        members = store.schools(engine, Scope.admin(hub_id=hub_id, user="region"))
        if set(members["la_gss"].dropna()) & las or set(members["lad_gss"].dropna()) & las:
            out.append(str(hub_id))
    if not out:
        code = code.strip().upper()
        raise HubcoreError(f"no hub has schools in {areas.KINDS[code[:3]][1]} {code} "
                           f"({areas.area_name(engine, code)})")
    return out


def _number(value: object) -> float:
    """A shown figure as a float; NaN where hidden ("c") or missing."""
    return float(pd.to_numeric(pd.Series([value]), errors="coerce").iat[0])


def _hub_row(hub_id: str, name: str, f: BriefingFrames) -> dict[str, object]:
    """One hub's figures, each as its own briefing shows it (hidden cells stay "c")."""
    row: dict[str, object] = {"hub_id": hub_id, "hub_name": name, "schools": len(f.schools)}
    national = f.benchmarks[f.benchmarks["national"] & f.benchmarks["national_published"]]
    if len(national):
        latest = national.sort_values(["framework", "academic_year"]).iloc[-1]
        row.update(framework=latest["framework"], benchmark_year=latest["academic_year"],
                   achieved=latest["achieved"],
                   national_mean_achieved=latest["national_mean_achieved"],
                   vs_national=latest["vs_national"])
    if f.has_encounters:
        # Schools, not people: a count of schools is published as it is.
        meeting = int(f.schools["meets"].sum())
        row.update(coverage_year=f.academic_year, meeting=meeting,
                   pct_meeting=round(100 * meeting / len(f.schools), 1),
                   cold_spots=len(f.cold_spots), small_areas=f.cold_spots.attrs["display"]["areas"])
    row.update(employers_with_spare=int((f.supply["spare"] > 0).sum()),
               spare_places=int(f.supply["spare"].sum()))
    if len(f.lag):
        cohort = f.lag["cohort"].max()
        row["cohort"] = cohort
        y11 = f.lag[f.lag["cohort"].eq(cohort) & f.lag["year_group"].eq(11)]
        if len(y11):
            # The receiving organisation with the most referrals shown; ties by code.
            y11 = y11.assign(_n=y11["referred"].map(_number)).sort_values(
                ["_n", "handed_to"], ascending=[False, True])
            first = y11.iloc[0]
            row.update(y11_handed_to=first["handed_to_label"], y11_median_days=first["median_days"],
                       y11_overdue=first["overdue"])
    if len(f.neet):
        # The latest cohort measured as DfE publishes (Dec-Feb average), else the latest: a
        # snapshot of a cohort just left is not compared with another hub's Dec-Feb average
        # (the measurement is part of the ranking's base).
        averaged = f.neet[f.neet["measured"].astype("string").str.startswith("Dec-Feb")]
        cohort = (averaged if len(averaged) else f.neet)["cohort"].max()
        row["neet_cohort"] = cohort
        for year in (11, 13):
            rows = f.neet[f.neet["cohort"].eq(cohort) & f.neet["year_group"].eq(year)]
            if len(rows):
                r = rows.iloc[0]
                row["neet_measured"] = r["measured"]
                row[f"y{year}_neet_pct"] = r["neet_pct"]
                row[f"y{year}_england_neet_pct"] = r["england_neet_pct"]
                row[f"y{year}_vs_england_neet"] = r["vs_england_neet"]
    return row


def rank_fairly(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the :data:`RANKINGS` columns: within each group of hubs sharing the base columns,
    hubs with a shown value ranked 1 (best) upwards, ties sharing the better rank; NaN for a
    hidden or missing value, or a group of fewer than two ranked hubs."""
    out = frame.copy()
    for rank_col, (value_col, base, higher, _caveat) in RANKINGS.items():
        ranks = pd.Series(np.nan, index=out.index)
        if value_col in out.columns and all(b in out.columns for b in base):
            values = out[value_col].map(_number)
            parts = out[list(base)]
            # One text key per base; a hub missing any part of its base has none.
            keys = pd.Series(
                ["|".join(map(str, r)) for r in parts.itertuples(index=False)], index=out.index
            ).where(parts.notna().all(axis=1))
            for key in keys.dropna().unique():
                shown = values[keys.eq(key).fillna(False)].dropna()
                if len(shown) >= 2:
                    ranks.loc[shown.index] = shown.rank(method="min", ascending=not higher)
        out[rank_col] = ranks.astype("Float64")
    return out


@dataclass(frozen=True)
class RegionFrames:
    """A regional briefing's figures: ``hubs`` (side by side, one row per hub) and the map
    layers in EPSG:27700 (``schools`` with ``hub_id``, ``coverage``, ``meets``, ``rank``,
    ``priority_index``; ``areas`` with ``imd_decile``, the region's ``cold_spot``,
    ``schools_nearby`` (schools, any hub's), ``nearest_km`` (km), ``la``, ``cluster`` and
    ``crosses_la``; ``la_outlines`` and ``hub_outlines``), each hub's own frames, and the
    clusters of cold spots."""

    label: str
    title: str
    as_of: dt.date
    measure_label: str
    hubs: pd.DataFrame
    schools: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    la_outlines: gpd.GeoDataFrame
    hub_outlines: gpd.GeoDataFrame
    per_hub: dict[str, BriefingFrames]
    #: Clusters of touching cold-spot small areas (:func:`hubcore.metrics.region.
    #: cold_spot_clusters`): ``cluster``, ``las``, ``small_areas`` (areas, not people),
    #: ``crosses_la`` and ``codes``.
    cold_spot_clusters: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(CLUSTER_COLUMNS)))


def region_frames(
    engine: Engine,
    hub_ids: list[str],
    as_of: dt.date | None = None,
    benchmark: int = defaults.BENCHMARK,
    label: str = "",
    title: str = "",
    workers: int = 1,
) -> RegionFrames:
    """Every figure of a regional briefing for ``hub_ids`` (each hub's own briefing figures,
    disclosure applied per hub), side by side and fairly ranked (:func:`rank_fairly`).

    ``workers`` > 1 builds the hubs' figures in that many forked processes (each hub's figures
    are independent of the others'; the result is the same, in the same order). Only for
    command-line use: a served page keeps the default, 1 (never fork a web server)."""
    if not hub_ids:
        raise HubcoreError("no hubs to brief on")
    as_of = as_of or dt.date.today()
    per_hub: dict[str, BriefingFrames] = {}
    rows, schools, areas, outlines = [], [], [], []
    hubs = {hub_id: store.hub(engine, hub_id) for hub_id in dict.fromkeys(hub_ids)}
    # Boundaries, each school's latest assessment, NEET status and coverage are per school or
    # per small area: read and computed once for the region, cut per hub.
    # One hub (a hub lead's regional view): its own reads, not the whole database's.
    shared = shared_reads(engine, as_of, Scope.admin(hub_id=next(iter(hubs)), user="region")
                          if len(hubs) == 1 else None)
    built = _per_hub_frames(engine, list(hubs), as_of, benchmark, shared, workers)
    for hub_id, hub in hubs.items():
        frames = built[hub_id]
        per_hub[hub_id] = frames
        rows.append(_hub_row(hub_id, str(hub["name"]), frames))
        schools.append(frames.schools.assign(hub_id=hub_id))
        areas.append(frames.areas)
        if len(frames.outline):
            outlines.append(gpd.GeoDataFrame(
                {"hub_id": [hub_id]}, geometry=[frames.outline.geometry.union_all()],
                crs=frames.outline.crs))
    side = rank_fairly(pd.DataFrame(rows))
    side = side[[c for c in SIDE_BY_SIDE_COLUMNS if c in side.columns]]
    caveats = " ".join(c for _, _, _, c in RANKINGS.values())
    side = _meta(
        side.reset_index(drop=True),
        title="Hubs side by side",
        units={"schools": "schools", "achieved": "benchmarks (0-8)",
               "vs_national": "benchmarks", "pct_meeting": "% of schools",
               "spare_places": "places", "y11_median_days": "days",
               "y11_overdue": "young people", "y11_neet_pct": "%", "y13_neet_pct": "%"},
        note="Each hub's figures are its own briefing's, with disclosure control applied per "
        "hub; nothing is added up across hubs. " + caveats,
    )
    all_schools = gpd.GeoDataFrame(pd.concat(schools, ignore_index=True), crs=geo.BNG)
    all_areas = gpd.GeoDataFrame(pd.concat(areas, ignore_index=True), crs=geo.BNG)
    all_areas = all_areas.drop_duplicates("code").sort_values("code", ignore_index=True)
    all_areas, clusters = _region_cold_spots(all_areas, all_schools, per_hub, shared)
    la_out = _la_outlines(engine, set(all_schools["urn"]), shared)
    hub_out = (gpd.GeoDataFrame(pd.concat(outlines, ignore_index=True), crs=geo.BNG)
               if outlines else gpd.GeoDataFrame({"hub_id": []}, geometry=[], crs=geo.BNG))
    measure_label = next(iter(per_hub.values())).measure_label
    return RegionFrames(label, title, as_of, measure_label, side, all_schools, all_areas,
                        la_out, hub_out, per_hub, clusters)


#: What forked workers of :func:`_per_hub_frames` read (set in the parent just before the fork,
#: so it is inherited rather than pickled): (engine, database URL, as_of, benchmark, shared).
_JOB: tuple | None = None


def _per_hub_frames(engine: Engine, hub_ids: list[str], as_of: dt.date, benchmark: int,
                    shared: SharedReads, workers: int) -> dict[str, BriefingFrames]:
    """Each hub's :func:`briefing_frames`, in order, in up to ``workers`` forked processes."""
    global _JOB
    workers = min(workers, len(hub_ids), os.cpu_count() or 1)
    in_memory = engine.url.get_backend_name() == "sqlite" and engine.url.database in (
        None, "", ":memory:")  # a child's own connection would open an empty database
    if workers < 2 or in_memory or "fork" not in multiprocessing.get_all_start_methods():
        return {h: briefing_frames(engine, Scope.admin(hub_id=h, user="region"), as_of,
                                   benchmark, shared) for h in hub_ids}
    _JOB = (engine, engine.url.render_as_string(hide_password=False), as_of, benchmark, shared)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_forget_pool) as pool:
            return dict(zip(hub_ids, pool.map(_one_hub, hub_ids), strict=True))
    finally:
        _JOB = None


def _forget_pool() -> None:
    # A forked child must never use the parent's pooled connections (SQLAlchemy's advice for
    # multiprocessing): drop them without closing them, and open its own engine.
    assert _JOB is not None
    _JOB[0].dispose(close=False)


def _one_hub(hub_id: str) -> BriefingFrames:
    from hubcore import db

    assert _JOB is not None
    _, url, as_of, benchmark, shared = _JOB
    return briefing_frames(db.get_engine(url), Scope.admin(hub_id=hub_id, user="region"), as_of,
                           benchmark, shared)


def _region_cold_spots(
    areas: gpd.GeoDataFrame, schools: gpd.GeoDataFrame, per_hub: dict[str, BriefingFrames],
    shared: SharedReads,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The region's small areas with the region's cold spots (``cold_spot``,
    ``schools_nearby`` and ``nearest_km`` over every school of the hubs that have encounters,
    each school measured in its hub's coverage year, as the hub's briefing measures it;
    ``la``, ``cluster``, ``crosses_la``), and the clusters of touching cold spots."""
    values = []
    for f in per_hub.values():
        if f.has_encounters:
            measured = shared.per_school_coverage(f.academic_year)
            values.append(measured.loc[measured["urn"].isin(set(f.schools["urn"])),
                                       ["urn", f.measure]])
    keep = [c for c in areas.columns if c not in ("cold_spot", "schools_nearby", "nearest_km")]
    out = areas[keep]
    if not values or not len(areas):
        # No encounters anywhere: nothing is measured, so nothing is a cold spot.
        out = out.assign(cold_spot=False, schools_nearby=np.nan, nearest_km=np.nan,
                         la=pd.NA, cluster=pd.array([pd.NA] * len(out), dtype="Int64"),
                         crosses_la=False)
        return out, pd.DataFrame(columns=list(CLUSTER_COLUMNS))
    first = next(iter(per_hub.values()))
    values_all = pd.concat(values, ignore_index=True).drop_duplicates("urn")
    measured_schools = schools[schools["urn"].isin(set(values_all["urn"]))].drop_duplicates("urn")
    points = pd.DataFrame({"urn": measured_schools["urn"].to_numpy(),
                           "easting": measured_schools.geometry.x.to_numpy(),
                           "northing": measured_schools.geometry.y.to_numpy()})
    parents = shared.lsoa.drop_duplicates("code").set_index("code")["parent_code"]
    located = gpd.GeoDataFrame(out[["code", "geometry"]].assign(
        parent_code=out["code"].map(parents)), crs=out.crs)
    spots = region_cold_spots(located, points, values_all, first.measure, first.threshold,
                              defaults.RADIUS_KM)
    # The same rounding as a hub's cold-spot layer (distances to 0.01 km).
    spots = disclosure.apply_spec(spots, report.SPECS["coldspots"])
    cols = ["cold_spot", "schools_nearby", "nearest_km", "la", "cluster", "crosses_la"]
    out = out.merge(spots[["code", *cols]], on="code", how="left")
    out["cold_spot"] = out["cold_spot"].fillna(False).astype(bool)
    out["crosses_la"] = out["crosses_la"].fillna(False).astype(bool)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=areas.crs), cold_spot_clusters(spots)


def _la_outlines(engine: Engine, urns: set, shared: SharedReads) -> gpd.GeoDataFrame:
    """LA polygons (upper tier, else district) holding the schools ``urns``."""
    members = shared.schools[shared.schools["urn"].isin(urns)]
    codes = set(members["la_gss"].dropna()) | set(members["lad_gss"].dropna())
    for kind in ("utla", "lad"):
        las = (shared.utla if kind == "utla"
               else store.areas(engine, Scope.admin(user="region"), kind=kind))
        las = las[las["code"].isin(codes)]
        if len(las):
            return las[["code", "name", "geometry"]].reset_index(drop=True)
    return gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=geo.BNG)


def region_side_by_side(engine: Engine, scope: Scope, as_of: dt.date | None = None,
                        benchmark: int = defaults.BENCHMARK) -> pd.DataFrame:
    """Hubs side by side (one row per hub the scope may see: its own hub, or every hub for an
    administrator), columns :data:`SIDE_BY_SIDE_COLUMNS`: ``schools``; the latest Compass
    comparison with national (``framework``, ``benchmark_year``, ``achieved`` and
    ``national_mean_achieved`` in benchmarks 0-8, ``vs_national``); coverage
    (``coverage_year``, ``meeting`` schools, ``pct_meeting`` % of schools, ``cold_spots`` of
    ``small_areas``); ``employers_with_spare`` and ``spare_places`` (places); the latest
    ``cohort``'s Year 11 hand-overs to ``y11_handed_to`` (``y11_median_days`` days,
    ``y11_overdue`` young people, "c" where hidden); NEET of ``neet_cohort`` (its latest
    Dec-Feb average, named in ``neet_measured``) per year group against England (%,
    percentage points); and the ``rank_*`` columns of :data:`RANKINGS`."""
    if scope.hub_id is not None:
        hubs = [scope.hub_id]
    elif scope.role is Role.ADMIN:
        hubs = [str(h) for h in store.hubs(engine)["id"]]
    else:
        raise HubcoreError("a regional view is for administrators or a hub's own scope")
    return region_frames(engine, hubs, as_of, benchmark).hubs
