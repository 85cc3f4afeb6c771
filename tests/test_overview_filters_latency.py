"""The overview's filters run the page's callback on the server's next tick after a change
in the browser, not after Panel's 50 ms wait for more changes (``Syncable._debounce``): a
choice in a list or a tick comes alone, so that wait was 50 ms of every filter change."""

from __future__ import annotations

import pytest

pytest.importorskip("panel")

import panel as pn  # noqa: E402
from bokeh.document import Document  # noqa: E402

from dashboards.overview import AreaOverview  # noqa: E402


class _Session:
    """Stands in for a served session's context: Panel then schedules a browser change's
    callback on the document (``add_timeout_callback``) instead of running it at once."""


def test_each_filter_schedules_its_callback_without_a_wait(demo_engine, monkeypatch):
    url = demo_engine.url.render_as_string(hide_password=False)
    view = AreaOverview(db_url=url)
    controls = view.controls()
    doc = Document()
    controls.get_root(doc)
    session = _Session()
    monkeypatch.setattr(Document, "session_context", property(lambda self: session))
    delays: list[tuple[str, int]] = []

    def timeout(self, callback, delay):
        delays.append((name, delay))

    monkeypatch.setattr(Document, "add_timeout_callback", timeout)
    monkeypatch.setattr(Document, "add_next_tick_callback",
                        lambda self, callback: delays.append((name, 0)))
    widgets = [w for w in controls if isinstance(w, (pn.widgets.Select,
                                                      pn.widgets.CheckBoxGroup))]
    assert [w.name for w in widgets] == ["Hub", "Map layer", "Benchmark", "Assessment period",
                                         "Local authority", "School types"]
    for widget in widgets:
        name = widget.name
        model = widget._models[next(iter(widget._models))][0]
        # As the browser would send it: the model's own property, changed outside Panel.
        if isinstance(widget, pn.widgets.CheckBoxGroup):
            model.active = model.active[1:]
        else:
            model.value = model.options[-1][0] if isinstance(model.options[-1], tuple) \
                else model.options[-1]
    # Each filter scheduled its callback once, with no wait.
    assert [n for n, _ in delays] == [w.name for w in widgets if len(w.options) > 1], delays
    assert all(delay == 0 for _, delay in delays), delays
