"""Map layers of small areas (deprivation, NEET, coverage gap, cold spots)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import metrics, store
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


def area_coverage(engine: Engine, scope: Scope, benchmark: int = 5,
                  areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per small area, the schools within 5 km and how many are below threshold on the
    benchmark's measure (:func:`hubcore.metrics.area_coverage`; schools, not people, so not
    suppressed): ``code``, ``schools_nearby``, ``schools_below``, ``pct_below`` (percent of
    nearby schools), ``nearest_km``, ``mean_measure``, ``cold_spot``, ``measure``,
    ``threshold``."""
    source = "coverage" if benchmark in report.COVERAGE_MEASURES else "assessment"
    opts = report.Options(benchmark=benchmark, source=source)
    values, measure, threshold = report.school_measure_for_scope(engine, scope, opts)
    if areas is None:
        areas = store.areas(engine, scope, kind="lsoa")
    result = metrics.area_coverage(areas, store.schools(engine, scope), values, measure,
                                   threshold, opts.radius_km)
    out = protect(pd.DataFrame(result.drop(columns="geometry", errors="ignore")),
                  RULES["area_coverage"])
    return _meta(out.assign(measure=measure, threshold=threshold),
                 title=f"BM{benchmark} coverage by small area", units={"pct_below": "percent"})


LAYERS = ("deprivation", "neet", "gap", "cold")


def area_layer(
    engine: Engine,
    scope: Scope,
    layer: str = "neet",
    benchmark: int = 5,
    *,
    areas: pd.DataFrame | None = None,
    neet: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The overview map's area layer: indexed by area ``code``, a ``value`` column to shade
    (float, NaN = no value or suppressed), ``shown`` (the value as the hover shows it: text,
    ``c`` where suppressed) and the hover's other columns named in
    ``attrs["display"]["tooltips"]`` (as text). ``layer`` is one of :data:`LAYERS`.
    Cached inputs may be passed: ``areas`` (LSOA boundaries with ``imd_decile``), ``neet``
    (:func:`area_neet`), ``coverage`` (:func:`area_coverage`)."""
    if layer == "deprivation":
        if areas is None:
            areas = store.areas(engine, scope, kind="lsoa")
        value = pd.to_numeric(areas["imd_decile"]).astype("float64")
        out = pd.DataFrame({"value": value.to_numpy(), "shown": text(value).to_numpy()},
                           index=pd.Index(areas["code"].to_numpy(), name="code"))
        return _meta(out, title="IMD decile (1 = most deprived)", palette="DEPRIVATION",
                     low=0.5, high=10.5, tooltips={}, units={"value": "decile"})
    if layer == "neet":
        frame = area_neet(engine, scope) if neet is None else neet
        out = frame.set_index("code")[["value"]].assign(
            shown=text(frame["neet_nk_pct"]).to_numpy(),
            leavers=text(frame["leavers"]).to_numpy())
        return _meta(out, **{**frame.attrs["display"], "tooltips": {"leavers": "leavers"}})
    if layer not in ("gap", "cold"):
        raise HubcoreError(f"unknown map layer {layer!r}; choose from {', '.join(LAYERS)}")
    frame = area_coverage(engine, scope, benchmark, areas) if coverage is None else coverage
    tips = {"schools_nearby": "schools within 5 km", "schools_below": "below threshold"}
    out = pd.DataFrame({c: text(frame[c]).to_numpy() for c in tips},
                       index=pd.Index(frame["code"].to_numpy(), name="code"))
    if layer == "gap":
        out.insert(0, "value", numeric(frame["pct_below"]).to_numpy())
        out.insert(1, "shown", text(frame["pct_below"]).to_numpy())
        return _meta(out, title=f"BM{benchmark}: % of schools within 5 km below threshold",
                     palette="RATE", low=0, high=100, tooltips=tips, units={"value": "percent"})
    out.insert(0, "value", frame["cold_spot"].astype(float).to_numpy())
    out.insert(1, "shown", np.where(frame["cold_spot"].astype(bool), "yes", "no"))
    return _meta(out, title=f"BM{benchmark} cold spot (1 = every school nearby below)",
                 palette="COLD", low=-0.5, high=1.5, tooltips=tips, units={"value": "yes/no"})
