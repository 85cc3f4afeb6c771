"""The regional view at ``/region``: hubs side by side (the regional briefing's table, with its
note, caveats and fair ranks), the regional map (LA and hub outlines, small areas by
deprivation, cold spots, schools meeting or below the coverage measure and each hub's
highest-priority schools) and those priority schools as a table; a chooser of every hub, or
the hubs of one English region, combined authority or LSIP area present in the database.

Who sees what (docs/security.md): an administrator every hub, or the hubs of one area; a hub
lead or analyst only their own hub's row; a careers leader or NCS adviser is told the view is
not available to their role. The rule is
:func:`hubcore.display.overview.region_view`'s, not this page's.

Every figure comes from :mod:`hubcore.display` (``region_view`` → ``region_hubs``,
``region_schools``, ``region_priority``): each hub's own briefing figures, disclosure applied
per hub; this module only arranges them (tests/test_pages_compute_nothing.py). Data text
(hub, school, LA names) reaches the browser as table cells (escaped by Tabulator), hover fields
(text) or through :func:`dashboards.common.layout.md`.
"""

from __future__ import annotations

import panel as pn
import param
from bokeh.models import (
    CategoricalColorMapper,
    ColumnDataSource,
    HoverTool,
    Legend,
    LegendItem,
    LinearColorMapper,
)

from dashboards.common import charts, layout, maps, tables
from dashboards.common.context import default_scope, engine_for
from dashboards.common.credit import credit_pane, show_credit
from dashboards.common.page import HubPage, View, served_page
from hubcore.access import Role, Scope
from hubcore.display import overview as shown

#: The chooser's label for every hub in the database.
ALL_LABEL = "All hubs"
#: Colours of the schools by status (meets, below, no figure) and of the priority stars.
STATUS_COLOURS = {shown.REGION_STATUS[True]: "#1a9850", shown.REGION_STATUS[False]: "#d73027",
                  shown.REGION_STATUS[None]: "#bdbdbd"}
PRIORITY_COLOUR = "#fdae61"
HUB_OUTLINE = "#3f007d"


@pn.cache(max_items=16)
def _frames(url: str, key: tuple, region: str):
    """:func:`hubcore.display.overview.region_view` for a page's scope key (role, hub,
    school, NCS area, data version) and region: cached per data version, shared between
    sessions of the same scope (treat as read-only)."""
    role, hub_id, urn, ncs_area = key[:4]
    scope = Scope(Role(role), hub_id=hub_id, urn=urn, ncs_area=ncs_area)
    return shown.region_view(engine_for(url), scope, region)


class RegionView(HubPage):
    """The regional view as a component (served page or notebook cell)."""

    page_title = "Careers Hub · regional view"
    url_params = {"hub_id": "hub", "region": "region"}
    offers_all_hubs = False
    warm_at_start = False

    # Its choices (the regions present) are known once the database is read: checked then.
    region = param.Selector(default=shown.ALL_REGIONS, objects=[shown.ALL_REGIONS],
                            check_on_set=False,
                            doc="region (E12…), combined authority (E47…) or LSIP area "
                                "(E69…) code, or 'all' for every hub")

    def __init__(self, **params):
        super().__init__(**params)
        self._scope = default_scope(self._engine, self.hub_id)
        self._allowed = shown.region_allowed(self._scope)
        with param.discard_events(self):
            self._region_choices()
        self.show(Heading(self), HubsTable(self), RegionMap(self), PriorityTable(self))
        self._check_link()

    def _region_choices(self) -> None:
        """Every hub and each region, combined authority and LSIP area present, for an
        administrator; a hub's own scope has one choice (its hub)."""
        names = {ALL_LABEL: shown.ALL_REGIONS}
        if self._scope.role is Role.ADMIN:
            names |= {name: code for code, name in shown.region_choices(self._engine).items()}
        else:
            names = {"Your hub": shown.ALL_REGIONS}
        self.param.region.objects = list(names.values())
        self.param.region.names = names
        if self.region not in names.values():
            self.region = shown.ALL_REGIONS

    def empty(self) -> str | None:
        if not self._allowed:
            return ("**The regional view is not available to your role.** It compares hubs, "
                    "for administrators, hub leads and analysts; your pages are listed on "
                    "the [home page](./).")
        if self.hub_id is None:
            return ("No hub in this database yet. Import schools and boundaries "
                    "(`hubcore import gias …`) or try the synthetic demo (`hubcore demo`).")
        if self.region == shown.ALL_REGIONS and self._scope.role is Role.ADMIN \
                and len(self._hubs) > shown.REGION_MAX_HUBS:
            # Not read at all: every hub's briefing figures would take minutes.
            return layout.md("There are {n:,} hubs: choose a region or area to compare its "
                             "hubs (at most {most} hubs are compared at once).",
                             n=len(self._hubs), most=shown.REGION_MAX_HUBS)
        return None

    def frames(self):
        """The view's figures for the chosen region (cached per data version)."""
        return self.read(_frames, self.region)

    def schools(self):
        """The regional view's schools (:func:`hubcore.display.region_schools`)."""
        return shown.region_schools(self._engine, self._scope, frames=self.frames())

    def export(self):
        """Every row of the hubs table as people read it (the downloads' content)."""
        return shown.region_hubs(self.frames())

    def controls(self) -> pn.Column:
        if not self._allowed:
            return pn.Column()
        return pn.Column(
            pn.widgets.Select.from_param(self.param.region, name="Region or area"),
            pn.pane.Markdown(
                "Each hub's figures are its own briefing's, with the same disclosure control; "
                "nothing is added up across hubs. Ranks are given only where hubs are "
                "measured on the same base. Hover over a school on the map for details."),
        )


