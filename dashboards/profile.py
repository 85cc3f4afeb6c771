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
import panel.models.tabulator  # noqa: F401 - see below
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
# The tables are made after the page has loaded ("Show table"): their Bokeh model is imported
# above so that it is registered before any page is served, and every page's resources carry
# Tabulator's scripts and styles (else Panel warns that the table may not render).


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
        # A bar per assessment, coloured by framework (the two frameworks are not one
        # series, so no line joins them): the same figures as a line chart, with about half
        # its models — a date axis alone is a dozen tickers and formatters, and each series'
        # line and markers were two renderers of three glyphs each, built and sent with every
        # new session.
        self.chart = charts.GroupedBars("assessed", "framework", "achieved", TREND_COLOURS,
                                        y_label="benchmarks fully achieved", name="trend")
        self.note = pn.pane.Markdown("", **_PANE)
        return [pn.pane.Bokeh(self.chart.fig, **_PANE), self.note]

    def update(self) -> None:
        trend = self.page.frames()["trend"]
        if trend.empty:
            self.say("No assessments to show a trend.")
            return
        meta = trend.attrs["display"]
        dates = pd.to_datetime(trend["assessed_on"])
        # The month names an assessment, unless two fall in one month: then the day too
        # (on two lines, so that a dozen assessments fit under a half-width chart).
        assessed = dates.dt.strftime("%b\n%Y")
        if assessed.duplicated().any():
            assessed = dates.dt.strftime("%d %b\n%Y")
        bars = pd.DataFrame({"assessed": assessed.to_numpy(),
                             "framework": trend["series"].to_numpy(),
                             "achieved": trend["achieved"].to_numpy()})
        # Each framework keeps its colour whichever of them the school has.
        self.chart.colours = [TREND_COLOURS[TREND_SERIES.index(s)]
                              for s in dict.fromkeys(bars["framework"])]
        bounds = meta.get("y_bounds")
        self.chart.y_max = bounds[1] if bounds else None
        self.chart.update(bars)
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


class TableSection(Section):
    """A section whose table is made when the user asks for it ("Show table"), with CSV and
    Excel downloads of every row beside it.

    A Tabulator is the dearest part of a new session for what it shows (its data source and a
    column model per column, ≈ 25 columns in the links and funnel tables together: about a
    fifth of the page's models), and most visitors never read these two tables: a session
    that does not ask builds neither. Once made, the table is updated in place when the
    school changes, and hidden or shown again by the same button."""

    #: The key of :meth:`SchoolProfile.tables` this section shows.
    table_name = ""
    #: The column frozen at the left while the rest scroll sideways.
    name_column: str | None = None
    #: The download files' name, before the school's URN.
    stem = ""
    #: What the notice says when the school has no rows.
    no_rows = ""

    def parts(self) -> list:
        self.toggle = pn.widgets.Toggle(label="Show table", width=220)
        # Filled with the table and its downloads on the first "Show table" (:meth:`_fill`).
        self.holder = pn.Column(visible=False, **_PANE)
        self.table: tables.HubTable | None = None
        self.files: pn.Row | None = None
        self.toggle.param.watch(lambda _: self._fill(), "value")
        return [self.toggle, self.holder]

    def _frame(self) -> pd.DataFrame:
        return self.page.tables()[self.table_name]

    def _fill(self) -> None:
        """Show the current school's rows if asked (the table and downloads made the first
        time), or hide them; the button says which it does next."""
        wanted = self.toggle.value
        rows = len(self._frame())
        self.toggle.label = (f"Hide table ({rows} rows)" if wanted
                            else f"Show table ({rows} rows)")
        # Shown before the table goes in: a Tabulator first drawn in a hidden column stays
        # empty in the browser.
        self.holder.visible = wanted
        if wanted:
            self.table = tables.show_in(self.holder, self.table, self._frame(),
                                        name_column=self.name_column, page_size=10)
            if self.files is None:
                # Downloads go through the tables module (formula-safe writer), and read
                # the school shown when clicked.
                self.files = tables.downloads(self._frame, self.stem)
                self.holder.append(self.files)
            for button, ext in zip(self.files, ("csv", "xlsx"), strict=True):
                button.filename = f"{self.stem}-{self.page.urn}.{ext}"

    def update(self) -> None:
        empty = None if len(self._frame()) else self.no_rows
        self.say(empty)
        if empty is None:
            self._fill()

    def say(self, empty: str | None = None) -> None:
        super().say(empty)
        # The rows stay hidden until asked for (Section.say shows every part).
        self.holder.visible = empty is None and self.toggle.value


class Links(TableSection):
    heading = "### Employer links"
    table_name, name_column, stem = "links", "employer", "employer-links"
    no_rows = "No employer links recorded for this school."


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


class Funnel(TableSection):
    # Counted in SQL without pupil keys: every role that may see the school sees its funnel.
    heading = "### NCS and LA hand-over funnel"
    table_name, stem = "funnel", "handover-funnel"
    no_rows = "No hand-overs recorded for this school."


if pn.state.served:
    served_page(SchoolProfile).servable()
