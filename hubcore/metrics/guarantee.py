"""September Guarantee tracker: for Year 11 (and Year 12 where recorded) leavers, how many young
people have an offer of a place, no offer, or are not known, against the end-of-September
deadline, per school and for the hub; and the young people still without an offer
(pseudonymous keys only). Definitions and sources: ``docs/metrics.md`` ("September
Guarantee").

The data model has no offer-status field (DOMAIN.md's data model proposes
``sept_guarantee_offer`` on a destination; the suite does not store it), so an offer is read
from the destination records: a record (intended or actual) dated on or before the deadline
whose NCCIS activity code is one DOMAIN.md §4.1 counts as a valid offer
(:data:`VALID_OFFER_CODES`).

Pure functions take frames and return frames; :func:`people_for_scope` (aggregates) and
:func:`without_offer_for_scope` (pupil rows, guarded and audited by :mod:`hubcore.store`) are
the thin scoped reads. :data:`SPEC` is the table's disclosure rule for
:func:`hubcore.disclosure.apply_spec`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from hubcore import codes, disclosure, store
from hubcore.access import Scope
from hubcore.disclosure import Relation, Spec

#: Year groups the guarantee covers (DOMAIN.md §4.1: Year 11 leavers, age 16, and Year 12,
#: age 17). Year 12 rows appear only where Year 12 leavers are recorded.
GUARANTEE_YEAR_GROUPS: tuple[int, ...] = (11, 12)

#: NCCIS activity codes that are a valid September Guarantee offer (DOMAIN.md §4.1: full-time
#: education, an apprenticeship or traineeship, or employment with accredited part-time
#: training; §4.2 for the codes). Full-time education: 210, 220, 230, 240, 270, 280, 290;
#: apprenticeship 310; traineeship 450; work or volunteering with study for a regulated
#: qualification: 320, 381, 550 (the participation-age option of work or volunteering with
#: accredited part-time study, §4.1). Not valid: part-time education (250), gap year (260),
#: employment without training or with unaccredited training (330, 340, 350, 360, 380), other
#: training and programmes §4.1 does not name (410, 430, 440, 460), re-engagement (530), NEET,
#: custody and not known.
VALID_OFFER_CODES: frozenset[int] = frozenset(
    {210, 220, 230, 240, 270, 280, 290, 310, 450, 320, 381, 550}
)

#: Status of a young person at the deadline, in report order, and their words.
STATUSES: tuple[str, ...] = ("offer", "no_offer", "not_known")
STATUS_LABELS: dict[str, str] = {
    "offer": "offer made",
    "no_offer": "no offer",
    "not_known": "not known",
}
_COUNTS = ("leavers", *STATUSES)
_PCTS = {f"pct_{s}_of_leavers": s for s in STATUSES}


def deadline(cohort: int) -> dt.date:
    """The guarantee's deadline for leavers of summer ``cohort``: 30 September of that year
    (DOMAIN.md §4.1, "by the end of September")."""
    return dt.date(int(cohort), 9, 30)


def _as_of(as_of: dt.date | None) -> dt.date:
    return as_of if as_of is not None else dt.date.today()


def person_status(
    leavers: pd.DataFrame, records: pd.DataFrame, as_of: dt.date | None = None
) -> pd.DataFrame:
    """One row per young person of the guarantee's year groups with their status.

    ``leavers``: ``key``, ``urn``, ``cohort``, ``year_group``, ``left_on``. ``records``:
    ``leaver_key``, ``recorded_on``, ``kind`` ("intended" or "actual"), ``nccis_code``,
    ``category``. Each person is measured on ``measured_on`` = the deadline, or ``as_of``
    (default today) while the deadline is still ahead, from their records dated on or before
    it:

    - ``offer``: any record (intended or actual) with a valid-offer code
      (:data:`VALID_OFFER_CODES`). An offer made stays made: a later record, even "not known",
      does not undo it (the guarantee counts offers, not take-up). ``offer_on`` = the earliest
      such record's date;
    - otherwise ``not_known``: no record at all, or the latest record is in the not-known
      category (810, 820, 830). The latest record wins; on one date an actual record wins over
      an intended one;
    - otherwise ``no_offer``: the latest record is some other activity (e.g. seeking work, a
      job without accredited training).

    A person is one pseudonymous key: several records for one person count once, as above.
    A key listed twice in ``leavers`` (impossible in the database, where it is the primary
    key) keeps the row with the latest ``left_on``. ``since`` = the date the person has been
    without an offer since (their latest record, else the day they left); ``latest_activity``
    names that record's activity in words.
    """
    today = _as_of(as_of)
    people = leavers[leavers["year_group"].isin(GUARANTEE_YEAR_GROUPS)]
    people = people.sort_values(["key", "left_on"]).drop_duplicates("key", keep="last")
    people = people[["key", "urn", "cohort", "year_group", "left_on"]].reset_index(drop=True)
    people["left_on"] = pd.to_datetime(people["left_on"])
    people["deadline"] = pd.to_datetime(people["cohort"].map(deadline))
    people["measured_on"] = people["deadline"].clip(upper=pd.Timestamp(today))
    recs = records[["leaver_key", "recorded_on", "kind", "nccis_code", "category"]].merge(
        people[["key", "measured_on"]], left_on="leaver_key", right_on="key"
    )
    recs["recorded_on"] = pd.to_datetime(recs["recorded_on"])
    recs = recs[recs["recorded_on"] <= recs["measured_on"]]
    valid = recs[recs["nccis_code"].astype("int64").isin(list(VALID_OFFER_CODES))]
    first_offer = (
        valid.sort_values(["key", "recorded_on"])
        .drop_duplicates("key")[["key", "recorded_on", "nccis_code"]]
        .rename(columns={"recorded_on": "offer_on", "nccis_code": "offer_code"})
    )
    # Latest record per person; on one date the actual record outranks the intended one.
    ranked = recs.assign(_actual=recs["kind"].astype(str).eq("actual"))
    latest = (
        ranked.sort_values(["key", "recorded_on", "_actual"])
        .drop_duplicates("key", keep="last")[["key", "recorded_on", "nccis_code", "category"]]
        .rename(columns={"recorded_on": "latest_on", "nccis_code": "latest_code",
                         "category": "latest_category"})  # fmt: skip
    )
    out = people.merge(first_offer, on="key", how="left").merge(latest, on="key", how="left")
    has_offer = out["offer_on"].notna()
    unknown = out["latest_on"].isna() | out["latest_category"].astype(str).eq("not_known")
    out["status"] = pd.Series(
        np.select([has_offer, unknown], ["offer", "not_known"], "no_offer"),
        index=out.index, dtype="string",
    )
    out["status_label"] = out["status"].map(STATUS_LABELS).astype("string")
    out["since"] = out["latest_on"].fillna(out["left_on"]).where(~has_offer)
    codes_ = out["latest_code"].astype("Int64")
    out["latest_activity"] = codes_.map(codes.NCCIS_LABELS).astype("string")
    out.loc[out["latest_on"].isna(), "latest_activity"] = "no record"
    for col in ("offer_code", "latest_code"):
        out[col] = out[col].astype("Int64")
    return out


def _measurement(cohort: int, as_of: dt.date) -> tuple[str, int]:
    """The label of a cohort's measurement and the days from ``as_of`` to its deadline
    (negative once passed)."""
    end = deadline(cohort)
    days = (end - as_of).days
    if days <= 0:
        return f"at the deadline, {end}", days
    return f"so far, {as_of} ({days} days before the deadline {end})", days


def guarantee_summary(
    people: pd.DataFrame,
    by: Sequence[str] = ("urn", "cohort", "year_group"),
    urns: Sequence[int] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Counts and percentages per group from :func:`person_status` (people).

    ``leavers`` = young people of the group (the base); ``offer``, ``no_offer``,
    ``not_known`` add up to it. ``pct_<status>_of_leavers`` = count ÷ leavers × 100 (percent,
    the base named in the column); missing, not 0, where the group has no leavers (``note``
    "no leavers"). Given ``urns`` and ``"urn"`` in ``by``, every school gets a row for every
    cohort and year group measured in ``people`` (a school with none of those leavers: 0 and
    no percentage). ``deadline``, ``days_to_deadline`` (from ``as_of``, default today; negative
    once passed) and ``measurement`` say when the figures stand.
    """
    today = _as_of(as_of)
    keys = list(by)
    frame = people.assign(scope="all") if not keys else people
    keys = keys or ["scope"]
    wide = (
        frame.groupby([*keys, "status"], sort=True).size().unstack("status", fill_value=0)
        if not frame.empty else pd.DataFrame(columns=list(STATUSES))
    )
    wide = wide.reindex(columns=list(STATUSES), fill_value=0)
    if not frame.empty:
        wide = wide.reset_index()
    else:
        wide = pd.DataFrame({k: pd.Series(dtype="int64") for k in keys}).assign(
            **{s: pd.Series(dtype="int64") for s in STATUSES})
    if urns is not None and "urn" in keys:
        others = [k for k in keys if k != "urn"]
        combos = wide[others].drop_duplicates() if others else pd.DataFrame(index=[0])
        grid = pd.DataFrame({"urn": list(urns)}).merge(combos, how="cross")
        wide = grid.merge(wide, on=keys, how="left")
    wide[list(STATUSES)] = wide[list(STATUSES)].fillna(0).astype("int64")
    wide["leavers"] = wide[list(STATUSES)].sum(axis=1).astype("int64")
    base = wide["leavers"].astype("float64").where(wide["leavers"] > 0)
    for pct, status in _PCTS.items():
        wide[pct] = 100.0 * wide[status] / base
    wide["note"] = pd.Series(np.where(wide["leavers"].eq(0), "no leavers", ""),
                             index=wide.index, dtype="string")  # fmt: skip
    if "cohort" in wide.columns:
        measured = wide["cohort"].map(lambda c: _measurement(int(c), today))
        wide["deadline"] = wide["cohort"].map(lambda c: deadline(int(c)).isoformat())
        wide["days_to_deadline"] = measured.map(lambda m: m[1]).astype("int64")
        wide["measurement"] = measured.map(lambda m: m[0]).astype("string")
    return wide.sort_values(keys, ignore_index=True)


