"""Transitions: destination mix 1–3 years after leaving, NEET and not-known rates per young
person against the LA and England, the hand-over funnel (NCS and LA tracking apart) with referral
lags and overdue hand-overs, and sustained destinations beside DfE's published measure.
Definitions and sources: ``docs/metrics.md`` ("Transitions").

Inputs (all aggregates, no pupil keys):

- ``counts``: :func:`hubcore.store.destination_status_counts` — every leaver once per
  ``urn``, ``cohort``, ``year_group``, ``years_after`` (1 = the academic year after leaving) by
  the category of the record current at the mix's measurement point (:func:`mix_point`;
  ``"no_record"`` without one), ``leavers`` (people): the destination mix.
- ``status``: :func:`hubcore.store.neet_status_counts` — every leaver once per measurement point
  by the category of the record current then (``"no_record"`` without one): NEET rates.
- ``handovers``: either pupil rows (:func:`hubcore.store.handovers`) or the aggregate
  :func:`hubcore.store.handover_dates`, which carries a ``handovers`` count per row; every
  function here weights rows by that column when present (1 per row otherwise), so the same
  numbers come out for a role that sees pupils and one that sees aggregates only. Leavers per
  group (the funnel's base) come from :func:`hubcore.store.leaver_counts`.
- sustained outcomes: :func:`hubcore.store.sustained_counts`.

Year 11 and Year 13 leavers are kept apart: every result is split by ``year_group`` unless the
caller groups otherwise, and each year group is compared with England's figure for its age.
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
#: Category :func:`hubcore.store.neet_status_counts` gives a leaver with no record at the
#: measurement point: counted as not known (DfE counts everyone in the cohort).
NO_RECORD = "no_record"
#: Default days after leaving by which a hand-over should have been referred.
OVERDUE_DAYS = 30
#: England NEET at ages 16–18, official statistics (accredited), 2023 (percent; DOMAIN.md §4.3):
#: the published figure nearest Year 13 leavers' age (18). There is no not-known figure at 18.
ENGLAND_NEET_16_18_PERCENT_2023 = 8.0
ENGLAND_16_17_LABEL = "England 16-17, Dec-Feb 2025 (NCCIS management information)"
ENGLAND_16_18_LABEL = "England 16-18 NEET 2023 (official statistics; no not-known figure)"
#: Receiving organisations always shown in the funnel (zero rows included), and their labels.
FUNNEL_TARGETS: tuple[str, ...] = ("ncs", "la_tracking")
HANDOVER_TARGET_LABELS: dict[str, str] = {
    "ncs": "National Careers Service",
    "la_tracking": "LA tracking",
    "jobcentre_plus": "Jobcentre Plus",
    "provider": "Provider",
    "youth_service": "Youth support service",
}


def _groups(frame: pd.DataFrame, by: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` and grouping keys; an empty ``by`` groups everything under ``scope = "all"``."""
    keys = list(by)
    if not keys:
        return frame.assign(scope="all"), ["scope"]
    return frame, keys


#: Destination-mix categories: the NCCIS groups, then leavers with no actual record by the
#: measurement point (so the mix adds up to every leaver of the cohort).
MIX_CATEGORIES: tuple[str, ...] = (*DESTINATION_CATEGORIES, "no_record")


