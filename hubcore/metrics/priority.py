"""A priority index per school for the hub lead, combining deprivation, benchmark gap and NEET
risk, returned with its components so the ranking explains itself.

Components, each scaled 0–1 (1 = most in need):

- ``deprivation`` = (10 − IMD decile of the school's small area) ÷ 9 (decile 1, most deprived,
  → 1; decile 10 → 0);
- ``benchmark_gap`` = (8 − benchmarks fully achieved at the latest assessment) ÷ 8 (either
  framework: it is a count of benchmarks met, and ``framework`` is returned beside it);
- ``neet_risk`` = min(1, NEET-or-not-known percent of the school's **Year 11 leavers** one
  year after leaving ÷ ``neet_scale_pct``) — an aggregate every role may see (default scale
  20 %, about four times England's 5.6 %, so a school at England's rate scores 0.28). Where
  pupil rows are permitted the caller may pass the share of high-RONI leavers instead.

Why Year 11 only (:func:`year11_neet`): one year after leaving, Year 11 leavers are 16–17, the
age of England's published NEET/not-known figure (DfE, ages 16–17) that the scale is set
against. Year 13 leavers are 18–19 then, outside LA tracking and with far higher not-known
rates (DOMAIN.md §4.3, §4.6); pooling them in would push a school up the list for having a
sixth form. Year 13 rates are reported apart in ``hubcore report transitions`` and are not
part of the index. A school with no Year 11 leavers (a sixth-form or FE college), or whose
Year 11 base is under the disclosure threshold, has no NEET component: it gets the mean of the
other schools and is named in ``imputed``.

``priority_index`` = 100 × Σ wᵢ × componentᵢ ÷ Σ wᵢ (0–100), ``points_<component>`` = each
component's share of it, ``rank`` 1 = highest priority. A missing component is filled with the
mean of the other schools (so a school is neither pushed up nor down by missing data) and named
in ``imputed``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

COMPONENTS: tuple[str, ...] = ("deprivation", "benchmark_gap", "neet_risk")
#: The year group whose leavers' NEET/not-known rate the ``neet_risk`` component uses.
NEET_YEAR_GROUP = 11
DEFAULT_WEIGHTS: dict[str, float] = {c: 1.0 for c in COMPONENTS}
#: NEET + not-known percent that scores the full 1 on ``neet_risk``.
NEET_SCALE_PCT = 20.0


def year11_neet(rates: pd.DataFrame, min_base: int = 0, cohort: int | None = None) -> pd.DataFrame:
    """The NEET-risk input of :func:`priority_index`: one row per school with its **Year 11**
    leavers' rate for one cohort.

    ``rates``: :func:`hubcore.metrics.transitions.neet_rates` grouped by ``urn``, ``cohort``
    and ``year_group`` (one year after leaving). Keeps ``year_group`` 11 only (never pooled
    with Year 13) and the one ``cohort`` given, else the latest cohort with any Year 11 rate in
    the frame, so every school is measured at the same point; drops schools whose
    ``denominator`` is under ``min_base`` (young people; pass the disclosure threshold so the
    index cannot reveal a small cohort's rate). Returns ``urn``, ``cohort``, ``denominator``,
    ``neet_nk_pct`` (percent).
    """
    cols = ["urn", "cohort", "denominator", "neet_nk_pct"]
    y11 = rates[rates["year_group"].astype("int64").eq(NEET_YEAR_GROUP)]
    if y11.empty:
        return pd.DataFrame(columns=cols)
    chosen = int(y11["cohort"].max()) if cohort is None else int(cohort)
    y11 = y11[y11["cohort"].astype("int64").eq(chosen) & y11["denominator"].ge(min_base)]
    return y11[cols].reset_index(drop=True)


def priority_index(
    schools: pd.DataFrame,
    school_latest: pd.DataFrame | None = None,
    neet: pd.DataFrame | None = None,
    areas: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    neet_scale_pct: float = NEET_SCALE_PCT,
    neet_column: str = "neet_nk_pct",
) -> pd.DataFrame:
    """Priority index per school (see the module note for the formula).

    ``schools``: ``urn``, ``name``, ``kind``, ``lsoa_code`` (and ``imd_decile`` if already
    joined); ``areas`` supplies ``imd_decile`` by ``code`` otherwise. ``school_latest``:
    :func:`hubcore.metrics.benchmarks.school_benchmarks` (``achieved``, ``framework``).
    ``neet``: one row per ``urn`` with ``neet_column`` in percent — normally
    :func:`year11_neet` (``neet_nk_pct`` of Year 11 leavers; see the module note on why Year
    13 is not pooled in), or :func:`roni_summary` (``pct_high_risk``).
    """
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    bad = set(w) - set(COMPONENTS)
    if bad:
        raise ValueError(f"unknown priority component(s): {', '.join(sorted(bad))}")
    out = pd.DataFrame(schools[[c for c in ("urn", "name", "kind", "lsoa_code") if c in schools]])
    if "imd_decile" in schools.columns:
        out["imd_decile"] = schools["imd_decile"].to_numpy()
    elif areas is not None and "lsoa_code" in out:
        dec = pd.DataFrame(areas[["code", "imd_decile"]]).rename(columns={"code": "lsoa_code"})
        out = out.merge(dec, on="lsoa_code", how="left")
    else:
        out["imd_decile"] = np.nan
    out["deprivation"] = (10.0 - out["imd_decile"].astype("float64")) / 9.0

    if school_latest is not None and len(school_latest):
        bm = school_latest[["urn", "achieved", "framework"]]
        out = out.merge(bm, on="urn", how="left")
    else:
        out["achieved"], out["framework"] = np.nan, pd.NA
    out["benchmark_gap"] = (8.0 - out["achieved"].astype("float64")) / 8.0

    if neet is not None and len(neet):
        if neet["urn"].duplicated().any():
            # Several rows per school would be averaged or double-counted by the merge: the
            # caller pooled year groups or cohorts (use year11_neet).
            raise ValueError("neet must have one row per school (see year11_neet)")
        rates = neet[["urn", neet_column]].rename(columns={neet_column: "neet_measure_pct"})
        out = out.merge(rates, on="urn", how="left")
    else:
        out["neet_measure_pct"] = np.nan
    out["neet_risk"] = (out["neet_measure_pct"].astype("float64") / neet_scale_pct).clip(0, 1)

    imputed = pd.Series("", index=out.index, dtype="string")
    for comp in COMPONENTS:
        missing = out[comp].isna()
        fill = out[comp].mean()
        out[comp] = out[comp].fillna(0.0 if np.isnan(fill) else fill)
        imputed = imputed.where(~missing, imputed + np.where(imputed.eq(""), "", ",") + comp)
    out["imputed"] = imputed
    total = sum(w.values())
    if total <= 0:
        raise ValueError("priority weights must add up to more than 0")
    for comp in COMPONENTS:
        out[f"points_{comp}"] = 100.0 * w.get(comp, 0.0) * out[comp] / total
    out["priority_index"] = out[[f"points_{c}" for c in COMPONENTS]].sum(axis=1)
    out = out.sort_values(["priority_index", "urn"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)
