"""Employers: employers and their links to schools on the map, offers not taken up, suggested
matches to the nearest schools with a gap, and "what would it take" to lift the share of
schools meeting BM5 or BM6 to a target.

The page follows the DataStore / View shape of :mod:`dashboards.common.page`:
:class:`EmployerSupply` holds the filters (every one in the URL: ``?hub=…&links=governor,
cornerstone&bm=6&target=80&radius=5``) and the reads; the map, the two offer tables and the
what-it-takes answer are views built once and updated in place. Every figure and sentence
comes from :mod:`hubcore.display.employers`; this module only arranges them.
"""

from __future__ import annotations

import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource, HoverTool

from dashboards.common import charts, data, layout, tables
from dashboards.common.context import engine_for
from dashboards.common.credit import credit_pane, show_credit
from dashboards.common.page import HubPage, UrlList, View, served_page
from hubcore import codes, defaults, vocabulary
from hubcore.display import employers as shown
from hubcore.errors import HubcoreError

#: A colour per kind of link (the map's lines), by code.
ROLE_COLOURS = {
    "enterprise_adviser": "#1f77b4",
    "cornerstone": "#d62728",
    "governor": "#9467bd",
    "work_experience_partner": "#2ca02c",
}
#: The map's data columns (Bokeh sources).
SEGMENT_COLUMNS = ("easting_e", "northing_e", "easting_s", "northing_s")
EMPLOYER_COLUMNS = ("easting", "northing", "name", "sector", "size_band")
SCHOOL_COLUMNS = ("easting", "northing", "name", "urn", "type")


# --- cached reads (shared by sessions of the same scope and data version, never across) -----
# Read per session before: with the page's two asks for the employers, about a tenth of a new
# session's server time (benchmarks/capacity.py). Keyed like dashboards.common.data's reads.


@pn.cache(max_items=32)
def employer_points(url: str, key: data.ScopeKey) -> pd.DataFrame:
    """The hub's employers with words for codes (:func:`shown.employer_hover`)."""
    return shown.employer_hover(shown.employer_points(engine_for(url), data._scope(key)))


@pn.cache(max_items=64)
def link_segments(url: str, key: data.ScopeKey, roles: tuple[str, ...]) -> pd.DataFrame:
    """Links of the kinds ``roles`` as map segments (:func:`shown.employer_link_segments`)."""
    return shown.employer_link_segments(engine_for(url), data._scope(key), list(roles))


@pn.cache(max_items=32)
def spare_offers(url: str, key: data.ScopeKey) -> pd.DataFrame:
    """Offers not taken up, in the table's columns."""
    return shown.page_columns(shown.spare_offers(engine_for(url), data._scope(key)),
                              shown.SPARE_OFFER_COLUMNS)


