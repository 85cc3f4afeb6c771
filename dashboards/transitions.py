"""Transitions and NCS hand-offs: the hand-over funnel, days from leaving to referral, NEET and
not-known rates against the LA and England, the overdue list (pseudonymous keys, only for roles
allowed to see pupil rows), and a flow map from schools to providers and the NCS — Year 11 and
Year 13 side by side.

Built in Panel's DataStore / View shape: :class:`Transitions` holds the state (hub, cohort and
overdue threshold, all kept in the page's URL) and takes every figure, already protected, from
``hubcore.display`` through the per-process caches of :mod:`dashboards.common.data`; the views
are built once and updated in place (new data for the same charts and tables).
"""

from __future__ import annotations

import pandas as pd
import panel as pn
import param
from bokeh.models import HoverTool, LabelSet

from dashboards.common import charts, data, layout, tables
from dashboards.common.context import default_scope
from dashboards.common.page import HubPage, View, served_page
from hubcore import defaults, display
from hubcore.errors import AccessDenied, HubcoreError

YEAR_GROUPS = display.PAGE_YEAR_GROUPS
FUNNEL_COLOURS = ("#1f4e79", "#9ecae1", "#6a51a3")
FLOW_COLOURS = {11: "#2171b5", 13: "#cb181d"}
_PANE = {"sizing_mode": "stretch_width"}


class YearColumn:
    """One year group's funnel, referral lag and NEET comparison: panes built once.

    Few panes, for the server's cost per new session (every pane and layout is a model built,
    themed and sent with each one): the lag sentences and the histogram's title share one
    pane, the parts are shown and hidden one by one rather than through wrapping columns, and
    the notice for a year group without hand-overs is made only when first needed."""

    def __init__(self, year_group: int):
        self.year_group = year_group
        self.funnel = charts.GroupedBars("step_label", "to", "value", FUNNEL_COLOURS,
                                         y_label="young people (c = fewer than 6: not drawn)",
                                         name=f"funnel-{year_group}")
        self.funnel_pane = pn.pane.Bokeh(self.funnel.fig, **_PANE)
        self.funnel_empty: pn.pane.Alert | None = None
        # The lag sentences, then the histogram's title (or why no bin is drawn).
        self.lag_text = pn.pane.Markdown("", **_PANE)
        self.histogram = charts.Histogram("days from leaving to referral", "hand-overs",
                                          "#6a51a3", name=f"lag-{year_group}")
        self.histogram_pane = pn.pane.Bokeh(self.histogram.fig, **_PANE)
        self.neet = charts.HBars("NEET + not known, % of leavers", "#d94801", height=200,
                                 name=f"neet-{year_group}")
        self.neet_title = pn.pane.Markdown("", **_PANE)
        self.neet_pane = pn.pane.Bokeh(self.neet.fig, **_PANE)
        self.neet_note = pn.pane.Markdown("", **_PANE)
        self.layout = pn.Column(f"#### Year {year_group}", self.funnel_pane, self.lag_text,
                                self.histogram_pane, self.neet_title, self.neet_pane,
                                self.neet_note, **_PANE)

    @staticmethod
    def _lag_sentence(row: dict) -> str:
        if display.C in (str(row["median_days"]), str(row["referred"])):
            return layout.md("Days from leaving to referral, {to}: not shown (fewer than 6 "
                             "referred, or hidden with them).", to=row["handed_to_label"])
        return layout.md(
            "Days from leaving to referral, {to}: median **{median}**, 90th percentile "
            "**{p90}** ({referred} referred).", to=row["handed_to_label"],
            median=row["median_days"], p90=row["p90_days"], referred=row["referred"])

    def update(self, frames: dict[str, pd.DataFrame]) -> None:
        """Show one cohort's ``frames`` (:func:`dashboards.common.data.transitions`)."""
        yg = self.year_group
        bars = display.funnel_bars(frames["funnel"], yg)
        if bars.empty and self.funnel_empty is None:
            self.funnel_empty = layout.empty_state(f"No Year {yg} hand-overs.")
            self.layout.insert(1, self.funnel_empty)
        if self.funnel_empty is not None:
            self.funnel_empty.visible = bars.empty
        self.funnel_pane.visible = not bars.empty
        if not bars.empty:
            self.funnel.update(bars, shown="young_people")
        lag = frames["lag"][pd.to_numeric(frames["lag"]["year_group"]) == yg]
        self.lag_text.visible = not lag.empty
        if lag.empty:
            self.histogram_pane.visible = False
        else:
            hist = frames[f"histogram_{yg}"]
            drawn = bool((hist["value"] > 0).any())
            # Every bin hidden (a small school): an empty plot would say nothing, so say why.
            title = layout.md("{title}", title=hist.attrs["display"]["title"]) if drawn else (
                f"Referral lag: every {display.LAG_BIN_DAYS}-day bin has fewer than 6 "
                "hand-overs (or is hidden with one that has), so none is drawn.")
            self.lag_text.object = "\n\n".join(
                [*(self._lag_sentence(row) for row in lag.to_dict("records")), title])
            self.histogram_pane.visible = drawn
            self.histogram.update(hist, "left_days", "right_days", "value", shown="handovers")
        neet = display.neet_bars(frames["neet"], yg)
        for part in (self.neet_title, self.neet_pane, self.neet_note):
            part.visible = not neet.empty
        if not neet.empty:
            self.neet_title.object = layout.md("**{title}**", title=neet.attrs["display"]["title"])
            self.neet.update(neet)
            # The full name of each comparator, and why an empty one is empty.
            self.neet_note.object = "\n".join(
                layout.md("- {note}", note=n) for n in neet["note"] if n != "this hub")


