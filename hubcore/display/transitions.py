"""The transitions report and the transitions page's funnel, lag, NEET, flows and overdue list."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import metrics, store, vocabulary
from hubcore.access import Scope
from hubcore.disclosure import rules
from hubcore.display.base import (
    FUNNEL_STEPS,
    LAG_BIN_DAYS,
    RULES,
    C,
    _meta,
    numeric,
    protect,
    schools,
)
from hubcore.metrics import report

# --- the transitions report: one protected table for every transitions figure ----------------
#
# The destination mix, funnel, lag and NEET figures the pages show are rows of the transitions
# report after disclosure control (``hubcore.metrics.report.export_table``), whose rules link
# them to each other (school rows to hub rows, the lag's referrals to the funnel's, NEET counts
# to the cohort's leavers). Taking the page's figures from it keeps one figure one value across
# the report, the pages and the briefing, and a cell hidden in one is hidden in all.

#: Funnel columns the pages show, after their keys.
#: The year groups the transitions page sets side by side, and the plots of its charts draw:
#: Year 11 and Year 13 leavers (DOMAIN.md §4.6's two hand-over points). Year 12 leavers, where
#: recorded, are in the reports, the profile's destinations and the September Guarantee.
PAGE_YEAR_GROUPS: tuple[int, ...] = (11, 13)
FUNNEL_COLUMNS = (*rules.FUNNEL_COUNTS, *(p for p in rules.FUNNEL_PCTS if "_of_" in p), "note")


def transitions_report(engine: Engine, scope: Scope,
                       overdue_days: int = metrics.transitions.OVERDUE_DAYS) -> pd.DataFrame:
    """The transitions report for ``scope`` with disclosure control applied (every section;
    see :func:`hubcore.metrics.report.transitions_table`). The page sources below take their
    rows from it; a page passes the one it has cached as ``table``."""
    return report.export_table(engine, "transitions", scope,
                               report.Options(overdue_days=overdue_days))


def _section(table: pd.DataFrame, section: str, columns: Sequence[str],
             cohort: int | None = None, urn: int | None = None) -> pd.DataFrame:
    rows = table[table["section"].eq(section)]
    if cohort is not None:
        rows = rows[pd.to_numeric(rows["cohort"]) == cohort]
    if urn is not None:
        rows = rows[pd.to_numeric(rows["urn"]) == urn]
    keep = [c for c in columns if c in rows.columns]
    return rows[keep].reset_index(drop=True)




# --- transitions ------------------------------------------------------------------------------


def _cohort(frame: pd.DataFrame, cohort: int | None) -> pd.DataFrame:
    if cohort is None:
        return frame
    return frame[pd.to_numeric(frame["cohort"]) == cohort].reset_index(drop=True)


def cohorts(engine: Engine, scope: Scope, table: pd.DataFrame | None = None) -> list[int]:
    """Summers of leaving in the transitions report, oldest first."""
    if table is None:
        table = transitions_report(engine, scope)
    return sorted(int(c) for c in pd.to_numeric(table["cohort"], errors="coerce")
                  .dropna().unique())


def transitions_funnel(engine: Engine, scope: Scope, cohort: int | None = None,
                       table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The hub's hand-over funnel per cohort, year group and receiving organisation (the
    report's ``funnel_hub`` rows; columns as :func:`profile_funnel` without ``urn``); one
    cohort if ``cohort`` is given."""
    if table is None:
        table = transitions_report(engine, scope)
    out = _section(table, "funnel_hub", ["cohort", "year_group", "handed_to", "handed_to_label",
                                         *FUNNEL_COLUMNS], cohort=cohort)
    return _meta(out, title="Hand-over funnel",
                 units=dict.fromkeys(rules.FUNNEL_COUNTS, "young people"))


