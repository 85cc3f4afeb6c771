"""Not-known chase list and data completeness: per school, the leavers whose activity is not
known, whose record is out of date (stale), or who have no destination record at all, and the
hand-overs nobody has contacted; each with who should chase (the school, the LA's tracking
service or the National Careers Service) and since when. Definitions and sources:
``docs/metrics.md`` ("Not-known chase list and completeness").

Pure functions on frames; :func:`table_for_scope` (aggregates, protected by :data:`SPEC`) and
:func:`chase_list_for_scope` (pupil rows, guarded and audited by :mod:`hubcore.store`) are the
scoped reads.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from hubcore import codes, disclosure, store
from hubcore.access import Scope
from hubcore.disclosure import Relation, Spec
from hubcore.metrics.guarantee import read_people

#: Days an activity that is not education, employment or training stays current without a
#: review (NEET, re-engagement, custody): about three months. DOMAIN.md §4.2 names NCCIS's
#: currency rules (expected course end date, current-activity review date) but not their
#: periods, and the suite stores neither date, so this is the suite's stand-in: see
#: ``docs/metrics.md``.
REVIEW_DAYS = 92
#: Categories with a course or job that runs for a year: current until the end of the
#: academic year (31 August) in which they were recorded, the stand-in for the course's
#: expected end date.
COURSE_CATEGORIES: frozenset[str] = frozenset(
    {"education", "apprenticeship", "employment", "training"}
)

#: Issues, in report order, and their words.
ISSUES: dict[str, str] = {
    "not_known": "activity not known",
    "stale": "record out of date",
    "missing": "no destination recorded",
    "handover_not_referred": "hand-over not yet referred",
    "handover_no_contact": "hand-over referred, no contact",
}
#: Who should chase, in words.
CHASERS: dict[str, str] = {
    "school": "school",
    "la_tracking": "LA tracking",
    "ncs": "National Careers Service",
    "jobcentre_plus": "Jobcentre Plus",
    "provider": "provider",
    "youth_service": "youth support service",
}
#: Destination state of a leaver (people; the four add up to the leavers chased for).
STATES: tuple[str, ...] = ("current", "not_known", "stale", "missing")


def current_until(category: str, recorded_on: dt.date) -> dt.date:
    """Last day a record of ``category`` made on ``recorded_on`` counts as current: 31 August
    ending its academic year for education, apprenticeships, employment and training
    (:data:`COURSE_CATEGORIES`); ``recorded_on`` + :data:`REVIEW_DAYS` otherwise."""
    if category in COURSE_CATEGORIES:
        year = recorded_on.year if recorded_on.month <= 8 else recorded_on.year + 1
        return dt.date(year, 8, 31)
    return recorded_on + dt.timedelta(days=REVIEW_DAYS)


def tracked_until(cohort: int, year_group: int) -> dt.date:
    """Last day a leaver is chased: 31 August of the academic year of their 18th birthday for
    Year 11 and 12 leavers (the LA's tracking duty covers academic ages 16–17, DOMAIN.md
    §4.1); the first academic year after leaving for Year 13 and 14 leavers, whom the LA no
    longer tracks (§4.1, §4.6)."""
    return dt.date(int(cohort) + max(1, 13 - int(year_group)), 8, 31)


def _tracker(year_group: pd.Series) -> pd.Series:
    """Who chases a leaver's activity: LA tracking for Year 11–12 leavers (ages 16–17), the
    NCS for Year 13+ (age 18: outside LA tracking, DOMAIN.md §4.1, §4.6)."""
    return pd.Series(np.where(year_group.astype("int64") <= 12, "la_tracking", "ncs"),
                     index=year_group.index, dtype="string")  # fmt: skip


def _map(keys: pd.Series, dates: pd.Series) -> pd.Series:
    """``keys.map(dates)``: pandas 3 cannot map through an empty datetime Series (it casts
    the mapper to float), so an empty one gives missing dates (a hub with no not-known
    record, or no record at all)."""
    if len(dates):
        return keys.map(dates)
    return pd.Series(pd.NaT, index=keys.index, dtype="datetime64[ns]")


def leaver_states(
    leavers: pd.DataFrame, records: pd.DataFrame, as_of: dt.date | None = None
) -> pd.DataFrame:
    """One row per leaver chased on ``as_of`` (default today): left on or before it and still
    within :func:`tracked_until`. ``state``, from the *actual* records dated on or before
    ``as_of`` (intended destinations are plans, not activities):

    - ``missing``: no actual record since leaving; the school chases, since the day they left;
    - ``not_known``: the latest record is not known (810, 820, 830); LA tracking (Year 11–12)
      or the NCS (Year 13+) chases, since the first of the unbroken run of not-known records;
    - ``stale``: the latest record is past :func:`current_until`; the same chasers, since the
      day after it lapsed;
    - ``current`` otherwise.

    A key listed twice keeps the row with the latest ``left_on``; several records of one person
    count once (the latest decides).
    """
    today = pd.Timestamp(as_of if as_of is not None else dt.date.today())
    people = leavers.sort_values(["key", "left_on"]).drop_duplicates("key", keep="last")
    people = people.assign(left_on=pd.to_datetime(people["left_on"]))
    # tracked_until, vectorised: 31 August of cohort + max(1, 13 − year group).
    end_year = people["cohort"].astype("int64") + (13 - people["year_group"].astype("int64")
                                                   ).clip(lower=1)  # fmt: skip
    until = pd.to_datetime(end_year.astype(str) + "-08-31")
    people = people[(people["left_on"] <= today) & (until >= today)]
    people = people[["key", "urn", "cohort", "year_group", "left_on"]].reset_index(drop=True)
    recs = records[records["kind"].astype(str).eq("actual")]
    recs = recs.assign(recorded_on=pd.to_datetime(recs["recorded_on"]))
    recs = recs[(recs["recorded_on"] <= today) & recs["leaver_key"].isin(people["key"])]
    recs = recs.sort_values(["leaver_key", "recorded_on"])
    unknown = recs["category"].astype(str).eq("not_known")
    # Start of each person's final run of not-known records: records after their last known one.
    last_known = recs[~unknown].groupby("leaver_key")["recorded_on"].max()
    known_until = _map(recs["leaver_key"], last_known)
    after = known_until.isna() | (recs["recorded_on"] > known_until)
    run_start = recs[unknown & after].groupby("leaver_key")["recorded_on"].min()
    latest = recs.drop_duplicates("leaver_key", keep="last").set_index("leaver_key")
    out = people.assign(
        latest_on=_map(people["key"], latest["recorded_on"]),
        latest_code=people["key"].map(latest["nccis_code"]).astype("Int64"),
        latest_category=people["key"].map(latest["category"]).astype("string"),
    )
    # current_until, vectorised: 31 August ending the record's academic year for courses and
    # jobs, the record's date + REVIEW_DAYS otherwise.
    on = out["latest_on"]
    course_end = pd.to_datetime((on.dt.year + (on.dt.month > 8)).astype("Int64").astype("string")
                                + "-08-31", errors="coerce")  # fmt: skip
    course = out["latest_category"].isin(list(COURSE_CATEGORIES)).fillna(False)
    lapse = course_end.where(course, on + pd.Timedelta(days=REVIEW_DAYS))
    missing = out["latest_on"].isna().to_numpy()
    nk = out["latest_category"].eq("not_known").fillna(False).to_numpy()
    stale = ~missing & ~nk & (lapse < today).fillna(False).to_numpy()
    out["state"] = pd.Series(np.select([missing, nk, stale], ["missing", "not_known", "stale"],
                                       "current"), index=out.index, dtype="string")  # fmt: skip
    since = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    since[missing] = out.loc[missing, "left_on"]
    since[nk] = _map(out.loc[nk, "key"], run_start)
    since[stale] = lapse[stale] + pd.Timedelta(days=1)
    out["since"] = since
    out["chaser"] = _tracker(out["year_group"]).where(~pd.Series(missing, index=out.index),
                                                      "school")  # fmt: skip
    return out


def handover_issues(handovers: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """Open hand-overs nobody has contacted, one row per hand-over made by ``as_of`` (default
    today): ``handover_not_referred`` (no referral date: the school that made it should send
    it, since the day the young person left) and ``handover_no_contact`` (referred, status
    still pending or referred, no contact date: the receiving organisation should make
    contact, since the referral). Hand-overs lost or closed without contact are finished
    cases, not chased. Columns: ``key``, ``urn`` (the school), ``handed_to``, ``issue``,
    ``chaser``, ``since``."""
    today = pd.Timestamp(as_of if as_of is not None else dt.date.today())
    h = handovers.assign(**{c: pd.to_datetime(handovers[c])
                            for c in ("left_on", "referred_on", "contacted_on")})  # fmt: skip
    h = h[h["left_on"] <= today]
    referred = h["referred_on"].notna() & (h["referred_on"] <= today)
    contacted = h["contacted_on"].notna() & (h["contacted_on"] <= today)
    open_ = h["status"].astype(str).isin(["pending", "referred"])
    not_referred = ~referred & h["status"].astype(str).isin(["pending", "referred"])
    no_contact = referred & ~contacted & open_
    target = h["to_org_type"].astype("string")
    out = pd.DataFrame({
        "key": h["leaver_key"], "urn": h["from_urn"], "handed_to": target,
        "issue": np.select([not_referred, no_contact],
                           ["handover_not_referred", "handover_no_contact"], ""),
        "chaser": target.where(~not_referred, "school"),
        "since": h["left_on"].where(not_referred, h["referred_on"]),
    })  # fmt: skip
    return out[out["issue"].ne("")].reset_index(drop=True)


def chase_list(
    leavers: pd.DataFrame,
    records: pd.DataFrame,
    handovers: pd.DataFrame,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """The chase list (pupil level: pseudonymous keys, only for scopes that may see pupils):
    one row per leaver and issue, oldest first within each school. Columns: ``key``, ``urn``,
    ``cohort``, ``year_group``, ``issue`` (words), ``chase_by`` (words), ``since`` (date),
    ``days_open`` (``as_of`` − since, days), ``detail`` (the latest activity in words, or the
    organisation handed to)."""
    states = leaver_states(leavers, records, as_of)
    out = chase_items(states, handovers, as_of)
    cohort = leavers.drop_duplicates("key", keep="last").set_index("key")["cohort"]
    out = out.assign(cohort=out["key"].map(cohort).astype("Int64"),
                     days_open=out["days_open"].astype("Int64"))
    out["issue"] = out["issue"].map(ISSUES).astype("string")
    out["chase_by"] = out["chaser"].map(CHASERS).fillna(out["chaser"]).astype("string")
    out["since"] = pd.to_datetime(out["since"]).dt.date.astype("string")
    out = out.sort_values(["urn", "days_open", "key"], ascending=[True, False, True],
                          ignore_index=True)  # fmt: skip
    return out[["key", "urn", "cohort", "year_group", "issue", "chase_by", "since",
                "days_open", "detail"]]  # fmt: skip


def completeness(
    leavers: pd.DataFrame,
    records: pd.DataFrame,
    handovers: pd.DataFrame,
    as_of: dt.date | None = None,
    by: tuple[str, ...] = ("urn", "year_group"),
    urns: list[int] | None = None,
    states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Counts per group (default per school and year group; people unless named otherwise):

    - ``leavers`` (chased on ``as_of``: :func:`leaver_states`) = ``current`` + ``not_known`` +
      ``stale`` + ``missing``; ``pct_current_of_leavers`` (the completeness figure) and
      ``pct_not_known_of_leavers``, ``pct_stale_of_leavers``, ``pct_missing_of_leavers``
      (percent, missing where there are no leavers: ``note`` "no leavers chased");
    - ``handovers_not_referred``, ``handovers_no_contact`` (hand-overs, :func:`handover_issues`);
    - ``chase_school``, ``chase_la``, ``chase_ncs``: young people with at least one issue for
      the school, LA tracking or the NCS to chase (one person may be on two lists);
    - ``max_days_open``: the longest an issue has waited (days).

    Given ``urns`` and ``"urn"`` in ``by``, every school gets a row per year group seen.
    ``states``: :func:`leaver_states` of the same inputs, when the caller has it already.
    """
    if states is None:
        states = leaver_states(leavers, records, as_of)
    keys = list(by) or ["scope"]
    if not by:
        states = states.assign(scope="all")
    wide = (states.groupby([*keys, "state"]).size().unstack("state", fill_value=0)
            .reindex(columns=list(STATES), fill_value=0).reset_index()
            if not states.empty else pd.DataFrame(columns=[*keys, *STATES]))  # fmt: skip
    items = chase_items(states, handovers, as_of)
    if not by:
        items = items.assign(scope="all")
    hand = items[items["issue"].str.startswith("handover")]
    extra = pd.DataFrame({
        "handovers_not_referred": hand[hand["issue"].eq("handover_not_referred")]
        .groupby(keys).size(),
        "handovers_no_contact": hand[hand["issue"].eq("handover_no_contact")]
        .groupby(keys).size(),
        "chase_school": items[items["chaser"].eq("school")].groupby(keys)["key"].nunique(),
        "chase_la": items[items["chaser"].eq("la_tracking")].groupby(keys)["key"].nunique(),
        "chase_ncs": items[items["chaser"].eq("ncs")].groupby(keys)["key"].nunique(),
        "max_days_open": items.groupby(keys)["days_open"].max(),
    })  # fmt: skip
    out = wide.merge(extra.reset_index(), on=keys, how="outer") if len(extra) else wide
    if urns is not None and "urn" in keys:
        others = [k for k in keys if k != "urn"]
        combos = out[others].drop_duplicates() if others else pd.DataFrame(index=[0])
        grid = pd.DataFrame({"urn": list(urns)}).merge(combos, how="cross")
        out = grid.merge(out, on=keys, how="left")
    counted = [*STATES, "handovers_not_referred", "handovers_no_contact", "chase_school",
               "chase_la", "chase_ncs"]  # fmt: skip
    for col in counted:
        out[col] = out[col].fillna(0).astype("int64") if col in out else 0
    if "max_days_open" not in out:
        out["max_days_open"] = np.nan
    out["leavers"] = out[list(STATES)].sum(axis=1).astype("int64")
    base = out["leavers"].astype("float64").where(out["leavers"] > 0)
    for s in STATES:
        out[f"pct_{s}_of_leavers"] = 100.0 * out[s] / base
    out["note"] = pd.Series(np.where(out["leavers"].eq(0), "no leavers chased", ""),
                            index=out.index, dtype="string")  # fmt: skip
    return out.sort_values(keys, ignore_index=True)


