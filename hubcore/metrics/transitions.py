"""Transitions: destination mix 1–3 years after leaving, NEET and not-known rates against the
LA and England, and the NCS hand-over funnel with referral lags and overdue hand-overs.

Inputs:

- ``counts``: :func:`hubcore.store.destination_counts` — leavers by ``urn``, ``cohort``,
  ``year_group``, ``years_after`` (1 = the autumn after leaving), ``category`` (NCCIS code
  mapped by :data:`hubcore.codes.NCCIS_CATEGORY`), ``leavers``.
- ``handovers``: either pupil rows (:func:`hubcore.store.handovers`) or the aggregate
  :func:`hubcore.store.handover_dates`, which carries a ``handovers`` count per row; every
  function here weights rows by that column when present (1 per row otherwise), so the same
  numbers come out for a role that sees pupils and one that sees aggregates only.

Year 11 and Year 13 leavers are kept apart: every result is split by ``year_group`` unless the
caller groups otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hubcore.benchmarks import (
    ENGLAND_NEET_NK_PERCENT_2025,
    ENGLAND_NEET_PERCENT_2025,
    ENGLAND_NOT_KNOWN_PERCENT_2025,
)
from hubcore.codes import DESTINATION_CATEGORIES, NEET_CATEGORIES, NOT_KNOWN_CATEGORIES

#: Categories left out of NEET denominators (young adult offenders in custody, DOMAIN.md §4.2).
EXCLUDED_FROM_DENOMINATOR: frozenset[str] = frozenset({"custody"})
#: Default days after leaving by which a hand-over should have been referred.
OVERDUE_DAYS = 30


def _groups(frame: pd.DataFrame, by: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` and grouping keys; an empty ``by`` groups everything under ``scope = "all"``."""
    keys = list(by)
    if not keys:
        return frame.assign(scope="all"), ["scope"]
    return frame, keys


