"""The suite's page template (``dashboards.common.layout.page``) without Panel's per-session
costs that a served page does not need (docs/capacity.md), and still a whole page.

* Into a served session's new document the roots go without Panel's detaching walk
  (``panel.io.model.remove_root``); everywhere else (a notebook's document, a document that
  already has roots) Panel's own path runs.
* A figure shown before in another document still reaches the page whole (Panel's Bokeh
  pane moves it itself).
* The markup is compiled once and still renders the title and the three roots.
"""

from __future__ import annotations

from types import SimpleNamespace

import jinja2
import pytest

pn = pytest.importorskip("panel")

from bokeh.document import Document  # noqa: E402
from bokeh.plotting import figure  # noqa: E402
from panel.io import model as panel_model  # noqa: E402
from panel.io.state import set_curdoc  # noqa: E402

from dashboards.common import layout  # noqa: E402


def _session_document() -> Document:
    doc = Document()
    # As a served session's document has one (the parts of it Panel reads here).
    context = SimpleNamespace(request=SimpleNamespace(arguments={}, headers={}, cookies={},
                                                      uri="/", path="/"),
                              id="session", token="token", server_context=None)
    doc._session_context = lambda: context
    return doc


@pytest.fixture
def walks(monkeypatch) -> list:
    """The roots Panel's detaching walk (``remove_root``) was run on."""
    seen: list = []
    original = panel_model.remove_root

    def counting(obj, replace=None, skip=None):
        seen.append(obj)
        return original(obj, replace, skip)

    monkeypatch.setattr(panel_model, "remove_root", counting)
    return seen


def _page(plot=None):
    plot = plot if plot is not None else figure(height=100, width=100)
    if not plot.renderers:
        plot.line([1, 2, 3], [3, 1, 2])
    return layout.page("A <title> & co", [pn.pane.Bokeh(plot)],
                       [pn.widgets.Select(name="Hub", options=["a", "b"])])


def test_a_served_session_gets_its_roots_without_the_detaching_walk(walks):
    doc = _session_document()
    with set_curdoc(doc):
        _page().server_doc(doc)
    assert walks == []
    # Every root's models are in the document and attached to it (one walk, Bokeh's own).
    assert {r.name for r in doc.roots} >= {"busy", "filters", "content"}
    reachable = set().union(*(r.references() for r in doc.roots))
    assert reachable == set(doc.models)
    assert all(m.document is doc for m in reachable)
    assert any(type(m).__name__ == "Line" for m in reachable)
    assert layout._FRESH_DOCUMENT.get() is False  # reset after the page


def test_outside_a_served_session_panel_walks_as_before(walks):
    doc = Document()  # a notebook's or a test's document: no session
    with set_curdoc(doc):
        _page().server_doc(doc)
    assert len(walks) == 3  # busy, filters, content: Panel's own path


def test_a_document_that_has_roots_already_gets_panel_s_path(walks):
    doc = _session_document()
    doc.add_root(pn.pane.Markdown("before").get_root(doc))
    with set_curdoc(doc):
        _page().server_doc(doc)
    assert len(walks) == 3


def test_a_figure_shown_before_in_another_document_still_comes_whole():
    # Panel's Bokeh pane moves a figure from another document itself (its own remove_root,
    # with the new document): the page gets the whole figure, attached to its document.
    plot = figure(height=100, width=100)
    plot.line([1, 2], [2, 1])
    other = Document()
    other.add_root(plot)
    doc = _session_document()
    with set_curdoc(doc):
        _page(plot).server_doc(doc)
    assert plot.document is doc
    assert all(m.document is doc for m in plot.references())
    assert layout._FRESH_DOCUMENT.get() is False


def test_the_markup_is_compiled_once_and_renders_the_page():
    first, second = _page(), _page()
    assert first.template is second.template is layout._compiled()
    html = first.template.render(
        page_title="A title", base=jinja2.Template("{% block contents %}{% endblock %}"),
        embed=lambda root: f"[{root}]",
        roots=type("Roots", (), {"busy": "B", "filters": "F", "content": "C"})())
    assert "[B]" in html and "[F]" in html and "[C]" in html
    assert f"flex:0 0 {layout.SIDEBAR_WIDTH}px" in html and layout.ACCENT in html
