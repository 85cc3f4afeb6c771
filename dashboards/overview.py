"""Hub overview: a map of the hub's small areas by deprivation, with its schools and colleges
coloured by the number of Gatsby Benchmarks fully achieved at their latest assessment.

Serve with ``hubcore serve`` (or ``panel serve dashboards/overview.py``); in a notebook,
``HubOverview(db_url=...)`` displays the same component.
"""

from __future__ import annotations

import holoviews as hv
import panel as pn
import param

from dashboards.common import layout, maps
from dashboards.common.context import default_scope, engine_for
from hubcore import benchmarks, codes, store

FRAMEWORK_LABELS = {
    "2024": "2024 framework (Compass from September 2025)",
    "2014": "2014 framework (Compass until July 2025)",
}


@pn.cache(max_items=64)
def _map_data(url: str, hub_id: str, framework: str):
    engine = engine_for(url)
    scope = default_scope(engine, hub_id)
    areas = store.areas(engine, scope, kind="lsoa")
    las = store.areas(engine, scope, kind="lad")
    schools = store.schools(engine, scope)
    latest = store.assessments(engine, scope, framework=framework, latest_only=True)
    schools = schools.merge(
        latest[["urn", "achieved", "assessed_on", "academic_year"]], on="urn", how="left"
    )
    schools["type"] = schools["kind"].map(codes.SCHOOL_KINDS)
    schools["latest_assessment"] = schools["assessed_on"].dt.strftime("%d %b %Y").fillna("none")
    return areas, las, schools


class HubOverview(pn.viewable.Viewer):
    """The hub overview map as a component (served page or notebook cell)."""

    db_url = param.String(default=None, allow_None=True, doc="database URL (default: served)")
    hub_id = param.Selector(default=None, objects=[], doc="hub to show")
    framework = param.Selector(
        default="2024", objects=list(FRAMEWORK_LABELS), doc="Gatsby framework of the scores"
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._engine = engine_for(self.db_url)
        self._url = self._engine.url.render_as_string(hide_password=False)
        hubs = store.hubs(self._engine)
        self.param.hub_id.objects = hubs["id"].tolist()
        self.param.hub_id.names = dict(zip(hubs["name"], hubs["id"], strict=True))
        self._hubs = hubs.set_index("id")
        self._banner = layout.synthetic_banner(False)
        self._summary = pn.pane.Markdown(sizing_mode="stretch_width")
        self._map = pn.pane.HoloViews(sizing_mode="stretch_width", min_height=640)
        self._body = pn.Column(self._summary, self._map, sizing_mode="stretch_width")
        if self.hub_id is None and len(hubs):
            with param.discard_events(self):
                self.hub_id = hubs["id"].iat[0]
        self._refresh()

    @param.depends("hub_id", "framework", watch=True)
    def _refresh(self) -> None:
        if self.hub_id is None:
            self._body[:] = [
                layout.empty_state(
                    "No hub in this database yet. Import schools and boundaries "
                    "(`hubcore import gias …`) or try the synthetic demo (`hubcore demo`)."
                )
            ]
            return
        hub = self._hubs.loc[self.hub_id]
        self._banner.visible = bool(hub["synthetic"])
        areas, las, schools = _map_data(self._url, self.hub_id, self.framework)
        if schools.empty:
            self._body[:] = [layout.empty_state(f"{hub['name']} has no member schools yet.")]
            return
        self._body[:] = [self._summary, self._map]
        self._summary.object = self._summary_text(hub, schools)
        self._map.object = self._map_element(areas, las, schools)

    def _summary_text(self, hub, schools) -> str:
        assessed = schools["achieved"].notna()
        mean = schools.loc[assessed, "achieved"].mean()
        lines = [
            f"### {hub['name']}",
            f"{len(schools)} schools and colleges; {int(assessed.sum())} assessed under the "
            f"{FRAMEWORK_LABELS[self.framework]}.",
        ]
        if assessed.any():
            lines.append(
                f"Mean benchmarks fully achieved at the latest assessment: **{mean:.2f}** of 8."
            )
        if self.framework == "2014":
            latest_year, national = list(benchmarks.NATIONAL_MEAN_ACHIEVED.items())[-1]
            lines.append(f"National mean {latest_year}: {national:.2f} (CEC).")
        else:
            lines.append(
                "No national figure has been published for the 2024 framework yet; "
                "2014-framework scores are not comparable."
            )
        return "\n\n".join(lines)

    def _map_element(self, areas, las, schools) -> hv.Overlay:
        layers = []
        if len(areas):
            layers.append(
                maps.choropleth(
                    areas,
                    "imd_decile",
                    "IMD decile (1 = most deprived)",
                    maps.DEPRIVATION_COLOURS,
                    (0.5, 10.5),
                    ["name", "code"],
                )
            )
        if len(las):
            layers.append(maps.outline(las))
        located = schools[schools["easting"].notna()]
        layers.append(
            maps.school_points(
                located[
                    [
                        "easting",
                        "northing",
                        "achieved",
                        "name",
                        "urn",
                        "type",
                        "pupils",
                        "latest_assessment",
                    ]
                ],
                "achieved",
                "Benchmarks fully achieved",
                maps.ACHIEVED_COLOURS,
                (-0.5, 8.5),
                ["name", "urn", "type", "pupils", "latest_assessment"],
            )
        )
        return maps.map_options(hv.Overlay(layers))

    def controls(self) -> pn.Column:
        """The page's filters."""
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.widgets.Select.from_param(
                self.param.framework,
                name="Framework",
                options={v: k for k, v in FRAMEWORK_LABELS.items()},
            ),
            pn.pane.Markdown(
                "Small areas are shaded by deprivation; schools are coloured by the number of "
                "the eight Gatsby Benchmarks fully achieved at their latest assessment "
                "(grey: none yet). Hover for details."
            ),
        )

    def __panel__(self) -> pn.Column:
        return pn.Column(self._banner, self._body, sizing_mode="stretch_width")

    def page(self) -> pn.template.BootstrapTemplate:
        """The served page: this component in the suite's template, state kept in the URL."""
        if pn.state.location is not None:
            pn.state.location.sync(self, {"hub_id": "hub", "framework": "framework"})
        return layout.page("Careers Hub overview", [self], [self.controls()])


if pn.state.served:
    HubOverview().page().servable()
