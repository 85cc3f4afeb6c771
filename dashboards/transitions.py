"""Transitions and NCS hand-offs: the hand-over funnel, days from leaving to referral, NEET and
not-known rates against the LA and England, the overdue list (pseudonymous keys, only for roles
allowed to see pupil rows), and a flow map from schools to providers and the NCS — Year 11 and
Year 13 side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource, HoverTool, LabelSet

from dashboards.common import charts, data, layout
from dashboards.common.context import default_scope
from dashboards.common.page import HubPage, served_page
from hubcore import display
from hubcore.errors import AccessDenied, HubcoreError


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
        #: Year group → (heading, table) of the overdue lists, refilled in place when only the
        #: overdue threshold changes (the charts do not depend on it).
        self._overdue_parts: dict[int, tuple[pn.pane.Markdown, pn.pane.DataFrame]] = {}
        self._handover_rows: pd.DataFrame | None = None
        self._refresh()
        self._check_link()

    @param.depends("hub_id", "cohort", watch=True)
    def _refresh(self) -> None:
        self._overdue_parts = {}
        if self.hub_id is None:
            self._body[:] = [layout.empty_state("No hub in this database yet.")]
            return
        self._banner.visible = bool(self._hubs.loc[self.hub_id, "synthetic"])
        scope = default_scope(self._engine, self.hub_id)
        try:
            cohorts = data.cohorts(self._url, self._key)
        except HubcoreError as exc:
            self._body[:] = [layout.empty_state("{message}", message=exc)]
            return
        if not cohorts:
            self._body[:] = [layout.empty_state("No leavers recorded for this hub yet.")]
            return
        with param.discard_events(self):
            self.param.cohort.objects = cohorts
            if self.cohort not in cohorts:
                self.cohort = cohorts[-1]
        table = data.transitions(self._url, self._key, self.cohort)
        handovers = self._handover_rows = self._handovers(scope)
        columns = [self._year_column(table, handovers, yg) for yg in (11, 13)]
        self._body[:] = [
            layout.markdown("### Leavers of summer {cohort}: Year 11 and Year 13 "
                            "(c = fewer than 6 young people)", cohort=self.cohort),
            pn.Row(*columns, sizing_mode="stretch_width"),
            "### Where leavers went in their first autumn",
            self._flow_map(scope),
        ]

    def _handovers(self, scope) -> pd.DataFrame | None:
        """Pupil-level hand-overs where the scope may see them, else ``None``."""
        try:
            return display.pupil_handovers(self._engine, scope)
        except AccessDenied:
            return None

    def _year_column(self, table: dict, handovers, year_group: int) -> pn.Column:
        # Every figure below comes disclosed from hubcore.display (data.transitions).
        bars = display.funnel_bars(table["funnel"], year_group)
        lag = table["lag"][pd.to_numeric(table["lag"]["year_group"]) == year_group]
        neet = table["neet"][pd.to_numeric(table["neet"]["year_group"]) == year_group]
        parts: list = [f"#### Year {year_group}"]
        if bars.empty:
            parts.append(layout.empty_state(f"No Year {year_group} hand-overs."))
        else:
            chart = charts.grouped_bars(bars, "step", "to", "value", ["#1f4e79", "#9ecae1",
                                                                    "#6a51a3"], y_range=None)
            chart.yaxis.axis_label = "young people (c = fewer than 6: not drawn)"
            parts.append(pn.pane.Bokeh(chart, sizing_mode="stretch_width"))
        if not lag.empty:
            for row in lag.to_dict("records"):
                parts.append(layout.markdown(
                    "Days from leaving to referral, {to}: median **{median}**, 90th "
                    "percentile **{p90}** ({referred} referred).", to=row["handed_to_label"],
                    median=row["median_days"], p90=row["p90_days"], referred=row["referred"]))
            parts.append(self._lag_histogram(table[f"histogram_{year_group}"]))
        if not neet.empty:
            parts.append(self._neet_bars(neet))
        parts.append(self._overdue(handovers, year_group))
        return pn.Column(*parts, sizing_mode="stretch_width")

    def _lag_histogram(self, hist: pd.DataFrame) -> pn.pane.Bokeh:
        edges = np.append(hist["left_days"].to_numpy(), hist["right_days"].to_numpy()[-1:])
        chart = charts.histogram(edges, hist["value"].to_numpy(), hist.attrs["display"]["title"],
                                 "days from leaving to referral", "hand-overs", "#6a51a3")
        return pn.pane.Bokeh(chart, sizing_mode="stretch_width")

    def _neet_bars(self, neet: pd.DataFrame) -> pn.pane.Bokeh:
        frame = neet.rename(columns={"value": "NEET + not known %"})
        bars = charts.bars(frame, "who", "NEET + not known %", "#d94801", height=220,
                           title=neet.attrs.get("display", {}).get("title"))
        return pn.pane.Bokeh(bars, sizing_mode="stretch_width")

    def _overdue(self, handovers, year_group: int) -> pn.viewable.Viewable:
        if handovers is None:
            return layout.empty_state("The overdue list holds pupil-level rows; your role sees "
                                      "the counts above only.")
        heading, table = pn.pane.Markdown(), layout.table(height=220)
        self._overdue_parts[year_group] = (heading, table)
        self._fill_overdue(year_group)
        return pn.Column(heading, table, sizing_mode="stretch_width")

    @param.depends("overdue_days", watch=True)
    def _on_overdue(self) -> None:
        for year_group in self._overdue_parts:
            self._fill_overdue(year_group)

    def _fill_overdue(self, year_group: int) -> None:
        heading, table = self._overdue_parts[year_group]
        # The rows read once per refresh are filtered again for each threshold.
        overdue = display.overdue_list(self._engine, None, self.cohort, year_group,
                                       self.overdue_days, rows=self._handover_rows)
        heading.object = (f"Overdue: no referral {self.overdue_days}+ days after leaving "
                          f"({len(overdue)}; pseudonymous keys)")
        layout.show(table, overdue)

    def _flow_map(self, scope) -> pn.viewable.Viewable:
        flows = data.flows(self._url, self._key)
        if flows.empty:
            return layout.empty_state("No destinations recorded yet.")
        schools = data.schools(self._url, self._key)
        xy = schools.set_index("urn")[["easting", "northing"]]
        east, west = xy["easting"].max() + 6000, xy["easting"].min() - 6000
        mid = xy["northing"].mean()
        # Organisations without a location sit beside the map: the NCS to the east, LA
        # tracking to the west.
        nodes = {"handed over: ncs": (east, mid + 4000), "handed over: la_tracking": (west, mid)}
        # Suppressed flows (fewer than 6 young people, hubcore.display) are not drawn.
        flows = flows.assign(leavers=flows["value"]).dropna(subset=["leavers"])
        rows = []
        for r in flows.itertuples():
            if r.urn not in xy.index:
                continue
            x0, y0 = xy.loc[r.urn]
            if r.category in nodes:
                x1, y1 = nodes[r.category]
            elif pd.notna(r.provider_urn) and int(r.provider_urn) in xy.index \
                    and int(r.provider_urn) != r.urn:
                x1, y1 = xy.loc[int(r.provider_urn)]
            else:
                continue
            rows.append((x0, y0, x1, y1, r.leavers, r.year_group, r.category))
        seg = pd.DataFrame(rows, columns=["x0", "y0", "x1", "y1", "leavers", "year_group",
                                          "to"])
        seg["width"] = 1 + 6 * np.sqrt(seg["leavers"] / max(seg["leavers"].max(), 1))
        fig = charts.map_figure(520, data.boundaries(self._url, self._key, "lad"))
        for yg, colour in ((11, "#2171b5"), (13, "#cb181d")):
            part = charts.source(seg[seg["year_group"] == yg],
                                 ["x0", "y0", "x1", "y1", "leavers", "to", "width"])
            fig.segment("x0", "y0", "x1", "y1", source=part, color=colour, alpha=0.5,
                        line_width="width", legend_label=f"Year {yg}")
        hover = HoverTool(tooltips=[("leavers", "@leavers"), ("to", "@to")],
                          renderers=list(fig.renderers[-2:]), line_policy="interp")
        points = fig.scatter("easting", "northing", source=charts.source(
            schools, ["easting", "northing", "name", "type"]), size=8, color="#ffbf00",
            line_color="black")
        labels = ColumnDataSource({
            "x": [x for x, _ in nodes.values()], "y": [y for _, y in nodes.values()],
            "text": ["NCS" if "ncs" in k else "LA tracking" for k in nodes]})
        fig.scatter("x", "y", source=labels, size=16, marker="square", color="#444444")
        fig.add_layout(LabelSet(x="x", y="y", text="text", source=labels, y_offset=10,
                                text_font_size="10pt", text_align="center"))
        fig.add_tools(hover, HoverTool(tooltips=[("school", "@name"), ("type", "@type")],
                                       renderers=[points]))
        charts.legend_outside(fig)
        return pn.pane.Bokeh(fig, sizing_mode="stretch_width")

    def controls(self) -> pn.Column:
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.widgets.Select.from_param(self.param.cohort, name="Cohort (summer of leaving)"),
            pn.widgets.IntSlider.from_param(self.param.overdue_days, name="Overdue after (days)"),
        )


if pn.state.served:
    served_page(Transitions).servable()