class Heading(View):
    """What the view shows and for which hubs, with the table's note and caveats."""

    depends = ("region",)

    def build(self) -> pn.pane.Markdown:
        self._text = pn.pane.Markdown(sizing_mode="stretch_width")
        return self._text

    def update(self) -> None:
        page = self.page
        frames = page.frames()
        meta = frames.hubs.attrs["display"]
        label = page._shown("region")
        lines = [layout.md("## Regional view: {label}", label=label),
                 layout.md("{note}", note=meta.get("note", "")),
                 layout.md("Figures as of {date}; coverage measure: {measure}.",
                           date=f"{frames.as_of.day} {frames.as_of:%B %Y}",
                           measure=frames.measure_label)]
        if page._scope.role is not Role.ADMIN:
            lines.append("Your role sees your own hub's row only.")
        self._text.object = "\n\n".join(lines)


class HubsTable(View):
    """Hubs side by side, sortable and filterable, with downloads of every row."""

    depends = ("region",)

    def build(self) -> pn.Column:
        self._table = None  # made at the first update: its columns come with the data
        return pn.Column(pn.pane.Markdown("### Hubs side by side"),
                         tables.downloads(self.page.export, "hubs-side-by-side",
                                          sheet_name="Hubs"),
                         sizing_mode="stretch_width")

    def update(self) -> None:
        frame = shown.region_hubs(self.page.frames())
        titles = frame.attrs["display"]["titles"]
        self._table = tables.show_in(self._layout, self._table, frame, name_column="hub_name",
                                     titles=titles)


class RegionMap(View):
    """LA and hub outlines, small areas by deprivation with cold spots, schools by coverage
    status and each hub's highest-priority schools. New geometry (another region) makes a new
    figure; its panes stay."""

    depends = ("region",)

    def build(self) -> pn.Column:
        self._map = pn.pane.Bokeh(sizing_mode="stretch_width", min_height=560)
        self._credit = credit_pane()
        return pn.Column(pn.pane.Markdown("### Regional map"), self._map, self._credit,
                         sizing_mode="stretch_width")

    def update(self) -> None:
        page = self.page
        frames = page.frames()
        schools = page.schools()
        self._map.object = region_figure(frames, schools)
        show_credit(self._credit, page)


