"""School profile: one school's eight benchmarks against its hub and England, its trend across
assessments, encounters by kind and year group, employer links, leavers' destinations and the
hand-over funnel.

Opened from the area overview by clicking a school (``profile?hub=…&urn=…``).

Built in Panel's DataStore / View shape: :class:`SchoolProfile` holds the state (the hub and
school, both kept in the page's URL) and reads every figure, already protected, from
``hubcore.display`` through per-process caches; the views (charts, tables, notes) are built once
and updated in place when the state changes, so switching school replaces the data of the same
charts rather than building new ones.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import panel as pn
import param

from dashboards.common import charts, data, layout
from dashboards.common.context import engine_for
from dashboards.common.page import HubPage, served_page
from hubcore import codes, display
from hubcore.access import Role, Scope
from hubcore.display.profile import TREND_SERIES

#: Colours: this school, the hub (benchmarks); one per framework (trend).
BENCHMARK_COLOURS = ("#1f4e79", "#9ecae1")
TREND_COLOURS = ("#1f4e79", "#d94801")
YEAR_GROUPS = (11, 13)


# --- cached reads (shared by sessions of the same scope and data version) --------------------


def _school_scope(key: data.ScopeKey, urn: int) -> Scope:
    """The signed-in user's scope (``key``) narrowed to school ``urn`` (never widened: a
    careers leader keeps their own school; reads are also filtered to the URN, since an NCS
    adviser's scope is an area rather than a list of schools)."""
    scope = data._scope(key)
    if scope.role is Role.CAREERS_LEADER:
        return scope
    return dataclasses.replace(scope, urn=urn)


@pn.cache(max_items=128)
def school_frames(url: str, key: data.ScopeKey, urn: int) -> dict[str, pd.DataFrame]:
    """Every frame the profile shows for school ``urn``, from ``hubcore.display`` (protected
    there): ``benchmarks``, ``trend``, ``encounters``, ``links``, ``destinations``,
    ``destination_bars`` and ``funnel``."""
    engine, scope = engine_for(url), _school_scope(key, urn)
    periods = data.periods(url, key)
    frames: dict[str, pd.DataFrame] = {}
    if periods:
        frames["benchmarks"] = display.profile_benchmarks(
            engine, scope, urn, benchmarks=data.school_benchmarks_at(
                url, key, next(iter(periods.values()))))
    frames["trend"] = display.profile_trend(engine, scope, urn,
                                            assessments=data.assessments(url, key))
    frames["encounters"] = display.profile_encounters(engine, scope, urn)
    frames["links"] = display.profile_links(engine, scope, urn)
    report = data.transitions_report(url, key)
    frames["destinations"] = display.profile_destinations(engine, scope, urn, table=report)
    frames["destination_bars"] = display.profile_destination_bars(
        engine, scope, urn, table=frames["destinations"])
    frames["funnel"] = display.profile_funnel(engine, scope, urn, table=report)
    return frames


# --- views ------------------------------------------------------------------------------------


class Section(pn.viewable.Viewer):
    """A heading, its content (built once) and an empty-state notice shown instead of the
    content when there is nothing to draw."""

    def __init__(self, heading: str, *content, **params):
        super().__init__(**params)
        self.heading = pn.pane.Markdown(heading, sizing_mode="stretch_width")
        self.empty = layout.empty_state("Nothing to show.")
        self.empty.visible = False
        self.content = pn.Column(*content, sizing_mode="stretch_width")
        self._layout = pn.Column(self.heading, self.empty, self.content,
                                 sizing_mode="stretch_width")

    def show(self, empty: str | None = None) -> None:
        """Show the content, or the notice ``empty`` (trusted Markdown) in its place."""
        if empty is not None:
            self.empty.object = empty
        self.empty.visible = empty is not None
        self.content.visible = empty is None

    def __panel__(self) -> pn.Column:
        return self._layout