class EmployerSupply(HubPage):
    """The employers page as a component (served page or notebook cell): the page's state
    (filters, reads) and the views that show it."""

    page_title = "Careers Hub · employers"
    url_params = {"hub_id": "hub", "roles": "links", "benchmark": "bm",
                  "target_pct": "target", "radius_km": "radius"}

    benchmark = param.Selector(default=defaults.BENCHMARK, objects=[5, 6],
                               doc="BM5 encounters or BM6 placements")
    target_pct = param.Number(default=defaults.TARGET_PCT, bounds=(0, 100), step=5,
                              doc="share of schools meeting the benchmark to aim for, percent")
    radius_km = param.Number(default=defaults.RADIUS_KM, bounds=(1, 30), step=1,
                             doc="supplier radius, km")
    roles = UrlList(default=list(codes.LINK_ROLES), objects=list(codes.LINK_ROLES),
                    doc="kinds of employer-school link drawn on the map (codes)")

    def __init__(self, **params):
        super().__init__(**params)
        self.show(LinkMap(self), SpareOffers(self), Matches(self), WhatItTakes(self))
        self._check_link()

    def empty(self) -> str | None:
        if self.hub_id is None:
            return ("No hub in this database yet. Import schools and employers "
                    "(`hubcore import gias …`, `hubcore import employers …`) or try the "
                    "synthetic demo (`hubcore demo`).")
        if self.employers().empty:
            return ("No employers recorded for this hub yet: import them with "
                    "`hubcore import employers FILE` (a blank file: "
                    "`hubcore template employers`).")
        return None

    # --- state: reads -----------------------------------------------------------------------

    def employers(self) -> pd.DataFrame:
        """The hub's employers with words for codes (:func:`employer_points`, cached)."""
        return self.read(employer_points)

    def segments(self) -> pd.DataFrame:
        """Links of the ticked kinds as map segments (:func:`link_segments`, cached)."""
        return self.read(link_segments, tuple(self.roles))

    def spare(self) -> pd.DataFrame:
        """Offers not taken up, in the table's columns (:func:`spare_offers`, cached)."""
        return self.read(spare_offers)

    def matches(self) -> pd.DataFrame:
        """Suggested matches, in the table's columns (empty with a note if none can be made)."""
        return shown.page_columns(self.read(data.suggested_matches), shown.MATCH_COLUMNS)

    def what_it_takes(self) -> pd.DataFrame:
        """The what-it-takes table for the chosen benchmark, target and radius."""
        return self.read(data.what_it_takes, self.benchmark, float(self.target_pct),
                         float(self.radius_km))

    # --- layout -----------------------------------------------------------------------------

    def controls(self) -> pn.Column:
        """The page's filters."""
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            # A check-box group draws no title of its own.
            pn.pane.Markdown("Links shown on the map", margin=(10, 10, 0, 10)),
            pn.widgets.CheckBoxGroup.from_param(self.param.roles, name="Links shown",
                                                options=shown.link_role_choices()),
            pn.widgets.RadioButtonGroup.from_param(self.param.benchmark, name="Benchmark",
                                                   options={"BM5": 5, "BM6": 6}),
            pn.widgets.FloatSlider.from_param(self.param.target_pct, name="Target (% of schools)"),
            pn.widgets.FloatSlider.from_param(self.param.radius_km, name="Supplier radius (km)"),
            pn.pane.Markdown(
                "BM5 and BM6 here are measured from the hub's encounter log; the overview's "
                "benchmark percentages are the schools' Compass self-assessments."
            ),
        )


class LinkMap(View):
    """Employers, schools and the links between them. The figure is made once per hub; a
    change of the ticked links replaces only the lines' data."""

    depends = ("hub_id", "roles")

    def build(self) -> pn.Column:
        self._map = pn.pane.Bokeh(sizing_mode="stretch_width", min_height=520)
        self._drawn_for = None
        self._links: dict[str, ColumnDataSource] = {}
        self._employers = charts.data_source({c: [] for c in EMPLOYER_COLUMNS})
        self._schools = charts.data_source({c: [] for c in SCHOOL_COLUMNS})
        self._credit = credit_pane()  # the licences' credit for the official data in store
        return pn.Column(pn.pane.Markdown("### Employers and their links to schools"),
                         self._map, self._credit, sizing_mode="stretch_width")

    def update(self) -> None:
        page = self.page
        if self._drawn_for != (page.hub_id, page._key):
            self._new_map()
        segments = page.segments()
        for role, source in self._links.items():
            # A new dict: every column replaced at once, nothing left from the last choice.
            source.data = charts.columns_of(segments[segments["role"] == role],
                                            SEGMENT_COLUMNS)
        self._employers.data = charts.columns_of(page.employers(), EMPLOYER_COLUMNS)
        self._schools.data = charts.columns_of(page.read(data.schools), SCHOOL_COLUMNS)

    def _new_map(self) -> None:
        page = self.page
        fig = charts.map_figure(520, page.read(data.boundaries, "lad"))
        self._links = {}
        for role in codes.LINK_ROLES:
            source = charts.data_source({c: [] for c in SEGMENT_COLUMNS})
            fig.segment(*SEGMENT_COLUMNS, source=source, color=ROLE_COLOURS.get(role, "#777777"),
                        line_width=1.2, alpha=0.6, legend_label=vocabulary.label(role))
            self._links[role] = source
        found = fig.scatter("easting", "northing", source=self._employers, marker="triangle",
                            size=8, color="#555555", legend_label="Employers")
        placed = fig.scatter("easting", "northing", source=self._schools, size=11,
                             color="#ffbf00", line_color="black",
                             legend_label="Schools and colleges")
        fig.add_tools(
            HoverTool(renderers=[found], tooltips=[("Employer", "@name"), ("Sector", "@sector"),
                                                   ("Size", "@size_band")]),
            HoverTool(renderers=[placed], tooltips=[("School", "@name"), ("URN", "@urn"),
                                                    ("Type", "@type")]),
        )
        charts.legend_below(fig)
        self._map.object = fig
        show_credit(self._credit, page)
        self._drawn_for = (page.hub_id, page._key)


