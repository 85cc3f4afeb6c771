"""One look for every page: a header bar and a filter column (no external fonts or icons, so
it works offline), the synthetic-data banner, and number cards."""

from __future__ import annotations

import math
import re
import string

import pandas as pd
import panel as pn
import param

from hubcore import notices

ACCENT = "#1f4e79"
SYNTHETIC_NOTICE = notices.synthetic_notice_markdown()  # worded once, in hubcore.notices


#: The page around every dashboard: a header bar, the filters in a column on the left and the
#: content beside them, each of the three a Bokeh root of its own (a change in one never lays
#: out the others again). Plain HTML and inline styles: nothing to fetch.
PAGE_HTML = """
{% extends base %}
{% block contents %}
<style>body { margin: 0; font-family: system-ui, "Segoe UI", Roboto, Arial, sans-serif; }</style>
<div style="display:flex;align-items:center;background:ACCENT;color:white;padding:0 16px">
  <h1 style="flex:1;font-size:1.6em;font-weight:400;margin:0;padding:14px 0">{{ page_title }}</h1>
  {{ embed(roots.busy) }}
</div>
{{ embed(roots.location) }}
<div style="display:flex;align-items:flex-start">
  <div style="flex:0 0 SIDEBARpx;background:#f4f6f8;border-right:1px solid #d9dee3;
              min-height:100vh;padding:8px 4px;box-sizing:border-box">
    {{ embed(roots.filters) }}
  </div>
  <div style="flex:1;min-width:0;padding:10px 20px">{{ embed(roots.content) }}</div>
</div>
{% endblock %}
"""
SIDEBAR_WIDTH = 320


class _PageTemplate(pn.Template):
    """Panel's plain :class:`~panel.Template` without two costs paid per served session.

    * ``add_panel`` re-renders ``repr(self)`` — a text dump of every pane in the page, for a
      notebook's text view — after each of the page's four items: about a tenth of a
      transitions session's server CPU (``benchmarks/capacity.py --profile``). The text view
      is never shown for a served page; the repr here is the class name.
    * Each of the four roots added to the document makes Bokeh walk every model in it again
      (``Document.models.recompute``): the roots are added under one ``freeze``, so the walk
      happens once."""

    def __repr__(self) -> str:
        return type(self).__name__

    def server_doc(self, doc=None, title=None, location=True):
        document = doc or pn.state.curdoc
        if document is None:
            return super().server_doc(doc, title, location)
        with document.models.freeze():
            return super().server_doc(document, title, location)


def page(title: str, main: list, sidebar: list | None = None) -> pn.Template:
    """A page in the suite's look: a header bar holding the title and a spinner that turns
    while the server works, the filters in a column on the left, the content beside them.

    A small template of our own rather than one of Panel's: the Bootstrap template cost about
    0.45 s of every first render on a 2-core machine (its scripts and styles, and rendering
    its HTML), a page of two charts taking 1.7 s in it against 1.25 s without."""
    busy = pn.indicators.LoadingSpinner(value=False, size=26, color="light", bgcolor="dark",
                                        margin=(8, 4), name="")
    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        pn.state.sync_busy(busy)
    markup = PAGE_HTML.replace("ACCENT", ACCENT).replace("SIDEBAR", str(SIDEBAR_WIDTH))
    # location: the page's state kept in its URL (HubPage.url_params).
    template = _PageTemplate(markup, nb_template=markup, location=True)
    template.add_variable("page_title", title)
    template.add_variable("app_title", title)  # the browser tab's title
    template.add_panel("busy", busy)
    template.add_panel("filters", pn.Column(*(sidebar or []), sizing_mode="stretch_width"))
    template.add_panel("content", pn.Column(*main, sizing_mode="stretch_width"))
    return template


