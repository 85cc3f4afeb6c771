"""Notebooks offline: Panel's own stylesheets inline, whatever draws the output.

``pn.extension(inline=True)`` puts Bokeh's and Panel's JavaScript into the notebook, and Panel
inlines its components' stylesheets when *it* renders a cell. A HoloViews object shown directly
(``plots.area_map(...)`` as the last line of a cell) is rendered by HoloViews' renderer instead,
which leaves four links to Panel's CDN in the output (``theme/default.css``, ``native.css``,
``listpanel.css``, ``loading.css``): offline the browser refuses them. :func:`inline_stylesheets`
adds one Panel preprocessing hook (the mechanism Panel uses for its own links and callbacks)
that swaps those links for the same files read from the installed Panel, every time a model tree
is prepared for a notebook output — a HoloViews cell, a component, or the models a filter change
adds later. A served page is left alone (it serves the files itself).
"""

from __future__ import annotations

from typing import Any

from bokeh.models import UIElement
from panel.config import config
from panel.io.notebook import patch_inline_stylesheets
from panel.io.state import state
from panel.viewable import Viewable


def _inline_hook(viewable: Any, root: Any, changed: Any = None, old_models: Any = None) -> None:
    """Replace Panel's CDN stylesheet links under ``root`` by inline copies (notebook only)."""
    del viewable, changed, old_models
    # A served session (session_context set) serves Panel's files locally: nothing to do.
    if not config.inline or (state.curdoc is not None and state.curdoc.session_context):
        return
    for model in root.select({"type": UIElement}):
        patch_inline_stylesheets(model)


def inline_stylesheets() -> None:
    """Make every later notebook output carry Panel's stylesheets inline (idempotent).

    Call after ``pn.extension(..., inline=True)``; with ``inline`` off Panel loads from its CDN
    anyway and the hook does nothing.
    """
    if _inline_hook not in Viewable._preprocessing_hooks:
        Viewable._preprocessing_hooks.append(_inline_hook)
