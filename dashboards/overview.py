"""Area overview: the hub's small areas shaded by a chosen layer (deprivation, NEET rate,
coverage gap on a benchmark, cold spots) with its schools and colleges as points coloured by a
chosen benchmark; filters for benchmark, school type, assessment period and LA; a sortable,
filterable table of the schools with CSV and XLSX downloads of every row. Clicking a school
opens its profile.

The page follows the DataStore / View shape of :mod:`dashboards.common.page`:
:class:`AreaOverview` holds the filters (all of them in the URL, the school types as
``?types=special,fe_college``) and the cached reads; the summary, the map and the table are
views built once and updated in place. Every figure and sentence comes from
:mod:`hubcore.display.overview`; this module only arranges them.

Serve with ``hubcore serve`` (or ``panel serve dashboards/*.py``); in a notebook,
``AreaOverview(db_url=...)`` displays the same component.
"""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from dashboards.common import data, layout, maps, tables
from dashboards.common.area_map import AreaMap
from dashboards.common.context import ALL_HUBS, default_scope
from dashboards.common.credit import credit_pane, show_credit
from dashboards.common.page import HubPage, UrlList, View, served_page
from dashboards.common.trajectory_view import TrajectoryView
from hubcore import benchmarks, codes
from hubcore.display import overview as shown
from hubcore.errors import HubcoreError

LAYERS = {
    "Deprivation (IMD decile)": "deprivation",
    "NEET + not known one year after leaving": "neet",
    "Coverage gap on the chosen benchmark": "gap",
    "Cold spots on the chosen benchmark": "cold",
}
BENCHMARK_CHOICES = {"Benchmarks fully achieved (0–8)": 0} | {
    f"BM{b} {benchmarks.benchmark_name(b)}": b for b in benchmarks.BENCHMARKS
}
ALL_LAS = "All local authorities"
#: Milliseconds Panel waits after a filter widget's change before the page's callback runs
#: (Panel's default is 50; see :meth:`AreaOverview.controls`).
FILTER_DEBOUNCE_MS = 0
#: The filters that choose the schools shown (the map layer and benchmark only recolour).
SCHOOL_FILTERS = ("hub_id", "school_types", "period", "la")


