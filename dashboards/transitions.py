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
from bokeh.models import ColumnDataSource, HoverTool, LabelSet

from dashboards.common import charts, data, layout
from dashboards.common.context import default_scope
from dashboards.common.page import HubPage, served_page
from hubcore import display
from hubcore.errors import AccessDenied, HubcoreError

YEAR_GROUPS = (11, 13)
FUNNEL_COLOURS = ("#1f4e79", "#9ecae1", "#6a51a3")
FLOW_COLOURS = {11: "#2171b5", 13: "#cb181d"}
_PANE = {"sizing_mode": "stretch_width"}


class YearColumn(pn.viewable.Viewer):
    """One year group's funnel, referral lag, NEET comparison and overdue list, built once."""

    def __init__(self, year_group: int, **params):
        super().__init__(**params)
        self.year_group = year_group
        self.funnel = charts.GroupedBars("step", "to", "value", FUNNEL_COLOURS,
                                         y_label="young people (c = fewer than 6: not drawn)")
        self.funnel_pane = pn.pane.Bokeh(self.funnel.fig, **_PANE)
        self.funnel_empty = layout.empty_state(f"No Year {year_group} hand-overs.")
        self.lag_text = pn.pane.Markdown("", **_PANE)
        self.histogram = charts.Histogram("days from leaving to referral", "hand-overs",
                                          "#6a51a3")
        self.histogram_title = pn.pane.Markdown("", **_PANE)
        self.lag = pn.Column(self.lag_text, self.histogram_title,
                             pn.pane.Bokeh(self.histogram.fig, **_PANE), **_PANE)
        self.neet = charts.HBars("NEET + not known, % of leavers", "#d94801", height=200)
        self.neet_title = pn.pane.Markdown("", **_PANE)
        self.neet_note = pn.pane.Markdown("", **_PANE)
        self.neet_part = pn.Column(self.neet_title, pn.pane.Bokeh(self.neet.fig, **_PANE),
                                   self.neet_note, **_PANE)
        self.overdue_heading = pn.pane.Markdown("", **_PANE)
        self.overdue_table = layout.table(height=220)
        self.overdue_refused = layout.empty_state(
            "The overdue list holds pupil-level rows; your role sees the counts above only.")
        self._layout = pn.Column(
            f"#### Year {year_group}", self.funnel_empty, self.funnel_pane, self.lag,
            self.neet_part, self.overdue_refused, self.overdue_heading, self.overdue_table,
            **_PANE)

    def __panel__(self) -> pn.Column:
        return self._layout

    def update(self, frames: dict[str, pd.DataFrame]) -> None:
        """Show one cohort's ``frames`` (:func:`dashboards.common.data.transitions`)."""
        yg = self.year_group
        bars = display.funnel_bars(frames["funnel"], yg)
        self.funnel_empty.visible, self.funnel_pane.visible = bars.empty, not bars.empty
        if not bars.empty:
            self.funnel.update(bars)
        lag = frames["lag"][pd.to_numeric(frames["lag"]["year_group"]) == yg]
        self.lag.visible = not lag.empty
        if not lag.empty:
            self.lag_text.object = "\n\n".join(layout.md(
                "Days from leaving to referral, {to}: median **{median}**, 90th percentile "
                "**{p90}** ({referred} referred).", to=row["handed_to_label"],
                median=row["median_days"], p90=row["p90_days"], referred=row["referred"])
                for row in lag.to_dict("records"))
            hist = frames[f"histogram_{yg}"]
            self.histogram_title.object = layout.md("{title}",
                                                    title=hist.attrs["display"]["title"])
            self.histogram.update(hist, "left_days", "right_days", "value", shown="handovers")
        neet = display.neet_bars(frames["neet"], yg)
        self.neet_part.visible = not neet.empty
        if not neet.empty:
            self.neet_title.object = layout.md("**{title}**", title=neet.attrs["display"]["title"])
            self.neet.update(neet)
            # The full name of each comparator, and why an empty one is empty.
            self.neet_note.object = "\n".join(
                layout.md("- {note}", note=n) for n in neet["note"] if n != "this hub")

    def show_overdue(self, overdue: pd.DataFrame | None, days: int) -> None:
        """The overdue list (``None``: the role may not see pupil rows)."""
        self.overdue_refused.visible = overdue is None
        self.overdue_heading.visible = self.overdue_table.visible = overdue is not None
        if overdue is None:
            return
        self.overdue_heading.object = (f"Overdue: no referral {days}+ days after leaving "
                                       f"({len(overdue)}; pseudonymous keys)")
        layout.show(self.overdue_table, overdue)


