"""What makes a new session cheaper (docs/capacity.md) keeps the pages right.

* A read-only table shares one Bokeh formatter and one editor among its columns (the browser
  formats each column from the Tabulator configuration); an editable table keeps its own.
* A prepared table frame is reused only for the very frame object it was made from.
* The employers page's reads, now cached, are shared within a scope and never across scopes.
"""

from __future__ import annotations

import gc

import pandas as pd
import pytest
from sqlalchemy import insert

pn = pytest.importorskip("panel")

from dashboards import employers as page  # noqa: E402
from dashboards.common import auth, data, tables  # noqa: E402
from hubcore import users  # noqa: E402
from hubcore.access import Role, Scope  # noqa: E402
from hubcore.models import Hub  # noqa: E402


def _frame() -> pd.DataFrame:
    # Awkward: a hidden figure ("c") among numbers, a missing one, a name with markup.
    return pd.DataFrame({"name": ["<b>A</b>", "B", "C"], "pupils": [120, 7, 300],
                         "bm5_pct": [51.26, "c", None]})


def test_a_read_only_table_shares_one_formatter_and_one_editor():
    tab = tables.table(_frame(), name_column="name")
    columns = tab._get_columns()
    assert [c.field for c in columns] == ["name", "pupils", "bm5_pct"]
    assert len({id(c.formatter) for c in columns}) == 1
    assert len({id(c.editor) for c in columns}) == 1
    # The browser formats every column from the configuration, not from the shared model:
    # escaped text for the name, numbers with their decimals.
    config = {c["field"]: c for c in tab._config_columns(columns)}
    assert config["name"]["formatter"] == "plaintext"
    assert config["bm5_pct"]["formatter"] == "money"
    assert config["bm5_pct"]["formatterParams"]["precision"] == 1
    assert config["pupils"]["formatterParams"]["precision"] == 0


def test_an_editable_table_keeps_an_editor_per_column():
    tab = tables.table(_frame(), disabled=False)
    columns = tab._get_columns()
    assert len({id(c.editor) for c in columns}) == len(columns) == 3


def test_a_prepared_frame_is_reused_only_for_the_same_frame():
    frame = _frame()
    first = tables.prepared_for(frame)
    assert tables.prepared_for(frame) is first
    # The same content in another object is prepared afresh (never matched by content).
    twin = frame.copy()
    assert tables.prepared_for(twin) is not first
    # Other words for codes: prepared again.
    assert tables.prepared_for(frame, {"E08000035": "Leeds"}) is not first
    # A frame gone takes its prepared frame with it (nothing kept for a reused address).
    key = id(twin)
    del twin
    gc.collect()
    assert key not in tables._PREPARED
    # What is shown is prepare()'s result: the hidden figure kept, the missing one empty.
    assert first["bm5_pct"].tolist() == [51.3, "c", None]  # one decimal


def test_a_table_shows_a_new_frame():
    tab = tables.table(_frame())
    frame = _frame()
    tables.show(tab, frame)
    changed = frame.assign(pupils=[1, 2, 3])
    tables.show(tab, changed)
    assert tab.value["pupils"].tolist() == [1, 2, 3]


@pytest.fixture
def two_hubs(engine):
    with engine.begin() as conn:
        conn.execute(insert(Hub.__table__), [{"id": "HUB-A", "name": "Alpha"},
                                             {"id": "HUB-B", "name": "Beta"}])
    for cached in (page.employer_points, page.link_segments, page.spare_offers):
        cached.clear()
    yield engine.url.render_as_string(hide_password=False)
    for cached in (page.employer_points, page.link_segments, page.spare_offers):
        cached.clear()


def _sign_in(monkeypatch, scope: Scope) -> None:
    monkeypatch.setattr(users, "has_users", lambda *a, **k: True)
    monkeypatch.setattr(users, "user_scope", lambda *a, **k: scope)
    monkeypatch.setattr(auth, "_identity", lambda *a, **k: scope.user)


def test_employer_reads_are_shared_within_a_scope_and_never_across(two_hubs, monkeypatch):
    url, asked = two_hubs, []

    def points(engine, scope):  # what the display layer would read for the scope
        asked.append(scope.hub_id)
        return pd.DataFrame({"name": [f"employer of {scope.hub_id}"]})

    monkeypatch.setattr(page.shown, "employer_points", points)
    monkeypatch.setattr(page.shown, "employer_hover", lambda frame: frame)
    _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    first = page.employer_points(url, data.scope_key(url, "HUB-A"))
    assert first["name"].tolist() == ["employer of HUB-A"]
    # Another user of the same scope: the same frame, not read again.
    _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-A", user="other@a"))
    assert page.employer_points(url, data.scope_key(url, "HUB-A")) is first
    assert asked == ["HUB-A"]
    # A lead of hub B, even asking for hub A: their own hub's employers, read for them.
    _sign_in(monkeypatch, Scope(Role.HUB_LEAD, hub_id="HUB-B", user="lead@b"))
    second = page.employer_points(url, data.scope_key(url, "HUB-A"))
    assert second["name"].tolist() == ["employer of HUB-B"]
    assert asked == ["HUB-A", "HUB-B"]


def test_charts_of_one_session_share_their_stateless_models_and_nothing_else():
    from bokeh.document import Document
    from bokeh.models import AllLabels, UnionRenderers
    from panel.io.state import set_curdoc

    from dashboards.common import charts

    def two_charts():
        a = charts.GroupedBars("x", "g", "y", ("#000000",), name="a")
        b = charts.Histogram("days", "count", "#111111", name="b")
        return a, b

    session = Document()
    session._session_context = lambda: object()  # as a served session's document has one
    with set_curdoc(session):
        a, b = two_charts()
    assert a.source.selection_policy is b.source.selection_policy
    assert isinstance(a.source.selection_policy, UnionRenderers)
    policies = {id(axis.major_label_policy) for c in (a, b)
                for axis in (*c.fig.xaxis, *c.fig.yaxis)}
    assert len(policies) == 1 and isinstance(a.fig.xaxis[0].major_label_policy, AllLabels)
    # Data and selections stay each source's own.
    assert a.source.selected is not b.source.selected and a.source.data is not b.source.data
    # Outside a served session (a notebook's document; a chart may be shown in several
    # documents there): no sharing.
    with set_curdoc(Document()):
        c, d = two_charts()
    assert c.source.selection_policy is not d.source.selection_policy
    assert c.fig.xaxis[0].major_label_policy is not d.fig.xaxis[0].major_label_policy