def mix_point(
    cohort: int, years_after: int, as_of: dt.date | pd.Timestamp | None = None
) -> tuple[str, dt.date, str] | None:
    """The destination mix's measurement point for ``cohort`` ``years_after`` leaving (1–3):
    ``(point, date, label)``, or None when it has not been reached by ``as_of`` (default today).

    The point is the end of December of the ``years_after``-th academic year after leaving
    (31 December of ``cohort + years_after − 1``): the end of the autumn term, and the first of
    DfE's December–February NEET points (DOMAIN.md §4.2), so each leaver is counted by the
    record current then, as the NEET measure counts them. Before it has passed in the first
    year, the latest month end passed from October (point "oct" or "nov"), as the NEET
    snapshot; later years, and the first before the end of October, are not yet measured.
    """
    year = cohort + years_after - 1
    today = _as_of(as_of).date()
    dec = _month_end(year, 12)
    if dec <= today:
        return "dec", dec, f"end of December {year} ({dec})"
    if years_after != 1:
        return None
    passed = [(m, _month_end(year, m)) for m in (10, 11) if _month_end(year, m) <= today]
    if not passed:
        return None
    month, end = passed[-1]
    name, long = _MONTHS[month]
    return name, end, f"snapshot at the end of {long} {year} ({end}; December not yet passed)"


def destination_mix(
    counts: pd.DataFrame,
    by: Sequence[str] = ("urn", "cohort", "year_group", "years_after"),
) -> pd.DataFrame:
    """Destination mix per group (default: per school, cohort, year group and years after
    leaving, 1–3), per young person.

    ``counts`` is :func:`hubcore.store.destination_status_counts`: every leaver once per
    cohort and years after leaving, by the category of their actual record current at the
    measurement point (:func:`mix_point`), ``"no_record"`` when they have none. Keep
    ``years_after`` in ``by``: each leaver appears once per year after leaving.

    ``leavers`` = the leavers of the group (people, the base: everyone in the cohort, with a
    record or not); ``pct_<category>`` = leavers in the category ÷ leavers × 100 (percent), one
    column per category of :data:`MIX_CATEGORIES` (0 where none; ``pct_no_record`` = no actual
    record by the point), so the percentages add up to 100. ``measurement`` names the point(s)
    where ``counts`` carries them.
    """
    frame, keys = _groups(counts, by)
    pcts = [f"pct_{cat}" for cat in MIX_CATEGORIES]
    if frame.empty:
        empty = {k: pd.Series(dtype="int64") for k in [*keys, "leavers"]}
        return pd.DataFrame(empty).assign(**{p: pd.Series(dtype="float64") for p in pcts})
    wide = frame.pivot_table(
        index=keys, columns="category", values="leavers", aggfunc="sum", fill_value=0
    )
    unknown = sorted(set(wide.columns) - set(MIX_CATEGORIES))
    if unknown:  # a category outside the list would silently leave the mix short of 100 %
        raise ValueError(f"destination categories not in the mix: {unknown}")
    wide = wide.reindex(columns=list(MIX_CATEGORIES), fill_value=0)
    total = wide.sum(axis=1)
    out = pd.DataFrame({"leavers": total.astype("int64")})
    for cat in MIX_CATEGORIES:
        out[f"pct_{cat}"] = 100.0 * wide[cat] / total.where(total > 0)
    out = out.reset_index()
    if "measurement" in frame.columns:
        labels = frame.groupby(keys, sort=True)["measurement"].agg(
            lambda s: "; ".join(sorted(set(s.astype(str))))
        )
        out = out.merge(labels.reset_index(), on=keys, how="left")
    return out


