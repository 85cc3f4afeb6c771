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


def briefing_button(engine, scope_for) -> pn.widgets.FileDownload:
    """A "Download briefing" button: the same PDF pack as ``hubcore brief``, for the page's
    current hub (``scope_for()`` gives its scope when clicked)."""
    from io import BytesIO

    from hubcore.briefing import build_pack

    button = pn.widgets.FileDownload(label="Download briefing (PDF)", button_type="success",
                                     filename="briefing.pdf", embed=False)

    def pack():
        files = build_pack(engine, scope_for(), formats=("pdf",))
        name, content = next(iter(files.items()))
        button.filename = name
        return BytesIO(content)

    button.callback = pack
    return button