def funnel_bars(funnel_table: pd.DataFrame, year_group: int) -> pd.DataFrame:
    """One year group's rows of a funnel frame as grouped bars: ``step``
    (:data:`FUNNEL_STEPS`), ``to`` (the receiving organisation's label), ``young_people`` (as
    shown, ``c`` where suppressed), ``value`` (float, NaN where suppressed) and ``step_label``
    (the step in words, "Hand-overs")."""
    rows = funnel_table[pd.to_numeric(funnel_table["year_group"]) == year_group]
    parts = [pd.DataFrame({"step": list(FUNNEL_STEPS), "to": r["handed_to_label"],
                           "young_people": [r[s] for s in FUNNEL_STEPS]})
             for _, r in rows.iterrows()]
    out = pd.concat(parts, ignore_index=True) if parts else \
        pd.DataFrame(columns=["step", "to", "young_people"])
    out["value"] = numeric(out["young_people"])
    out["step_label"] = out["step"].map(vocabulary.title).astype(object)
    return _meta(out, title="Hand-over funnel", units={"value": "young people"})


def transitions_lag(engine: Engine, scope: Scope, cohort: int | None = None,
                    table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Days from leaving to referral per cohort, year group and receiving organisation (the
    report's ``lag_hub`` rows, :func:`hubcore.metrics.referral_lag`): ``cohort``,
    ``year_group``, ``handed_to``, ``referred`` (hand-overs referred), ``median_days`` and
    ``p90_days`` (days; ``c`` with too few referrals)."""
    if table is None:
        table = transitions_report(engine, scope)
    out = _section(table, "lag_hub", ["cohort", "year_group", "handed_to", "referred",
                                      "median_days", "p90_days"], cohort=cohort)
    out["handed_to_label"] = out["handed_to"].map(
        metrics.transitions.HANDOVER_TARGET_LABELS).fillna(out["handed_to"])
    return _meta(out, title="Days from leaving to referral",
                 units={"median_days": "days", "p90_days": "days", "referred": "hand-overs"})


def lag_histogram(engine: Engine, scope: Scope, cohort: int | None = None,
                  year_group: int = 11, lag: pd.DataFrame | None = None) -> pd.DataFrame:
    """Days from leaving to referral in 14-day bins for one cohort (default all) and year
    group, every receiving organisation together, from the aggregate hand-over read (so every
    role sees it): ``left_days``, ``right_days`` (bin edges, days), ``handovers`` (``c`` where
    suppressed) and ``value`` (float; 0 where suppressed, so a hidden bin draws nothing).

    Protection: the bins add up to the referrals of :func:`transitions_lag` (``lag``), so a
    hidden bin never stands alone, and if the lag hides any of those referrals (or for all
    cohorts at once, which no lag row shows) a bin is hidden with them."""
    hand = _cohort(store.handover_dates(engine, scope), cohort)
    hand = hand[(hand["year_group"] == year_group) & hand["referred_on"].notna()]
    days = (pd.to_datetime(hand["referred_on"]) - pd.to_datetime(hand["left_on"])).dt.days
    weights = hand["handovers"] if "handovers" in hand else pd.Series(1, index=hand.index)
    top = max(int(days.max()) if len(days) else 0, 30)
    edges = np.arange(0, top + LAG_BIN_DAYS + 1, LAG_BIN_DAYS)
    counts, edges = np.histogram(days, bins=edges, weights=weights.to_numpy(float))
    if lag is None and cohort is not None:
        lag = transitions_lag(engine, scope, cohort)
    rows = lag[pd.to_numeric(lag["year_group"]) == year_group] if lag is not None else None
    total: object = int(counts.sum())
    if rows is None or rows["referred"].astype(object).eq(C).any():
        total = C  # not shown as such: treat it as hidden
    frame = pd.DataFrame({
        "_row": ["bin"] * len(counts) + ["total"], "_group": 0,
        "left_days": [*edges[:-1].astype(int), 0], "right_days": [*edges[1:].astype(int), 0],
        "handovers": [*counts.astype("int64").tolist(), total]})
    out = protect(frame, RULES["lag_histogram"]).iloc[:-1].reset_index(drop=True)
    out["value"] = numeric(out["handovers"]).fillna(0.0)
    return _meta(out, title="Referral lag, hidden bins not drawn",
                 units={"handovers": "hand-overs", "left_days": "days"})


def transitions_neet(engine: Engine, scope: Scope, cohort: int | None = None,
                     table: pd.DataFrame | None = None) -> pd.DataFrame:
    """NEET + not known one year after leaving, per young person, for the hub (the report's
    ``neet_hub`` rows, :func:`hubcore.metrics.neet_rates`) against its LAs' published rates and
    England's figure for the leavers' age (:func:`hubcore.metrics.compare_neet`), per cohort
    and year group: ``cohort``, ``year_group``, ``who`` ("this hub", "LA <code> (published
    …)", the England comparator's name), ``denominator`` (leavers; hub rows only),
    ``neet_nk_pct`` (percent), ``measurement`` and ``value`` (float, NaN where suppressed or
    no comparator). LAs publish rates for ages 16–17 only, so Year 13 rows have none.

    Protection: the report's values, unchanged (one figure, one value); its rules also hide
    the rate beside its base where the leavers who are neither NEET nor not known number 1–5
    (rate × base would give them back; :func:`hubcore.disclosure.rules.neet_rest`)."""
    if table is None:
        table = transitions_report(engine, scope)
    hub = _section(table, "neet_hub", ["cohort", "year_group", "denominator", "neet_nk_pct",
                                       "measurement", "england_comparator",
                                       "england_neet_nk_pct", "neet", "not_known"],
                   cohort=cohort)
    # The report's values as they are: its rules (rules.neet_rest among them) protect the
    # rate beside its base. Protecting its rows again would read each "c" count as a 1 and
    # hide rates the report shows (14.0 % of 50 where NEET and not known are both "c").
    hub = hub.drop(columns=["neet", "not_known"])
    las = sorted(schools(engine, scope)["la_gss"].dropna().unique().tolist())
    published = metrics.la_published(store.la_neet_stats(engine, las))
    published = published[published["la_neet_nk_pct"].notna()]
    rows = [hub.drop(columns=["england_comparator", "england_neet_nk_pct"])
            .assign(who="this hub")]
    for r in hub.itertuples(index=False):
        young = pd.notna(r.england_neet_nk_pct)
        who = [f"LA {p.la_gss} (published {p.la_time_period})"
               for p in published.itertuples()] if young else []
        pct = [float(v) for v in published["la_neet_nk_pct"]] if young else []
        who.append(str(r.england_comparator))
        pct.append(float(r.england_neet_nk_pct))
        rows.append(pd.DataFrame({"cohort": r.cohort, "year_group": r.year_group, "who": who,
                                  "neet_nk_pct": [round(v, 1) for v in pct]}))
    out = pd.concat(rows, ignore_index=True)
    out["value"] = numeric(out["neet_nk_pct"])
    return _meta(out, title="NEET and not known, first year after leaving",
                 units={"neet_nk_pct": "percent", "denominator": "leavers"})


def transitions_flows(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Where leavers went in their first autumn, for the flow map: ``urn``, ``year_group``,
    ``category`` (a destination, or ``handed over: ncs`` / ``handed over: la_tracking``),
    ``provider_urn``, ``leavers`` (``c`` under 6) and ``value`` (float, NaN where suppressed:
    such flows are not drawn).

    Protection: a school's destination flows for a year group add up to its leavers with a
    destination (which the profile shows, cohort by cohort), so a hidden flow never stands
    alone there."""
    flows = store.destination_flows(engine, scope)
    handed = flows["category"].astype(str).str.startswith("handed over")
    keys = ["urn", "year_group"]
    totals = flows[~handed].groupby(keys, as_index=False)["leavers"].sum()
    frame = pd.concat([flows.assign(_row=np.where(handed, "handover", "flow")),
                       totals.assign(_row="total")], ignore_index=True)
    out = protect(frame, RULES["transitions_flows"])
    out = out[(frame["_row"] != "total").to_numpy()].reset_index(drop=True)
    out["value"] = numeric(out["leavers"])
    return _meta(out, title="Where leavers went in their first autumn",
                 units={"leavers": "leavers"}, note="Flows of fewer than 6 are not drawn.")


def pupil_handovers(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The hand-overs themselves (:func:`hubcore.store.handovers`: pupil rows, guarded and
    audited; raises :class:`~hubcore.errors.AccessDenied` for roles that may not see them),
    read once by a page that filters them as its options change (:func:`overdue_list`)."""
    return store.handovers(engine, scope)


def overdue_list(engine: Engine, scope: Scope, cohort: int | None = None,
                 year_group: int = 11, days: int = metrics.transitions.OVERDUE_DAYS,
                 rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The overdue hand-overs themselves (:func:`hubcore.metrics.overdue_list`): pupil rows
    with pseudonymous keys, only for roles allowed them (``rows`` from
    :func:`pupil_handovers`, read here if not given). Not an aggregate, so not in
    :data:`SOURCES`. Columns ``leaver_key``, ``from_urn``, ``to_org_type``, ``reason``,
    ``left_on``, ``days_waiting`` (days), longest wait first."""
    if rows is None:
        rows = pupil_handovers(engine, scope)
    rows = rows[rows["year_group"] == year_group]
    if cohort is not None:
        rows = rows[rows["cohort"] == cohort]
    late = metrics.overdue_list(rows, days=days)
    keep = [c for c in ("leaver_key", "from_urn", "to_org_type", "reason", "left_on",
                        "days_waiting") if c in late]
    return _meta(late[keep], title="Overdue hand-overs", units={"days_waiting": "days"})


#: Where the flow map puts the receiving organisations that have no location: metres east of
#: the easternmost school (the NCS) and west of the westernmost (LA tracking), and the NCS's
#: rise above the schools' mean northing (so the two labels never share a line).
NODE_OFFSET_M = 6000.0
NCS_RISE_M = 4000.0
#: Flow map line widths, pixels: the thinnest flow and the extra width of the largest.
FLOW_WIDTH_PX = (1.0, 6.0)


def flow_nodes(school_list: pd.DataFrame) -> pd.DataFrame:
    """The flow map's receiving organisations without a location, placed beside the schools:
    ``category`` (as in :func:`transitions_flows`), ``label`` ("NCS", "LA tracking"),
    ``easting``, ``northing`` (BNG metres). Empty when no school has a location."""
    xy = school_list[["easting", "northing"]].dropna()
    if xy.empty:
        return pd.DataFrame(columns=["category", "label", "easting", "northing"])
    mid = float(xy["northing"].mean())
    return pd.DataFrame({
        "category": ["handed over: ncs", "handed over: la_tracking"],
        "label": ["NCS", "LA tracking"],
        "easting": [float(xy["easting"].max()) + NODE_OFFSET_M,
                    float(xy["easting"].min()) - NODE_OFFSET_M],
        "northing": [mid + NCS_RISE_M, mid],
    })


def _flow_words(category: str) -> str:
    """A flow's destination in words ("Handed over to National Careers Service")."""
    prefix = "handed over: "
    if category.startswith(prefix):
        return "Handed over to " + vocabulary.label(category.removeprefix(prefix))
    return vocabulary.label(category, "destination")


def flow_segments(flows: pd.DataFrame, school_list: pd.DataFrame) -> pd.DataFrame:
    """:func:`transitions_flows` as lines for the flow map: ``year_group``, ``x0``, ``y0``
    (the school), ``x1``, ``y1`` (the provider, or the NCS / LA tracking node of
    :func:`flow_nodes`; BNG metres), ``leavers`` (young people, as published), ``to`` (the
    destination) and ``width`` (pixels, growing with the square root of ``leavers`` up to the
    largest flow).

    Suppressed flows (``value`` NaN: fewer than 6 young people) are not drawn, nor flows to a
    provider that is the school itself or has no location: only published counts are drawn."""
    columns = ["year_group", "x0", "y0", "x1", "y1", "leavers", "to", "width"]
    xy = school_list.set_index("urn")[["easting", "northing"]].dropna()
    nodes = flow_nodes(school_list).set_index("category")
    shown = flows[flows["value"].notna() & flows["urn"].isin(xy.index)]
    rows = []
    for r in shown.itertuples():
        x0, y0 = xy.loc[r.urn]
        if r.category in nodes.index:
            x1, y1 = nodes.loc[r.category, ["easting", "northing"]]
        elif pd.notna(r.provider_urn) and int(r.provider_urn) in xy.index \
                and int(r.provider_urn) != r.urn:
            x1, y1 = xy.loc[int(r.provider_urn)]
        else:
            continue
        rows.append((int(r.year_group), float(x0), float(y0), float(x1), float(y1),
                     float(r.value), _flow_words(str(r.category))))
    out = pd.DataFrame(rows, columns=columns[:-1])
    thin, extra = FLOW_WIDTH_PX
    biggest = max(float(out["leavers"].max()) if len(out) else 1.0, 1.0)
    out["width"] = thin + extra * np.sqrt(out["leavers"].astype(float) / biggest)
    return _meta(out[columns], title="Where leavers went in their first autumn",
                 units={"leavers": "leavers", "width": "pixels"},
                 note="Flows of fewer than 6 are not drawn.")


#: Why a NEET comparator has no bar: LAs publish 16–17 rates only.
NO_LA_RATE_Y13 = "LAs publish NEET rates for ages 16–17 only, so there is no LA figure for Year 13"
NO_LA_RATE = "no rate published for this hub's LAs in the data"
NO_FIGURE = "no figure published"


def _short_who(who: str) -> str:
    """A comparator's name short enough for a chart's axis ("England", "LA E06000001")."""
    if who.startswith("England"):
        return "England"
    if who.startswith("LA "):
        return who.split(" (")[0]
    return who


def neet_bars(neet: pd.DataFrame, year_group: int) -> pd.DataFrame:
    """One year group's rows of :func:`transitions_neet` as bars, with a reason for every
    empty one: ``label`` (who, short: "this hub", "LA <code>", "England"), ``value`` (percent,
    NaN for no bar), ``text`` (written at the bar: the value with "%", ``c`` where suppressed,
    or "no figure") and ``note`` (the comparator's full name, and why it has no bar).

    The LA comparator always has a row: where no LA rate is published for the leavers' age
    (Year 13: LAs publish 16–17 only) the row says so rather than leaving an unexplained gap.
    Values are the display layer's, already protected."""
    rows = neet[pd.to_numeric(neet["year_group"]) == year_group]
    out = []
    for r in rows.itertuples():
        value = numeric(pd.Series([r.neet_nk_pct])).iat[0]
        who = str(r.who)
        if pd.notna(value):
            text, note = f"{float(value):.1f}%", who
        elif str(r.neet_nk_pct) == C:
            text, note = C, f"{who}: hidden, fewer than 6 young people"
        else:
            text, note = "no figure", f"{who}: {NO_FIGURE}"
        out.append((_short_who(who), float(value) if pd.notna(value) else np.nan, text, note))
    frame = pd.DataFrame(out, columns=["label", "value", "text", "note"])
    if len(frame) and not frame["label"].str.startswith("LA ").any():
        why = NO_LA_RATE_Y13 if year_group == 13 else NO_LA_RATE
        gap = pd.DataFrame([("LA (published)", np.nan, "no figure", f"LA (published): {why}")],
                           columns=frame.columns)
        frame = pd.concat([frame.iloc[:1], gap, frame.iloc[1:]], ignore_index=True)
    return _meta(frame, title=f"NEET and not known, Year {year_group}, first year after leaving",
                 units={"value": "percent"})