def without_offer(people: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """The young people still without an offer (status "no offer" or "not known"), by school,
    oldest ``since`` first: ``key`` (pseudonymous), ``urn``, ``cohort``, ``year_group``,
    ``status_label``, ``latest_activity`` (words), ``since`` (date), ``days_without_offer``
    (days from ``since`` to ``as_of``, default today) and ``days_to_deadline`` (negative once
    passed). Pupil level: only for scopes that may see pupil rows."""
    today = pd.Timestamp(_as_of(as_of))
    rows = people[people["status"].isin(["no_offer", "not_known"])].copy()
    rows["days_without_offer"] = (today - rows["since"]).dt.days.astype("Int64")
    rows["days_to_deadline"] = (rows["deadline"] - today).dt.days.astype("Int64")
    for col in ("since", "deadline"):
        rows[col] = rows[col].dt.date.astype("string")
    cols = ["key", "urn", "cohort", "year_group", "status_label", "latest_activity", "since",
            "days_without_offer", "deadline", "days_to_deadline"]  # fmt: skip
    return rows.sort_values(["urn", "since", "key"], ignore_index=True)[cols]


def guarantee_table(
    people: pd.DataFrame, schools: pd.DataFrame, as_of: dt.date | None = None
) -> pd.DataFrame:
    """The report table: one row per school, cohort and year group (``level`` "school", with
    the school's ``name``), then the hub's (``level`` "hub"); Year 11 and Year 12 apart."""
    urns = schools["urn"].astype("int64").tolist()
    per_school = guarantee_summary(people, ("urn", "cohort", "year_group"), urns, as_of)
    names = schools[["urn", "name"]].astype({"urn": "int64"})
    per_school = per_school.merge(names, on="urn", how="left").assign(level="school")
    hub = guarantee_summary(people, ("cohort", "year_group"), as_of=as_of)
    hub = hub.assign(level="hub", name="whole hub")
    out = pd.concat([per_school, hub], ignore_index=True)
    out["year_group"] = out["year_group"].map(lambda y: f"Year {int(y)}").astype("string")
    cols = ["level", "urn", "name", "cohort", "year_group", "leavers", "offer", "no_offer",
            "not_known", *_PCTS, "deadline", "days_to_deadline", "measurement", "note"]
    out = out[cols].rename(columns={"offer": "offer_made", "no_offer": "no_offer",
                                    "pct_offer_of_leavers": "pct_offer_made_of_leavers"})
    out["urn"] = out["urn"].astype("Int64")
    return out


_KEYS = ("cohort", "year_group")
#: Disclosure rule of :func:`guarantee_table` (DOMAIN.md §7): counts of people under 6 are
#: "c", each percentage follows its base and numerator, the three statuses add up to the
#: leavers, and the school rows add up to the hub row (complementary suppression).
SPEC: Spec = Spec(
    counts=("leavers", "offer_made", "no_offer", "not_known"),
    percents={"pct_offer_made_of_leavers": "leavers", "pct_no_offer_of_leavers": "leavers",
              "pct_not_known_of_leavers": "leavers"},
    numerators={"pct_offer_made_of_leavers": "offer_made",
                "pct_no_offer_of_leavers": "no_offer",
                "pct_not_known_of_leavers": "not_known"},
    relations=(
        Relation("leavers", ("offer_made", "no_offer", "not_known")),
        *(Relation(c, (c,), rows="hub", part_rows="school", keys=_KEYS)
          for c in ("leavers", "offer_made", "no_offer", "not_known")),
    ),
    rows_by="level",
)  # fmt: skip


# --- scoped reads ----------------------------------------------------------------------------


def _read(engine: Engine, query) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def read_people(
    engine: Engine, scope: Scope, year_groups: Sequence[int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leavers in ``scope`` (of ``year_groups``, default all) and their destination records,
    restricted by :func:`hubcore.store.school_filter`. An intermediate for aggregate metrics:
    callers must return only counts (no pupil key leaves them), so no audit event is written;
    pupil lists go through :func:`hubcore.store.leavers` / :func:`hubcore.store.destinations`
    (guarded and audited)."""
    lv = store.T_LEAVER.c
    where = store.school_filter(scope, lv.urn)
    if year_groups is not None:
        where = where & lv.year_group.in_(list(year_groups))
    leavers = _read(engine, select(lv.key, lv.urn, lv.cohort, lv.year_group, lv.left_on)
                          .where(where))  # fmt: skip
    d = store.T_DEST.c
    records = _read(
        engine,
        select(d.leaver_key, d.recorded_on, d.kind, d.nccis_code, d.category)
        .join(store.T_LEAVER, lv.key == d.leaver_key)
        .where(where),
    )
    return leavers, records


def people_for_scope(
    engine: Engine, scope: Scope, as_of: dt.date | None = None
) -> pd.DataFrame:
    """:func:`person_status` for the scope's leavers (an intermediate: aggregate it)."""
    leavers, records = read_people(engine, scope, GUARANTEE_YEAR_GROUPS)
    return person_status(leavers, records, as_of)


def table_for_scope(engine: Engine, scope: Scope, as_of: dt.date | None = None) -> pd.DataFrame:
    """The protected report table (:func:`guarantee_table` through :data:`SPEC`)."""
    schools = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    table = guarantee_table(people_for_scope(engine, scope, as_of), schools, as_of)
    return disclosure.apply_spec(table, SPEC)


def without_offer_for_scope(
    engine: Engine, scope: Scope, cohort: int | None = None, as_of: dt.date | None = None
) -> pd.DataFrame:
    """The young people without an offer for ``cohort`` (default: the latest cohort in scope
    whose leavers have left by ``as_of``), read through the store's pupil-level reads, which
    refuse a scope that may not see pupils and audit the view. Beyond the school, records of
    young people with a youth-support restriction are withheld by the store, so they show as
    not known."""
    leavers = store.leavers(engine, scope, cohort)
    leavers = leavers[leavers["year_group"].isin(GUARANTEE_YEAR_GROUPS)]
    if cohort is None and not leavers.empty:
        left = leavers[leavers["left_on"] <= pd.Timestamp(_as_of(as_of))]
        chosen = left if not left.empty else leavers
        leavers = leavers[leavers["cohort"].eq(chosen["cohort"].max())]
    records = store.destinations(engine, scope)
    return without_offer(person_status(leavers, records, as_of), as_of)
