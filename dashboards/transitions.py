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
from hubcore.errors import HubcoreError

YEAR_GROUPS = display.PAGE_YEAR_GROUPS
FUNNEL_COLOURS = ("#1f4e79", "#9ecae1", "#6a51a3")
LAG_COLOURS = ("#6a51a3", "#bcbddc")
#: The NEET chart's height, px: three comparators for each of the two year groups.
NEET_HEIGHT = 300
FLOW_COLOURS = {11: "#2171b5", 13: "#cb181d"}
_PANE = {"sizing_mode": "stretch_width"}


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
        # Read once per scope and data version, audited for this user at every session.
        self.handover_rows = self.read(data.pupil_handovers,
                                       default_scope(self._engine, self.hub_id))

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
    """Both year groups' funnel, referral lag and NEET comparison: one figure per kind, the
    year groups side by side within it.

    Three figures rather than one per kind and year group (six): every figure is some twenty
    Bokeh models (axes, tickers, ranges, renderers, hover) built, themed and sent with each
    new session, and the year groups read best next to each other in one chart anyway. Few
    panes for the same reason: the lag sentences and the histogram's title share one pane,
    the NEET titles and comparators' notes another, and the notice for a cohort without
    hand-overs is made only when first needed."""

    depends = ("hub_id", "cohort")

    def build(self) -> pn.Column:
        years = " and ".join(f"Year {yg}" for yg in YEAR_GROUPS)
        # Funnel: a group of bars per year group and step, one bar per receiving service.
        self.funnel = charts.GroupedBars("step_label", "to", "value", FUNNEL_COLOURS,
                                         y_label="young people (c = fewer than 6: not drawn)",
                                         name="funnel")
        self.funnel.fig.title = f"Hand-over funnel, {years}"
        self.funnel_pane = pn.pane.Bokeh(self.funnel.fig, **_PANE)
        self.funnel_empty: pn.pane.Alert | None = None
        # Referral lag: a group of bars per 14-day bin, one bar per year group.
        self.lag_text = pn.pane.Markdown("", **_PANE)
        self.lag = charts.GroupedBars("bin", "year", "value", LAG_COLOURS, height=240,
                                      y_label="hand-overs", name="lag")
        self.lag.fig.xaxis.axis_label = "days from leaving to referral"
        self.lag_pane = pn.pane.Bokeh(self.lag.fig, **_PANE)
        # NEET and not known: one bar per year group and comparator.
        self.neet = charts.HBars("NEET + not known, % of leavers", "#d94801",
                                 height=NEET_HEIGHT, name="neet")
        self.neet_pane = pn.pane.Bokeh(self.neet.fig, **_PANE)
        self.neet_note = pn.pane.Markdown("", **_PANE)
        return pn.Column(self.funnel_pane, self.lag_text, self.lag_pane, self.neet_pane,
                         self.neet_note, **_PANE)

    @staticmethod
    def _lag_sentence(row: dict) -> str:
        if display.C in (str(row["median_days"]), str(row["referred"])):
            return layout.md("Year {yg}, days from leaving to referral, {to}: not shown (fewer "
                             "than 6 referred, or hidden with them).", yg=row["year_group"],
                             to=row["handed_to_label"])
        return layout.md(
            "Year {yg}, days from leaving to referral, {to}: median **{median}**, 90th "
            "percentile **{p90}** ({referred} referred).", yg=row["year_group"],
            to=row["handed_to_label"], median=row["median_days"], p90=row["p90_days"],
            referred=row["referred"])

    def update(self) -> None:
        """Show the chosen cohort's frames (:func:`dashboards.common.data.transitions`)."""
        frames = self.page.frames()
        self._funnel(frames)
        self._lag(frames)
        self._neet(frames)

    def _funnel(self, frames: dict[str, pd.DataFrame]) -> None:
        # Each year group's bars as the display layer made them, the step labelled with the
        # year group (the chart's outer axis); a year group without hand-overs is said so.
        parts, missing = [], []
        for yg in YEAR_GROUPS:
            bars = display.funnel_bars(frames["funnel"], yg)
            if bars.empty:
                missing.append(f"Year {yg}")
            else:
                parts.append(bars.assign(step_label=f"Y{yg} " + bars["step_label"]))
        if missing:
            notice = "No " + " or ".join(missing) + " hand-overs."
            if self.funnel_empty is None:
                self.funnel_empty = layout.empty_state(notice)
                self._layout.insert(0, self.funnel_empty)
            self.funnel_empty.object = notice
        if self.funnel_empty is not None:
            self.funnel_empty.visible = bool(missing)
        self.funnel_pane.visible = bool(parts)
        if parts:
            self.funnel.update(pd.concat(parts, ignore_index=True), shown="young_people")

    def _lag(self, frames: dict[str, pd.DataFrame]) -> None:
        lag = frames["lag"][pd.to_numeric(frames["lag"]["year_group"]).isin(YEAR_GROUPS)]
        self.lag_text.visible = not lag.empty
        if lag.empty:
            self.lag_pane.visible = False
            return
        texts = [self._lag_sentence(row) for row in lag.to_dict("records")]
        parts, titles, years = [], [], set(pd.to_numeric(lag["year_group"]))
        for yg in (yg for yg in YEAR_GROUPS if yg in years):
            hist = frames[f"histogram_{yg}"]
            if not (hist["value"] > 0).any():
                # Every bin hidden (a small school): no bar would say nothing, so say why.
                texts.append(f"Year {yg} referral lag: every {display.LAG_BIN_DAYS}-day bin "
                             "has fewer than 6 hand-overs (or is hidden with one that has), so "
                             "none is drawn.")
                continue
            titles.append(layout.md("{title}", title=hist.attrs["display"]["title"]))
            parts.append(hist.assign(
                bin=hist["left_days"].astype(str) + "–" + hist["right_days"].astype(str),
                year=f"Year {yg}"))
        # One title for the chart (the year groups' are the same words).
        self.lag_text.object = "\n\n".join([*texts, *dict.fromkeys(titles)])
        self.lag_pane.visible = bool(parts)
        if parts:
            # Bins in order of days, the year groups side by side within each.
            both = pd.concat(parts, ignore_index=True).sort_values(["left_days", "year"],
                                                                   kind="stable")
            self.lag.update(both, shown="handovers")

    def _neet(self, frames: dict[str, pd.DataFrame]) -> None:
        parts, titles, notes = [], [], []
        for yg in YEAR_GROUPS:
            bars = display.neet_bars(frames["neet"], yg)
            if bars.empty:
                continue
            titles.append(layout.md("**{title}**", title=bars.attrs["display"]["title"]))
            # The full name of each comparator, and why an empty one is empty.
            notes += [layout.md("- Year {yg}: {note}", yg=yg, note=n)
                      for n in bars["note"] if n != "this hub"]
            parts.append(bars.assign(label=f"Year {yg}: " + bars["label"]))
        self.neet_pane.visible = self.neet_note.visible = bool(parts)
        if parts:
            self.neet.update(pd.concat(parts, ignore_index=True))
            self.neet_note.object = " · ".join(titles) + "\n\n" + "\n".join(notes)


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
