"""RONI-style risk-of-NEET score and band per leaver, from configurable weights.

Default weights follow the Oxfordshire criteria quoted in ``../shared/DOMAIN.md`` §4.4:
attendance ≤ 90 % (1) and ≤ 85 % (1 more); EAL (1); EHC plan, ``sen == "E"`` (2); SEN support,
``sen == "K"`` (1); ever excluded (2); free school meals (2); alternative provision (1); looked
after (2); pregnant or parent (2); young carer (2); supervised by YOT (2). Custody (NCCIS 710,
2 points in the source) is not modelled: a leaver row records no custody flag, and custody
after leaving is an outcome, not a predictor. Missing attendance scores no attendance points.

Bands (DOMAIN.md §4.4): 0 ``none``; 1 ``offer`` (offer support); 2–3 ``additional`` (extra
support needed); 4+ ``substantial``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

DEFAULT_WEIGHTS: dict[str, int] = {
    "attendance_90": 1,
    "attendance_85": 1,
    "eal": 1,
    "ehcp": 2,
    "sen_support": 1,
    "ever_excluded": 2,
    "fsm": 2,
    "alternative_provision": 1,
    "looked_after": 2,
    "parent_or_pregnant": 2,
    "young_carer": 2,
    "yot": 2,
}

#: Lowest score of each band, highest band last.
DEFAULT_BANDS: tuple[tuple[int, str], ...] = (
    (0, "none"),
    (1, "offer"),
    (2, "additional"),
    (4, "substantial"),
)

#: Bands counted as "high risk" in aggregates.
HIGH_BANDS: frozenset[str] = frozenset({"substantial"})


def roni_indicators(leavers: pd.DataFrame) -> pd.DataFrame:
    """The 0/1 indicator behind each default weight, one row per leaver (same index)."""
    att = leavers["attendance_pct"].astype("float64")
    sen = leavers["sen"].astype(str)
    flag = {
        name: leavers[name].fillna(False).astype(bool)
        for name in (
            "eal",
            "ever_excluded",
            "fsm",
            "alternative_provision",
            "looked_after",
            "parent_or_pregnant",
            "young_carer",
            "yot",
        )
    }
    return pd.DataFrame(
        {
            "attendance_90": att.le(90.0),
            "attendance_85": att.le(85.0),
            "ehcp": sen.eq("E"),
            "sen_support": sen.eq("K"),
            **flag,
        },
        index=leavers.index,
    ).astype("int64")


def roni_band(score: pd.Series, bands: Sequence[tuple[int, str]] = DEFAULT_BANDS) -> pd.Series:
    """Band name for each score: the band with the highest lower bound ≤ score."""
    lows = np.array([low for low, _ in bands])
    names = np.array([name for _, name in bands], dtype=object)
    pos = np.searchsorted(lows, score.to_numpy(dtype=float), side="right") - 1
    return pd.Series(names[np.clip(pos, 0, None)], index=score.index, dtype="string")


def roni_scores(leavers: pd.DataFrame, weights: Mapping[str, float] | None = None) -> pd.Series:
    """Risk score per leaver (same index as ``leavers``): ``Σ weight × indicator`` (points;
    indicators of :func:`roni_indicators`; an indicator missing from ``weights`` counts 0).
    Integer weights give an ``int64`` series, as the ``leaver.roni_score`` column stores."""
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    ind = roni_indicators(leavers)
    unknown = set(w) - set(ind.columns)
    if unknown:
        raise ValueError(f"unknown RONI indicator(s): {', '.join(sorted(unknown))}")
    vector = np.array([w.get(c, 0) for c in ind.columns], dtype=float)
    score = pd.Series(ind.to_numpy(dtype=float) @ vector, index=leavers.index, name="roni_score")
    if all(float(v).is_integer() for v in w.values()):
        score = score.round().astype("int64")
    return score


def roni_table(
    leavers: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    bands: Sequence[tuple[int, str]] = DEFAULT_BANDS,
) -> pd.DataFrame:
    """Per leaver: ``key``, ``urn``, ``cohort``, ``year_group`` (where present),
    ``roni_score`` (:func:`roni_scores`, points) and ``roni_band`` (:func:`roni_band`).
    Pupil level: only for roles that may see leavers.

    Also takes :func:`hubcore.store.leaver_profiles` (identical leavers counted in a
    ``leavers`` column, which is kept): one row per profile, scored once."""
    keep = [c for c in ("key", "urn", "cohort", "year_group", "leavers") if c in leavers.columns]
    out = pd.DataFrame(leavers[keep]).copy()
    out["roni_score"] = roni_scores(leavers, weights)
    out["roni_band"] = roni_band(out["roni_score"], bands)
    return out.reset_index(drop=True)


def roni_summary(scores: pd.DataFrame, by: Sequence[str] = ("urn",)) -> pd.DataFrame:
    """Per group: ``leavers``, ``mean_score`` (points), ``high_risk`` = leavers in a band of
    :data:`HIGH_BANDS`, ``pct_high_risk`` = high_risk ÷ leavers × 100 (percent), and a count per
    band ``band_<name>``. Rows of :func:`roni_table` are one leaver each, or ``leavers`` each
    where that column is present (scored profiles)."""
    keys = list(by) or ["_all"]
    frame = scores.assign(_all="all") if not by else scores
    band = frame["roni_band"].astype(str)
    n = frame["leavers"].astype("int64") if "leavers" in frame.columns else 1
    work = frame[keys].assign(
        leavers=n,
        high_risk=band.isin(list(HIGH_BANDS)).astype("int64") * n,
        _points=frame["roni_score"].astype("float64") * n,
        **{f"band_{name}": band.eq(name).astype("int64") * n for _, name in DEFAULT_BANDS},
    )
    out = work.groupby(keys, sort=True).agg(
        leavers=("leavers", "sum"),
        _points=("_points", "sum"),
        high_risk=("high_risk", "sum"),
        **{f"band_{n}": (f"band_{n}", "sum") for _, n in DEFAULT_BANDS},
    )
    out.insert(1, "mean_score", out.pop("_points") / out["leavers"])
    out["pct_high_risk"] = 100.0 * out["high_risk"] / out["leavers"]
    return out.reset_index()
