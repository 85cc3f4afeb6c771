"""One look for every page: a header bar and a filter column (no external fonts or icons, so
it works offline), the synthetic-data banner, and number cards."""

from __future__ import annotations

import contextvars
import functools
import math
import re
import string
import types

import pandas as pd
import panel as pn
import param
from panel.template import base as _template_base

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


#: Set while a served session's page is added to its new document (:class:`_PageTemplate`):
#: Panel's template then adds each root without first walking its models to detach them from
#: other documents (:func:`_add_to_doc`). A context variable, so other templates, notebooks
#: and other threads keep Panel's own behaviour.
_FRESH_DOCUMENT: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "hubcore_fresh_document", default=False)
_panel_add_to_doc = _template_base.add_to_doc


def _add_to_doc(obj, doc, hold: bool = False, skip=None) -> set:
    """Panel's ``add_to_doc`` (``panel.io.model``), as the template calls it, without the
    walk for a new session's page.

    Panel first calls ``remove_root``, which visits every model of the root
    (``Model.select``: a full walk of the model graph, about 5 % of a session's server CPU)
    to take each one out of any document it was shown in before; then Bokeh walks the same
    models again to attach them to this one. The models of a served page are built for its
    session (:func:`page` and the pages' views make them per session; no cache holds a
    Bokeh model), so none is in another document and the first walk finds nothing to do. A
    figure shown before elsewhere is moved by Panel's Bokeh pane itself, as it builds its
    model; any other model found in another document makes Bokeh refuse to attach it
    ("Models must be owned by only a single document", a ``RuntimeError``): the session
    fails loudly, nothing is silently taken from another user's document."""
    if not _FRESH_DOCUMENT.get():
        return _panel_add_to_doc(obj, doc, hold=hold, skip=skip)
    doc.add_root(obj)
    if hold and doc.callbacks.hold_value is None:
        doc.hold()
    # Panel only uses the returned models to skip them in the next root's walk.
    return set()


_template_base.add_to_doc = _add_to_doc


class _TextView(list):
    """Stands in for Panel's notebook text view of a template (``Template._layout``: a
    ``Str`` pane of ``repr(self)``, an HTML pane and a "Launch server" button, built with
    every template and refreshed by ``add_panel``), which nothing displays in Panel 1.9
    (the template's notebook display renders the template itself)."""

    def __init__(self) -> None:
        super().__init__([types.SimpleNamespace(object="")])


class _PageTemplate(pn.Template):
    """Panel's plain :class:`~panel.Template` without the costs it pays per served session
    that a served page does not need (each measured with ``benchmarks/capacity.py``):

    * ``add_panel`` re-renders ``repr(self)`` — a text dump of every pane in the page, for a
      notebook's text view — after each of the page's four items: about a tenth of a
      transitions session's server CPU. The repr here is the class name.
    * The text view itself (three panes and a button, :class:`_TextView`) is not built.
    * The page's Jinja markup is compiled once per process (:func:`_compiled`), not twice per
      session (``template`` and ``nb_template``): ≈ 4 % of a blank page in the template.
    * Each of the four roots added to the document makes Bokeh walk every model in it again
      (``Document.models.recompute``): the roots are added under one ``freeze``, so the walk
      happens once; and into a served session's new, empty document the roots are added
      without Panel's detaching walk (:func:`_add_to_doc`)."""

    def __repr__(self) -> str:
        return type(self).__name__

    def _build_layout(self) -> _TextView:  # Panel's hook for the text view
        return _TextView()

    def server_doc(self, doc=None, title=None, location=True):
        document = doc or pn.state.curdoc
        if document is None:
            return super().server_doc(doc, title, location)
        fresh = document.session_context is not None and not document.roots
        token = _FRESH_DOCUMENT.set(fresh)
        try:
            with document.models.freeze():
                return super().server_doc(document, title, location)
        finally:
            _FRESH_DOCUMENT.reset(token)


@functools.cache
def _compiled():  # a jinja2.Template (jinja2 comes with Panel; not imported here)
    """The page's markup compiled by Panel's Jinja environment (which holds the ``embed``
    macro), once per process; a compiled template is only read when a page is rendered."""
    markup = PAGE_HTML.replace("ACCENT", ACCENT).replace("SIDEBAR", str(SIDEBAR_WIDTH))
    return _template_base._env.from_string(markup)


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
    markup = _compiled()
    # location: the page's state kept in its URL (HubPage.url_params).
    template = _PageTemplate(markup, nb_template=markup, location=True)
    template.add_variable("page_title", title)
    template.add_variable("app_title", title)  # the browser tab's title
    template.add_panel("busy", busy)
    template.add_panel("filters", _column(sidebar or []))
    template.add_panel("content", _column(main))
    return template


def _column(items: list) -> pn.Column:
    """``items`` in a column stretching to the width; a single column is taken as it is (a
    page's filters, its body), rather than wrapped in another: one layout model fewer to
    build and send with every new session."""
    if len(items) == 1 and type(items[0]) is pn.Column:
        items[0].sizing_mode = "stretch_width"
        return items[0]
    return pn.Column(*items, sizing_mode="stretch_width")


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


class Text(pn.pane.Markdown):
    """A Markdown pane for text that a view replaces in place (``pane.object = …``): a new
    object sends only its text.

    Panel 1.9 re-renders a pane's every property when its object changes, its stylesheets
    among them, worked out without the design's two theme sheets that the page's first render
    added: so each pane's first new text in a session also sent a shorter stylesheet list,
    which dropped the theme from the pane and made BokehJS lay the whole page out again
    (measured in Chromium's profile: ≈ 0.3–0.4 s of an overview's first benchmark change).
    A change of the stylesheets themselves still goes through Panel's own watcher."""

    def _update(self, ref: str, model) -> None:
        props = self._get_properties(model.document)
        props.pop("stylesheets", None)
        model.update(**props)


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
    error in the server's log.

    ``message`` (a Markdown pane) is made at the first refusal and appended to ``holder``
    (the column :func:`briefing_button` puts the button in): a pane hidden in the usual case
    is one model fewer to build and send with every new session."""

    def __init__(self, **params):
        super().__init__(**params)
        self.message: pn.pane.Markdown | None = None
        self.holder: pn.Column | None = None

    @param.depends("_clicks", watch=True)
    def _transfer(self) -> None:
        from hubcore.errors import HubcoreError

        try:
            super()._transfer()
        except HubcoreError as exc:
            if self.message is None:
                self.message = pn.pane.Markdown(sizing_mode="stretch_width")
                if self.holder is not None:
                    self.holder.append(self.message)
            self.message.object = md("{message}", message=exc)
            self.message.visible = True
        else:
            if self.message is not None:
                self.message.visible = False


def briefing_button(engine, scope_for) -> pn.Column:
    """A "Download briefing" button (``[0]``, a :class:`BriefingDownload`), followed by the
    line that explains a refusal once there is one: the same PDF pack as ``hubcore brief``,
    for the page's current hub (``scope_for()`` gives its scope when clicked, or raises
    ``HubcoreError`` saying why not)."""
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
    button.holder = pn.Column(button, sizing_mode="stretch_width")
    return button.holder