def region_figure(frames, schools):
    """The regional map as a Bokeh figure in British National Grid metres (no basemap):
    ``frames`` from :func:`hubcore.display.overview.region_view`, ``schools`` from
    :func:`hubcore.display.region_schools`."""
    fig = charts.map_figure(height=560)
    items = []
    areas = frames.areas
    if len(areas):
        xs, ys = charts.plain_paths(areas)
        source = ColumnDataSource({"xs": xs, "ys": ys, "name": areas["name"].astype(str).tolist(),
                                   "decile": areas["imd_decile"].tolist(),
                                   "cold": ["yes" if c else "no" for c in areas["cold_spot"]]})
        mapper = LinearColorMapper(palette=list(maps.DEPRIVATION_COLOURS), low=1, high=10,
                                   nan_color="#d9d9d9")
        glyph = fig.patches("xs", "ys", source=source, line_color="white", line_width=0.3,
                            fill_alpha=0.7, fill_color={"field": "decile", "transform": mapper})
        fig.add_tools(HoverTool(renderers=[glyph], tooltips=[
            ("small area", "@name"), ("IMD decile (1 = most deprived)", "@decile"),
            ("cold spot", "@cold")]))
        items.append(LegendItem(label="Small areas by deprivation (IMD decile)",
                                renderers=[glyph]))
        cold = areas[areas["cold_spot"]]
        if len(cold):
            cx, cy = charts.plain_paths(cold)
            cold_glyph = fig.patches(cx, cy, fill_color=maps.COLD_COLOURS[-1], fill_alpha=0.55,
                                     line_color=maps.COLD_COLOURS[-1], line_width=1.2)
            items.append(LegendItem(label="Cold spot (few schools nearby meet the measure)",
                                    renderers=[cold_glyph]))
    if len(frames.la_outlines):
        lx, ly = charts.plain_paths(frames.la_outlines)
        la_glyph = fig.multi_line(lx, ly, line_color="#333333", line_width=1.5)
        items.append(LegendItem(label="Local authority boundary", renderers=[la_glyph]))
    if len(frames.hub_outlines):
        hx, hy = charts.plain_paths(frames.hub_outlines)
        hub_glyph = fig.multi_line(hx, hy, line_color=HUB_OUTLINE, line_width=2.2,
                                   line_dash="dashed")
        items.append(LegendItem(label="Hub boundary", renderers=[hub_glyph]))
    if len(schools):
        data = {c: schools[c].astype(object).where(schools[c].notna(), "–").tolist()
                for c in ("name", "hub_name", "urn", "status", "rank", "priority_index",
                          "coverage")}
        data |= {"easting": schools["easting"].tolist(), "northing": schools["northing"].tolist()}
        source = ColumnDataSource(data)
        colours = CategoricalColorMapper(factors=list(STATUS_COLOURS),
                                         palette=list(STATUS_COLOURS.values()))
        points = fig.scatter("easting", "northing", source=source, size=9, line_color="black",
                             fill_color={"field": "status", "transform": colours})
        top = schools[schools["top_priority"]]
        stars = fig.scatter(top["easting"].tolist(), top["northing"].tolist(), marker="star",
                            size=20, fill_color=PRIORITY_COLOUR, line_color="black")
        fig.add_tools(HoverTool(renderers=[points], tooltips=[
            ("school", "@name"), ("hub", "@hub_name"), ("URN", "@urn"),
            ("coverage", "@coverage"), ("status", "@status"),
            ("priority rank in its hub", "@rank")]))
        items.append(LegendItem(label="School (green meets the measure, red below, grey no "
                                "figure)", renderers=[points]))
        items.append(LegendItem(label="One of its hub's three highest-priority schools",
                                renderers=[stars]))
    fig.add_layout(Legend(items=items, location="center", orientation="vertical",
                          click_policy="none"), "below")
    return fig


class PriorityTable(View):
    """Each hub's highest-priority schools, as marked on the map."""

    depends = ("region",)

    def build(self) -> pn.Column:
        self._table = None
        self._note = pn.pane.Markdown(sizing_mode="stretch_width",
                                      styles={"font-size": "0.85em"})
        return pn.Column(pn.pane.Markdown("### Each hub's highest-priority schools"),
                         self._note, sizing_mode="stretch_width")

    def update(self) -> None:
        frame = shown.region_priority(self.page.schools())
        meta = frame.attrs["display"]
        self._note.object = layout.md("{note}", note=meta.get("note", ""))
        self._table = tables.show_in(self._layout, self._table, frame, name_column="name",
                                     titles=meta["titles"])


if pn.state.served:
    served_page(RegionView).servable()