class AreaOverview(HubPage):
    """The area overview as a component (served page or notebook cell): the page's state
    (filters, cached reads) and the views that show it."""

    page_title = "Careers Hub · area overview"
    url_params = {"hub_id": "hub", "layer": "layer", "benchmark": "bm", "period": "period",
                  "la": "la", "school_types": "types"}

    offers_all_hubs = True

    layer = param.Selector(default="deprivation", objects=list(LAYERS.values()))
    benchmark = param.Integer(default=0, bounds=(0, 8), doc="0 = benchmarks achieved")
    school_types = UrlList(default=list(codes.SCHOOL_KINDS), objects=list(codes.SCHOOL_KINDS),
                           doc="kinds of school shown (codes of hubcore.codes.SCHOOL_KINDS)")
    period = param.Selector(default=None, objects=[], allow_None=True,
                            doc="assessment period, YYYY-MM-DD|framework")
    # Its LAs are known once the hub is: a link's ?la= is checked then (HubPage._check_link).
    la = param.Selector(default=ALL_LAS, objects=[ALL_LAS], check_on_set=False,
                        doc="local authority (GSS code) or all of them")

    def __init__(self, **params):
        super().__init__(**params)
        self._briefing = layout.briefing_button(self._engine, self._briefing_scope)
        with param.discard_events(self):
            self._hub_choices()
        self._briefing_for_hub()
        # The schools projected to miss the chosen benchmark by July (issue 15 item 4).
        self.show(Summary(self), SchoolMap(self), SchoolTable(self), TrajectoryView(self))
        self._check_link()

    # --- state: choices that depend on the hub ----------------------------------------------

    def _hub_choices(self) -> None:
        """The periods and LAs of the hub, keeping the chosen ones where the hub has them."""
        if self.hub_id is None:
            return
        periods = self.read(data.periods)
        self.param.period.objects = list(periods.values())
        self.param.period.names = periods
        if self.period not in periods.values():
            self.period = next(iter(periods.values()), None)
        names = self.read(data.la_names)
        by_name = dict(sorted(((name, code) for code, name in names.items()),
                              key=lambda item: item[0].casefold()))
        self.param.la.objects = [ALL_LAS, *by_name.values()]
        self.param.la.names = {ALL_LAS: ALL_LAS, **by_name}
        if self.la not in self.param.la.objects:
            self.la = ALL_LAS

    def on_change(self, changed: set[str]) -> None:
        if "hub_id" in changed:
            self._hub_choices()

    def empty(self) -> str | None:
        if self.hub_id is None:
            return ("No hub in this database yet. Import schools and boundaries "
                    "(`hubcore import gias …`) or try the synthetic demo (`hubcore demo`).")
        if self.read(data.schools).empty:
            return layout.md("{hub} has no member schools yet.", hub=self._hub_name())
        return None

    # --- state: cached reads ----------------------------------------------------------------

    def schools_table(self) -> pd.DataFrame:
        """The schools the filters keep, with their benchmarks at the chosen period and their
        encounter coverage (:func:`hubcore.display.overview.overview_schools`): what the map
        and the table show."""
        return self.read(data.overview_school_rows, *self._selection())

    def school_columns(self) -> pd.DataFrame:
        """:meth:`schools_table` in the table's columns, with its titles and note in
        ``attrs["display"]`` (shared with the other sessions of the scope: read-only)."""
        return self.read(data.overview_school_columns, *self._selection())

    def _selection(self) -> tuple:
        return self.period, tuple(self.school_types), None if self.la == ALL_LAS else self.la

    def export(self) -> pd.DataFrame:
        """Every row the table holds, as people read it (the downloads' content)."""
        return shown.overview_table(self.schools_table())

    # --- layout -----------------------------------------------------------------------------

    def controls(self) -> pn.Column:
        """The page's filters."""
        filters = [
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.widgets.Select.from_param(self.param.layer, name="Map layer",
                                         options=LAYERS),
            pn.widgets.Select.from_param(self.param.benchmark, name="Benchmark",
                                         options=BENCHMARK_CHOICES),
            pn.widgets.Select.from_param(self.param.period, name="Assessment period"),
            pn.widgets.Select.from_param(self.param.la, name="Local authority"),
            pn.widgets.CheckBoxGroup.from_param(
                self.param.school_types, name="School types",
                options={v: k for k, v in codes.SCHOOL_KINDS.items()},
            ),
        ]
        for widget in filters:
            # Panel waits FILTER_DEBOUNCE_MS (its default: 50 ms) after a widget's change
            # from the browser for more of them before it runs the page's callback. A choice
            # in a list or a tick comes alone, so the wait was only latency: 50 ms of every
            # filter change (measured in the served page: browser event in, callback 50–60 ms
            # later). Scheduled on the next tick instead.
            widget._debounce = FILTER_DEBOUNCE_MS
        return pn.Column(
            *filters,
            pn.pane.Markdown(
                "Hover over an area or a school for details; click a school to open its "
                "profile. Grey areas or points have no value (suppressed or not assessed). "
                "Benchmark percentages are the schools' Compass self-assessments; the "
                "employers page measures BM5 and BM6 from the hub's encounter log."
                # The regional view, only for the roles that may open it (docs/security.md);
                # in the same pane: one model fewer for every new session.
                + ("\n\n[Regional view: hubs side by side](./region)"
                   if shown.region_allowed(default_scope(self._engine)) else "")
            ),
            self._briefing,
        )

    @param.depends("hub_id", watch=True)
    def _briefing_for_hub(self) -> None:
        # A briefing is about one hub: offered only while one is chosen.
        button = self._briefing[0]
        button.disabled = self.hub_id in (None, ALL_HUBS)
        button.label = ("Download briefing (choose one hub)" if button.disabled
                        else "Download briefing (PDF)")

    def _briefing_scope(self):
        if self.hub_id == ALL_HUBS:
            raise HubcoreError("choose one hub for a briefing")
        return default_scope(self._engine, self.hub_id)