#: Month names for the measurement points and their labels.
_MONTHS = {10: ("oct", "October"), 11: ("nov", "November"), 12: ("dec", "December"),
           1: ("jan", "January"), 2: ("feb", "February")}  # fmt: skip


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def measurement_points(
    cohort: int, years_after: int = 1, as_of: dt.date | pd.Timestamp | None = None
) -> tuple[str, list[tuple[str, dt.date]]]:
    """When a cohort's NEET and not-known rates are measured ``years_after`` leaving (1 = the
    academic year after leaving), and the label of that measurement.

    DfE's annual figure is the average of the ends of December, January and February
    (DOMAIN.md §4.2, §4.3): those three dates once the end of February has passed by ``as_of``
    (default today). Before then, a snapshot at the latest month end that has passed (October
    to January; point "oct" … "jan"), else on ``as_of`` itself (point "snapshot") from
    1 September of that academic year on; earlier still, nothing to measure (empty list).
    """
    year = cohort + years_after - 1
    today = _as_of(as_of).date()
    dec, jan, feb = _month_end(year, 12), _month_end(year + 1, 1), _month_end(year + 1, 2)
    if feb <= today:
        label = f"Dec-Feb average ({dec}, {jan}, {feb})"
        return label, [("dec", dec), ("jan", jan), ("feb", feb)]
    ends = [(m, _month_end(year + (m < 9), m)) for m in (10, 11, 12, 1)]
    passed = [(m, end) for m, end in ends if end <= today]
    if passed:
        month, end = passed[-1]
        name, long = _MONTHS[month]
        return (f"snapshot at the end of {long} {end.year} (Dec-Feb not yet complete)",
                [(name, end)])  # fmt: skip
    if today >= dt.date(year, 9, 1):
        return f"snapshot on {today} (Dec-Feb not yet complete)", [("snapshot", today)]
    return "not yet measurable", []


def _no_base_note(base: pd.Series, text: str) -> pd.Series:
    """``text`` where ``base`` is zero (the percentages over it are missing, not 0 or -0.0)."""
    return pd.Series(np.where(base.eq(0), text, ""), index=base.index, dtype="string")


def neet_rates(
    counts: pd.DataFrame,
    by: Sequence[str] = ("urn", "year_group"),
    years_after: int | None = 1,
) -> pd.DataFrame:
    """NEET and not-known rates per group, ``years_after`` leaving (default 1; None = all).

    ``counts`` is normally :func:`hubcore.store.neet_status_counts`: every leaver once per
    measurement point, by the category of the record current then (``"no_record"`` when there
    is none). Per young person at each point, as DfE counts (DOMAIN.md §4.2–4.3):

    - ``cohort_leavers`` = leavers; ``custody`` = those in custody (code 710), left out of the
      denominator as the published rates do; ``denominator`` = cohort_leavers − custody;
    - ``neet`` = in a NEET category (neet_active, neet_inactive); ``not_known`` = in the
      not-known category *or with no record at all* (``no_record``, shown apart too);
    - with three points (Dec, Jan, Feb) each count is their average (people; may be
      fractional), one cohort's points weighted 1/3 each, so cohorts add up;
    - ``neet_pct`` = neet ÷ denominator × 100, ``not_known_pct``, ``neet_nk_pct`` = (neet +
      not_known) ÷ denominator × 100 (percent): the ratio of the averaged counts, as DfE's
      ``avg_neet_count`` ÷ ``avg_cohort_count``;
    - ``measurement`` names the points; ``note`` says "no leavers" (or "no leavers outside
      custody") where the denominator is 0 and the rates are missing.

    Given :func:`hubcore.store.destination_counts` instead (no ``point`` column), each
    destination *record* counts once and leavers without one are not seen: the old definition,
    kept for comparison only (the small-area map reads :func:`hubcore.store.neet_status_by_area`).
    """
    frame = counts
    if years_after is not None and "years_after" in frame.columns:
        frame = frame[frame["years_after"].eq(years_after)]
    frame, keys = _groups(frame, by)
    cat = frame["category"].astype(str)
    leavers = frame["leavers"].astype("float64")
    if "point" in frame.columns:
        per = [c for c in ("cohort", "years_after") if c in frame.columns]
        points = frame.groupby(per)["point"].transform("nunique") if per else 1
        leavers = leavers / points
    excluded = cat.isin(list(EXCLUDED_FROM_DENOMINATOR))
    zero = pd.Series(0.0, index=frame.index)
    work = pd.DataFrame(
        {
            **{k: frame[k] for k in keys},
            "cohort_leavers": leavers,
            "custody": leavers.where(excluded, zero),
            "denominator": leavers.where(~excluded, zero),
            "neet": leavers.where(cat.isin(list(NEET_CATEGORIES)), zero),
            "not_known": leavers.where(cat.isin([*NOT_KNOWN_CATEGORIES, NO_RECORD]), zero),
            "no_record": leavers.where(cat.eq(NO_RECORD), zero),
        }
    )
    out = work.groupby(keys, sort=True).sum().reset_index()
    if "measurement" in frame.columns:
        labels = frame.groupby(keys, sort=True)["measurement"].agg(
            lambda s: "; ".join(sorted(set(s.astype(str))))
        )
        out = out.merge(labels.reset_index(), on=keys, how="left")
    else:
        out["measurement"] = "destination records (not per person)"
    # Averages of whole counts: exact thirds, rounded off float noise (10.000000001 → 10.0).
    counted = ["cohort_leavers", "custody", "denominator", "neet", "not_known", "no_record"]
    out[counted] = out[counted].round(9)
    den = out["denominator"].where(out["denominator"] > 0)
    out["neet_pct"] = 100.0 * out["neet"] / den
    out["not_known_pct"] = 100.0 * out["not_known"] / den
    out["neet_nk_pct"] = 100.0 * (out["neet"] + out["not_known"]) / den
    out["note"] = _no_base_note(out["denominator"], "no leavers")
    out.loc[out["note"].eq("no leavers") & out["cohort_leavers"].gt(0), "note"] = (
        "no leavers outside custody"
    )
    return out


