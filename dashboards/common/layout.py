"""One look for every page: a Bootstrap template (no external fonts or icons, so it works
offline), the synthetic-data banner, and number cards."""

from __future__ import annotations

import pandas as pd
import panel as pn

from dashboards.common import sockets

ACCENT = "#1f4e79"
SYNTHETIC_NOTICE = (
    "**Synthetic demonstration data.** Every school, employer and young person on this page is "
    "generated; no real person or place is described."
)


class _Template(pn.template.BootstrapTemplate):
    """Panel's Bootstrap template, with the Bokeh document's model graph recomputed once when
    the page is added rather than after each of its roots (main, sidebar, header, modal, …):
    every recomputation walks every model, which was half the server's time building a page
    of several charts."""

    def _init_doc(self, doc=None, comm=None, title=None, notebook=False, location=True):
        document = doc if doc is not None else pn.state.curdoc
        if document is None:
            return super()._init_doc(doc, comm, title, notebook, location)
        with document.models.freeze():
            return super()._init_doc(document, comm, title, notebook, location)


def page(title: str, main: list, sidebar: list | None = None) -> pn.template.BootstrapTemplate:
    """A page in the suite's template."""
    if pn.state.served:  # also under `panel serve dashboards/*.py`, which skips hubcore serve
        sockets.quiet_closed_pages()
    return _Template(
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


#: Rows a plain table shows at most (the downloads hold every row).
TABLE_ROWS = 500


def table(frame: pd.DataFrame | None = None, height: int = 320,
          max_rows: int = TABLE_ROWS) -> pn.pane.DataFrame:
    """A plain HTML table, scrolling within ``height`` pixels. Panel's Tabulator costs about
    half a second of the browser's time per page (its script, then measuring every column);
    these tables are short enough not to need its paging and sorting."""
    pane = pn.pane.DataFrame(
        pd.DataFrame(), index=False, escape=True, na_rep="", max_rows=max_rows,
        sizing_mode="stretch_width", max_height=height,
        styles={"overflow": "auto"}, stylesheets=[_TABLE_CSS],
    )
    if frame is not None:
        show(pane, frame)
    return pane


def show(pane: pn.pane.DataFrame, frame: pd.DataFrame) -> None:
    """Put ``frame`` in a :func:`table`, sending nothing when it has not changed."""
    old = pane.object
    if isinstance(old, pd.DataFrame) and old.shape == frame.shape \
            and list(old.columns) == list(frame.columns) and old.equals(frame):
        return
    pane.object = frame


_TABLE_CSS = """
table.panel-df { border-collapse: collapse; font-size: 0.85em; width: 100%; }
table.panel-df th { position: sticky; top: 0; background: #f3f6fa; text-align: left; }
table.panel-df th, table.panel-df td { padding: 2px 8px; border-bottom: 1px solid #e3e3e3; }
"""


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