def chase_items(
    states: pd.DataFrame, handovers: pd.DataFrame, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Every open issue (from :func:`leaver_states` and :func:`handover_issues`) with ``key``,
    ``urn``, ``year_group``, ``issue`` (code), ``chaser`` (code), ``since``, ``days_open``,
    ``detail`` (the latest activity in words, or the organisation handed to).
    Hand-overs of leavers no longer chased (:func:`tracked_until`) are still listed: an open
    referral is someone's open case."""
    today = pd.Timestamp(as_of if as_of is not None else dt.date.today())
    dest = states[states["state"].ne("current")]
    detail = dest["latest_code"].map(codes.NCCIS_LABELS).astype("string").fillna("no record")
    dest = dest.assign(issue=dest["state"], detail=detail)[
        ["key", "urn", "year_group", "issue", "chaser", "since", "detail"]]
    hand = handover_issues(handovers, as_of)
    hand = hand.assign(detail=hand["handed_to"].map(CHASERS).astype("string"))
    if "year_group" in handovers.columns:
        years = handovers.drop_duplicates("leaver_key").set_index("leaver_key")["year_group"]
        hand = hand.assign(year_group=hand["key"].map(years))
    else:
        hand = hand.assign(year_group=hand["key"].map(states.set_index("key")["year_group"]))
    out = pd.concat([dest, hand[dest.columns]], ignore_index=True)
    out["days_open"] = (today - pd.to_datetime(out["since"])).dt.days
    return out


def chase_table(
    leavers: pd.DataFrame,
    records: pd.DataFrame,
    handovers: pd.DataFrame,
    schools: pd.DataFrame,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """The report table: :func:`completeness` per school and year group (``level``
    "school", with the school's ``name``), then for the hub per year group (``level``
    "hub"). Year 11 and Year 13 are not pooled."""
    urns = schools["urn"].astype("int64").tolist()
    states = leaver_states(leavers, records, as_of)
    per_school = completeness(leavers, records, handovers, as_of, ("urn", "year_group"), urns,
                              states)
    names = schools[["urn", "name"]].astype({"urn": "int64"})
    per_school = per_school.merge(names, on="urn", how="left").assign(level="school")
    hub = completeness(leavers, records, handovers, as_of, ("year_group",), states=states)
    hub = hub.assign(level="hub", name="whole hub")
    out = pd.concat([per_school, hub], ignore_index=True)
    out["year_group"] = out["year_group"].map(lambda y: f"Year {int(y)}").astype("string")
    out["urn"] = out["urn"].astype("Int64")
    cols = ["level", "urn", "name", "year_group", "leavers", *STATES,
            *[f"pct_{s}_of_leavers" for s in STATES], "handovers_not_referred",
            "handovers_no_contact", "chase_school", "chase_la", "chase_ncs", "max_days_open",
            "note"]  # fmt: skip
    out = out[cols].rename(columns={"current": "current_record"})
    out["max_days_open"] = out["max_days_open"].astype("Float64")
    return out


_COUNTS = ("leavers", "current_record", "not_known", "stale", "missing",
           "handovers_not_referred", "handovers_no_contact", "chase_school", "chase_la",
           "chase_ncs")  # fmt: skip
#: People chased only for a hand-over, a count no column shows but every reader of a row gets
#: by subtraction (:func:`hand_only`): ``helper: (chaser column, its destination states, year
#: groups it applies to)``. The missing are the school's to chase, not known and stale
#: leavers LA tracking's in Year 11–12 and the NCS's in Year 13+ (:func:`leaver_states`).
HAND_ONLY: dict[str, tuple[str, tuple[str, ...], tuple[int, int]]] = {
    "_school_hand": ("chase_school", ("missing",), (0, 99)),
    "_la_hand": ("chase_la", ("not_known", "stale"), (0, 12)),
    "_ncs_hand": ("chase_ncs", ("not_known", "stale"), (13, 99)),
}
#: Disclosure rule of :func:`chase_table` (DOMAIN.md §7), applied by :func:`protect`: counts
#: of people and hand-overs under 6 are "c"; the four states add up to the leavers; school
#: rows add up to the hub's (complementary suppression); the longest wait follows the people
#: it rests on. The chase columns are tied to the states beside them, which they repeat:
#: ``chase_school`` = missing + the people chased by the school for an unreferred hand-over
#: only, at most ``handovers_not_referred`` of them; ``chase_la`` (Year 11–12) = not known +
#: stale + those LA tracking has to contact only for a hand-over, who with everyone the NCS
#: has to contact are at most ``handovers_no_contact`` (``chase_ncs`` alike in Year 13+).
#: Without these, ``chase_school`` = 6 beside no unreferred hand-over gives a hidden
#: complement "missing" = 6 back, and with it a hidden 3 not known.
SPEC: Spec = Spec(
    counts=(*_COUNTS, *HAND_ONLY),
    percents={"pct_current_of_leavers": "leavers", "pct_not_known_of_leavers": "leavers",
              "pct_stale_of_leavers": "leavers", "pct_missing_of_leavers": "leavers"},
    numerators={"pct_current_of_leavers": "current_record",
                "pct_not_known_of_leavers": "not_known",
                "pct_stale_of_leavers": "stale", "pct_missing_of_leavers": "missing"},
    statistics={"max_days_open": ("leavers", 0)},
    relations=(
        Relation("leavers", ("current_record", "not_known", "stale", "missing")),
        # each helper is missing (so these hold nowhere) in the year groups it does not cover
        *(Relation(chaser, (*states, helper))
          for helper, (chaser, states, _) in HAND_ONLY.items()),
        Relation("handovers_not_referred", ("_school_hand",), partial=True),
        Relation("handovers_no_contact", ("_la_hand", "chase_ncs"), partial=True),
        Relation("handovers_no_contact", ("_ncs_hand", "chase_la"), partial=True),
        *(Relation(c, (c,), rows="hub", part_rows="school", keys=("year_group",))
          for c in (*_COUNTS, *HAND_ONLY)),
    ),
    rows_by="level",
)  # fmt: skip


def hand_only(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (:func:`chase_table`) with the :data:`HAND_ONLY` counts (people), missing in
    the year groups a helper does not cover."""
    years = table["year_group"].astype(str).str.extract(r"(\d+)")[0].astype("float64")
    out = table.copy()
    for helper, (chaser, states, (first, last)) in HAND_ONLY.items():
        rest = pd.to_numeric(table[chaser], errors="coerce").astype("float64")
        for state in states:
            rest = rest - pd.to_numeric(table[state], errors="coerce").astype("float64")
        out[helper] = rest.where(years.between(first, last))
    return out


# --- scoped reads ----------------------------------------------------------------------------


def _read_handovers(engine: Engine, scope: Scope) -> pd.DataFrame:
    h, lv = store.T_HANDOVER.c, store.T_LEAVER.c
    query = (
        select(h.leaver_key, h.from_urn, h.to_org_type, h.status, h.left_on, h.referred_on,
               h.contacted_on, lv.year_group)
        .join(store.T_LEAVER, lv.key == h.leaver_key)
        .where(store.school_filter(scope, h.from_urn))
    )  # fmt: skip
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def table_for_scope(engine: Engine, scope: Scope, as_of: dt.date | None = None) -> pd.DataFrame:
    """The protected report table (:func:`chase_table` through :data:`SPEC`): aggregates
    only, so no pupil row leaves and no audit event is needed."""
    leavers, records = read_people(engine, scope)
    handovers = _read_handovers(engine, scope)
    schools = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    table = chase_table(leavers, records, handovers, schools, as_of)
    return protect(table)


def protect(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`chase_table` through :data:`SPEC` (with the :func:`hand_only` counts, dropped
    again); a wait where nobody waits stays empty rather than "c" (nothing is hidden there)."""
    out = disclosure.apply_spec(hand_only(table), SPEC).drop(columns=list(HAND_ONLY))
    nothing = table["max_days_open"].isna().to_numpy()
    out["max_days_open"] = out["max_days_open"].astype(object)
    out.loc[nothing, "max_days_open"] = None
    return out


def chase_list_for_scope(
    engine: Engine, scope: Scope, as_of: dt.date | None = None
) -> pd.DataFrame:
    """:func:`chase_list` from the store's pupil-level reads (:func:`hubcore.store.leavers`,
    :func:`hubcore.store.destinations`, :func:`hubcore.store.handovers`), which refuse a scope
    that may not see pupils and audit the view."""
    leavers = store.leavers(engine, scope)
    records = store.destinations(engine, scope)
    handovers = store.handovers(engine, scope)
    return chase_list(leavers, records, handovers, as_of)