#: ASCII punctuation (CommonMark lets a backslash make any of it literal) and the characters
#: that would start a new Markdown block or break a line.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def literal(value) -> str:
    """``value`` as Markdown source that shows it exactly as stored, for text that comes from
    data (school, employer, provider, area and hub names, sectors, error messages).

    Markdown panes render HTML, links, images, emphasis and maths: a school named
    ``<img src=x onerror=alert(1)>`` would run script in the page. Every ASCII punctuation
    character is backslash-escaped (CommonMark's rule: the character then stands for itself,
    and ``<`` and ``&`` reach the browser as ``&lt;`` and ``&amp;``), and control characters
    and line breaks become one space, so the text cannot start a new block. Missing values
    (``None``, NaN) are empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return _PUNCTUATION.sub(r"\\\1", _CONTROL.sub(" ", str(value)))


class _LiteralFormatter(string.Formatter):
    def format_field(self, value, format_spec: str) -> str:
        if literal(value) == "":  # missing: nothing, whatever the format
            return ""
        return literal(super().format_field(value, format_spec))


_FORMATTER = _LiteralFormatter()


def md(template: str, /, **values) -> str:
    """Markdown from a trusted ``template`` (``str.format`` syntax) and data ``values``, each
    formatted by its spec and then made :func:`literal`: ``md("## {name}", name=school)``.

    The one way pages put data into Markdown (the panes, headings and notices)."""
    return _FORMATTER.format(template, **values)


def markdown(template: str, /, **values) -> pn.pane.Markdown:
    """A Markdown pane of :func:`md` ``(template, **values)``, stretching to its column."""
    return pn.pane.Markdown(md(template, **values), sizing_mode="stretch_width")


def synthetic_banner(visible: bool) -> pn.pane.Alert:
    """A warning banner shown whenever the hub's data are synthetic."""
    return pn.pane.Alert(
        SYNTHETIC_NOTICE, alert_type="warning", visible=visible, sizing_mode="stretch_width"
    )


def empty_state(message: str, /, **values) -> pn.pane.Alert:
    """What a page shows when there is nothing to draw yet: ``message`` is a trusted Markdown
    template, filled with data ``values`` through :func:`md` (pass data only that way)."""
    return pn.pane.Alert(md(message, **values) if values else message, alert_type="info",
                         sizing_mode="stretch_width")


def notice(message: str, /, **values) -> pn.pane.Alert:
    """A warning that the page shows something other than its link asked for (see
    :func:`empty_state` for ``message`` and ``values``)."""
    return pn.pane.Alert(md(message, **values) if values else message, alert_type="warning",
                         sizing_mode="stretch_width")


class BriefingDownload(pn.widgets.FileDownload):
    """A download whose callback may refuse with a :class:`~hubcore.errors.HubcoreError`: the
    refusal is shown in ``message`` beside the button instead of escaping as an unhandled
    error in the server's log."""

    def __init__(self, **params):
        super().__init__(**params)
        self.message = pn.pane.Markdown("", visible=False, sizing_mode="stretch_width")

    @param.depends("_clicks", watch=True)
    def _transfer(self) -> None:
        from hubcore.errors import HubcoreError

        try:
            super()._transfer()
        except HubcoreError as exc:
            self.message.object = md("{message}", message=exc)
            self.message.visible = True
        else:
            self.message.visible = False


def briefing_button(engine, scope_for) -> pn.Column:
    """A "Download briefing" button (``[0]``, a :class:`BriefingDownload`) and the line that
    explains a refusal: the same PDF pack as ``hubcore brief``, for the page's current hub
    (``scope_for()`` gives its scope when clicked, or raises ``HubcoreError`` saying why
    not)."""
    from io import BytesIO

    from hubcore.briefing import build_pack

    button = BriefingDownload(label="Download briefing (PDF)", button_type="success",
                              filename="briefing.pdf", embed=False)

    def pack():
        files = build_pack(engine, scope_for(), formats=("pdf",))
        name, content = next(iter(files.items()))
        button.filename = name
        return BytesIO(content)

    button.callback = pack
    return pn.Column(button, button.message, sizing_mode="stretch_width")
