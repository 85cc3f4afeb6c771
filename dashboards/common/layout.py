"""One look for every page: a Bootstrap template (no external fonts or icons, so it works
offline), the synthetic-data banner, and number cards."""

from __future__ import annotations

import panel as pn

ACCENT = "#1f4e79"
SYNTHETIC_NOTICE = (
    "**Synthetic demonstration data.** Every school, employer and young person on this page is "
    "generated; no real person or place is described."
)


def page(title: str, main: list, sidebar: list | None = None) -> pn.template.BootstrapTemplate:
    """A page in the suite's template."""
    return pn.template.BootstrapTemplate(
        title=title,
        header_background=ACCENT,
        main=main,
        sidebar=sidebar or [],
        sidebar_width=300,
    )


def synthetic_banner(visible: bool) -> pn.pane.Alert:
    """A warning banner shown whenever the hub's data are synthetic."""
    return pn.pane.Alert(
        SYNTHETIC_NOTICE, alert_type="warning", visible=visible, sizing_mode="stretch_width"
    )


def empty_state(message: str) -> pn.pane.Alert:
    """What a page shows when there is nothing to draw yet."""
    return pn.pane.Alert(message, alert_type="info", sizing_mode="stretch_width")
