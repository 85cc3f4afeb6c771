"""Scoped reads: what each role gets, aggregates pushed to SQL, pupil-level reads audited."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from hubcore import store
from hubcore.access import Role, Scope
from hubcore.errors import AccessDenied, HubcoreError


def test_careers_leader_sees_only_own_school(demo_engine):
    urn = int(store.schools(demo_engine, Scope.admin())["urn"].iloc[3])
    scope = Scope(Role.CAREERS_LEADER, urn=urn)
    assert store.schools(demo_engine, scope)["urn"].tolist() == [urn]
    assert set(store.assessments(demo_engine, scope)["urn"]) == {urn}
    assert set(store.leavers(demo_engine, scope)["urn"]) == {urn}


def test_analyst_gets_no_pupil_rows_but_aggregates(demo_engine):
    analyst = Scope(Role.ANALYST, hub_id="DEMO")
    for read in (store.leavers, store.destinations, store.handovers):
        with pytest.raises(AccessDenied):
            read(demo_engine, analyst)
    counts = store.destination_counts(demo_engine, analyst)
    assert counts["leavers"].sum() > 0 and set(counts["years_after"]) <= {1, 2, 3}


def test_ncs_adviser_sees_only_ncs_handovers_in_area(demo_engine):
    la = store.schools(demo_engine, Scope.admin())["la_gss"].iat[0]
    h = store.handovers(demo_engine, Scope(Role.NCS_ADVISER, ncs_area=la))
    assert len(h) > 0 and set(h["to_org_type"]) == {"ncs"} and set(h["ncs_area"]) == {la}


def test_scope_needs_its_parts():
    with pytest.raises(HubcoreError):
        Scope(Role.CAREERS_LEADER)
    with pytest.raises(HubcoreError):
        Scope(Role.HUB_LEAD)


def test_pupil_reads_are_audited(demo_engine):
    def audit_rows():
        with demo_engine.connect() as conn:
            return conn.execute(text("select count(*) from audit_event")).scalar()

    before = audit_rows()
    scope = Scope(Role.HUB_LEAD, hub_id="DEMO", user="lead@example.org")
    rows = store.handovers(demo_engine, scope)
    with demo_engine.connect() as conn:
        last = conn.execute(
            text('select "user", role, action, subject, rows from audit_event order by id desc')
        ).first()
    assert audit_rows() == before + 1
    assert tuple(last) == ("lead@example.org", "hub_lead", "view", "handovers", len(rows))


def test_assessment_pivot_matches_the_scores(demo_engine):
    a = store.assessments(demo_engine, Scope.admin())
    scores = pd.read_sql("select * from benchmark_score", demo_engine)
    one = a.iloc[5]
    mine = scores[scores["assessment_id"] == one["assessment_id"]].set_index("benchmark")["percent"]
    assert [one[f"bm{b}"] for b in range(1, 9)] == mine.sort_index().tolist()
    assert one["achieved"] == int((mine == 100).sum())
    latest = store.assessments(demo_engine, Scope.admin(), latest_only=True)
    assert latest["urn"].is_unique
    assert (latest.set_index("urn")["assessed_on"] == a.groupby("urn")["assessed_on"].max()).all()
