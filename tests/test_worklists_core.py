"""Worklists (hubcore.worklists) on a small hand-made hub: who may do what, validation by the
importers' rules, the version check, audit with before/after, history and revert, the funnel
and the summary tables seeing each change. Expected values are worked out by hand below.

The hub (as of 15 October 2025; every leaver is a Year 11 leaver of 18 July 2025):

    school A 100001 (hub H1, LA E08000035)
      P1  actual 540 on 2025-09-10, then 810 (not known) on 2025-10-01  -> not_known (2 records)
      P2  no record; FSM + looked after (RONI 2 + 2 = 4, not recorded); s14 opt-out -> missing
      P3  intended 320 on 2025-05-01 only; RONI recorded 3               -> intended_only
      P4  actual 320 (employment) on 2025-09-15                          -> current, not listed
    school B 100002 (hub H1, LA E08000035)
      P5  no record; a hand-over to the NCS recorded but never referred  -> missing, overdue
    school C 100003 (hub H2, no pupil data sharing, LA E08000036)
      P6  no record                                                       -> missing
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import pandas as pd
import pytest
from sqlalchemy import func, insert, select

from hubcore import data_version, rollups, store
from hubcore import worklists as wl
from hubcore.access import Role, Scope
from hubcore.errors import AccessDenied
from hubcore.metrics import transitions
from hubcore.models import (
    AuditEvent,
    CaseEvent,
    DestinationRecord,
    Handover,
    Hub,
    HubMembership,
    Leaver,
    School,
)

AS_OF = dt.date(2025, 10, 15)
LEFT = dt.date(2025, 7, 18)
A, B, C = 100001, 100002, 100003
AREA, OTHER_AREA = "E08000035", "E08000036"
P = {i: f"{i:02d}" + "k" * 30 for i in range(1, 7)}  # pseudonymous keys (32 characters)

ADMIN = Scope.admin(user="admin@test")
LEADER_A = Scope(Role.CAREERS_LEADER, urn=A, user="leader.a")
LEADER_C = Scope(Role.CAREERS_LEADER, urn=C, user="leader.c")
NCS = Scope(Role.NCS_ADVISER, ncs_area=AREA, user="ncs.one")
NCS_2 = Scope(Role.NCS_ADVISER, ncs_area=AREA, user="ncs.two")
NCS_ELSEWHERE = Scope(Role.NCS_ADVISER, ncs_area=OTHER_AREA, user="ncs.far")
LA = Scope(Role("la_tracking"), ncs_area=AREA, user="la.one")
LEAD = Scope(Role.HUB_LEAD, hub_id="H1", user="lead.h1")
LEAD_NO_SHARING = Scope(Role.HUB_LEAD, hub_id="H2", user="lead.h2")
ANALYST = Scope(Role.ANALYST, hub_id="H1", user="analyst")


def _school(urn: int, la_gss: str) -> dict:
    return dict(urn=urn, name=f"School {urn}", la_code=383, type_code=34, phase_code=4,
                kind="mainstream_11_16", la_gss=la_gss)


def _leaver(key: str, urn: int, **extra) -> dict:
    return dict(key=key, urn=urn, cohort=2025, year_group=11, left_on=LEFT, **extra)


@pytest.fixture
def hub(engine):
    with engine.begin() as conn:
        conn.execute(insert(Hub.__table__), [
            {"id": "H1", "name": "Sharing hub", "pupil_data_sharing": True},
            {"id": "H2", "name": "Other hub", "pupil_data_sharing": False}])
        conn.execute(insert(School.__table__), [_school(A, AREA), _school(B, AREA),
                                                 _school(C, OTHER_AREA)])
        conn.execute(insert(HubMembership.__table__), [
            {"hub_id": "H1", "urn": A, "start_date": dt.date(2020, 9, 1)},
            {"hub_id": "H1", "urn": B, "start_date": dt.date(2020, 9, 1)},
            {"hub_id": "H2", "urn": C, "start_date": dt.date(2020, 9, 1)}])
        for row in (_leaver(P[1], A, roni_score=1),
                    _leaver(P[2], A, fsm=True, looked_after=True, s14_info_optout=True),
                    _leaver(P[3], A, roni_score=3), _leaver(P[4], A), _leaver(P[5], B),
                    _leaver(P[6], C)):  # one by one: the rows name different columns
            conn.execute(insert(Leaver.__table__).values(**row))
        for row in [
            dict(leaver_key=P[1], recorded_on=dt.date(2025, 9, 10), nccis_code=540,
                 category="neet_active"),
            dict(leaver_key=P[1], recorded_on=dt.date(2025, 10, 1), nccis_code=810,
                 category="not_known"),
            dict(leaver_key=P[3], recorded_on=dt.date(2025, 5, 1), kind="intended",
                 nccis_code=320, category="employment"),
            dict(leaver_key=P[4], recorded_on=dt.date(2025, 9, 15), nccis_code=320,
                 category="employment")]:
            conn.execute(insert(DestinationRecord.__table__).values(**row))
        conn.execute(insert(Handover.__table__), [
            dict(leaver_key=P[5], from_urn=B, to_org_type="ncs", ncs_area=AREA,
                 reason="not_known", left_on=LEFT, status="pending")])
        rollups.refresh(conn)
    return engine


def _count(engine, model, **where) -> int:
    table = model.__table__
    query = select(func.count()).select_from(table)
    for col, value in where.items():
        query = query.where(table.c[col] == value)
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def _case(engine, case_id: int) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(Handover.__table__).where(
            Handover.__table__.c.id == case_id)).mappings().one())


def _pending_case(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(Handover.__table__.c.id).where(
            Handover.__table__.c.leaver_key == P[5])).scalar_one()


def _version(frame: pd.DataFrame, key: str) -> int:
    return int(frame.set_index("leaver_key").loc[key, "version"])


# --- reads ---------------------------------------------------------------------------------


def test_careers_leader_sees_own_leavers_without_a_confirmed_destination(hub):
    rows = wl.leavers_to_confirm(hub, LEADER_A, as_of=AS_OF)
    assert list(rows.columns) == wl.LEAVER_COLUMNS
    # P1 once, though two records; P4 is current; P5 and P6 are other schools'
    assert rows["leaver_key"].tolist() == [P[1], P[2], P[3]]
    by = rows.set_index("leaver_key")
    assert by.loc[P[1], "state"] == "not_known"
    assert (by.loc[P[1], "destination_code"], by.loc[P[1], "destination_on"]) == (
        810, dt.date(2025, 10, 1))  # the latest of the two records
    assert by.loc[P[2], "state"] == "missing" and by.loc[P[2], "destination_code"] is None
    assert (by.loc[P[3], "state"], by.loc[P[3], "destination_code"]) == ("intended_only", 320)
    # RONI: recorded 1 -> low; computed FSM 2 + looked after 2 = 4 -> high; recorded 3 -> medium
    assert by["roni_score"].tolist() == [1, 4, 3]
    assert by["roni_band"].tolist() == ["low", "high", "medium"]
    assert by["open_case_id"].isna().all()
    assert by["school"].eq("School 100001").all()
    views = _count(hub, AuditEvent, action="view", subject="worklist leavers")
    assert views == 1


def test_a_leaver_with_no_record_and_an_unreferred_hand_over(hub):
    admin_b = Scope.admin(hub_id="H1")
    rows = wl.leavers_to_confirm(hub, admin_b, as_of=AS_OF).set_index("leaver_key")
    assert rows.loc[P[5], "state"] == "missing"
    assert rows.loc[P[5], "open_case_id"] == _pending_case(hub)
    assert rows.loc[P[5], "open_case_to"] == "ncs"
    assert P[6] not in rows.index  # school C is in another hub


def test_zero_cases_and_an_empty_funnel(hub):
    empty = wl.cases(hub, NCS_ELSEWHERE, as_of=AS_OF)
    assert empty.empty and list(empty.columns) == wl.CASE_COLUMNS
    assert wl.leavers_to_confirm(hub, Scope(Role.CAREERS_LEADER, urn=999999),
                                 as_of=AS_OF).empty
    nothing = wl.funnel(hub, NCS_ELSEWHERE, as_of=AS_OF)
    assert nothing["people"].tolist() == [0, 0, 0, 0, 0]
    assert wl.history(hub, ADMIN).empty


def test_hub_lead_sees_the_hub_but_not_opted_out_details(hub):
    rows = wl.leavers_to_confirm(hub, LEAD, as_of=AS_OF).set_index("leaver_key")
    assert sorted(rows.index) == sorted([P[1], P[2], P[3], P[5]])
    assert rows.loc[P[2], "roni_score"] is None and rows.loc[P[2], "roni_band"] is None
    assert rows.loc[P[1], "roni_band"] == "low"  # no opt-out: shown
    # the careers leader of the young person's own school sees it (test above)


def test_reads_refused_where_pupil_rows_are(hub):
    with pytest.raises(AccessDenied, match="data-sharing"):
        wl.leavers_to_confirm(hub, LEAD_NO_SHARING, as_of=AS_OF)
    with pytest.raises(AccessDenied):
        wl.cases(hub, ANALYST, as_of=AS_OF)
    with pytest.raises(AccessDenied):
        wl.leavers_to_confirm(hub, NCS, as_of=AS_OF)  # advisers work cases, not school lists
    with pytest.raises(AccessDenied):
        wl.history(hub, ANALYST)


def test_overdue_follows_the_transitions_rule(hub):
    pending = _pending_case(hub)
    # not referred, left 18 July: 89 days by 15 October (> 30); 23 days by 10 August (not)
    late = wl.cases(hub, LEAD, as_of=AS_OF).set_index("case_id")
    assert bool(late.loc[pending, "overdue"]) is True
    assert pd.isna(late.loc[pending, "days_open"])  # never referred
    early = wl.cases(hub, LEAD, as_of=dt.date(2025, 8, 10)).set_index("case_id")
    assert bool(early.loc[pending, "overdue"]) is False
    edge = wl.cases(hub, LEAD, as_of=LEFT + dt.timedelta(days=30)).set_index("case_id")
    assert bool(edge.loc[pending, "overdue"]) is False  # "more than 30 days"


# --- writes: refer, contact, outcome ----------------------------------------------------------


def test_refer_then_contact_then_outcome(hub):
    before_dv = data_version.current(hub)
    rows = wl.leavers_to_confirm(hub, LEADER_A, as_of=AS_OF)
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", intended_nccis_code=320,
                       on=dt.date(2025, 10, 10), version=_version(rows, P[2]))
    assert data_version.current(hub) == before_dv + 1
    case = _case(hub, case_id)
    assert (case["status"], case["referred_on"], case["ncs_area"], case["version"]) == (
        "referred", dt.date(2025, 10, 10), AREA, 1)
    assert (case["intended_nccis_code"], case["edited_by"]) == (320, "leader.a")
    # the adviser's list: the new case, 5 days open
    mine = wl.cases(hub, NCS, as_of=AS_OF).set_index("case_id")
    assert mine.loc[case_id, "days_open"] == 5 and mine.loc[case_id, "held_by"] is None
    # the leaver now shows the open case
    listed = wl.leavers_to_confirm(hub, LEADER_A, as_of=AS_OF).set_index("leaver_key")
    assert (listed.loc[P[2], "open_case_id"], listed.loc[P[2], "open_case_to"]) == (
        case_id, "ncs")

    v2 = wl.record_contact(hub, NCS, case_id, 1, dt.date(2025, 10, 11), reached=False)
    v3 = wl.record_contact(hub, NCS, case_id, v2, dt.date(2025, 10, 13), reached=True)
    case = _case(hub, case_id)
    assert (v2, v3, case["attempts"], case["last_attempt_on"], case["contacted_on"]) == (
        2, 3, 2, dt.date(2025, 10, 13), dt.date(2025, 10, 13))
    assert (case["status"], case["held_by"], case["held_since"]) == (
        "contacted", "ncs.one", dt.date(2025, 10, 11))
    v4 = wl.record_outcome(hub, NCS, case_id, v3, "engaged", dt.date(2025, 10, 14),
                           nccis_code=530)
    case = _case(hub, case_id)
    assert (v4, case["status"], case["outcome"], case["outcome_nccis_code"]) == (
        4, "engaged", "engaged", 530)
    # closed: off the open list, where school B's unreferred hand-over to the NCS remains
    assert wl.cases(hub, NCS, as_of=AS_OF)["case_id"].tolist() == [_pending_case(hub)]
    assert case_id in wl.cases(hub, NCS, as_of=AS_OF, open_only=False)["case_id"].tolist()
    assert data_version.current(hub) == before_dv + 4


@pytest.mark.parametrize(("outcome", "status"), [("moved_area", "closed"),
                                                  ("refused", "closed"), ("lost", "lost")])
def test_outcomes_set_the_status(hub, outcome, status):
    case_id = wl.refer(hub, LEADER_A, P[1], "ncs", "not_known", on=dt.date(2025, 10, 2))
    wl.record_outcome(hub, NCS, case_id, 1, outcome, dt.date(2025, 10, 9))
    assert _case(hub, case_id)["status"] == status


def test_refer_of_an_unreferred_hand_over_refers_it_in_place(hub):
    pending = _pending_case(hub)
    case_id = wl.refer(hub, LEAD, P[5], "ncs", "neet", on=dt.date(2025, 10, 1))
    assert case_id == pending
    case = _case(hub, pending)
    assert (case["status"], case["reason"], case["version"]) == ("referred", "neet", 2)
    assert not bool(wl.cases(hub, LEAD, as_of=AS_OF).set_index("case_id")
                    .loc[pending, "overdue"])  # referred now: no longer overdue
    with pytest.raises(wl.InvalidEdit, match="already referred"):
        wl.refer(hub, LEAD, P[5], "ncs", "neet", on=dt.date(2025, 10, 2))


def test_la_tracking_works_its_own_cases_only(hub):
    la_case = wl.refer(hub, LEADER_A, P[1], "la_tracking", "not_known", on=dt.date(2025, 10, 2))
    ncs_case = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    assert wl.cases(hub, LA, as_of=AS_OF)["case_id"].tolist() == [la_case]
    # the NCS: its referral, then school B's hand-over not yet referred (last)
    assert wl.cases(hub, NCS, as_of=AS_OF)["case_id"].tolist() == [ncs_case, _pending_case(hub)]
    wl.record_contact(hub, LA, la_case, 1, dt.date(2025, 10, 3), reached=True)
    with pytest.raises(wl.OutOfScope):
        wl.record_contact(hub, LA, ncs_case, 1, dt.date(2025, 10, 3), reached=True)
    with pytest.raises(wl.OutOfScope):
        wl.record_contact(hub, NCS, la_case, 2, dt.date(2025, 10, 3), reached=True)


# --- scope refusals ----------------------------------------------------------------------


def test_every_role_is_refused_outside_its_scope(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    c_case = wl.refer(hub, LEADER_C, P[6], "ncs", "not_known", on=dt.date(2025, 10, 2),
                      ncs_area=AREA)  # school C's leaver, to the NCS of area E08000035
    events = _count(hub, CaseEvent)
    dv = data_version.current(hub)
    day = dt.date(2025, 10, 5)
    refusals = [
        lambda: wl.refer(hub, LEADER_A, P[5], "ncs", "neet", on=day),  # another school
        lambda: wl.refer(hub, LEADER_A, "no-such-leaver-key-0000", "ncs", "neet", on=day),
        lambda: wl.refer(hub, NCS, P[1], "ncs", "neet", on=day),  # advisers do not refer
        lambda: wl.refer(hub, LA, P[1], "la_tracking", "neet", on=day),
        lambda: wl.refer(hub, LEAD, P[6], "ncs", "neet", on=day),  # another hub's school
        lambda: wl.refer(hub, LEAD_NO_SHARING, P[6], "ncs", "neet", on=day),  # no sharing
        lambda: wl.refer(hub, ANALYST, P[1], "ncs", "neet", on=day),
        lambda: wl.refer(hub, Scope.admin(hub_id="H2"), P[1], "ncs", "neet", on=day),
        lambda: wl.record_contact(hub, LEADER_A, case_id, 1, day, True),  # schools refer
        lambda: wl.record_contact(hub, NCS_ELSEWHERE, case_id, 1, day, True),  # other area
        lambda: wl.record_contact(hub, LEAD, c_case, 1, day, True),  # another hub's school
        lambda: wl.record_outcome(hub, NCS_ELSEWHERE, case_id, 1, "lost", day),
        lambda: wl.confirm_destination(hub, LEADER_C, P[1], None, 320, day),
        lambda: wl.confirm_destination(hub, LEAD, P[1], None, 320, day),  # not hub leads
        lambda: wl.confirm_destination(hub, NCS, P[2], None, 320, day),
        lambda: wl.reassign(hub, NCS, case_id, 1, "ncs.two"),  # hub leads reassign
        lambda: wl.reassign(hub, LEADER_A, case_id, 1, "someone"),
        lambda: wl.reassign(hub, LEAD, c_case, 1, "someone"),
    ]
    for i, attempt in enumerate(refusals):
        with pytest.raises(wl.OutOfScope):
            attempt()
        assert _count(hub, CaseEvent) == events, f"refusal {i} wrote an event"
    assert isinstance(wl.OutOfScope("x"), AccessDenied)
    assert data_version.current(hub) == dv  # refused edits leave the data version alone
    # the adviser of the area does work school C's case: NCS cases are by area, not hub
    assert wl.record_contact(hub, NCS, c_case, 1, day, True) == 2


# --- the version check ---------------------------------------------------------------------


def test_a_stale_edit_is_refused_and_nothing_changes(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    seen = int(wl.cases(hub, NCS, as_of=AS_OF).set_index("case_id").loc[case_id, "version"])
    assert seen == 1
    wl.record_contact(hub, NCS, case_id, seen, dt.date(2025, 10, 3), reached=False)
    stored = _case(hub, case_id)
    events, dv = _count(hub, CaseEvent), data_version.current(hub)
    with pytest.raises(wl.StaleEdit) as err:  # the second adviser read version 1 too
        wl.record_outcome(hub, NCS_2, case_id, seen, "lost", dt.date(2025, 10, 4))
    message = str(err.value)
    assert "changed by ncs.one on" in message and "(version 1 → 2)" in message
    assert "nothing was saved" in message
    assert _case(hub, case_id) == stored
    assert (_count(hub, CaseEvent), data_version.current(hub)) == (events, dv)


def test_concurrent_writers_with_the_same_version_one_wins(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def write(scope, reached):
        start.wait()
        try:
            wl.record_contact(hub, scope, case_id, 1, dt.date(2025, 10, 3), reached=reached)
            outcomes.append("saved")
        except wl.StaleEdit:
            outcomes.append("stale")

    threads = [threading.Thread(target=write, args=(s, r)) for s, r in ((NCS, True),
                                                                        (NCS_2, False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "stale"]
    assert (_case(hub, case_id)["attempts"], _case(hub, case_id)["version"]) == (1, 2)


def test_a_change_by_an_import_makes_edits_stale_too(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    rows = wl.leavers_to_confirm(hub, LEADER_A, as_of=AS_OF)
    table = Handover.__table__
    with hub.begin() as conn:  # what a hand-over import does to a row it changes
        conn.execute(table.update().where(table.c.id == case_id).values(
            dsa_ref="DSA-1", version=table.c.version + 1))
        conn.execute(insert(DestinationRecord.__table__).values(
            leaver_key=P[1], recorded_on=dt.date(2025, 10, 14), nccis_code=619,
            category="neet_active"))
    with pytest.raises(wl.StaleEdit, match=r"changed by an import .*\(version 1 → 2\)"):
        wl.record_contact(hub, NCS, case_id, 1, dt.date(2025, 10, 3), reached=True)
    with pytest.raises(wl.StaleEdit, match="changed by an import"):
        wl.confirm_destination(hub, LEADER_A, P[1], _version(rows, P[1]), 320,
                               dt.date(2025, 10, 12))


def test_a_stale_leaver_version_is_refused(hub):
    rows = wl.leavers_to_confirm(hub, LEADER_A, as_of=AS_OF)
    seen = _version(rows, P[1])
    wl.refer(hub, ADMIN, P[1], "ncs", "not_known", on=dt.date(2025, 10, 2))  # changes P1's row
    with pytest.raises(wl.StaleEdit, match="by admin@test"):
        wl.confirm_destination(hub, LEADER_A, P[1], seen, 320, dt.date(2025, 10, 12))
    assert _count(hub, DestinationRecord, leaver_key=P[1]) == 2


# --- validation --------------------------------------------------------------------------


def test_edits_breaking_the_import_rules_are_refused(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 10))
    pending = _pending_case(hub)
    events = _count(hub, CaseEvent)
    future = dt.date.today() + dt.timedelta(days=1)
    refused = [
        (lambda: wl.refer(hub, LEADER_A, P[1], "ncs", "not_known", intended_nccis_code=999,
                          on=dt.date(2025, 10, 2)), "999 is not an NCCIS"),
        (lambda: wl.refer(hub, LEADER_A, P[1], "ncs", "bored", on=dt.date(2025, 10, 2)),
         "reason must be one of"),
        (lambda: wl.refer(hub, LEADER_A, P[1], "the_moon", "neet", on=dt.date(2025, 10, 2)),
         "to_org_type must be one of"),
        (lambda: wl.refer(hub, LEADER_A, P[1], "ncs", "neet", on=dt.date(2025, 7, 1)),
         "before the young person left"),
        (lambda: wl.refer(hub, LEADER_A, P[1], "ncs", "neet", on=future), "in the future"),
        (lambda: wl.refer(hub, LEADER_A, P[1], "ncs", "neet", on=dt.date(2025, 10, 2),
                          ncs_area="N09000001"), "not an upper-tier LA code"),
        (lambda: wl.record_contact(hub, NCS, case_id, 1, dt.date(2025, 10, 9), True),
         "before the referral"),
        (lambda: wl.record_contact(hub, LEAD, pending, 1, dt.date(2025, 10, 9), True),
         "needs a referral first"),
        (lambda: wl.record_outcome(hub, NCS, case_id, 1, "engaged", dt.date(2025, 10, 12)),
         "record the contact first"),
        (lambda: wl.record_outcome(hub, NCS, case_id, 1, "vanished", dt.date(2025, 10, 12)),
         "outcome must be one of"),
        (lambda: wl.record_outcome(hub, NCS, case_id, 1, "lost", dt.date(2025, 10, 12),
                                   nccis_code=123), "not an NCCIS"),
        (lambda: wl.confirm_destination(hub, LEADER_A, P[1], None, "abc",
                                        dt.date(2025, 10, 12)), "not an NCCIS"),
        (lambda: wl.confirm_destination(hub, LEADER_A, P[1], None, 320.5,
                                        dt.date(2025, 10, 12)), "not an NCCIS"),
        (lambda: wl.reassign(hub, LEAD, case_id, 1, "  "), "user name"),
        (lambda: wl.record_contact(hub, NCS, case_id, None, dt.date(2025, 10, 11), True),
         "give the version you saw"),
        (lambda: wl.confirm_destination(hub, LEADER_A, P[1], None, 320,
                                        dt.date(2025, 10, 12)), "give the version you saw"),
        (lambda: wl.record_contact(hub, NCS, case_id, "one", dt.date(2025, 10, 11), True),
         "whole number"),
    ]
    for attempt, words in refused:
        with pytest.raises(wl.InvalidEdit, match=words):
            attempt()
    assert _count(hub, CaseEvent) == events
    assert _case(hub, case_id)["version"] == 1


# --- audit, history and revert -----------------------------------------------------------------


def test_every_write_is_audited_with_before_and_after(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    wl.record_contact(hub, NCS, case_id, 1, dt.date(2025, 10, 3), reached=True)
    with hub.connect() as conn:
        rows = conn.execute(select(AuditEvent.__table__).where(
            AuditEvent.__table__.c.action == "edit").order_by(AuditEvent.__table__.c.id)
        ).mappings().all()
    assert [(r["user"], r["role"], r["subject"]) for r in rows] == [
        ("leader.a", "careers_leader", f"worklist refer: case {case_id}"),
        ("ncs.one", "ncs_adviser", f"worklist contact: case {case_id}")]
    refer_detail, contact_detail = (json.loads(r["detail"]) for r in rows)
    assert refer_detail["before"] is None
    assert refer_detail["after"]["referred_on"] == "2025-10-02"
    assert contact_detail["before"]["contacted_on"] is None
    assert contact_detail["before"]["attempts"] == 0
    assert contact_detail["after"]["contacted_on"] == "2025-10-03"
    assert (contact_detail["after"]["attempts"], contact_detail["after"]["version"]) == (1, 2)


def test_history_and_revert(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    v = wl.record_contact(hub, NCS, case_id, 1, dt.date(2025, 10, 3), reached=True)
    v = wl.record_outcome(hub, NCS, case_id, v, "refused", dt.date(2025, 10, 4))
    events = wl.history(hub, LEAD, case_id=case_id)
    assert list(events.columns) == wl.HISTORY_COLUMNS
    assert events["action"].tolist() == ["refer", "contact", "outcome"]
    assert events["user"].tolist() == ["leader.a", "ncs.one", "ncs.one"]
    outcome_event = int(events["event_id"].iloc[2])
    assert events["before"].iloc[2]["status"] == "contacted"
    assert events["after"].iloc[2]["status"] == "closed"

    # a mistaken outcome: revert it (with the current version)
    with pytest.raises(wl.StaleEdit):
        wl.revert(hub, NCS, outcome_event, v - 1)
    with pytest.raises(wl.OutOfScope):
        wl.revert(hub, NCS_ELSEWHERE, outcome_event, v)
    v = wl.revert(hub, NCS, outcome_event, v)
    case = _case(hub, case_id)
    assert (case["status"], case["outcome"], case["outcome_on"], case["version"]) == (
        "contacted", None, None, 4)
    assert case["contacted_on"] == dt.date(2025, 10, 3)  # what the outcome did not change
    events = wl.history(hub, NCS, case_id=case_id)
    assert events["action"].tolist() == ["refer", "contact", "outcome", "revert"]
    assert events["reverted_by"].iloc[2] == events["event_id"].iloc[3]
    with pytest.raises(wl.InvalidEdit, match="already reverted"):
        wl.revert(hub, NCS, outcome_event, v)

    # reverting the referral that created the case removes it; its history stays
    refer_event = int(events["event_id"].iloc[0])
    with pytest.raises(wl.OutOfScope):
        wl.revert(hub, NCS, refer_event, v)  # the school's action, not the adviser's
    assert wl.revert(hub, LEADER_A, refer_event, v) == 0
    assert _count(hub, Handover, leaver_key=P[2]) == 0
    kept = wl.history(hub, LEADER_A, case_id=case_id)
    assert kept["action"].tolist() == ["refer", "contact", "outcome", "revert", "revert"]
    assert kept["case_id"].eq(case_id).all()


def test_reverting_a_referral_of_a_pending_hand_over_puts_it_back(hub):
    pending = _pending_case(hub)
    wl.refer(hub, LEAD, P[5], "la_tracking", "neet", on=dt.date(2025, 10, 1))  # another case
    wl.refer(hub, LEAD, P[5], "ncs", "neet", on=dt.date(2025, 10, 1))
    event = wl.history(hub, LEAD, case_id=pending)
    assert event["action"].tolist() == ["refer"]
    wl.revert(hub, LEAD, int(event["event_id"].iloc[0]), 2)
    case = _case(hub, pending)
    assert (case["status"], case["referred_on"], case["reason"], case["version"]) == (
        "pending", None, "not_known", 3)


def test_confirm_correct_and_revert_a_destination(hub):
    rows = wl.leavers_to_confirm(hub, LEADER_A, as_of=AS_OF)
    v = wl.confirm_destination(hub, LEADER_A, P[1], _version(rows, P[1]), 320,
                               dt.date(2025, 10, 12))
    after = wl.leavers_to_confirm(hub, LEADER_A, as_of=AS_OF)
    assert P[1] not in after["leaver_key"].tolist()  # employment: current now
    v2 = wl.confirm_destination(hub, LEADER_A, P[1], v, 330, dt.date(2025, 10, 12))
    assert v2 != v
    with hub.connect() as conn:
        codes_ = conn.execute(select(DestinationRecord.__table__.c.nccis_code).where(
            DestinationRecord.__table__.c.leaver_key == P[1]).order_by(
            DestinationRecord.__table__.c.recorded_on)).scalars().all()
    assert codes_ == [540, 810, 330]  # corrected in place, no second record that day
    events = wl.history(hub, LEADER_A, leaver_key=P[1])
    assert events["action"].tolist() == ["confirm_destination", "correct_destination"]
    assert (events["before"].iloc[1]["nccis_code"], events["after"].iloc[1]["nccis_code"]) == (
        320, 330)
    wl.revert(hub, LEADER_A, int(events["event_id"].iloc[1]), v2)
    v3 = wl.revert(hub, LEADER_A, int(events["event_id"].iloc[0]),
                   wl.leaver_versions(hub.connect(), [P[1]])[P[1]])
    assert _count(hub, DestinationRecord, leaver_key=P[1]) == 2  # the confirmation undone
    back = wl.leavers_to_confirm(hub, LEADER_A, as_of=AS_OF).set_index("leaver_key")
    assert back.loc[P[1], "state"] == "not_known" and back.loc[P[1], "version"] == v3


def test_reassign_by_the_hub_lead(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    wl.record_contact(hub, NCS, case_id, 1, dt.date(2025, 10, 3), reached=False)
    wl.reassign(hub, LEAD, case_id, 2, "ncs.two")
    case = _case(hub, case_id)
    assert (case["held_by"], case["held_since"], case["version"]) == (
        "ncs.two", dt.date.today(), 3)
    row = wl.cases(hub, LEAD, as_of=dt.date.today()).set_index("case_id").loc[case_id]
    assert row["held_by"] == "ncs.two" and row["days_held"] == 0


def test_history_beyond_the_school_withholds_an_opted_out_reason(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "at_risk", on=dt.date(2025, 10, 2))
    assert wl.history(hub, LEADER_A, case_id=case_id)["after"].iloc[0]["reason"] == "at_risk"
    assert wl.history(hub, NCS, case_id=case_id)["after"].iloc[0]["reason"] is None
    # P2 opted out: withheld; school B's P5 did not: shown
    assert wl.cases(hub, NCS, as_of=AS_OF)["reason"].tolist() == [None, "not_known"]
    assert wl.cases(hub, LEADER_A, as_of=AS_OF)["reason"].tolist() == ["at_risk"]


# --- the funnel and the summaries ------------------------------------------------------------


def test_funnel_counts_people_by_stage(hub):
    # P1: referred to LA tracking and the NCS (one person), contacted by the NCS, outcome lost
    # P2: referred to the NCS, not contacted; P5: hand-over never referred (overdue)
    la_case = wl.refer(hub, LEADER_A, P[1], "la_tracking", "not_known", on=dt.date(2025, 10, 2))
    ncs_case = wl.refer(hub, LEADER_A, P[1], "ncs", "not_known", on=dt.date(2025, 10, 2))
    wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    wl.record_contact(hub, NCS, ncs_case, 1, dt.date(2025, 10, 3), reached=True)
    wl.record_outcome(hub, LA, la_case, 1, "lost", dt.date(2025, 10, 5))
    got = wl.funnel(hub, LEAD, as_of=AS_OF).set_index("stage")["people"].to_dict()
    # needing: P1 (not known), P2 (missing), P3 (intended only), P5 (missing) = 4
    assert got == {"needing_handover": 4, "referred": 2, "contacted": 1,
                   "outcome_recorded": 1, "overdue": 1}
    hidden = wl.funnel(hub, ANALYST, as_of=AS_OF)["people"].tolist()
    assert hidden == ["c"] * 5  # aggregates-only: counts under 6 suppressed


def test_summaries_and_metrics_see_each_change(hub):
    def ncs_row():
        dates = store.handover_dates(hub, LEAD)
        funnel = transitions.handover_funnel(dates)
        return funnel[funnel["handed_to"].eq("ncs")].iloc[0]

    before = ncs_row()
    assert (before["handovers"], before["referred"], before["contacted"]) == (1, 0, 0)
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    after = ncs_row()
    assert (after["handovers"], after["referred"], after["contacted"]) == (2, 1, 0)
    wl.record_contact(hub, NCS, case_id, 1, dt.date(2025, 10, 3), reached=True)
    assert ncs_row()["contacted"] == 1
    with hub.connect() as conn:  # the stored packs equal a fresh count
        for name in ("handovers", "ncs_handovers"):
            pd.testing.assert_frame_equal(rollups.stored(conn, name), rollups.fresh(conn, name),
                                          check_dtype=False, obj=name)
    rows = wl.leavers_to_confirm(hub, LEADER_A, as_of=AS_OF)
    wl.confirm_destination(hub, LEADER_A, P[2], _version(rows, P[2]), 320,
                           dt.date(2025, 10, 12))
    with hub.connect() as conn:
        for name in ("destinations", "neet_points", "sustained"):
            pd.testing.assert_frame_equal(rollups.stored(conn, name), rollups.fresh(conn, name),
                                          check_dtype=False, obj=name)


def test_existing_ncs_area_is_the_schools_la_by_default(hub):
    case_id = wl.refer(hub, LEADER_C, P[6], "la_tracking", "neet", on=dt.date(2025, 10, 2))
    assert _case(hub, case_id)["ncs_area"] == OTHER_AREA
    assert wl.cases(hub, LA, as_of=AS_OF).empty  # LA E08000035 does not track it


def test_retention_removes_the_history_of_the_leavers_it_removes(hub):
    from hubcore import retention

    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    wl.record_contact(hub, NCS, case_id, 1, dt.date(2025, 10, 3), reached=True)
    assert _count(hub, CaseEvent, leaver_key=P[2]) == 2
    # every leaver left in July 2025: all due three years on
    retention.run(hub, ADMIN, as_of=dt.date(2028, 12, 1), apply=True)
    assert (_count(hub, CaseEvent), _count(hub, Handover), _count(hub, Leaver)) == (0, 0, 0)


def test_a_revert_can_be_reverted(hub):
    case_id = wl.refer(hub, LEADER_A, P[2], "ncs", "not_known", on=dt.date(2025, 10, 2))
    v = wl.record_outcome(hub, NCS, case_id, 1, "lost", dt.date(2025, 10, 6))
    outcome_event = int(wl.history(hub, NCS, case_id=case_id)["event_id"].iloc[-1])
    v = wl.revert(hub, NCS, outcome_event, v)
    assert (_case(hub, case_id)["status"], _case(hub, case_id)["outcome"]) == ("referred", None)
    revert_event = int(wl.history(hub, NCS, case_id=case_id)["event_id"].iloc[-1])
    with pytest.raises(wl.OutOfScope):  # the original was the adviser's: so is its revert
        wl.revert(hub, LEADER_A, revert_event, v)
    v = wl.revert(hub, NCS, revert_event, v)
    case = _case(hub, case_id)
    assert (case["status"], case["outcome"], case["outcome_on"], v) == (
        "lost", "lost", dt.date(2025, 10, 6), 4)
    assert wl.history(hub, NCS, case_id=case_id)["action"].tolist() == [
        "refer", "outcome", "revert", "revert"]


def test_leavers_are_listed_while_the_chase_list_tracks_them(hub):
    # Year 13 of 2024: tracked to 31 August 2025; Year 11 of 2023: to 31 August 2025 too
    y13, y11 = "13" + "t" * 30, "11" + "t" * 30
    with hub.begin() as conn:
        conn.execute(insert(Leaver.__table__).values(
            key=y13, urn=A, cohort=2024, year_group=13, left_on=dt.date(2024, 7, 19)))
        conn.execute(insert(Leaver.__table__).values(
            key=y11, urn=A, cohort=2023, year_group=11, left_on=dt.date(2023, 7, 21)))
    last_day = wl.leavers_to_confirm(hub, LEADER_A, as_of=dt.date(2025, 8, 31))
    assert {y13, y11} <= set(last_day["leaver_key"])
    after = wl.leavers_to_confirm(hub, LEADER_A, as_of=dt.date(2025, 9, 1))
    assert not {y13, y11} & set(after["leaver_key"])
    # 31 August 2025: P1-P4 (their records all come later: missing then) and the two above
    assert wl.funnel(hub, LEADER_A, as_of=dt.date(2025, 8, 31)).set_index("stage").loc[
        "needing_handover", "people"] == 6
