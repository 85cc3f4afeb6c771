"""Employers: employers and their links to schools on the map, offers not taken up, suggested
matches to the nearest schools with a gap, and "what would it take" to lift the share of
schools meeting BM5 or BM6 to a target.
"""

from __future__ import annotations

import pandas as pd
import panel as pn
import param
from bokeh.models import HoverTool

from dashboards.common import charts, data, layout
from dashboards.common.context import default_scope
from dashboards.common.page import HubPage, served_page
from hubcore import defaults, display
from hubcore.errors import HubcoreError

ROLE_COLOURS = {
    "enterprise_adviser": "#1f77b4",
    "cornerstone": "#d62728",
    "governor": "#9467bd",
    "work_experience_partner": "#2ca02c",
}


class EmployerSupply(HubPage):
    """The employers page as a component (served page or notebook cell)."""

    page_title = "Careers Hub · employers"
    url_params = {"hub_id": "hub", "benchmark": "bm", "target_pct": "target",
                  "radius_km": "radius"}

    benchmark = param.Selector(default=defaults.BENCHMARK, objects=[5, 6],
                               doc="BM5 encounters or BM6 placements")
    target_pct = param.Number(default=defaults.TARGET_PCT, bounds=(0, 100), step=5,
                              doc="share of schools meeting the benchmark to aim for, percent")
    radius_km = param.Number(default=defaults.RADIUS_KM, bounds=(1, 30), step=1,
                             doc="supplier radius, km")
    roles = param.ListSelector(default=list(ROLE_COLOURS), objects=list(ROLE_COLOURS))

    def __init__(self, **params):
        super().__init__(**params)
        self._map = pn.pane.Bokeh(sizing_mode="stretch_width", min_height=520)
        self._spare = layout.table(height=340)
        self._matches = layout.table(height=340)
        self._lift = layout.table(height=340)
        self._answer = pn.pane.Markdown(sizing_mode="stretch_width")
        self._csv = {name: layout.csv_button(pane, f"{name}.csv") for name, pane in (
            ("spare_offers", self._spare), ("suggested_matches", self._matches),
            ("what_it_takes", self._lift))}
        self._refresh()
        self._check_link()

    def _scope(self):
        return default_scope(self._engine, self.hub_id)

    @param.depends("hub_id", "roles", watch=True)
    def _refresh(self) -> None:
        if self.hub_id is None:
            self._body[:] = [layout.empty_state("No hub in this database yet.")]
            return
        self._banner.visible = bool(self._hubs.loc[self.hub_id, "synthetic"])
        scope = self._scope()
        employers = display.employer_points(self._engine, scope)
        if employers.empty:
            self._body[:] = [layout.empty_state(
                "No employers recorded for this hub yet: import them with "
                "`hubcore import employers FILE` (a blank file: `hubcore template employers`).")]
            return
        # No loading spinner: the map is rebuilt in tens of milliseconds, and Panel 1.9 leaves
        # a spinner drawn over a Bokeh pane that was loading before its first render.
        self._map.object = self._map_element(employers)
        layout.show(self._spare, display.spare_offers(self._engine, scope))
        try:
            layout.show(self._matches, data.suggested_matches(self._url, self._key))
        except HubcoreError as exc:
            layout.show(self._matches, pd.DataFrame({"note": [str(exc)]}))
        self._what_it_takes()
        parts = [
            "### Employers and their links to schools", self._map,
            "### Offers not taken up", self._csv["spare_offers"], self._spare,
            "### Suggested matches: nearest schools with a matching gap",
            self._csv["suggested_matches"], self._matches,
            "### What would it take?", self._answer, self._csv["what_it_takes"], self._lift,
        ]
        if len(self._body) != len(parts):  # laid out once; later refreshes refill in place
            self._body[:] = parts

    @param.depends("benchmark", "target_pct", "radius_km", watch=True)
    def _what_it_takes(self) -> None:
        try:
            table = data.what_it_takes(self._url, self._key, self.benchmark, self.target_pct,
                                       self.radius_km)
        except HubcoreError as exc:
            self._answer.object = layout.md("{message}", message=exc)
            layout.show(self._lift, pd.DataFrame())
            return
        head = table[table["level"] == "summary"].iloc[0]
        reach = "can" if bool(head["supply_covers_need"]) else "cannot"
        self._answer.object = layout.md(
            "**BM{bm}, {year}:** {meeting} of {measured} schools meet it today "
            "({pct:.1f}%). To reach {target:.0f}%, {to_lift} more schools need about "
            "**{needed:,.0f} {unit}**. Employers within {radius:.0f} km have {spare:,} spare, "
            "so local supply **{reach}** cover it.",
            bm=self.benchmark, year=head["academic_year"], meeting=head["meeting_now"],
            measured=head["schools_measured"], pct=head["pct_meeting_now"],
            target=self.target_pct, to_lift=head["schools_to_lift"],
            needed=head["additional_needed"], unit=head["unit"], radius=self.radius_km,
            spare=head["spare_within_radius"], reach=reach,
        )
        schools = table[table["level"] == "school"]
        layout.show(self._lift, schools[["order", "name", "urn", "shortfall", "cumulative_needed",
                                         "nearest_supplier", "nearest_supplier_km"]])

    def _map_element(self, employers: pd.DataFrame):
        schools = data.schools(self._url, self._key)
        seg = display.employer_link_segments(self._engine, self._scope(), self.roles)
        fig = charts.map_figure(520, data.boundaries(self._url, self._key, "lad"))
        for role, group in seg.groupby("role"):
            fig.segment("easting_e", "northing_e", "easting_s", "northing_s",
                        source=charts.source(group, ["easting_e", "northing_e", "easting_s",
                                                    "northing_s"]),
                        color=ROLE_COLOURS[role], line_width=1.2, alpha=0.6,
                        legend_label=role.replace("_", " "))
        found = fig.scatter("easting", "northing", source=charts.source(
            employers, ["easting", "northing", "name", "sector", "size_band"]),
            marker="triangle", size=8, color="#555555", legend_label="employers")
        placed = fig.scatter("easting", "northing", source=charts.source(
            schools, ["easting", "northing", "name", "urn", "type"]),
            size=11, color="#ffbf00", line_color="black", legend_label="schools")
        fig.add_tools(
            HoverTool(renderers=[found], tooltips=[("employer", "@name"), ("sector", "@sector"),
                                                   ("size", "@size_band")]),
            HoverTool(renderers=[placed], tooltips=[("school", "@name"), ("URN", "@urn"),
                                                    ("type", "@type")]),
        )
        charts.legend_outside(fig)
        return fig

    def controls(self) -> pn.Column:
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.widgets.CheckBoxGroup.from_param(self.param.roles, name="Links shown"),
            pn.widgets.RadioButtonGroup.from_param(self.param.benchmark, name="Benchmark",
                                                   options={"BM5": 5, "BM6": 6}),
            pn.widgets.FloatSlider.from_param(self.param.target_pct, name="Target (% of schools)"),
            pn.widgets.FloatSlider.from_param(self.param.radius_km, name="Supplier radius (km)"),
        )


if pn.state.served:
    served_page(EmployerSupply).servable()