def la_published(la_stats: pd.DataFrame | None, age: str = "16-17") -> pd.DataFrame:
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


def academic_age(year_group: pd.Series, years_after: int = 1) -> pd.Series:
    """Academic age (age on 31 August before the measurement year) of leavers of
    ``year_group`` ``years_after`` leaving: Year 11 leavers are 16 in the first year after
    leaving, Year 13 leavers 18."""
    return pd.to_numeric(year_group, errors="coerce") + 4 + years_after


def compare_neet(
    rates: pd.DataFrame,
    la_stats: pd.DataFrame | None = None,
    schools: pd.DataFrame | None = None,
    years_after: int = 1,
) -> pd.DataFrame:
    """:func:`neet_rates` with the LA's published rates and England's for the leavers' age.

    Each row is compared with the figure for its year group's academic age
    (:func:`academic_age`), never a pooled one (DOMAIN.md §4.1, §4.3):

    - ages 16–17 (Year 11 leavers in their first two years): England 2025 Dec–Feb, NCCIS
      management information: ``england_neet_pct`` = 3.4, ``england_not_known_pct`` = 2.2,
      ``england_neet_nk_pct`` = 5.6; and the LA's latest published 16–17 rates (``la_*``);
    - age 18 (Year 13 leavers in their first year): LAs no longer track academic age 18, so
      there is no LA or not-known figure; England's official statistic for NEET at 16–18, 8.0 %
      (2023), is the comparator for ``neet_pct`` only (it covers 16–17-year-olds too);
    - other ages, or rows without a year group: no comparator.

    ``england_comparator`` names the figure used. ``vs_england_neet``, ``vs_england_neet_nk``
    and ``vs_la_neet_nk`` = the row's rate − comparator (percentage points, one decimal, never
    -0.0; missing without one). Published rates cover every young person of that age in the
    area, not one school's leavers: a guide, not a like-for-like comparison.
    """
    out = rates
    if "la_gss" not in out.columns and schools is not None and "urn" in out.columns:
        out = out.merge(pd.DataFrame(schools[["urn", "la_gss"]]), on="urn", how="left")
    la_cols = ("la_time_period", "la_neet_pct", "la_not_known_pct", "la_neet_nk_pct")
    if "la_gss" in out.columns:
        out = out.merge(la_published(la_stats), on="la_gss", how="left")
    else:
        out = out.assign(**dict.fromkeys(la_cols, np.nan))
    if "year_group" in out.columns:
        age = academic_age(out["year_group"], years_after)
    else:
        age = pd.Series(np.nan, index=out.index)
    young = age.between(16, 17).to_numpy()
    eighteen = age.eq(18).to_numpy()
    nan = np.nan
    out = out.assign(
        academic_age=age,
        england_comparator=np.select(
            [young, eighteen],
            [ENGLAND_16_17_LABEL, ENGLAND_16_18_LABEL],
            default="none for this age" if "year_group" in out.columns else "none: no year group",
        ),
        england_neet_pct=np.select(
            [young, eighteen], [ENGLAND_NEET_PERCENT_2025, ENGLAND_NEET_16_18_PERCENT_2023], nan
        ),
        england_not_known_pct=np.where(young, ENGLAND_NOT_KNOWN_PERCENT_2025, nan),
        england_neet_nk_pct=np.where(young, ENGLAND_NEET_NK_PERCENT_2025, nan),
    )
    for col in la_cols[1:]:
        out[col] = out[col].astype("float64").where(young)
    out["la_time_period"] = out["la_time_period"].where(young)
    out["vs_la_neet_nk"] = _difference(out["neet_nk_pct"], out["la_neet_nk_pct"])
    out["vs_england_neet"] = _difference(out["neet_pct"], out["england_neet_pct"])
    out["vs_england_neet_nk"] = _difference(out["neet_nk_pct"], out["england_neet_nk_pct"])
    return out


