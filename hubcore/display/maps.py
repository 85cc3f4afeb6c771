"""Map layers as plain data: small areas (deprivation, NEET + not known, coverage gap, cold
spots) as polygons and schools as points, each a :class:`geopandas.GeoDataFrame` in British
National Grid (EPSG:27700, metres) with its drawing metadata in ``attrs["display"]``.

Every layer has the same documented shape, so a page, a briefing map or an analyst's notebook
draws it the same way:

- ``value``: float to colour by; NaN where there is no value or it is suppressed;
- ``shown``: the value as text, as a hover shows it (``"c"`` where suppressed, ``"low"`` where
  a rate's base is too small, ``"–"`` where there is none); never the number behind a ``c``;
- ``name`` (the area's or school's name) and the hover's other columns, as text;
- ``geometry``: polygons (areas) or points (schools), EPSG:27700; empty where the area has no
  boundary in the database.

``attrs["display"]`` holds ``title``, ``units`` (column → unit), ``palette`` (a name in
:mod:`hubcore.palettes`) and ``colours`` (its hex colours), ``kind`` (``"continuous"`` or
``"categorical"``), ``low``/``high`` (the value range the colours span), ``categories`` (for a
categorical layer: a list of ``{"value", "label", "colour"}``), ``tooltips`` (column → label)
and ``note`` (how the figures were protected).

For a HoloViews object: :func:`hubcore.plots.area_polygons` (``hv.Polygons`` in BNG, hover from
``shown``), or ``hubcore.plots.area_map(engine, scope, layer)`` in one line.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import geo, metrics, palettes, store
from hubcore.access import Scope
from hubcore.display.base import (
    RULES,
    _meta,
    numeric,
    protect,
    text,
)
from hubcore.errors import HubcoreError
from hubcore.metrics import report

# --- map layers -------------------------------------------------------------------------------


def area_neet(engine: Engine, scope: Scope, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """NEET + not known one year after leaving by the leavers' home small area, all cohorts
    and year groups (:func:`hubcore.metrics.neet_rates` over
    :func:`hubcore.store.neet_status_by_area`): per young person, as the NEET report counts
    them (each leaver once per measurement point by the record current then, DfE's Dec–Feb
    average or a named snapshot; no record counts as not known; custody left out of the base).
    ``code`` (LSOA), ``leavers`` (the rate's base: leavers outside custody, averaged over the
    points, so possibly fractional), ``neet_nk_pct`` (percent) and ``value`` (the same as a
    float, NaN where suppressed).

    Protection: leavers under 6 are ``c``; the rate is ``c`` where the leavers NEET or not known,
    or the other leavers, number 1–5 (either would follow from rate × leavers), and both are
    hidden together since they add up to the leavers shown.
    """
    if counts is None:
        counts = store.neet_status_by_area(engine, scope)
    rates = metrics.neet_rates(counts, by=("home_lsoa",))
    frame = pd.DataFrame({
        "code": rates["home_lsoa"].astype(str),
        "leavers": rates["denominator"],
        "neet_nk_pct": rates["neet_nk_pct"],
        "_neet": rates["neet"],
        "_nk": rates["not_known"],
        "_rest": rates["denominator"] - rates["neet"] - rates["not_known"],
    })
    out = protect(frame, RULES["area_neet"])
    out["value"] = numeric(out["neet_nk_pct"])
    return _meta(out, title="NEET + not known, % (c = fewer than 6)", units={
        "neet_nk_pct": "percent", "leavers": "leavers"}, palette="RATE", low=0, high=15,
        tooltips={"leavers": "leavers"},
        note="c: fewer than 6 leavers, or fewer than 6 NEET / not known or otherwise.")


#: Benchmarks whose area layers are measured from encounter coverage
#: (:func:`hubcore.display.overview.overview_coverage`) rather than Compass assessments.
COVERAGE_BENCHMARKS = frozenset(report.COVERAGE_MEASURES)


def area_coverage(engine: Engine, scope: Scope, benchmark: int = 5,
                  areas: pd.DataFrame | None = None,
                  coverage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per small area, the schools within 5 km and how many are below threshold on the
    benchmark's measure (:func:`hubcore.metrics.area_coverage`; schools, not people, so not
    suppressed): ``code``, ``schools_nearby``, ``schools_below``, ``pct_below`` (percent of
    nearby schools), ``nearest_km``, ``mean_measure``, ``cold_spot``, ``measure``,
    ``threshold``. ``coverage`` (:func:`hubcore.display.overview.overview_coverage` of the
    same scope), when given, serves :data:`COVERAGE_BENCHMARKS` without reading the
    encounters again; other benchmarks ignore it."""
    source = "coverage" if benchmark in COVERAGE_BENCHMARKS else "assessment"
    opts = report.Options(benchmark=benchmark, source=source)
    values, measure, threshold = report.school_measure_for_scope(
        engine, scope, opts, coverage if source == "coverage" else None)
    if areas is None:
        areas = store.areas(engine, scope, kind="lsoa")
    result = metrics.area_coverage(areas, store.schools(engine, scope), values, measure,
                                   threshold, opts.radius_km)
    out = protect(pd.DataFrame(result.drop(columns="geometry", errors="ignore")),
                  RULES["area_coverage"])
    return _meta(out.assign(measure=measure, threshold=threshold),
                 title=f"BM{benchmark} coverage by small area", units={"pct_below": "percent"})