class SchoolProfile(HubPage):
    """One school's profile as a component (served page or notebook cell)."""

    page_title = "Careers Hub · school profile"
    url_params = {"hub_id": "hub", "urn": "urn"}

    urn = param.Selector(default=None, objects=[], allow_None=True, doc="the school")

    def __init__(self, **params):
        super().__init__(**params)
        self._build_views()
        with param.discard_events(self):
            self._schools_changed()
        self._update()
        self._check_link()

    # --- state ---------------------------------------------------------------------------------

    def _schools_changed(self) -> None:
        if self.hub_id is None:
            self.param.urn.objects = []
            self.urn = None  # never echo a school the page does not show
            return
        schools = data.schools(self._url, self._key).sort_values("name")
        # Names repeat (two "St Mary's" in one hub): those are labelled with their URN, so
        # that every school keeps its own entry in the chooser.
        repeated = schools["name"].duplicated(keep=False)
        labels = schools["name"].where(~repeated, schools["name"] + " (URN " +
                                       schools["urn"].astype(str) + ")")
        self.param.urn.objects = [int(u) for u in schools["urn"]]
        self.param.urn.names = dict(zip(labels, (int(u) for u in schools["urn"]),
                                        strict=True))
        if self.urn not in self.param.urn.objects:
            self.urn = int(schools["urn"].iat[0]) if len(schools) else None

    @param.depends("hub_id", watch=True)
    def _on_hub(self) -> None:
        with param.discard_events(self):
            self._schools_changed()
        self._update()

    @param.depends("urn", watch=True)
    def _on_urn(self) -> None:
        self._update()

    # --- views, built once ---------------------------------------------------------------------

    def _build_views(self) -> None:
        pane = dict(sizing_mode="stretch_width")
        self._heading = pn.pane.Markdown("", **pane)
        self._nothing = layout.empty_state("No school to show: this hub has no schools yet.")
        self._bm_chart = charts.GroupedBars("benchmark", "who", "percent", BENCHMARK_COLOURS,
                                            y_label="percent", y_max=100)
        self._bm_note = pn.pane.Markdown("", **pane)
        self._benchmarks = Section("### Benchmarks against the hub",
                                   pn.pane.Bokeh(self._bm_chart.fig, **pane), self._bm_note)
        self._trend_chart = charts.Lines(TREND_SERIES, TREND_COLOURS, "achieved",
                                         x_label="assessed",
                                         y_label="benchmarks fully achieved")
        self._trend_note = pn.pane.Markdown("", **pane)
        self._trend = Section("### Trend across assessments",
                              pn.pane.Bokeh(self._trend_chart.fig, **pane), self._trend_note)
        self._heat = charts.HeatMap("year group", "kind", "pupils reached", extra="shown as")
        self._encounters = Section("### Encounters", pn.pane.Bokeh(self._heat.fig, **pane))
        self._links_table = layout.table(height=320)
        self._links = Section("### Employer links", self._links_table)
        self._mix_charts = {yg: charts.StackedBars("cohort", "destination", "percent",
                                                   y_label="% of leavers")
                            for yg in YEAR_GROUPS}
        self._mix_empty = {yg: layout.empty_state(f"No Year {yg} leavers recorded.")
                           for yg in YEAR_GROUPS}
        self._mix_panes = {yg: pn.pane.Bokeh(self._mix_charts[yg].fig, **pane)
                           for yg in YEAR_GROUPS}
        self._mix_table = layout.table(height=300)
        self._mix_tabs = pn.Tabs(
            *((f"Year {yg}", pn.Column(self._mix_empty[yg], self._mix_panes[yg], **pane))
              for yg in YEAR_GROUPS), ("Table", self._mix_table), **pane)
        self._destinations = Section(
            "### Destinations one year after leaving (c = fewer than 6 leavers)",
            self._mix_tabs)
        self._funnel_table = layout.table(height=240)
        self._funnel = Section("### NCS and LA hand-over funnel", self._funnel_table)
        self._sections = pn.Column(
            self._heading,
            pn.Row(self._benchmarks, self._trend, **pane),
            pn.Row(self._encounters, self._links, **pane),
            pn.Row(self._destinations, self._funnel, **pane),
            **pane,
        )
        self._body[:] = [self._nothing, self._sections]

    # --- views, updated in place ---------------------------------------------------------------

    def _update(self) -> None:
        """Show the current school in the views built once."""
        shown = self.hub_id is not None and self.urn is not None
        self._nothing.visible, self._sections.visible = not shown, shown
        if not shown:
            return
        self._banner.visible = bool(self._hubs.loc[self.hub_id, "synthetic"])
        frames = school_frames(self._url, self._key, self.urn)
        school = data.schools(self._url, self._key).set_index("urn").loc[self.urn]
        self._heading.object = self._heading_text(school)
        self._show_benchmarks(frames.get("benchmarks"))
        self._show_trend(frames["trend"])
        self._show_encounters(frames["encounters"])
        layout.show(self._links_table, frames["links"].drop(columns="urn"))
        self._links.show(None if len(frames["links"]) else
                         "No employer links recorded for this school.")
        self._show_destinations(frames["destinations"], frames["destination_bars"])
        funnel = frames["funnel"]
        layout.show(self._funnel_table, funnel.drop(columns="urn"))
        self._funnel.show(None if len(funnel) else "No hand-overs recorded for this school.")

    def _heading_text(self, school) -> str:
        # Names come from imported files: every value goes in through layout.md (escaped).
        return layout.md(
            "## {name}\n\nURN {urn} · {type} · {pupils:,} pupils · LA {la} · careers leader: "
            "{leader} · employer-link governor: {governor}",
            name=school["name"], urn=self.urn, type=school["type"],
            pupils=int(school["pupils"] or 0), la=school["la_gss"],
            leader="yes" if school["has_careers_leader"] else "no",
            governor="yes" if school["has_employer_link_governor"] else "no",
        )

    def _show_benchmarks(self, frame: pd.DataFrame | None) -> None:
        if frame is None:
            self._benchmarks.show("No benchmark assessment recorded yet.")
            return
        if frame.empty:
            self._benchmarks.show("No assessment of this school in the latest period.")
            return
        self._bm_chart.update(frame)
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
        self._bm_note.object = note
        self._benchmarks.show()

    def _show_trend(self, trend: pd.DataFrame) -> None:
        if trend.empty:
            self._trend.show("No assessments to show a trend.")
            return
        meta = trend.attrs["display"]
        self._trend_chart.y_bounds = meta.get("y_bounds")
        self._trend_chart.update(dict(tuple(trend.groupby("series"))), "assessed_on",
                                 "achieved")
        self._trend_note.object = layout.md("{note}", note=meta.get("note", ""))
        self._trend.show()

    def _show_encounters(self, latest: pd.DataFrame) -> None:
        if latest.empty:
            self._encounters.heading.object = "### Encounters"
            self._encounters.show("No encounters recorded for this school.")
            return
        self._encounters.heading.object = layout.md(
            "### Encounters {year}: pupils reached by kind and year group",
            year=latest["academic_year"].iat[0])
        # Shaded by the disclosed numbers (NaN where suppressed); the hover shows them as text.
        self._heat.update(latest, "year_from", "kind", "value", extra="participants")
        self._encounters.show()

    def _show_destinations(self, shown: pd.DataFrame, long: pd.DataFrame) -> None:
        if shown.empty:
            self._destinations.show("No leavers' destinations recorded.")
            return
        present = []
        for yg in YEAR_GROUPS:
            group = long[pd.to_numeric(long["year_group"]) == yg]
            self._mix_charts[yg].update(group)
            self._mix_empty[yg].visible = group.empty
            self._mix_panes[yg].visible = not group.empty
            present.append(not group.empty)
        if not present[self._mix_tabs.active if self._mix_tabs.active < len(present) else 0]:
            # A sixth-form college has no Year 11 leavers: open on a year group it has.
            self._mix_tabs.active = present.index(True) if any(present) else len(present)
        layout.show(self._mix_table, shown.drop(columns="urn"))
        self._destinations.show()

    def controls(self) -> pn.Column:
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.widgets.Select.from_param(self.param.urn, name="School or college"),
            layout.markdown("Kinds: {kinds}.", kinds=", ".join(codes.SCHOOL_KINDS.values())),
        )


if pn.state.served:
    served_page(SchoolProfile).servable()