def _difference(a: pd.Series, b: pd.Series) -> pd.Series:
    """a − b in percentage points to one decimal (as published), never -0.0: a difference of
    −0.04 would otherwise print as "-0.0" once rounded for display."""
    return (a.astype("float64") - b.astype("float64")).round(1) + 0.0


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


#: Statuses of a referred hand-over still waiting for an outcome.
OPEN_STATUSES = ("pending", "referred", "contacted")
#: Hand-over counts in :func:`handover_funnel`.
FUNNEL_COUNTS = ("handovers", "referred", "not_referred", "contacted", "engaged", "lost",
                 "lost_before_contact", "closed", "still_open")  # fmt: skip


def handover_funnel(
    handovers: pd.DataFrame,
    leavers: pd.DataFrame | None = None,
    by: Sequence[str] = ("year_group",),
) -> pd.DataFrame:
    """The hand-over funnel per group and receiving organisation (default per year group:
    Year 11 apart from Year 13), one row per ``handed_to`` (``to_org_type``: "ncs" for the
    National Careers Service, "la_tracking" for the LA's tracking service, …; labelled in
    ``handed_to_label``): NCS and LA-tracking hand-overs are never added together.

    Counts: ``leavers`` = young people who left in the group (the cohort, people; from
    :func:`hubcore.store.leaver_counts`; missing when ``leavers`` is not given);
    ``handovers`` = hand-overs to this organisation; ``referred`` = with a referral date;
    ``not_referred`` = handovers − referred; ``contacted`` = with a contact date. The referred
    hand-overs split by status into ``engaged``, ``lost`` (``lost_before_contact`` of them never
    contacted), ``closed`` and ``still_open`` (pending, referred or contacted), which add up to
    ``referred``.

    Percentages, each over the base named after ``_of_`` (percent): ``pct_handed_over_of_leavers``,
    ``pct_referred_of_leavers``, ``pct_referred_of_handovers``, ``pct_contacted_of_referred``,
    ``pct_engaged_of_referred``, ``pct_lost_of_referred``, ``pct_closed_of_referred``,
    ``pct_open_of_referred`` (the last four add up to 100). A zero base leaves its percentages
    missing, with ``note`` saying "no leavers" or "no hand-overs".
    """
    frame, keys = _groups(handovers, by)
    w = _weights(frame)
    zero = pd.Series(0, index=frame.index, dtype="int64")
    status = frame["status"].astype(str)
    referred = frame["referred_on"].notna()
    contacted = _contacted(frame)
    target = (
        frame["to_org_type"].astype(str)
        if "to_org_type" in frame.columns
        else pd.Series("ncs", index=frame.index)
    )
    work = pd.DataFrame(
        {
            **{k: frame[k] for k in keys},
            "handed_to": target,
            "handovers": w,
            "referred": w.where(referred, zero),
            "contacted": w.where(contacted, zero),
            "engaged": w.where(referred & status.eq("engaged"), zero),
            "lost": w.where(referred & status.eq("lost"), zero),
            "lost_before_contact": w.where(referred & status.eq("lost") & ~contacted, zero),
            "closed": w.where(referred & status.eq("closed"), zero),
            "still_open": w.where(referred & status.isin(OPEN_STATUSES), zero),
        }
    )
    sums = work.groupby([*keys, "handed_to"], sort=True).sum().reset_index()
    targets = list(dict.fromkeys([*FUNNEL_TARGETS, *sorted(sums["handed_to"].unique())]))
    if leavers is not None:
        people, lkeys = _groups(leavers, by)
        base = people.groupby(lkeys, sort=True)["leavers"].sum().reset_index()
    else:
        base = sums[keys].drop_duplicates().assign(leavers=np.nan)
    grid = base.merge(pd.DataFrame({"handed_to": targets}), how="cross")
    out = grid.merge(sums, on=[*keys, "handed_to"], how="outer")
    counted = [c for c in FUNNEL_COUNTS if c != "not_referred"]
    out[counted] = out[counted].fillna(0).astype("int64")
    out = out.sort_values([*keys, "handed_to"], ignore_index=True)
    out["not_referred"] = out["handovers"] - out["referred"]
    out["handed_to_label"] = out["handed_to"].map(HANDOVER_TARGET_LABELS).fillna(out["handed_to"])

    def pct(part: str, whole: str) -> pd.Series:
        base_ = out[whole].astype("float64")
        return 100.0 * out[part] / base_.where(base_ > 0)

    out["pct_handed_over_of_leavers"] = pct("handovers", "leavers")
    out["pct_referred_of_leavers"] = pct("referred", "leavers")
    out["pct_referred_of_handovers"] = pct("referred", "handovers")
    out["pct_contacted_of_referred"] = pct("contacted", "referred")
    for part, name in (("engaged", "engaged"), ("lost", "lost"), ("closed", "closed"),
                       ("still_open", "open")):  # fmt: skip
        out[f"pct_{name}_of_referred"] = pct(part, "referred")
    note = np.where(
        out["leavers"].eq(0), "no leavers", np.where(out["handovers"].eq(0), "no hand-overs", "")
    )
    out["note"] = pd.Series(note, index=out.index, dtype="string")
    return out


