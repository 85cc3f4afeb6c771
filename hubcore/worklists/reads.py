"""Worklist reads: the careers leader's leavers without a confirmed destination, the cases of
the NCS, LA tracking and the hub, the hub lead's funnel, and the history of changes.

Pupil-level reads (:func:`leavers_to_confirm`, :func:`cases`, :func:`history`) are guarded like
:mod:`hubcore.store`'s (a hub lead only where the hub shares pupil data; analysts never) and
audited (action ``view``). Beyond the school (hub lead, NCS adviser, LA tracking officer:
:func:`hubcore.store.beyond_school`), the statutory opt-outs apply: the RONI score and band and
a hand-over's ``reason`` of a young person with an s14 opt-out or a youth-support restriction
are withheld (``None``), and so is the destination of one with a youth-support restriction.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, case, or_, select

from hubcore import disclosure, store
from hubcore.access import Scope
from hubcore.errors import AccessDenied
from hubcore.metrics import chase, transitions
from hubcore.worklists import rules

T_LEAVER, T_DEST, T_HANDOVER, T_SCHOOL = (store.T_LEAVER, store.T_DEST, store.T_HANDOVER,
                                          store.T_SCHOOL)
T_EVENT = rules.T_EVENT

#: Columns of :func:`leavers_to_confirm`.
LEAVER_COLUMNS = ["leaver_key", "urn", "school", "cohort", "year_group", "left_on",
                  "roni_score", "roni_band", "destination_code", "destination_on", "state",
                  "open_case_id", "open_case_to", "version"]  # fmt: skip
#: Columns of :func:`cases`.
CASE_COLUMNS = ["case_id", "leaver_key", "urn", "school", "cohort", "year_group",
                "to_org_type", "ncs_area", "reason", "intended_nccis_code", "status", "left_on",
                "referred_on", "attempts", "last_attempt_on", "contacted_on", "outcome",
                "outcome_on", "held_by", "held_since", "days_open", "days_held", "overdue",
                "version"]  # fmt: skip
#: Columns of :func:`history`.
HISTORY_COLUMNS = ["event_id", "at", "user", "role", "action", "before", "after",
                   "reverted_by", "case_id", "leaver_key", "urn"]  # fmt: skip
#: Stages of :func:`funnel`, in order.
FUNNEL_STAGES = ("needing_handover", "referred", "contacted", "outcome_recorded", "overdue")
#: Roles with a list of leavers to confirm.
LEAVER_ROLES = ("careers_leader", "hub_lead", "admin")
CASE_DATES = ("left_on", "referred_on", "last_attempt_on", "contacted_on", "outcome_on",
              "held_since")  # fmt: skip


def _as_of(as_of: dt.date | None) -> dt.date:
    return as_of if as_of is not None else dt.date.today()


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` by key for each of ``keys`` (object values, missing as NaN): through a dict,
    because pandas 3 cannot map through an empty Series of dates."""
    return keys.map(values.to_dict()).astype(object)