class FlowMap(View):
    """Where leavers went in their first autumn: a map built once, its sources replaced."""

    depends = ("hub_id",)

    def build(self) -> pn.Column:
        self.fig = charts.map_figure(520)
        self.outlines = charts.data_source({"xs": [], "ys": []})
        self.fig.multi_line("xs", "ys", source=self.outlines, line_color="#333333",
                            line_width=1.5)
        self.segments = {}
        lines = []
        for yg, colour in FLOW_COLOURS.items():
            src = self.segments[yg] = charts.data_source(
                {c: [] for c in ("x0", "y0", "x1", "y1", "leavers", "to", "width")},
                name=f"flows-{yg}")
            lines.append(self.fig.segment("x0", "y0", "x1", "y1", source=src, color=colour,
                                          alpha=0.5, line_width="width",
                                          legend_label=f"Year {yg}"))
        self.schools = charts.data_source({"easting": [], "northing": [], "name": [],
                                         "type": []}, name="flow-schools")
        points = self.fig.scatter("easting", "northing", source=self.schools, size=8,
                                  color="#ffbf00", line_color="black")
        self.nodes = charts.data_source({"easting": [], "northing": [], "label": []})
        self.fig.scatter("easting", "northing", source=self.nodes, size=16, marker="square",
                         color="#444444")
        self.fig.add_layout(LabelSet(x="easting", y="northing", text="label",
                                     source=self.nodes, y_offset=10, text_font_size="10pt",
                                     text_align="center"))
        self.fig.add_tools(
            HoverTool(tooltips=[("leavers", "@leavers"), ("to", "@to")], renderers=lines,
                      line_policy="interp"),
            HoverTool(tooltips=[("school", "@name"), ("type", "@type")], renderers=[points]))
        charts.legend_outside(self.fig)
        self.empty: pn.pane.Alert | None = None  # made when first needed (hidden otherwise)
        self.pane = pn.pane.Bokeh(self.fig, **_PANE)
        return pn.Column("### Where leavers went in their first autumn", self.pane, **_PANE)

    def update(self) -> None:
        """Replace every source (nothing of the previous hub stays drawn), with the columns
        worked out once per scope (:func:`dashboards.common.data.flow_map`)."""
        drawn = self.page.read(data.flow_map)
        if drawn["empty"] and self.empty is None:
            self.empty = layout.empty_state("No destinations recorded yet.")
            self._layout.insert(1, self.empty)
        if self.empty is not None:
            self.empty.visible = drawn["empty"]
        self.pane.visible = not drawn["empty"]
        # New dicts: a source shares no column object with the cache or another session.
        self.outlines.data = dict(drawn["outlines"])
        for yg, src in self.segments.items():
            src.data = dict(drawn[f"segments_{yg}"])
        self.schools.data = dict(drawn["schools"])
        self.nodes.data = dict(drawn["nodes"])


# --- the state --------------------------------------------------------------------------------