#: Outcomes of :func:`hubcore.store.sustained_counts`, in the order reports show them.
SUSTAINED_OUTCOMES: tuple[str, ...] = (
    "education", "apprenticeship", "education_apprenticeship", "employment", "employment_mix",
    "not_sustained", "unknown",
)  # fmt: skip


def sustained_destinations(
    counts: pd.DataFrame, by: Sequence[str] = ("urn", "cohort", "year_group")
) -> pd.DataFrame:
    """Sustained destinations per group from :func:`hubcore.store.sustained_counts`: the first
    two terms after leaving (1 October – 31 March, DOMAIN.md §4.5), judged from the records.

    Counts (people): ``leavers`` (the base: every leaver of the group); ``sust_education``,
    ``sust_apprenticeship`` (every record current in the window in that one category);
    ``sust_edu_app`` = education, apprenticeship or a mix of the two throughout (the sustained
    education or apprenticeship destination); ``sust_employment`` = employment throughout, or
    employment mixed with education or apprenticeship; ``sust_overall`` = sust_edu_app +
    sust_employment; ``not_sustained`` = some record in the window outside those categories;
    ``activity_unknown`` = no record current in the window. ``pct_<count>`` = count ÷ leavers ×
    100 (percent).
    """
    names = ["leavers", "sust_education", "sust_apprenticeship", "sust_edu_app",
             "sust_employment", "sust_overall", "not_sustained", "activity_unknown"]  # fmt: skip
    frame, keys = _groups(counts, by)
    if frame.empty:
        empty = {k: pd.Series(dtype="int64") for k in [*keys, *names]}
        return pd.DataFrame(empty).assign(**{f"pct_{n}": pd.Series(dtype="float64")
                                             for n in names[1:]})  # fmt: skip
    wide = frame.pivot_table(
        index=keys, columns="outcome", values="leavers", aggfunc="sum", fill_value=0
    ).reindex(columns=list(SUSTAINED_OUTCOMES), fill_value=0)
    out = pd.DataFrame(index=wide.index)
    out["leavers"] = wide.sum(axis=1)
    out["sust_education"] = wide["education"]
    out["sust_apprenticeship"] = wide["apprenticeship"]
    out["sust_edu_app"] = wide[["education", "apprenticeship", "education_apprenticeship"]].sum(
        axis=1
    )
    out["sust_employment"] = wide["employment"] + wide["employment_mix"]
    out["sust_overall"] = out["sust_edu_app"] + out["sust_employment"]
    out["not_sustained"] = wide["not_sustained"]
    out["activity_unknown"] = wide["unknown"]
    out = out.astype("int64")
    base = out["leavers"].where(out["leavers"] > 0).astype("float64")
    for n in names[1:]:
        out[f"pct_{n}"] = 100.0 * out[n] / base
    return out.reset_index()