class _TableView(View):
    """A heading (with a refusal or note under it), CSV and XLSX downloads of every row, and
    a sortable table.

    The heading and what is said under it are one pane, and the table is made the first
    time there are rows to list (a page whose list is empty, e.g. no suggested matches,
    builds no hidden table): fewer models to build and send with every new session."""

    heading = ""
    stem = ""
    #: The XLSX sheet's name (Excel refuses ":" and "?" there, and more than 31 characters).
    sheet = "Data"
    name_column = "name"

    def frame(self) -> pd.DataFrame:
        raise NotImplementedError

    def build(self) -> pn.Column:
        self._table: tables.HubTable | None = None
        self._text = pn.pane.Markdown(self._heading(), sizing_mode="stretch_width")
        return pn.Column(self._text,
                         tables.downloads(lambda: shown.for_people(self.frame()), self.stem,
                                          sheet_name=self.sheet),
                         sizing_mode="stretch_width")

    def _heading(self, *lines: str) -> str:
        """The heading and ``lines`` (Markdown, data already made literal) as one text."""
        return "\n\n".join([layout.md("### {heading}", heading=self.heading),
                              *(line for line in lines if line)])

    def _show(self, frame: pd.DataFrame) -> None:
        """``frame`` in the table (made now if this is its first row), hidden when empty: no
        empty grid where there is nothing to list."""
        if frame.empty and self._table is None:
            return
        self._table = tables.show_in(self._layout, self._table, frame,
                                     name_column=self.name_column, page_size=10, height=400)
        self._table.visible = not frame.empty

    def update(self) -> None:
        try:
            frame = self.frame()
        except HubcoreError as exc:
            self._text.object = self._heading(layout.md("{message}", message=exc))
            self._show(pd.DataFrame())
            return
        self._text.object = self._heading()
        self._show(frame)


class SpareOffers(_TableView):
    """Offers not taken up."""

    depends = ("hub_id",)
    heading = "Offers not taken up"
    stem = "spare_offers"
    sheet = "Offers not taken up"
    name_column = "employer_name"

    def frame(self) -> pd.DataFrame:
        return self.page.spare()


class Matches(_TableView):
    """Spare offers with the nearest schools that have a matching gap."""

    depends = ("hub_id",)
    heading = "Suggested matches: nearest schools with a matching gap"
    stem = "suggested_matches"
    sheet = "Suggested matches"
    name_column = "school_name"

    def frame(self) -> pd.DataFrame:
        return self.page.matches()


class WhatItTakes(_TableView):
    """The answer in sentences (with the source of the benchmark figure) and the schools to
    lift, closest to meeting first."""

    depends = ("hub_id", "benchmark", "target_pct", "radius_km")
    heading = "What would it take?"
    stem = "what_it_takes"
    sheet = "Schools to lift"
    name_column = "name"

    def frame(self) -> pd.DataFrame:
        return shown.what_it_takes_schools(self.page.what_it_takes())

    def update(self) -> None:
        try:
            table = self.page.what_it_takes()
        except HubcoreError as exc:
            self._text.object = self._heading(layout.md("{message}", message=exc))
            self._show(pd.DataFrame())
            return
        # The answer under the heading, in the same pane.
        self._text.object = self._heading(*(
            layout.md("{line}", line=line) for line in shown.what_it_takes_sentences(table)))
        frame = shown.what_it_takes_schools(table)
        self._show(frame)  # hidden when the target is met: no schools to list
        if self._table is not None:
            # The unit (pupil-encounters or placements) follows the benchmark; the columns
            # do not change, so the table keeps its configuration and only its titles are
            # renewed.
            self._table.titles = {**self._table.titles, **frame.attrs["display"]["titles"]}


if pn.state.served:
    served_page(EmployerSupply).servable()
