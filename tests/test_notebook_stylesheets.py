"""Offline notebooks: a HoloViews object shown directly links Panel's stylesheets to its CDN
unless dashboards.common.notebook.inline_stylesheets() is on; with it, the same files are in
the output inline, read from the installed Panel."""

from __future__ import annotations

import holoviews as hv
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import ImportedStyleSheet, InlineStyleSheet
from panel.io.resources import DIST_DIR
from panel.viewable import Viewable

from dashboards.common import notebook

hv.extension("bokeh")


def _render(obj):
    """The model tree HoloViews' notebook renderer builds (Renderer._render_panel)."""
    doc = Document()
    pn.panel(obj)._render_model(doc, None)
    return [s for m in doc.models for s in (getattr(m, "stylesheets", None) or [])]


@pytest.fixture
def inline(monkeypatch):
    monkeypatch.setattr(pn.config, "inline", True)
    # The hook list is Panel's class state: give each test its own copy.
    monkeypatch.setattr(Viewable, "_preprocessing_hooks", list(Viewable._preprocessing_hooks))


def _cdn(sheets):
    return {s.url for s in sheets if isinstance(s, ImportedStyleSheet) and "holoviz" in s.url}


def test_without_the_hook_panel_links_its_cdn(inline):
    # The gap the hook closes (if Panel stops linking its CDN here, the hook can go).
    assert any(u.endswith("theme/default.css") for u in _cdn(_render(hv.Curve([1, 3, 2]))))


def test_the_hook_inlines_panels_stylesheets(inline):
    notebook.inline_stylesheets()
    notebook.inline_stylesheets()  # idempotent: one hook
    assert Viewable._preprocessing_hooks.count(notebook._inline_hook) == 1
    sheets = _render(hv.Curve([1, 3, 2]))
    assert _cdn(sheets) == set()
    default_css = (DIST_DIR / "bundled" / "theme" / "default.css").read_text(encoding="utf-8")
    assert any(isinstance(s, InlineStyleSheet) and s.css == default_css for s in sheets)


def test_the_hook_does_nothing_without_inline(inline, monkeypatch):
    notebook.inline_stylesheets()
    monkeypatch.setattr(pn.config, "inline", False)
    assert _cdn(_render(hv.Curve([1, 3, 2])))