def destination_mix(
    counts: pd.DataFrame,
    by: Sequence[str] = ("urn", "cohort", "year_group", "years_after"),
) -> pd.DataFrame:
    """Destination mix per group (default: per school, cohort, year group and years after
    leaving, 1–3).

    ``leavers`` = leavers with a destination recorded in the group (the base);
    ``pct_<category>`` = leavers in the category ÷ leavers × 100 (percent), one column per
    category in :data:`hubcore.codes.DESTINATION_CATEGORIES` (0 where none).
    """
    frame, keys = _groups(counts, by)
    wide = frame.pivot_table(
        index=keys, columns="category", values="leavers", aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(columns=list(DESTINATION_CATEGORIES), fill_value=0)
    total = wide.sum(axis=1)
    out = pd.DataFrame({"leavers": total.astype("int64")})
    for cat in DESTINATION_CATEGORIES:
        out[f"pct_{cat}"] = 100.0 * wide[cat] / total.where(total > 0)
    return out.reset_index()


def neet_rates(
    counts: pd.DataFrame,
    by: Sequence[str] = ("urn", "year_group"),
    years_after: int | None = 1,
) -> pd.DataFrame:
    """NEET and not-known rates per group, ``years_after`` leaving (default 1; None = all).

    ``denominator`` = leavers with a destination, minus those in custody (as the published
    rates do); ``neet`` = leavers in a NEET category (neet_active, neet_inactive);
    ``not_known`` likewise; ``neet_pct`` = neet ÷ denominator × 100, ``not_known_pct``,
    ``neet_nk_pct`` = (neet + not_known) ÷ denominator × 100 (percent).
    """
    frame = counts if years_after is None else counts[counts["years_after"].eq(years_after)]
    frame, keys = _groups(frame, by)
    cat = frame["category"].astype(str)
    work = frame.assign(
        _den=frame["leavers"].where(~cat.isin(list(EXCLUDED_FROM_DENOMINATOR)), 0),
        _neet=frame["leavers"].where(cat.isin(list(NEET_CATEGORIES)), 0),
        _nk=frame["leavers"].where(cat.isin(list(NOT_KNOWN_CATEGORIES)), 0),
    )
    out = (
        work.groupby(keys, sort=True)[["_den", "_neet", "_nk"]]
        .sum()
        .rename(columns={"_den": "denominator", "_neet": "neet", "_nk": "not_known"})
        .astype("int64")
        .reset_index()
    )
    den = out["denominator"].where(out["denominator"] > 0)
    out["neet_pct"] = 100.0 * out["neet"] / den
    out["not_known_pct"] = 100.0 * out["not_known"] / den
    out["neet_nk_pct"] = 100.0 * (out["neet"] + out["not_known"]) / den
    return out


def la_published(la_stats: pd.DataFrame, age: str = "16-17") -> pd.DataFrame:
    """Latest published rate per LA for ``age`` from :func:`hubcore.store.la_neet_stats`:
    ``la_gss``, ``la_time_period``, ``la_neet_pct``, ``la_not_known_pct``, ``la_neet_nk_pct``
    (percent; NaN where suppressed)."""
    cols = ["la_gss", "la_time_period", "la_neet_pct", "la_not_known_pct", "la_neet_nk_pct"]
    if la_stats is None or la_stats.empty:
        return pd.DataFrame(columns=cols)
    stats = la_stats[la_stats["age"].astype(str).eq(age)].sort_values("time_period")
    latest = stats.groupby("la_gss", as_index=False).tail(1)
    return latest.rename(
        columns={
            "time_period": "la_time_period",
            "neet_percent": "la_neet_pct",
            "nk_percent": "la_not_known_pct",
            "neet_nk_percent": "la_neet_nk_pct",
        }
    )[cols].reset_index(drop=True)


def compare_neet(
    rates: pd.DataFrame,
    la_stats: pd.DataFrame | None = None,
    schools: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`neet_rates` with the LA's published rates and England's alongside.

    The LA is the row's ``la_gss`` (or, for per-school rows, the school's ``la_gss`` from
    ``schools``). Adds ``la_*`` columns (NaN when the LA has no published figure, e.g. in the
    demo), ``england_neet_pct`` = 3.4, ``england_not_known_pct`` = 2.2,
    ``england_neet_nk_pct`` = 5.6 (2025, ages 16–17, DOMAIN.md §4.3), and
    ``vs_la_neet_nk`` / ``vs_england_neet_nk`` = neet_nk_pct − comparator (percentage points).
    The published rates cover 16–17-year-olds in the LA, not one school's leavers: a guide,
    not a like-for-like comparison.
    """
    out = rates
    if "la_gss" not in out.columns and schools is not None and "urn" in out.columns:
        out = out.merge(pd.DataFrame(schools[["urn", "la_gss"]]), on="urn", how="left")
    if "la_gss" in out.columns:
        out = out.merge(la_published(la_stats), on="la_gss", how="left")
    else:
        for col in ("la_time_period", "la_neet_pct", "la_not_known_pct", "la_neet_nk_pct"):
            out = out.assign(**{col: np.nan})
    out = out.assign(
        england_neet_pct=ENGLAND_NEET_PERCENT_2025,
        england_not_known_pct=ENGLAND_NOT_KNOWN_PERCENT_2025,
        england_neet_nk_pct=ENGLAND_NEET_NK_PERCENT_2025,
    )
    out["vs_la_neet_nk"] = out["neet_nk_pct"] - out["la_neet_nk_pct"].astype("float64")
    out["vs_england_neet_nk"] = out["neet_nk_pct"] - ENGLAND_NEET_NK_PERCENT_2025
    return out


def _weights(handovers: pd.DataFrame) -> pd.Series:
    if "handovers" in handovers.columns:
        return handovers["handovers"].astype("int64")
    return pd.Series(1, index=handovers.index, dtype="int64")


def _contacted(handovers: pd.DataFrame) -> pd.Series:
    """Whether each row was contacted: the aggregate read's ``contacted`` flag, else a
    ``contacted_on`` date being present."""
    if "contacted" in handovers.columns:
        return handovers["contacted"].fillna(False).astype(bool)
    return handovers["contacted_on"].notna()


def handover_funnel(handovers: pd.DataFrame, by: Sequence[str] = ("year_group",)) -> pd.DataFrame:
    """The hand-over funnel per group (default per year group: Year 11 apart from Year 13).

    ``left`` = hand-overs opened (young people who left and need one); ``referred`` = with a
    referral date; ``contacted`` = with a contact date; ``engaged`` / ``lost`` = status engaged
    / lost; ``not_referred`` = left − referred. ``pct_referred`` = referred ÷ left × 100,
    ``pct_contacted`` = contacted ÷ referred × 100, ``pct_engaged`` and ``pct_lost`` =
    ÷ contacted × 100 (percent, each stage against the one before it).
    """
    frame, keys = _groups(handovers, by)
    w = _weights(frame)
    status = frame["status"].astype(str)
    work = pd.DataFrame(
        {
            **{k: frame[k] for k in keys},
            "left": w,
            "referred": w.where(frame["referred_on"].notna(), 0),
            "contacted": w.where(_contacted(frame), 0),
            "engaged": w.where(status.eq("engaged"), 0),
            "lost": w.where(status.eq("lost"), 0),
        }
    )
    out = work.groupby(keys, sort=True).sum().astype("int64").reset_index()
    out["not_referred"] = out["left"] - out["referred"]
    out["pct_referred"] = 100.0 * out["referred"] / out["left"].where(out["left"] > 0)
    out["pct_contacted"] = 100.0 * out["contacted"] / out["referred"].where(out["referred"] > 0)
    contacted = out["contacted"].where(out["contacted"] > 0)
    out["pct_engaged"] = 100.0 * out["engaged"] / contacted
    out["pct_lost"] = 100.0 * out["lost"] / contacted
    return out


def referral_lag(handovers: pd.DataFrame, by: Sequence[str] = ("year_group",)) -> pd.DataFrame:
    """Days from leaving to referral per group, over referred hand-overs.

    lag = referred_on − left_on (days). ``referred`` = hand-overs with a referral (the base);
    ``median_days`` and ``p90_days`` = median and 90th percentile of the lags with one value
    per hand-over (numpy's linear interpolation); ``mean_days``.
    """
    frame, keys = _groups(handovers, by)
    done = frame[frame["referred_on"].notna()]
    lag = (pd.to_datetime(done["referred_on"]) - pd.to_datetime(done["left_on"])).dt.days
    # One row per hand-over (weights expanded), so pandas' quantiles interpolate like numpy's.
    reps = _weights(done).to_numpy()
    rows = done[keys].iloc[np.repeat(np.arange(len(done)), reps)].reset_index(drop=True)
    rows["_lag"] = np.repeat(lag.to_numpy(dtype=float), reps)
    grouped = rows.groupby(keys, sort=True)["_lag"]
    out = pd.DataFrame(
        {
            "referred": grouped.size().astype("int64"),
            "median_days": grouped.median(),
            "p90_days": grouped.quantile(0.9),
            "mean_days": grouped.mean(),
        }
    )
    return out.reset_index()


def _as_of(as_of: dt.date | pd.Timestamp | None) -> pd.Timestamp:
    return pd.Timestamp(as_of if as_of is not None else dt.date.today())


def overdue_handovers(
    handovers: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | None = None,
    days: int = OVERDUE_DAYS,
    by: Sequence[str] = ("year_group",),
) -> pd.DataFrame:
    """Overdue hand-overs per group: no referral and (as_of − left_on) > ``days`` (days;
    default 30, about the first month of the summer holiday, and well before the NCCIS
    autumn check; ``as_of`` defaults to today).

    ``open`` = hand-overs not yet referred; ``overdue`` = those waiting more than ``days``;
    ``median_days_waiting`` and ``max_days_waiting`` over the overdue ones (days).
    """
    frame, keys = _groups(handovers, by)
    waiting = frame[frame["referred_on"].isna()]
    age = (_as_of(as_of) - pd.to_datetime(waiting["left_on"])).dt.days
    w = _weights(waiting)
    work = waiting[keys].assign(
        open=w.to_numpy(),
        overdue=w.where(age > days, 0).to_numpy(),
        _age=age.to_numpy(),
    )
    counts = work.groupby(keys, sort=True)[["open", "overdue"]].sum().astype("int64")
    late = work[work["overdue"] > 0]
    reps = late["overdue"].to_numpy()
    ages = late[keys].iloc[np.repeat(np.arange(len(late)), reps)].reset_index(drop=True)
    ages["_age"] = np.repeat(late["_age"].to_numpy(dtype=float), reps)
    waits = ages.groupby(keys, sort=True)["_age"].agg(["median", "max"])
    waits.columns = ["median_days_waiting", "max_days_waiting"]
    out = counts.join(waits, how="left").reset_index()
    out["overdue_days"] = days
    out["as_of"] = _as_of(as_of).date().isoformat()
    return out


def overdue_list(
    handovers: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | None = None,
    days: int = OVERDUE_DAYS,
) -> pd.DataFrame:
    """The overdue hand-overs themselves (pupil rows: only for roles that may see them), with
    ``days_waiting`` = as_of − left_on (days), longest wait first."""
    waiting = handovers[handovers["referred_on"].isna()].copy()
    waiting["days_waiting"] = (_as_of(as_of) - pd.to_datetime(waiting["left_on"])).dt.days
    late = waiting[waiting["days_waiting"] > days]
    return late.sort_values("days_waiting", ascending=False).reset_index(drop=True)