class Transitions(HubPage):
    """The transitions page as a component (served page or notebook cell)."""

    page_title = "Careers Hub · transitions and hand-offs"
    url_params = {"hub_id": "hub", "cohort": "cohort", "overdue_days": "overdue"}

    cohort = param.Selector(default=None, objects=[], allow_None=True,
                            doc="summer of leaving")
    overdue_days = param.Integer(default=defaults.OVERDUE_DAYS, bounds=(7, 180),
                                 doc="days after leaving with no referral before a hand-over "
                                     "counts as overdue")

    def __init__(self, **params):
        super().__init__(**params)
        #: Why the hub has no transitions to show (None: it has).
        self._problem: str | None = None
        #: Pupil-level hand-overs of the hub (``None`` where the role may not see them), read
        #: once per hub and filtered again for each cohort and threshold.
        self.handover_rows: pd.DataFrame | None = None
        with param.discard_events(self):
            self._hub_choices()
        self.show(Heading(self), YearCharts(self), OverdueLists(self), FlowMap(self))
        self._check_link()

    def _hub_choices(self) -> None:
        """The hub's cohorts in the chooser (keeping the chosen one if the hub has it) and its
        pupil-level hand-overs where the role may see them."""
        self._problem, self.handover_rows = None, None
        if self.hub_id is None:
            return
        try:
            cohorts = self.read(data.cohorts)
        except HubcoreError as exc:
            self._problem = layout.md("{message}", message=exc)
            return
        if not cohorts:
            self._problem = "No leavers recorded for this hub yet."
            return
        self.param.cohort.objects = cohorts
        if self.cohort not in cohorts:
            self.cohort = cohorts[-1]
        try:
            self.handover_rows = display.pupil_handovers(
                self._engine, default_scope(self._engine, self.hub_id))
        except AccessDenied:
            self.handover_rows = None

    def on_change(self, changed: set[str]) -> None:
        if "hub_id" in changed:
            self._hub_choices()

    def empty(self) -> str | None:
        if self.hub_id is None:
            return "No hub in this database yet."
        return self._problem

    def frames(self) -> dict[str, pd.DataFrame]:
        """The chosen cohort's frames (:func:`dashboards.common.data.transitions`)."""
        return self.read(data.transitions, self.cohort)

    def controls(self) -> pn.Column:
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.widgets.Select.from_param(self.param.cohort, name="Cohort (summer of leaving)"),
            pn.widgets.IntSlider.from_param(self.param.overdue_days, name="Overdue after (days)"),
        )


# --- the views --------------------------------------------------------------------------------


class Heading(View):
    depends = ("hub_id", "cohort")

    def build(self) -> pn.pane.Markdown:
        self.pane = pn.pane.Markdown("", **_PANE)
        return self.pane

    def update(self) -> None:
        page = self.page
        page._banner.visible = bool(page._hubs.loc[page.hub_id, "synthetic"])
        self.pane.object = layout.md(
            "### Leavers of summer {cohort}: Year 11 and Year 13 (c = fewer than 6 young "
            "people)", cohort=page.cohort)


class YearCharts(View):
    """Each year group's funnel, lag and NEET comparison, side by side."""

    depends = ("hub_id", "cohort")

    def build(self) -> pn.Row:
        self.columns = [YearColumn(yg) for yg in YEAR_GROUPS]
        return pn.Row(*(c.layout for c in self.columns), **_PANE)

    def update(self) -> None:
        frames = self.page.frames()
        for column in self.columns:
            column.update(frames)


class OverdueLists(View):
    """Each year group's overdue hand-overs (pupil rows: only roles allowed them)."""

    depends = ("hub_id", "cohort", "overdue_days")

    def build(self) -> pn.Column:
        self.parts = {}
        for yg in YEAR_GROUPS:
            heading = pn.pane.Markdown("", **_PANE)
            table = tables.table(name_column="leaver_key", page_size=10)
            self.parts[yg] = (heading, table)
        #: The refusal for roles without pupil rows, made when first needed.
        self.refused: pn.pane.Alert | None = None
        # One below the other, each the page's width: side by side, six columns showed two.
        # One column for both year groups: a wrapper each was two more models per session.
        return pn.Column(*(p for part in self.parts.values() for p in part), **_PANE)

    def update(self) -> None:
        page = self.page
        rows = page.handover_rows
        if rows is None and self.refused is None:
            self.refused = layout.empty_state("The overdue lists hold pupil-level rows; your "
                                              "role sees the counts above only.")
            self._layout.insert(0, self.refused)
        if self.refused is not None:
            self.refused.visible = rows is None
        for yg, (heading, table) in self.parts.items():
            heading.visible = table.visible = rows is not None
            if rows is None:
                continue
            # The rows read once per hub are filtered again for each threshold.
            overdue = display.overdue_list(page._engine, None, page.cohort, yg,
                                           page.overdue_days, rows=rows)
            heading.object = (f"#### Year {yg} overdue: no referral {page.overdue_days}+ days "
                              f"after leaving ({len(overdue)}; pseudonymous keys)")
            tables.show(table, overdue)

if pn.state.served:
    served_page(Transitions).servable()
