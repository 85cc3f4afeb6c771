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
from hubcore import disclosure, metrics, store
from hubcore.errors import AccessDenied, HubcoreError

FUNNEL_STEPS = ["left", "referred", "contacted", "engaged", "lost"]


def _numeric(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Suppressed cells ("c") as NaN, for drawing."""
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in columns})


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
            table = data.report_table(self._url, self._key, "transitions",
                                      overdue_days=self.overdue_days)
        except HubcoreError as exc:
            self._body[:] = [layout.empty_state("{message}", message=exc)]
            return
        cohorts = sorted(int(c) for c in pd.to_numeric(table["cohort"], errors="coerce")
                         .dropna().unique())
        if not cohorts:
            self._body[:] = [layout.empty_state("No leavers recorded for this hub yet.")]
            return
        with param.discard_events(self):
            self.param.cohort.objects = cohorts
            if self.cohort not in cohorts:
                self.cohort = cohorts[-1]
        table = table[pd.to_numeric(table["cohort"], errors="coerce") == self.cohort]
        handovers = self._handover_rows = self._handovers(scope)
        columns = [self._year_column(table, handovers, yg) for yg in (11, 13)]
        self._body[:] = [
            pn.pane.Markdown(f"### Leavers of summer {self.cohort}: Year 11 and Year 13 "
                             "(c = fewer than 6 young people)"),
            pn.Row(*columns, sizing_mode="stretch_width"),
            "### Where leavers went in their first autumn",
            self._flow_map(scope),
        ]

    def _handovers(self, scope) -> pd.DataFrame | None:
        """Pupil-level hand-overs where the scope may see them, else ``None``."""
        try:
            return store.handovers(self._engine, scope)
        except AccessDenied:
            return None

    def _year_column(self, table, handovers, year_group: int) -> pn.Column:
        mine = table[pd.to_numeric(table["year_group"], errors="coerce") == year_group]
        funnel = mine[mine["section"] == "funnel_hub"]
        lag = mine[mine["section"] == "lag_hub"]
        neet = mine[mine["section"].isin(["neet_hub", "neet_la"])]
        parts: list = [f"#### Year {year_group}"]
        if funnel.empty:
            parts.append(layout.empty_state(f"No Year {year_group} hand-overs."))
        else:
            steps = _numeric(funnel, FUNNEL_STEPS).iloc[0]
            frame = pd.DataFrame({"step": FUNNEL_STEPS,
                                  "young people": [steps[s] for s in FUNNEL_STEPS]})
            bars = charts.bars(frame, "step", "young people", "#1f4e79",
                               title="Hand-over funnel")
            parts.append(pn.pane.Bokeh(bars, sizing_mode="stretch_width"))
        if not lag.empty:
            row = lag.iloc[0]
            parts.append(layout.markdown(
                "Days from leaving to referral: median **{median}**, 90th percentile "
                "**{p90}** ({referred} referred).", median=row["median_days"],
                p90=row["p90_days"], referred=row["referred"]))
        if handovers is not None:
            parts.append(self._lag_histogram(handovers, year_group))
        if not neet.empty:
            parts.append(self._neet_bars(neet.iloc[0]))
        parts.append(self._overdue(handovers, year_group))
        return pn.Column(*parts, sizing_mode="stretch_width")

    def _lag_histogram(self, handovers, year_group: int) -> pn.pane.Bokeh:
        mine = handovers[(handovers["year_group"] == year_group)
                         & (handovers["cohort"] == self.cohort)]
        lag = metrics.referral_lag(mine, by=())
        days = (mine["referred_on"] - mine["left_on"]).dt.days.dropna()
        edges = np.arange(0, max(int(days.max()) if len(days) else 0, 30) + 15, 14)
        counts, edges = np.histogram(days, bins=edges)
        shown = [disclosure.suppress_count(int(c)) for c in counts]
        heights = [0 if v == disclosure.SUPPRESSED else v for v in shown]
        title = f"Referral lag (median {float(lag['median_days'].iat[0]):.0f} days)" \
            if len(lag) else "Referral lag"
        hist = charts.histogram(edges, heights, title + ", bins under 6 hidden",
                                "days from leaving to referral", "hand-overs", "#6a51a3")
        return pn.pane.Bokeh(hist, sizing_mode="stretch_width")

    def _neet_bars(self, row) -> pn.pane.Bokeh:
        values = [
            ("this hub", row.get("neet_nk_pct")),
            ("LA (published)", row.get("la_neet_nk_pct")),
            ("England 2025", row.get("england_neet_nk_pct")),
        ]
        frame = pd.DataFrame(values, columns=["who", "NEET + not known %"])
        frame["NEET + not known %"] = pd.to_numeric(frame["NEET + not known %"], errors="coerce")
        bars = charts.bars(frame, "who", "NEET + not known %", "#d94801", height=220,
                           title="NEET and not known, first autumn")
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
        handovers = self._handover_rows
        heading, table = self._overdue_parts[year_group]
        mine = handovers[(handovers["year_group"] == year_group)
                         & (handovers["cohort"] == self.cohort)]
        overdue = metrics.overdue_list(mine, days=self.overdue_days)
        keep = [c for c in ("leaver_key", "from_urn", "to_org_type", "reason", "left_on",
                            "days_waiting") if c in overdue]
        heading.object = (f"Overdue: no referral {self.overdue_days}+ days after leaving "
                          f"({len(overdue)}; pseudonymous keys)")
        layout.show(table, overdue[keep])

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
        # Suppressed flows (fewer than 6 young people) are not drawn.
        flows = _numeric(disclosure.apply(flows, counts=["leavers"]), ["leavers"])
        flows = flows.dropna(subset=["leavers"])
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