class Summary(View):
    """The hub's name and what the schools shown add up to."""

    depends = SCHOOL_FILTERS

    def build(self) -> pn.pane.Markdown:
        self._text = layout.Text(sizing_mode="stretch_width")
        return self._text

    def update(self) -> None:
        summary = shown.overview_summary(self.page.schools_table())
        lines = [layout.md("### {hub}", hub=self.page._hub_name())]
        lines += [layout.md("{line}", line=line) for line in shown.overview_sentences(summary)]
        self._text.object = "\n\n".join(lines)


class SchoolMap(View):
    """The small areas shaded by the chosen layer and the schools coloured by the chosen
    benchmark. The geometry is sent once per hub; a filter change sends only the values."""

    depends = (*SCHOOL_FILTERS, "layer", "benchmark")

    def build(self) -> pn.Column:
        self._map = pn.pane.Bokeh(sizing_mode="stretch_width", min_height=600)
        self._area_map: AreaMap | None = None
        self._drawn_for = None  # the hub whose geometry the map holds
        self._areas_for = None  # the layer, benchmark and map its areas are coloured by
        # The loading spinner goes on a wrapper: Panel 1.9 cannot add its spinner styles to a
        # Bokeh pane that has been drawn. Under the map, the licences' credit for the
        # official boundaries and data in store (none for the plain synthetic demo).
        self._credit = credit_pane()
        return pn.Column(self._map, self._credit, sizing_mode="stretch_width")

    def update(self) -> None:
        page = self.page
        if self._drawn_for != (page.hub_id, page._key):
            self._layout.loading = True  # new geometry, perhaps cold reads
            try:
                self._new_map()
            finally:
                self._layout.loading = False
        # The layer as plain data (hubcore.display.area_layer, a GeoDataFrame with its
        # colours and legend kind in attrs): at national zoom the map rasterises it.
        # The area layer follows the layer and benchmark only: a school filter leaves it, and
        # so does a benchmark change under a layer that does not follow the benchmark (the
        # cached read then gives the very same frame): the areas' colours, thousands of
        # values, are not sent again (a benchmark change took ≈ 0.7 s to the redrawn map).
        layer = page.read(data.area_layer, page.layer, page.benchmark or 5)
        areas = (id(layer), self._drawn_for)
        if areas != self._areas_for:
            self._area_map.show_layer(layer)
            self._areas_for, self._layer = areas, layer  # held: its id stays its own
        frame = page.schools_table()
        # The legend names the figures' source: the employers page measures BM5 and BM6
        # from the encounter log, and the two can differ.
        if page.benchmark == 0:
            self._area_map.show_schools(frame, "achieved",
                                        f"Benchmarks fully achieved ({shown.COMPASS_SOURCE})",
                                        maps.ACHIEVED_COLOURS, -0.5, 8.5)
        else:
            self._area_map.show_schools(frame, f"bm{page.benchmark}",
                                        f"BM{page.benchmark} % ({shown.COMPASS_SOURCE})",
                                        maps.PERCENT_COLOURS, 0, 100)

    def _new_map(self) -> None:
        page = self.page
        # At national zoom the small areas are drawn as a raster until zoomed in (AreaMap).
        self._area_map = AreaMap(page.read(data.boundaries, "lsoa"),
                                 page.read(data.boundaries, "lad"), page.hub_id,
                                 raster=page.read(data.national_zoom))
        self._map.object = self._area_map.figure
        show_credit(self._credit, page)
        self._drawn_for = (page.hub_id, page._key)


class SchoolTable(View):
    """The schools shown, as a table people can sort and filter, with downloads of every
    row."""

    depends = SCHOOL_FILTERS

    def build(self) -> pn.Column:
        self._table = None  # made at the first update: its columns come with the data
        # The heading and the note in one pane (one model fewer for every new session).
        self._note = layout.Text(sizing_mode="stretch_width")
        return pn.Column(self._note,
                         tables.downloads(self.page.export, "schools", sheet_name="Schools"),
                         sizing_mode="stretch_width")

    def update(self) -> None:
        frame = self.page.school_columns()
        meta = frame.attrs["display"]
        self._note.object = "### Schools and colleges\n\n" + layout.md(
            "<small>{note}</small>", note=meta["note"])
        self._table = tables.show_in(self._layout, self._table, frame, name_column="name",
                                     titles=meta["titles"])

if pn.state.served:
    served_page(AreaOverview).servable()