LAYERS = ("deprivation", "neet", "gap", "cold")
#: Layers whose value is a category rather than a quantity (drawn with a legend of swatches,
#: never a colour bar).
CATEGORICAL = frozenset({"cold"})
#: Columns every map layer has, besides its hover columns (see the module note).
LAYER_COLUMNS = ("name", "value", "shown", "geometry")


def _layer(values: pd.DataFrame, areas: gpd.GeoDataFrame | None, **meta) -> gpd.GeoDataFrame:
    """``values`` (indexed by area code) as a GeoDataFrame with each area's name and boundary
    (empty where ``areas`` has none) and the layer's metadata (see the module note)."""
    # An area without a boundary (or a name) keeps its row: its figure is still true.
    names = pd.Series(values.index.to_numpy(), index=values.index, dtype=object)
    geometry = gpd.GeoSeries([None] * len(values), index=values.index, crs=geo.BNG)
    if areas is not None and len(areas):
        known = areas.drop_duplicates("code").set_index("code")
        geometry = known.geometry.reindex(values.index)
        if "name" in known:
            found = known["name"].reindex(values.index).astype(object)
            names = found.where(found.notna(), names)
    out = values.copy()
    out.insert(0, "name", names.astype(str).to_numpy())
    out = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geometry.to_numpy(), index=values.index,
                                                       crs=geo.BNG), crs=geo.BNG)
    palette = meta["palette"]
    meta["colours"] = list(getattr(palettes, palette))
    meta.setdefault("kind", "continuous")
    out.attrs["display"] = meta
    return out


