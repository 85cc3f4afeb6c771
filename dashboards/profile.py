"""School profile: one school's eight benchmarks against its hub and England, its trend across
assessments, encounters by kind and year group, employer links, leavers' destinations and the
hand-over funnel.

Opened from the area overview by clicking a school (``profile?hub=…&urn=…``).

In the DataStore / View shape of :mod:`dashboards.common.page`: :class:`SchoolProfile` is the
state (hub and school, both in the URL; the school's frames read once through a per-process
cache, every figure protected in ``hubcore.display``), and each part of the body is a
:class:`~dashboards.common.page.View` built once whose charts and tables get new data in place
when the school changes.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import panel as pn
import param

from dashboards.common import charts, data, layout, tables
from dashboards.common.context import engine_for
from dashboards.common.page import HubPage, View, served_page
from hubcore import codes, display
from hubcore.access import Role, Scope
from hubcore.display.profile import TREND_SERIES

#: Colours: this school, the hub (benchmarks); one per framework (trend).
BENCHMARK_COLOURS = ("#1f4e79", "#9ecae1")
TREND_COLOURS = ("#1f4e79", "#d94801")
YEAR_GROUPS = (11, 13)
_PANE = {"sizing_mode": "stretch_width"}


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
    there): ``benchmarks`` (absent without any assessment period), ``trend``, ``encounters``,
    ``links``, ``destinations``, ``destination_bars``, ``funnel`` and ``heading``."""
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
    frames["heading"] = display.profile_heading(
        engine, scope, urn, school_list=data.schools(url, key),
        areas=data.boundaries(url, key, "lad"))
    return frames


@pn.cache(max_items=128)
def school_tables(url: str, key: data.ScopeKey, urn: int) -> dict[str, pd.DataFrame]:
    """The frames of :func:`school_frames` that the page's tables show (``links``,
    ``destinations``, ``funnel``), without their URN column: the same objects for every
    session of the scope, so each table's prepared frame (:func:`tables.prepared_for`) is
    made once, not per session."""
    frames = school_frames(url, key, urn)
    return {name: frames[name].drop(columns="urn")
            for name in ("links", "destinations", "funnel")}


# --- the state --------------------------------------------------------------------------------


class SchoolProfile(HubPage):
    """One school's profile as a component (served page or notebook cell)."""

    page_title = "Careers Hub · school profile"
    url_params = {"hub_id": "hub", "urn": "urn"}

    urn = param.Selector(default=None, objects=[], allow_None=True, doc="the school")

    def __init__(self, **params):
        super().__init__(**params)
        with param.discard_events(self):
            self._school_choices()
        # The wide tables (links, funnel) take the page's width: at half of it a table of
        # twenty columns showed three.
        self.show(Heading(self), Pair(self, Benchmarks(self), Trend(self)),
                  Pair(self, Encounters(self), Destinations(self)), Links(self), Funnel(self))
        self._check_link()

    def _school_choices(self) -> None:
        """The hub's schools in the chooser, keeping the chosen one if the hub has it."""
        if self.hub_id is None:
            self.param.urn.objects = []
            self.urn = None  # never echo a school the page does not show
            return
        schools = self.read(data.schools).sort_values("name")
        # Names repeat (two "St Mary's" in one hub): those are labelled with their URN, so
        # that every school keeps its own entry in the chooser.
        repeated = schools["name"].duplicated(keep=False)
        labels = schools["name"].where(~repeated, schools["name"] + " (URN " +
                                       schools["urn"].astype(str) + ")")
        urns = [int(u) for u in schools["urn"]]
        self.param.urn.objects = urns
        self.param.urn.names = dict(zip(labels, urns, strict=True))
        if self.urn not in urns:
            self.urn = urns[0] if urns else None

    def on_change(self, changed: set[str]) -> None:
        if "hub_id" in changed:
            self._school_choices()

    def empty(self) -> str | None:
        if self.hub_id is None:
            return "No hub in this database yet."
        if self.urn is None:
            return "No school to show: this hub has no schools yet."
        return None

    def frames(self) -> dict[str, pd.DataFrame]:
        """The current school's frames (:func:`school_frames`, cached)."""
        return self.read(school_frames, self.urn)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The current school's tables (:func:`school_tables`, cached)."""
        return self.read(school_tables, self.urn)

    def controls(self) -> pn.Column:
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.widgets.Select.from_param(self.param.urn, name="School or college"),
            layout.markdown("Kinds: {kinds}.", kinds=", ".join(codes.SCHOOL_KINDS.values())),
        )


# --- the views --------------------------------------------------------------------------------


class Pair(View):
    """Two views side by side, updated together."""

    depends = ("hub_id", "urn")

    def __init__(self, page: HubPage, left: View, right: View, **params):
        self.left, self.right = left, right
        super().__init__(page, **params)

    def build(self) -> pn.Row:
        return pn.Row(self.left, self.right, **_PANE)

    def update(self) -> None:
        self.left.update()
        self.right.update()


