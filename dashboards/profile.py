"""School profile: one school's eight benchmarks against its hub and England, its trend across
assessments, encounters by kind and year group, employer links, leavers' destinations and the
hand-over funnel.

Opened from the area overview by clicking a school (``profile?hub=…&urn=…``).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import panel as pn
import param

from dashboards.common import charts, data, layout
from dashboards.common.context import default_scope
from dashboards.common.page import HubPage, served_page
from hubcore import codes, display
from hubcore.access import Role, Scope


class SchoolProfile(HubPage):
    """One school's profile as a component (served page or notebook cell)."""

    page_title = "Careers Hub · school profile"
    url_params = {"hub_id": "hub", "urn": "urn"}

    urn = param.Selector(default=None, objects=[], allow_None=True, doc="the school")

    def __init__(self, **params):
        super().__init__(**params)
        with param.discard_events(self):
            self._schools_changed()
        self._refresh()
        self._check_link()

    def _schools_changed(self) -> None:
        if self.hub_id is None:
            self.urn = None  # never echo a school the page does not show
            return
        schools = data.schools(self._url, self._key).sort_values("name")
        self.param.urn.objects = schools["urn"].tolist()
        # Names repeat (two "St Mary's" in one hub): those are labelled with their URN, so
        # that every school keeps its own entry in the chooser.
        repeated = schools["name"].duplicated(keep=False)
        labels = schools["name"].where(~repeated, schools["name"] + " (URN " +
                                       schools["urn"].astype(str) + ")")
        self.param.urn.names = dict(zip(labels, schools["urn"], strict=True))
        if self.urn not in self.param.urn.objects:
            self.urn = int(schools["urn"].iat[0]) if len(schools) else None

    @param.depends("hub_id", watch=True)
    def _on_hub(self) -> None:
        with param.discard_events(self):
            self._schools_changed()
        self._refresh()

    @param.depends("urn", watch=True)
    def _refresh(self) -> None:
        if self.hub_id is None or self.urn is None:
            self._body[:] = [layout.empty_state("No school to show: this hub has no schools yet.")]
            return
        self._banner.visible = bool(self._hubs.loc[self.hub_id, "synthetic"])
        school = data.schools(self._url, self._key).set_index("urn").loc[self.urn]
        self._body[:] = [
            pn.pane.Markdown(self._heading(school), sizing_mode="stretch_width"),
            pn.Row(self._benchmark_bars(), self._trend(), sizing_mode="stretch_width"),
            pn.Row(self._encounters(), self._links(), sizing_mode="stretch_width"),
            pn.Row(self._destinations(), self._funnel(), sizing_mode="stretch_width"),
        ]

    def _heading(self, school) -> str:
        # Names come from imported files: every value goes in through layout.md (escaped).
        return layout.md(
            "## {name}\n\nURN {urn} · {type} · {pupils:,} pupils · LA {la} · careers leader: "
            "{leader} · employer-link governor: {governor}",
            name=school["name"], urn=self.urn, type=school["type"],
            pupils=int(school["pupils"] or 0), la=school["la_gss"],
            leader="yes" if school["has_careers_leader"] else "no",
            governor="yes" if school["has_employer_link_governor"] else "no",
        )

    def _benchmark_bars(self) -> pn.viewable.Viewable:
        periods = data.periods(self._url, self._key)
        if not periods:
            return layout.empty_state("No benchmark assessment recorded yet.")
        period = next(iter(periods.values()))
        frame = display.profile_benchmarks(
            self._engine, self._school_scope(), self.urn,
            benchmarks=data.school_benchmarks_at(self._url, self._key, period))
        if frame.empty:
            return layout.empty_state("No assessment of this school in the latest period.")
        bars = charts.grouped_bars(frame, "benchmark", "who", "percent", ["#1f4e79", "#9ecae1"])
        first = frame.attrs["display"]
        note = layout.md("{achieved} of 8 fully achieved ({framework} framework, {on:%d %b %Y}).",
                         achieved=first["achieved"], framework=first["framework"],
                         on=first["assessed_on"])
        national = first.get("national")
        if national:
            note += " " + layout.md(
                "Against England: {achieved} of 8 against a national mean of {england:.2f} "
                "({framework} framework, {year}).", achieved=national["achieved"],
                england=national["england"], framework=national["framework"],
                year=national["academic_year"])
        if isinstance(first.get("national_note"), str) and first["national_note"]:
            note += " " + layout.md("({note})", note=first["national_note"])
        return pn.Column(
            "### Benchmarks against the hub",
            pn.pane.Bokeh(bars, sizing_mode="stretch_width"),
            pn.pane.Markdown(note),
            sizing_mode="stretch_width",
        )

    def _trend(self) -> pn.viewable.Viewable:
        mine = display.profile_trend(self._engine, self._school_scope(), self.urn,
                                     assessments=data.assessments(self._url, self._key))
        if mine.empty:
            return layout.empty_state("No assessments to show a trend.")
        plot = charts.lines({f"{fw} framework": group for fw, group in
                             mine.groupby("framework")}, "assessed_on", "achieved",
                            ["#1f4e79", "#d94801", "#31a354"], y_range=(-0.2, 8.4))
        plot.yaxis.axis_label, plot.xaxis.axis_label = "benchmarks fully achieved", "assessed"
        return pn.Column(
            "### Trend across assessments",
            pn.pane.Bokeh(plot, sizing_mode="stretch_width"),
            pn.pane.Markdown("The 2024 framework (from September 2025) has new criteria: the two "
                             "lines are not one series."),
            sizing_mode="stretch_width",
        )

    def _school_scope(self) -> Scope:
        """The signed-in user's scope narrowed to this school (never widened: a careers leader
        keeps their own school; reads are also filtered to the URN below, since an NCS
        adviser's scope is an area rather than a list of schools)."""
        scope = default_scope(self._engine, self.hub_id)
        if scope.role is Role.CAREERS_LEADER:
            return scope
        return dataclasses.replace(scope, urn=self.urn)

    def _mine(self, frame: pd.DataFrame, column: str = "urn") -> pd.DataFrame:
        return frame[frame[column] == self.urn]

    def _encounters(self) -> pn.viewable.Viewable:
        latest = display.profile_encounters(self._engine, self._school_scope(), self.urn)
        if latest.empty:
            return layout.empty_state("No encounters recorded for this school.")
        year = latest["academic_year"].iat[0]
        # Shaded by the disclosed numbers (NaN where suppressed); the hover shows them as text.
        heat = charts.heat_map(latest.rename(columns={"value": "pupils reached",
                                                      "participants": "shown as"}),
                               "year_from", "kind", "pupils reached", extra="shown as",
                               x_label="year group")
        return pn.Column(
            layout.markdown("### Encounters {year}: pupils reached by kind and year group",
                            year=year),
            pn.pane.Bokeh(heat, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def _links(self) -> pn.viewable.Viewable:
        table = display.profile_links(self._engine, self._school_scope(), self.urn)
        table = table.drop(columns="urn")
        return pn.Column(
            "### Employer links",
            layout.table(table, height=320),
            sizing_mode="stretch_width",
        )

    def _destinations(self) -> pn.viewable.Viewable:
        shown = display.profile_destinations(self._engine, self._school_scope(), self.urn,
                                             table=data.transitions_report(self._url, self._key))
        if shown.empty:
            return layout.empty_state("No leavers' destinations recorded.")
        long = display.profile_destination_bars(self._engine, self._school_scope(), self.urn,
                                                table=shown)
        tabs = [
            (f"Year {yg}", pn.pane.Bokeh(
                charts.stacked_bars(group, "cohort", "destination", "percent",
                                    y_label="% of leavers"), sizing_mode="stretch_width"))
            for yg, group in long.groupby("year_group")
        ]
        return pn.Column(
            "### Destinations one year after leaving (c = fewer than 6 leavers)",
            pn.Tabs(*tabs, ("Table", layout.table(shown.drop(columns="urn"), height=300)),
                    dynamic=True),
            sizing_mode="stretch_width",
        )

    def _funnel(self) -> pn.viewable.Viewable:
        # Counted in SQL without pupil keys: every role that may see the school sees its funnel.
        funnel = display.profile_funnel(self._engine, self._school_scope(), self.urn,
                                        table=data.transitions_report(self._url, self._key))
        if funnel.empty:
            return layout.empty_state("No hand-overs recorded for this school.")
        return pn.Column(
            "### NCS and LA hand-over funnel",
            layout.table(funnel.drop(columns="urn"), height=200),
            sizing_mode="stretch_width",
        )

    def controls(self) -> pn.Column:
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.widgets.Select.from_param(self.param.urn, name="School or college"),
            layout.markdown("Kinds: {kinds}.", kinds=", ".join(codes.SCHOOL_KINDS.values())),
        )


if pn.state.served:
    served_page(SchoolProfile).servable()