def _read(engine: Engine, query) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def _dates(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """``columns`` as ``datetime.date`` objects (``None`` where missing), whatever the driver
    returned."""
    for col in columns:
        if col in frame:
            values = pd.to_datetime(frame[col])
            frame[col] = pd.Series([v.date() if pd.notna(v) else None for v in values],
                                   index=frame.index, dtype=object)
    return frame


def _scope_leavers(scope: Scope):
    """SQL condition on ``leaver`` for the scope's leavers (area roles: those handed to them)."""
    if scope.handover_area_role:
        return T_LEAVER.c.key.in_(select(T_HANDOVER.c.leaver_key)
                                  .where(store._handover_filter(scope)))
    return store.school_filter(scope, T_LEAVER.c.urn)


# --- the careers leader's list ---------------------------------------------------------------


def _maybe_tracked(as_of: dt.date):
    """SQL condition keeping the leavers :func:`hubcore.metrics.chase.leaver_states` can list
    on ``as_of``: left by then and tracked until then (31 August of cohort + max(1, 13 − year
    group), :func:`hubcore.metrics.chase.tracked_until`). Only a pre-filter, so a hub's
    earlier cohorts are not read at all; ``leaver_states`` applies the same rule again."""
    lv = T_LEAVER.c
    first_year = as_of.year if (as_of.month, as_of.day) <= (8, 31) else as_of.year + 1
    years_tracked = case((lv.year_group >= 12, 1), else_=13 - lv.year_group)
    return and_(lv.left_on <= as_of, lv.cohort + years_tracked >= first_year)


def _leaver_states(engine: Engine, where, as_of: dt.date
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The chase list's states (:func:`hubcore.metrics.chase.leaver_states`) of the leavers
    matching ``where``, and their leaver rows and destination records."""
    lv = T_LEAVER.c
    where = and_(where, _maybe_tracked(as_of))
    leavers = _read(engine, select(T_LEAVER, T_SCHOOL.c.name.label("school"))
                    .join(T_SCHOOL, T_SCHOOL.c.urn == lv.urn).where(where)
                    .order_by(lv.urn, lv.key))
    d = T_DEST.c
    records = _read(engine, select(d.leaver_key, d.recorded_on, d.kind, d.nccis_code,
                                   d.category).join(T_LEAVER, lv.key == d.leaver_key)
                    .where(where))
    states = chase.leaver_states(leavers, records, as_of)
    return states, leavers, records


def leavers_to_confirm(engine: Engine, scope: Scope, as_of: dt.date | None = None
                       ) -> pd.DataFrame:
    """One row per young person in scope without a current confirmed destination on ``as_of``
    (default today), by the chase list's rules (:func:`hubcore.metrics.chase.leaver_states`:
    leavers who have left and are still tracked): ``state`` is ``not_known`` (latest record
    not known), ``stale`` (latest record out of date), ``missing`` (no actual record) or
    ``intended_only`` (no actual record, an intended destination recorded).

    Columns :data:`LEAVER_COLUMNS`: ``destination_code``/``destination_on`` the latest actual
    record (the latest intended one for ``intended_only``); ``roni_score`` (points) and
    ``roni_band`` (low 0-1, medium 2-3, high 4+: :func:`rules.roni_bands`); ``open_case_id``/
    ``open_case_to`` the latest open hand-over; ``version`` the leaver's version for
    :func:`confirm_destination` and :func:`refer`. Oldest leaving date first within each
    school. Careers leader (own school), hub lead (hub, with pupil data sharing), admin;
    guarded and audited."""
    store._guard_pupil_rows(engine, scope, "leavers")
    if rules.role(scope) not in LEAVER_ROLES:
        raise AccessDenied(f"role {rules.role(scope)!r} has no list of leavers to confirm; "
                           "use the list of cases instead")
    today = _as_of(as_of)
    where = store.school_filter(scope, T_LEAVER.c.urn)
    states, leavers, records = _leaver_states(engine, where, today)
    todo = states[states["state"].ne("current")].copy()
    people = leavers.set_index("key").loc[todo["key"]]
    rec = records.assign(recorded_on=pd.to_datetime(records["recorded_on"]))
    intended = rec[rec["kind"].astype(str).eq("intended") & (rec["recorded_on"]
                                                            <= pd.Timestamp(today))]
    intended = intended.sort_values(["leaver_key", "recorded_on"]).drop_duplicates(
        "leaver_key", keep="last").set_index("leaver_key")
    has_plan = todo["key"].isin(intended.index) & todo["state"].eq("missing")
    state = todo["state"].astype(object).where(~has_plan, "intended_only")
    code = todo["latest_code"].astype(object).where(~has_plan, _lookup(todo["key"],
                                                                      intended["nccis_code"]))
    on = todo["latest_on"].astype(object).where(~has_plan, _lookup(todo["key"],
                                                                    intended["recorded_on"]))
    h = T_HANDOVER.c
    open_cases = _read(engine, select(h.id, h.leaver_key, h.to_org_type)
                       .where(h.leaver_key.in_(select(T_LEAVER.c.key).where(where)),
                              rules.open_case_filter()).order_by(h.id))
    latest_open = open_cases.drop_duplicates("leaver_key", keep="last").set_index("leaver_key")
    with engine.connect() as conn:
        versions = rules.leaver_versions(conn, todo["key"].tolist())
    roni = rules.roni_bands(people.reset_index())
    out = pd.DataFrame({
        "leaver_key": todo["key"].to_numpy(dtype=object),
        "urn": todo["urn"].astype("int64").to_numpy(),
        "school": people["school"].to_numpy(dtype=object),
        "cohort": todo["cohort"].astype("int64").to_numpy(),
        "year_group": todo["year_group"].astype("int64").to_numpy(),
        "left_on": todo["left_on"].to_numpy(),
        "roni_score": roni["roni_score"].to_numpy(dtype=object),
        "roni_band": roni["roni_band"].to_numpy(dtype=object),
        "destination_code": pd.Series([None if pd.isna(c) else int(c) for c in code],
                                      dtype=object),
        "destination_on": on.to_numpy(dtype=object),
        "state": state.to_numpy(dtype=object),
        "open_case_id": pd.Series([None if pd.isna(v) else int(v)
                                   for v in _lookup(todo["key"], latest_open["id"])], dtype=object),
        "open_case_to": _lookup(todo["key"], latest_open["to_org_type"])
        .where(lambda s: s.notna(), None).to_numpy(dtype=object),
        "version": [versions[k] for k in todo["key"]],
    })
    out = _dates(out, ["left_on", "destination_on"])
    if store.beyond_school(scope):
        opted = people["s14_info_optout"].astype(bool) | people["ys_restriction"].astype(bool)
        out = store._withhold(out, ["roni_score", "roni_band"], opted.reset_index(drop=True))
        restricted = people["ys_restriction"].astype(bool).reset_index(drop=True)
        out = store._withhold(out, ["destination_code", "destination_on"], restricted)
    out = out.sort_values(["urn", "left_on", "leaver_key"], ignore_index=True)
    store.record_audit(engine, scope, "view", "worklist leavers", len(out))
    return out[LEAVER_COLUMNS]


# --- cases -------------------------------------------------------------------------------------


def _case_frame(engine: Engine, scope: Scope, open_only: bool) -> pd.DataFrame:
    h, lv = T_HANDOVER.c, T_LEAVER.c
    opted = or_(lv.s14_info_optout, lv.ys_restriction).label("_opted_out")
    query = (
        select(T_HANDOVER, lv.cohort, lv.year_group, T_SCHOOL.c.name.label("school"), opted)
        .join(T_LEAVER, lv.key == h.leaver_key)
        .join(T_SCHOOL, T_SCHOOL.c.urn == h.from_urn)
        .where(store._handover_filter(scope))
    )
    if open_only:
        query = query.where(rules.open_case_filter())
    return _read(engine, query.order_by(h.id))


def cases(engine: Engine, scope: Scope, as_of: dt.date | None = None, open_only: bool = True
          ) -> pd.DataFrame:
    """Hand-over cases in scope (open ones only unless ``open_only`` is false; open = status
    pending, referred or contacted), oldest referral first (not yet referred last), columns
    :data:`CASE_COLUMNS`: ``days_open`` = ``as_of`` − referred_on and ``days_held`` = ``as_of``
    − held_since (days; missing without the date); ``overdue`` by the transitions report's
    rule (:func:`hubcore.metrics.transitions.overdue_list`: not referred more than
    :data:`~hubcore.metrics.transitions.OVERDUE_DAYS` days after leaving); ``version`` for the
    writes. NCS adviser (NCS cases of their area), LA tracking officer (LA-tracking cases of
    their LA), hub lead (hub, with pupil data sharing), careers leader (own school), admin;
    guarded and audited."""
    store._guard_pupil_rows(engine, scope, "hand-overs")
    today = _as_of(as_of)
    frame = _case_frame(engine, scope, open_only)
    late = transitions.overdue_list(frame, pd.Timestamp(today)) if len(frame) else frame
    overdue = frame["id"].isin(late["id"]) if len(frame) else pd.Series(dtype=bool)
    frame = _dates(frame, CASE_DATES)
    stamp = pd.Timestamp(today)

    def days(column: str) -> list:
        return [None if v is None else int((stamp - pd.Timestamp(v)).days)
                for v in frame[column]]

    out = frame.rename(columns={"id": "case_id", "from_urn": "urn"}).assign(
        days_open=days("referred_on"), days_held=days("held_since"),
        overdue=overdue.astype(bool).to_numpy(),
    )
    for col in ("days_open", "days_held", "intended_nccis_code"):
        out[col] = out[col].astype("Int64")
    if store.beyond_school(scope):
        out = store._withhold(out, store.HANDOVER_OTHER_INFORMATION, out["_opted_out"])
    missing_ref = out["referred_on"].isna()
    order = pd.to_datetime(out["referred_on"])
    out = out.assign(_nr=missing_ref, _ref=order).sort_values(
        ["_nr", "_ref", "left_on", "case_id"], ignore_index=True)
    store.record_audit(engine, scope, "view", "worklist cases", len(out))
    return out[CASE_COLUMNS]


# --- the hub lead's funnel ---------------------------------------------------------------------


def funnel(engine: Engine, scope: Scope, as_of: dt.date | None = None) -> pd.DataFrame:
    """Young people (each counted once per stage) in scope on ``as_of`` (default today), one
    row per stage of :data:`FUNNEL_STAGES`, column ``people``:

    - ``needing_handover``: leavers without a current confirmed destination (the rows of
      :func:`leavers_to_confirm`: not known, stale, missing or intended only);
    - ``referred``: with a hand-over referred on or before ``as_of``;
    - ``contacted``: with a hand-over whose young person was reached (``contacted_on``);
    - ``outcome_recorded``: with a hand-over closed with an outcome (status engaged, lost or
      closed);
    - ``overdue``: with a hand-over not referred more than 30 days after leaving
      (:func:`hubcore.metrics.transitions.overdue_list`).

    Aggregate (no pupil row leaves, so no audit event); for roles that see aggregates only,
    counts under 6 are "c" (:func:`hubcore.disclosure.suppress_count`)."""
    today = _as_of(as_of)
    stamp = pd.Timestamp(today)
    states, _, _ = _leaver_states(engine, _scope_leavers(scope), today)
    needing = int(states["state"].ne("current").sum())
    h, lv = T_HANDOVER.c, T_LEAVER.c
    hand = _read(engine, select(h.id, h.leaver_key, h.status, h.left_on, h.referred_on,
                                h.contacted_on)
                 .join(T_LEAVER, lv.key == h.leaver_key)
                 .where(store._handover_filter(scope), h.left_on <= today))
    for col in ("left_on", "referred_on", "contacted_on"):
        hand[col] = pd.to_datetime(hand[col])
    referred = hand["referred_on"].notna() & (hand["referred_on"] <= stamp)
    contacted = hand["contacted_on"].notna() & (hand["contacted_on"] <= stamp)
    closed = hand["status"].astype(str).isin(["engaged", "lost", "closed"])
    late = transitions.overdue_list(hand, stamp) if len(hand) else hand

    def people(mask) -> int:
        return int(hand.loc[np.asarray(mask, dtype=bool), "leaver_key"].nunique())

    counts = [needing, people(referred), people(contacted), people(closed),
              int(late["leaver_key"].nunique()) if len(late) else 0]
    out = pd.DataFrame({"stage": list(FUNNEL_STAGES), "people": counts})
    if scope.aggregates_only:
        out["people"] = out["people"].map(disclosure.suppress_count).astype(object)
    return out


# --- history -------------------------------------------------------------------------------


def history(engine: Engine, scope: Scope, case_id: int | None = None,
            leaver_key: str | None = None) -> pd.DataFrame:
    """Case events in scope, oldest first (optionally of one case or one leaver), columns
    :data:`HISTORY_COLUMNS`: ``before`` and ``after`` as dicts (``None`` where the record did
    not exist), ``reverted_by`` the id of the event that reverted it. A case removed by a revert
    keeps its events (matched by the case id in their values). Scope: the events of the
    scope's schools; for an NCS adviser or LA tracking officer the events of their cases.
    Guarded and audited; beyond the school, an opted-out young person's ``reason`` is
    withheld in the values."""
    store._guard_pupil_rows(engine, scope, "case history")
    e = T_EVENT.c
    if scope.handover_area_role:
        where = e.handover_id.in_(select(T_HANDOVER.c.id).where(store._handover_filter(scope)))
    else:
        where = store.school_filter(scope, e.urn)
    conds = [where]
    if case_id is not None:
        ident = int(case_id)
        mentions = or_(e.before.like(f'%"case_id": {ident},%'),
                       e.after.like(f'%"case_id": {ident},%'))
        conds.append(or_(e.handover_id == ident, and_(e.handover_id.is_(None), mentions)))
    if leaver_key is not None:
        conds.append(e.leaver_key == str(leaver_key))
    opted = or_(T_LEAVER.c.s14_info_optout, T_LEAVER.c.ys_restriction).label("_opted_out")
    query = (select(T_EVENT, opted).outerjoin(T_LEAVER, T_LEAVER.c.key == e.leaver_key)
             .where(*conds).order_by(e.at, e.id))
    frame = _read(engine, query)
    before = [rules.from_json(v) for v in frame["before"]]
    after = [rules.from_json(v) for v in frame["after"]]
    if store.beyond_school(scope):
        for i, flag in enumerate(frame["_opted_out"].fillna(False).astype(bool)):
            if flag:
                for snap in (before[i], after[i]):
                    if snap is not None:
                        for col in store.HANDOVER_OTHER_INFORMATION:
                            if col in snap:
                                snap[col] = None
    case_ids = [next((s["case_id"] for s in (a, b) if s and "case_id" in s), None)
                for a, b in zip(after, before, strict=True)]
    out = pd.DataFrame({
        "event_id": frame["id"].astype("int64"),
        "at": pd.to_datetime(frame["at"], utc=True),
        "user": frame["user"].astype(object), "role": frame["role"].astype(object),
        "action": frame["action"].astype(object),
        "before": pd.Series(before, index=frame.index, dtype=object),
        "after": pd.Series(after, index=frame.index, dtype=object),
        "reverted_by": frame["reverted_by"].astype("Int64"),
        "case_id": pd.Series(case_ids, index=frame.index, dtype="Int64"),
        "leaver_key": frame["leaver_key"].astype(object),
        "urn": frame["urn"].astype("int64"),
    })
    store.record_audit(engine, scope, "view", "worklist history", len(out))
    return out[HISTORY_COLUMNS]