class Section(View):
    """A heading, content built once, and a notice shown instead of the content when there is
    nothing to draw (:meth:`say`).

    One column holds the heading and the parts themselves (shown and hidden one by one): a
    wrapping column for the content was one more layout model built, themed and sent with
    every new session, for each of the six sections."""

    depends = ("hub_id", "urn")
    heading = ""

    def build(self) -> pn.Column:
        self.title = pn.pane.Markdown(self.heading, **_PANE)
        # The notice is made the first time there is nothing to draw (:meth:`say`): hidden
        # in the usual case, it was a pane built and sent with every new session.
        self.notice: pn.pane.Alert | None = None
        self.content = list(self.parts())
        return pn.Column(self.title, *self.content, **_PANE)

    def parts(self) -> list:
        """The section's panes (made once)."""
        raise NotImplementedError

    def say(self, empty: str | None = None) -> None:
        """Show the content, or the notice ``empty`` (trusted Markdown) in its place."""
        if empty is not None and self.notice is None:
            self.notice = layout.empty_state(empty)
            self._layout.insert(1, self.notice)
        elif empty is not None:
            self.notice.object = empty
        if self.notice is not None:
            self.notice.visible = empty is not None
        for part in self.content:
            part.visible = empty is None


class Heading(View):
    """The school's name and register facts."""

    depends = ("hub_id", "urn")

    def build(self) -> pn.pane.Markdown:
        self.pane = pn.pane.Markdown("", **_PANE)
        return self.pane

    def update(self) -> None:
        page = self.page
        page._banner.visible = bool(page._hubs.loc[page.hub_id, "synthetic"])
        school = page.frames()["heading"].iloc[0]
        # Names come from imported files: every value goes in through layout.md (escaped).
        # The LA by its name; only where no boundary names it, its code, in small print.
        named = school["la_name"] != school["la_gss"]
        la = "{la}" if named else "<small>local authority {la}</small>"
        self.pane.object = layout.md(
            "## {name}\n\nURN {urn} · {type} · {pupils:,} pupils · " + la + " · careers "
            "leader: {leader} · employer-link governor: {governor}",
            name=school["name"], urn=school["urn"], type=school["type"],
            pupils=int(school["pupils"]), la=school["la_name"],
            leader=school["careers_leader"], governor=school["employer_link_governor"])


class Benchmarks(Section):
    heading = "### Benchmarks against the hub"

    def parts(self) -> list:
        self.chart = charts.GroupedBars("benchmark", "who", "percent", BENCHMARK_COLOURS,
                                        y_label="percent", y_max=100, name="benchmarks")
        self.note = pn.pane.Markdown("", **_PANE)
        return [pn.pane.Bokeh(self.chart.fig, **_PANE), self.note]

    def update(self) -> None:
        frame = self.page.frames().get("benchmarks")
        if frame is None:
            self.say("No benchmark assessment recorded yet.")
            return
        if frame.empty:
            self.say("No assessment of this school in the latest period.")
            return
        self.chart.update(frame)
        first = frame.attrs["display"]
        note = layout.md("{achieved} of 8 fully achieved ({framework} framework, {on:%d %b %Y}; "
                         "the school's Compass self-assessment).", achieved=first["achieved"],
                         framework=first["framework"], on=first["assessed_on"])
        national = first.get("national")
        if national:
            note += " " + layout.md(
                "Against England: {achieved} of 8 against a national mean of {england:.1f} "
                "({framework} framework, {year}).", achieved=national["achieved"],
                england=national["england"], framework=national["framework"],
                year=national["academic_year"])
        if isinstance(first.get("national_note"), str) and first["national_note"]:
            note += " " + layout.md("({note})", note=first["national_note"])
        self.note.object = note
        self.say()


class Trend(Section):
    heading = "### Trend across assessments"

    def parts(self) -> list:
        self.chart = charts.Lines(TREND_SERIES, TREND_COLOURS, "achieved", x_label="assessed",
                                  y_label="benchmarks fully achieved", name="trend")
        self.note = pn.pane.Markdown("", **_PANE)
        return [pn.pane.Bokeh(self.chart.fig, **_PANE), self.note]

    def update(self) -> None:
        trend = self.page.frames()["trend"]
        if trend.empty:
            self.say("No assessments to show a trend.")
            return
        meta = trend.attrs["display"]
        self.chart.y_bounds = meta.get("y_bounds")
        self.chart.update(dict(tuple(trend.groupby("series"))), "assessed_on", "achieved")
        self.note.object = layout.md("{note}", note=meta.get("note", ""))
        self.say()


