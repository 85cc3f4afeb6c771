"""The transitions page's pupil-level hand-overs, read once per scope and data version
(:func:`dashboards.common.data.pupil_handovers`), stay as guarded and audited as a read per
session: shared only within one scope (a role without pupil rows never gets another scope's
rows), and every user's read writes that user's own audit event.

Two hubs written straight into an empty database: hub A shares pupil data (two hand-overs of
its school), hub B does not (one hand-over).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

pn = pytest.importorskip("panel")

from dashboards.common import auth, data  # noqa: E402
from hubcore import users  # noqa: E402
from hubcore.access import Role, Scope  # noqa: E402
from hubcore.models import AuditEvent, Handover, Hub, HubMembership, Leaver, School  # noqa: E402

#: hub → (shares pupil data, URN, leaver keys of its hand-overs).
HUBS = {"HUB-A": (True, 910101, ["a" * 16, "a" * 15 + "b"]),
        "HUB-B": (False, 910201, ["b" * 16])}


@pytest.fixture
def two_hubs(engine):
    with engine.begin() as conn:
        for hub, (shares, urn, keys) in HUBS.items():
            conn.execute(insert(Hub.__table__).values(id=hub, name=hub,
                                                      pupil_data_sharing=shares))
            conn.execute(insert(School.__table__).values(
                urn=urn, name=f"School of {hub}", la_code=383, type_code=1, phase_code=4,
                kind="mainstream_11_16", status="Open", la_gss="E08000035", pupils=800))
            conn.execute(insert(HubMembership.__table__).values(
                hub_id=hub, urn=urn, start_date=dt.date(2020, 9, 1)))
            for key in keys:
                conn.execute(insert(Leaver.__table__).values(
                    key=key, urn=urn, cohort=2025, year_group=11,
                    left_on=dt.date(2025, 7, 18)))
                conn.execute(insert(Handover.__table__).values(
                    leaver_key=key, from_urn=urn, to_org_type="ncs", ncs_area="E08000035",
                    reason="not_known", left_on=dt.date(2025, 7, 18)))
    data._HANDOVERS.clear()
    yield engine.url.render_as_string(hide_password=False), engine
    data._HANDOVERS.clear()


def _sign_in(monkeypatch, scope: Scope) -> Scope:
    monkeypatch.setattr(users, "has_users", lambda *a, **k: True)
    monkeypatch.setattr(users, "user_scope", lambda *a, **k: scope)
    monkeypatch.setattr(auth, "_identity", lambda *a, **k: scope.user)
    return scope


def _views(engine, user: str) -> list[int]:
    """Rows of each hand-over view audited for ``user``."""
    table = AuditEvent.__table__
    with engine.connect() as conn:
        return list(conn.execute(select(table.c.rows).where(
            table.c.user == user, table.c.subject == "handovers").order_by(table.c.id)
        ).scalars())


def _read(url: str, hub: str, scope: Scope):
    return data.pupil_handovers(url, data.scope_key(url, hub), scope)


def test_rows_are_shared_within_a_scope_and_audited_per_user(two_hubs, monkeypatch):
    url, engine = two_hubs
    lead = _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    first = _read(url, "HUB-A", lead)
    assert sorted(first["leaver_key"]) == sorted(HUBS["HUB-A"][2])
    assert _views(engine, "lead@a") == [2]
    # Another session of the same scope (another user): the same rows, not read again, and
    # an audit event of their own.
    other = _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-A", user="other@a"))
    assert _read(url, "HUB-A", other) is first
    assert _views(engine, "other@a") == [2]
    # The first user's second session is audited again.
    _sign_in(monkeypatch, lead)
    assert _read(url, "HUB-A", lead) is first
    assert _views(engine, "lead@a") == [2, 2]


def test_a_role_without_pupil_rows_never_gets_another_scopes_rows(two_hubs, monkeypatch):
    url, engine = two_hubs
    lead = _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    assert len(_read(url, "HUB-A", lead)) == 2  # hub A's rows are cached now
    # An analyst of the same hub: aggregates only, whatever is cached for the hub lead.
    analyst = _sign_in(monkeypatch, Scope(Role.ANALYST, hub_id="HUB-A", user="analyst@a"))
    assert _read(url, "HUB-A", analyst) is None
    # Hub B's lead: that hub shares no pupil data (and their key is hub B's, whatever ?hub=).
    lead_b = _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-B", user="lead@b"))
    assert _read(url, "HUB-A", lead_b) is None
    assert _read(url, "HUB-B", lead_b) is None  # the refusal cached, still refused
    assert _views(engine, "analyst@a") == [] and _views(engine, "lead@b") == []
    # A scope passed with another scope's key is refused outright.
    with pytest.raises(ValueError):
        data.pupil_handovers(url, data.scope_key(url, "HUB-A"), lead)


def test_new_data_is_read_afresh(two_hubs, monkeypatch):
    url, engine = two_hubs
    lead = _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    assert len(_read(url, "HUB-A", lead)) == 2
    from hubcore import data_version

    with engine.begin() as conn:  # a writer: bumps the data version in its transaction
        data_version.bump(conn)
        conn.execute(insert(Leaver.__table__).values(
            key="c" * 16, urn=910101, cohort=2025, year_group=11, left_on=dt.date(2025, 7, 18)))
        conn.execute(insert(Handover.__table__).values(
            leaver_key="c" * 16, from_urn=910101, to_org_type="ncs", ncs_area="E08000035",
            reason="neet", left_on=dt.date(2025, 7, 18)))
    assert len(_read(url, "HUB-A", lead)) == 3
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditEvent.__table__)).scalar() == 2
