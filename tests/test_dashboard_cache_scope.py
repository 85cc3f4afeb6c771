"""Display-layer results cached for the pages are shared per scope, never across scopes.

The transitions page's flow map (:func:`dashboards.common.data.flow_map`) is worked out once
per scope and data version and shared by the sessions of that scope. Two hubs written
straight into an empty database, each with its own schools at its own places; a hub lead of
each opens the page's flow map in turn, and the second must get only its own schools, never
the first's cached ones.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

pn = pytest.importorskip("panel")

from dashboards.common import auth, data  # noqa: E402
from hubcore import users  # noqa: E402
from hubcore.access import Role, Scope  # noqa: E402
from hubcore.models import Hub, HubMembership, School  # noqa: E402

#: hub → (school name, easting) of its schools; awkward: hub B's school sits between A's.
SCHOOLS = {"HUB-A": [("Alpha One", 430000.0), ("Alpha Two", 431500.0)],
           "HUB-B": [("Beta Only", 430750.0)]}


@pytest.fixture
def two_hubs(engine):
    rows, members = [], []
    for h, (hub, schools) in enumerate(SCHOOLS.items()):
        for i, (name, easting) in enumerate(schools):
            urn = 910101 + 100 * h + i
            rows.append({"urn": urn, "name": name, "la_code": 383, "type_code": 1,
                         "phase_code": 4, "kind": "mainstream_11_16", "status": "Open",
                         "la_gss": "E08000035", "easting": easting, "northing": 433000.0,
                         "pupils": 800})
            members.append({"hub_id": hub, "urn": urn, "start_date": dt.date(2020, 9, 1)})
    with engine.begin() as conn:
        conn.execute(insert(Hub.__table__), [{"id": "HUB-A", "name": "Alpha"},
                                             {"id": "HUB-B", "name": "Beta"}])
        conn.execute(insert(School.__table__), rows)
        conn.execute(insert(HubMembership.__table__), members)
    data.flow_map.clear()
    yield engine.url.render_as_string(hide_password=False)
    data.flow_map.clear()


def _sign_in(monkeypatch, scope: Scope) -> None:
    monkeypatch.setattr(users, "has_users", lambda *a, **k: True)
    monkeypatch.setattr(users, "user_scope", lambda *a, **k: scope)
    monkeypatch.setattr(auth, "_identity", lambda *a, **k: scope.user)


def _flow_schools(url: str, hub: str) -> list[tuple[str, float]]:
    drawn = data.flow_map(url, data.scope_key(url, hub))
    return sorted(zip(drawn["schools"]["name"], drawn["schools"]["easting"].tolist(),
                      strict=True))


def test_flow_map_of_a_second_scope_holds_only_its_own_schools(two_hubs, monkeypatch):
    url = two_hubs
    _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    assert _flow_schools(url, "HUB-A") == sorted(SCHOOLS["HUB-A"])
    # The same page for a lead of the other hub, right after (hub A's result is cached).
    _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-B", user="lead@b"))
    assert _flow_schools(url, "HUB-B") == [("Beta Only", 430750.0)]
    # A lead of hub B asking for hub A's key gets their own scope's key (hub B), not A's map.
    assert data.scope_key(url, "HUB-A")[1] == "HUB-B"
    assert _flow_schools(url, "HUB-A") == [("Beta Only", 430750.0)]


def test_flow_map_is_shared_within_one_scope(two_hubs, monkeypatch):
    url = two_hubs
    _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    first = data.flow_map(url, data.scope_key(url, "HUB-A"))
    # Another session of the same scope (another user with the same role and hub).
    _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-A", user="other@a"))
    assert data.flow_map(url, data.scope_key(url, "HUB-A")) is first