class Encounters(Section):
    heading = "### Encounters"

    def parts(self) -> list:
        self.chart = charts.HeatMap("year group", "kind", "pupils reached", extra="shown as",
                                    name="encounters")
        return [pn.pane.Bokeh(self.chart.fig, **_PANE)]

    def update(self) -> None:
        latest = self.page.frames()["encounters"]
        if latest.empty:
            self.title.object = "### Encounters"
            self.say("No encounters recorded for this school.")
            return
        self.title.object = layout.md(
            "### Encounters {year}: pupils reached by kind and year group",
            year=latest["academic_year"].iat[0])
        # Shaded by the disclosed numbers (NaN where suppressed); the hover shows them as text.
        self.chart.update(latest, "year_from", "kind_label", "value", extra="participants")
        self.say()


class Links(Section):
    heading = "### Employer links"

    def parts(self) -> list:
        self.table = tables.table(name_column="employer", page_size=10)
        return [self.table]

    def update(self) -> None:
        links = self.page.tables()["links"]
        tables.show(self.table, links)
        self.say(None if len(links) else "No employer links recorded for this school.")


class Destinations(Section):
    heading = "### Destinations one year after leaving (c = fewer than 6 leavers)"

    def parts(self) -> list:
        # Each tab's content is made the first time the tab is shown (:meth:`_fill`): with
        # ``dynamic`` tabs only the shown tab is sent, but the other year group's chart, the
        # table and the notices were still built with every new session.
        self.charts: dict[int, charts.StackedBars] = {}
        self.shown: dict[int, pn.pane.Bokeh] = {}
        self.notices: dict[int, pn.pane.Alert] = {}
        self.table: pn.widgets.Tabulator | None = None
        self.holders = [pn.Column(**_PANE) for _ in (*YEAR_GROUPS, "table")]
        self.hidden = pn.pane.Markdown("", **_PANE)
        self.tabs = pn.Tabs(*((f"Year {yg}", holder) for yg, holder in
                              zip(YEAR_GROUPS, self.holders, strict=False)),
                            ("Table", self.holders[-1]), dynamic=True, **_PANE)
        self.tabs.param.watch(lambda event: self._fill(event.new), "active")
        return [self.tabs, self.hidden]

    def _bars(self, yg: int) -> pd.DataFrame:
        long = self.page.frames()["destination_bars"]
        return long[pd.to_numeric(long["year_group"]) == yg]

    def _fill(self, tab: int) -> None:
        """Put the current school's data into tab ``tab``, making its chart, table or notice
        the first time it is needed (the same objects afterwards: updated in place)."""
        if tab >= len(YEAR_GROUPS):
            if self.table is None:
                self.table = tables.table(page_size=10)
            tables.show(self.table, self.page.tables()["destinations"])
            want = self.table
        else:
            yg, group = YEAR_GROUPS[tab], self._bars(YEAR_GROUPS[tab])
            if group.empty:
                if yg not in self.notices:
                    self.notices[yg] = layout.empty_state(f"No Year {yg} leavers recorded.")
                want = self.notices[yg]
            else:
                if yg not in self.charts:
                    self.charts[yg] = charts.StackedBars(
                        "cohort", "destination_label", "percent", y_label="% of leavers",
                        name=f"destinations-{yg}")
                    self.shown[yg] = pn.pane.Bokeh(self.charts[yg].fig, **_PANE)
                self.charts[yg].update(group)
                want = self.shown[yg]
        holder = self.holders[tab]
        if list(holder) != [want]:
            holder.objects = [want]

    def update(self) -> None:
        frames = self.page.frames()
        shown = frames["destinations"]
        if shown.empty:
            self.say("No leavers' destinations recorded.")
            return
        present = [not self._bars(yg).empty for yg in YEAR_GROUPS]
        if self.tabs.active < len(present) and not present[self.tabs.active]:
            # A sixth-form college has no Year 11 leavers: open on a year group it has.
            self.tabs.active = present.index(True) if any(present) else len(present)
        self._fill(self.tabs.active)
        # The other tabs' charts and table, where made already, get the new school's data
        # when next shown (:meth:`_fill` on choosing the tab).
        # A cohort of fewer than 6 leavers has no bar: say so rather than leave a gap.
        small = shown[shown["leavers"].astype(str) == display.C]
        self.hidden.object = "; ".join(
            layout.md("Year {yg}, {cohort}: fewer than 6 leavers, not shown",
                      yg=r.year_group, cohort=r.cohort) for r in small.itertuples())
        self.say()


class Funnel(Section):
    # Counted in SQL without pupil keys: every role that may see the school sees its funnel.
    heading = "### NCS and LA hand-over funnel"

    def parts(self) -> list:
        self.table = tables.table(page_size=10)
        return [self.table]

    def update(self) -> None:
        funnel = self.page.tables()["funnel"]
        tables.show(self.table, funnel)
        self.say(None if len(funnel) else "No hand-overs recorded for this school.")


if pn.state.served:
    served_page(SchoolProfile).servable()