#: DfE destination-measure stage of each leaving year group.
DFE_STAGE_YEAR_GROUP: dict[str, int] = {"ks4": 11, "16-18": 13}


def compare_sustained(rates: pd.DataFrame, published: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`sustained_destinations` per school with DfE's published measure beside it, where
    imported (:func:`hubcore.store.school_destination_measures`, breakdown "Total"): KS4 for
    Year 11 leavers, 16–18 for Year 13. ``time_period`` 202223 names 2022/23 leavers (cohort
    2023), as the importer stores it. Adds ``dfe_time_period``, ``dfe_pupils`` (DfE's cohort),
    ``dfe_overall_pct``, ``dfe_education_pct``, ``dfe_apprenticeship_pct``,
    ``dfe_employment_pct``, ``dfe_not_sustained_pct``, ``dfe_unknown_pct`` (percent; missing
    where not imported or suppressed by DfE) and ``dfe_note``."""
    cols = {"time_period": "dfe_time_period", "cohort": "dfe_pupils",
            "overall": "dfe_overall_pct", "education": "dfe_education_pct",
            "apprenticeship": "dfe_apprenticeship_pct", "employment": "dfe_employment_pct",
            "not_sustained": "dfe_not_sustained_pct", "unknown": "dfe_unknown_pct"}  # fmt: skip
    out = rates
    if published is None or published.empty or "urn" not in out.columns:
        out = out.assign(**dict.fromkeys(cols.values(), np.nan))
        return out.assign(dfe_note="DfE measure not imported" if "urn" in out.columns else "")
    pub = published[published["breakdown"].astype(str).eq("Total")]
    pub = pub.assign(
        year_group=pub["stage"].map(DFE_STAGE_YEAR_GROUP),
        cohort_year=pub["time_period"].astype("int64") // 100 + 1,
    )
    pub = pub.rename(columns=cols)[["urn", "year_group", "cohort_year", *cols.values()]]
    pub = pub.rename(columns={"cohort_year": "cohort"})
    out = out.merge(pub, on=["urn", "cohort", "year_group"], how="left")
    out["dfe_note"] = np.where(
        out["dfe_time_period"].isna(), "DfE measure not imported", "DfE published measure"
    )
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
