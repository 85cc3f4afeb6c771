"""The overview page's table and summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import store
from hubcore.access import Scope
from hubcore.benchmarks import BENCHMARKS
from hubcore.display.base import (
    RULES,
    _meta,
    benchmarks_at,
    numeric,
    protect,
    schools,
)
from hubcore.errors import HubcoreError
from hubcore.metrics import report


def overview_schools(
    engine: Engine,
    scope: Scope,
    period: str | None = None,
    *,
    school_list: pd.DataFrame | None = None,
    benchmarks: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The overview's schools table: each school (:func:`schools`) with its benchmarks at
    ``period`` (``bm1``–``bm8`` percent of criteria met, ``achieved`` 0–8, ``change_achieved``,
    ``framework``, ``assessed_on``, ``national_note``; default: the latest period) and its
    encounter coverage in the latest academic year (``bm5_min_per_pupil`` encounters per pupil
    in the lowest year group, ``bm6_by16_pct`` and ``bm8_by16_pct`` percent of the Year 11
    cohort, ``pal_met``).

    The cached frames a page holds may be passed instead of being read again:
    ``school_list`` (:func:`schools`), ``benchmarks`` (:func:`benchmarks_at`) and
    ``coverage`` (:func:`hubcore.metrics.school_coverage`).
    """
    frame = schools(engine, scope) if school_list is None else school_list
    if benchmarks is None:
        a = store.assessments(engine, scope)
        if period is None and len(a):
            latest = a.sort_values("assessed_on").iloc[-1]
            period = f"{latest['assessed_on']:%Y-%m-%d}|{latest['framework']}"
        benchmarks = benchmarks_at(a, period) if period else None
    if benchmarks is not None:
        frame = frame.merge(benchmarks, on="urn", how="left")
    if coverage is None:
        try:
            coverage = report.school_coverage_for_scope(engine, scope)
        except HubcoreError:  # no encounters yet: no coverage columns
            coverage = None
    if coverage is not None:
        cover = coverage[["urn", "bm5_min_per_pupil", "bm6_by16_pct", "pal_met", "bm8_by16_pct",
                          "bm6_by16_places", "bm8_y11_meetings", "y11_cohort"]]
        frame = frame.merge(cover.rename(columns={
            "bm6_by16_places": "_bm6_places", "bm8_y11_meetings": "_bm8_meetings",
            "y11_cohort": "_y11"}), on="urn", how="left")
    out = protect(frame, RULES["overview_schools"])
    for col in ("bm6_by16_pct", "bm8_by16_pct", *(f"bm{b}" for b in BENCHMARKS)):
        if col in out:
            out[f"{col}_value"] = numeric(out[col])
    return _meta(out, title="Schools and colleges", units={
        "achieved": "benchmarks (0–8)", "bm5_min_per_pupil": "encounters per pupil",
        "bm6_by16_pct": "percent", "bm8_by16_pct": "percent"},
        note="Reach percentages are c where fewer than 6 pupils took part.")


def overview_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row summing up the schools a page shows (``table`` from :func:`overview_schools`,
    already filtered): ``schools`` shown, ``assessed`` (with an assessment in the period),
    ``mean_achieved`` (mean benchmarks fully achieved over the assessed schools, 0–8, two
    decimals; NaN if none), ``framework`` and ``national_note``."""
    achieved = pd.to_numeric(table["achieved"], errors="coerce") if "achieved" in table \
        else pd.Series(dtype="float64")
    assessed = int(achieved.notna().sum())

    def first(column: str):
        values = table[column].dropna() if column in table else pd.Series(dtype=object)
        return values.iat[0] if len(values) else None

    return _meta(pd.DataFrame({
        "schools": [len(table)],
        "assessed": [assessed],
        "mean_achieved": [round(float(achieved.mean()), 2) if assessed else np.nan],
        "framework": [first("framework")],
        "national_note": [first("national_note")],
    }), title="Schools shown", units={"mean_achieved": "benchmarks (0–8)"})
