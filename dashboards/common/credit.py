"""The source credit line under the served maps (overview, employers) and on the landing page:
the licences' wording for the official data in store ("Contains OS data © Crown copyright and
database right YEAR", OGL attribution), from :func:`hubcore.display.provenance.attribution_lines`
so the pages and the briefing print the same words.

The lines are data (recorded by ``hubcore fetch`` from an overridable settings file): they go
into Markdown only through :func:`dashboards.common.layout.md`, which shows them as text.
"""

from __future__ import annotations

import panel as pn

from dashboards.common import layout
from dashboards.common.context import engine_for
from hubcore.display.provenance import attribution_lines


@pn.cache(max_items=32)
def attributions(url: str, key: tuple) -> tuple[str, ...]:
    """The credit lines of the database at ``url``; ``key`` is the page's scope key, whose
    data version (its last item) changes with every import, so a new fetch is seen. The same
    for every scope (the official files are public): the key only keys the cache."""
    return tuple(attribution_lines(engine_for(url)))


def credit_markdown(lines: tuple[str, ...] | list[str]) -> str:
    """The lines as one small Markdown paragraph (each line shown literally, joined by " · "),
    or "" when there is none (the plain synthetic demo shows its own notice instead)."""
    if not lines:
        return ""
    return "<small>" + " · ".join(layout.md("{line}", line=line) for line in lines) + "</small>"


def credit_pane() -> pn.pane.Markdown:
    """An empty credit pane for under a map; fill it with :func:`show_credit`."""
    return pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10),
                            css_classes=["map-credit"])


def show_credit(pane: pn.pane.Markdown, page) -> None:
    """Put ``page``'s credit lines (a :class:`~dashboards.common.page.HubPage`) in ``pane``;
    hidden when there is none."""
    text = credit_markdown(page.read(attributions))
    pane.object = text
    pane.visible = bool(text)


__all__ = ["attributions", "credit_markdown", "credit_pane", "show_credit"]