def area_layer(
    engine: Engine,
    scope: Scope,
    layer: str = "neet",
    benchmark: int = 5,
    *,
    areas: gpd.GeoDataFrame | None = None,
    neet: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """One small-area map layer as a GeoDataFrame in EPSG:27700, indexed by area ``code``, with
    the columns and ``attrs["display"]`` of the module note. ``layer`` is one of
    :data:`LAYERS`:

    - ``deprivation``: IMD decile (1 = most deprived), every area in scope; not about people
      the suite holds, so nothing is suppressed;
    - ``neet``: NEET + not known one year after leaving, percent, per home area
      (:func:`area_neet`; areas with leavers only), with ``leavers`` in the hover; ``c`` as
      :func:`area_neet` hides it, ``value`` NaN there;
    - ``gap``: percent of the schools within 5 km below the benchmark's threshold
      (:func:`area_coverage`), with ``schools_nearby`` and ``schools_below`` in the hover;
    - ``cold``: cold spot (every school within 5 km below threshold), ``value`` 1.0 = yes,
      0.0 = no, ``shown`` "yes"/"no"; categorical.

    Cached inputs may be passed: ``areas`` (LSOA boundaries with ``name`` and ``imd_decile``,
    as :func:`hubcore.store.areas` gives them, simplified or not), ``neet`` (:func:`area_neet`),
    ``coverage`` (:func:`area_coverage`).
    """
    if layer not in LAYERS:
        raise HubcoreError(f"unknown map layer {layer!r}; choose from {', '.join(LAYERS)}")
    if areas is None:
        areas = store.areas(engine, scope, kind="lsoa")
    if layer == "deprivation":
        value = pd.to_numeric(areas["imd_decile"]).astype("float64")
        out = pd.DataFrame({"value": value.to_numpy(), "shown": text(value).to_numpy()},
                           index=pd.Index(areas["code"].to_numpy(), name="code"))
        return _layer(out, areas, title="IMD decile (1 = most deprived)", palette="DEPRIVATION",
                      low=0.5, high=10.5, tooltips={}, units={"value": "decile"},
                      note="Published deprivation ranks: nothing suppressed.")
    if layer == "neet":
        frame = area_neet(engine, scope) if neet is None else neet
        out = pd.DataFrame({
            "value": numeric(frame["neet_nk_pct"]).to_numpy(),
            "shown": text(frame["neet_nk_pct"]).to_numpy(),
            "leavers": text(frame["leavers"]).to_numpy(),
        }, index=pd.Index(frame["code"].astype(str).to_numpy(), name="code"))
        meta = frame.attrs.get("display", {})
        return _layer(out, areas, title=meta.get("title", "NEET + not known, %"),
                      palette="RATE", low=0, high=15, tooltips={"leavers": "leavers"},
                      units={"value": "percent", "leavers": "leavers"},
                      note=meta.get("note", ""))
    frame = area_coverage(engine, scope, benchmark, areas) if coverage is None else coverage
    tips = {"schools_nearby": "schools within 5 km", "schools_below": "below threshold"}
    out = pd.DataFrame({c: text(frame[c]).to_numpy() for c in tips},
                       index=pd.Index(frame["code"].astype(str).to_numpy(), name="code"))
    note = "Counts of schools, not people: nothing suppressed."
    if layer == "gap":
        out.insert(0, "value", numeric(frame["pct_below"]).to_numpy())
        out.insert(1, "shown", text(frame["pct_below"]).to_numpy())
        return _layer(out, areas, title=f"BM{benchmark}: % of schools within 5 km below "
                      "threshold", palette="RATE", low=0, high=100, tooltips=tips,
                      units={"value": "percent"}, note=note)
    cold = frame["cold_spot"].astype(bool).to_numpy()
    out.insert(0, "value", cold.astype(float))
    out.insert(1, "shown", np.where(cold, "yes", "no"))
    colours = palettes.COLD
    return _layer(out, areas, title=f"BM{benchmark} cold spot (every school within 5 km below "
                  "threshold)", palette="COLD", low=-0.5, high=1.5, tooltips=tips,
                  units={"value": "yes/no"}, note=note, kind="categorical", categories=[
                      {"value": 0.0, "label": "not a cold spot", "colour": colours[0]},
                      {"value": 1.0, "label": "cold spot", "colour": colours[1]}])


def school_points(
    engine: Engine,
    scope: Scope,
    benchmark: int = 0,
    period: str | None = None,
    *,
    table: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The scope's schools and colleges as points (EPSG:27700, from easting/northing; schools
    without a location are left out), coloured by benchmarks fully achieved (``benchmark``
    0, 0–8) or one benchmark's percent of criteria met (1–8) at ``period``
    (:func:`hubcore.display.overview_schools`, which may be passed as ``table``).

    Columns: ``urn``, ``name``, ``type``, ``pupils`` (text), ``value`` (float, NaN where not
    assessed), ``shown`` (text, ``–`` where not assessed), ``geometry``; metadata as the
    module note. Schools' assessments are published figures, not counts of people.
    """
    from hubcore.display.overview import overview_schools

    frame = overview_schools(engine, scope, period) if table is None else table
    frame = frame[frame["easting"].notna() & frame["northing"].notna()]
    column = "achieved" if benchmark == 0 else f"bm{benchmark}"
    raw = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
    out = pd.DataFrame({
        "urn": frame["urn"].to_numpy(),
        "name": frame["name"].astype(str).to_numpy(),
        "type": frame["type"].astype(object).fillna("–").astype(str).to_numpy(),
        "pupils": text(pd.to_numeric(frame["pupils"], errors="coerce")).to_numpy(),
        "value": numeric(raw).to_numpy(),
        "shown": text(raw).to_numpy(),
        "easting": frame["easting"].to_numpy(float),
        "northing": frame["northing"].to_numpy(float),
    })
    points = geo.points_frame(out).drop(columns=["easting", "northing"])
    if benchmark == 0:
        meta = {"title": "Benchmarks fully achieved", "palette": "ACHIEVED", "low": -0.5,
                "high": 8.5, "units": {"value": "benchmarks (0–8)"}}
    else:
        meta = {"title": f"BM{benchmark} %", "palette": "ACHIEVED", "low": 0, "high": 100,
                "units": {"value": "percent"}}
    points.attrs["display"] = {
        **meta, "colours": list(palettes.ACHIEVED), "kind": "continuous",
        "tooltips": {"urn": "URN", "type": "type", "pupils": "pupils"},
        "note": "Published assessments of schools: nothing suppressed."}
    return points