class FlowMap(pn.viewable.Viewer):
    """Where leavers went in their first autumn: a map built once, its sources replaced."""

    def __init__(self, **params):
        super().__init__(**params)
        self.fig = charts.map_figure(520)
        self.outlines = ColumnDataSource({"xs": [], "ys": []})
        self.fig.multi_line("xs", "ys", source=self.outlines, line_color="#333333",
                            line_width=1.5)
        self.segments = {}
        lines = []
        for yg, colour in FLOW_COLOURS.items():
            src = self.segments[yg] = ColumnDataSource(
                {c: [] for c in ("x0", "y0", "x1", "y1", "leavers", "to", "width")})
            lines.append(self.fig.segment("x0", "y0", "x1", "y1", source=src, color=colour,
                                          alpha=0.5, line_width="width",
                                          legend_label=f"Year {yg}"))
        self.schools = ColumnDataSource({"easting": [], "northing": [], "name": [],
                                         "type": []})
        points = self.fig.scatter("easting", "northing", source=self.schools, size=8,
                                  color="#ffbf00", line_color="black")
        self.nodes = ColumnDataSource({"easting": [], "northing": [], "label": []})
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
        self.empty = layout.empty_state("No destinations recorded yet.")
        self.pane = pn.pane.Bokeh(self.fig, **_PANE)

    def __panel__(self) -> pn.Column:
        return pn.Column(self.empty, self.pane, **_PANE)

    def update(self, flows: pd.DataFrame, schools: pd.DataFrame, outlines) -> None:
        """Replace every source (nothing of the previous hub stays drawn)."""
        self.empty.visible, self.pane.visible = flows.empty, not flows.empty
        xs, ys = charts.plain_paths(outlines) if outlines is not None and len(outlines) \
            else ([], [])
        self.outlines.data = {"xs": xs, "ys": ys}
        segments = display.flow_segments(flows, schools)
        for yg, src in self.segments.items():
            src.data = charts.columns_of(segments[segments["year_group"] == yg],
                                         ["x0", "y0", "x1", "y1", "leavers", "to", "width"])
        located = schools.dropna(subset=["easting", "northing"])
        self.schools.data = charts.columns_of(located, ["easting", "northing", "name", "type"])
        self.nodes.data = charts.columns_of(display.flow_nodes(schools),
                                            ["easting", "northing", "label"])


class Transitions(HubPage):
    """The transitions page as a component (served page or notebook cell)."""

    page_title = "Careers Hub · transitions and hand-offs"
    url_params = {"hub_id": "hub", "cohort": "cohort", "overdue_days": "overdue"}

    cohort = param.Selector(default=None, objects=[], allow_None=True,
                            doc="summer of leaving")
    overdue_days = param.Integer(default=30, bounds=(7, 180),
                                 doc="days after leaving with no referral before a hand-over "
                                     "counts as overdue")

    def __init__(self, **params):
        super().__init__(**params)
        #: Pupil-level hand-overs of the hub (``None`` where the role may not see them), read
        #: once per hub and filtered again for each cohort and threshold.
        self._handover_rows: pd.DataFrame | None = None
        self._build_views()
        self._on_hub()
        self._check_link()

    def _build_views(self) -> None:
        self._nothing = layout.empty_state("No hub in this database yet.")
        self._heading = pn.pane.Markdown("", **_PANE)
        self._years = {yg: YearColumn(yg) for yg in YEAR_GROUPS}
        self._flows = FlowMap()
        self._content = pn.Column(
            self._heading, pn.Row(*self._years.values(), **_PANE),
            "### Where leavers went in their first autumn", self._flows, **_PANE)
        self._body[:] = [self._nothing, self._content]

    def _show_nothing(self, message: str, **values) -> None:
        self._nothing.object = layout.md(message, **values) if values else message
        self._nothing.visible, self._content.visible = True, False

    @param.depends("hub_id", watch=True)
    def _on_hub(self) -> None:
        if self.hub_id is None:
            self._show_nothing("No hub in this database yet.")
            return
        self._banner.visible = bool(self._hubs.loc[self.hub_id, "synthetic"])
        try:
            cohorts = data.cohorts(self._url, self._key)
        except HubcoreError as exc:
            self._show_nothing("{message}", message=exc)
            return
        if not cohorts:
            self._show_nothing("No leavers recorded for this hub yet.")
            return
        self._handover_rows = self._handovers()
        with param.discard_events(self):
            self.param.cohort.objects = cohorts
            if self.cohort not in cohorts:
                self.cohort = cohorts[-1]
        self._flows.update(data.flows(self._url, self._key), data.schools(self._url, self._key),
                           data.boundaries(self._url, self._key, "lad"))
        self._on_cohort()

    def _handovers(self) -> pd.DataFrame | None:
        """Pupil-level hand-overs where the scope may see them, else ``None``."""
        try:
            return display.pupil_handovers(self._engine, default_scope(self._engine,
                                                                       self.hub_id))
        except AccessDenied:
            return None

    @param.depends("cohort", watch=True)
    def _on_cohort(self) -> None:
        if self.hub_id is None or self.cohort is None:
            return
        self._nothing.visible, self._content.visible = False, True
        self._heading.object = layout.md(
            "### Leavers of summer {cohort}: Year 11 and Year 13 (c = fewer than 6 young "
            "people)", cohort=self.cohort)
        frames = data.transitions(self._url, self._key, self.cohort)
        for column in self._years.values():
            column.update(frames)
        self._on_overdue()

    @param.depends("overdue_days", watch=True)
    def _on_overdue(self) -> None:
        if self.cohort is None:
            return
        for yg, column in self._years.items():
            overdue = None if self._handover_rows is None else display.overdue_list(
                self._engine, None, self.cohort, yg, self.overdue_days,
                rows=self._handover_rows)
            column.show_overdue(overdue, self.overdue_days)

    def controls(self) -> pn.Column:
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.widgets.Select.from_param(self.param.cohort, name="Cohort (summer of leaving)"),
            pn.widgets.IntSlider.from_param(self.param.overdue_days, name="Overdue after (days)"),
        )


if pn.state.served:
    served_page(Transitions).servable()
