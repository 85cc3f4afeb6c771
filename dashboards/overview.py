"""Area overview: the hub's small areas shaded by a chosen layer (deprivation, NEET rate,
coverage gap on a benchmark, cold spots) with its schools and colleges as points coloured by a
chosen benchmark; filters for benchmark, school type, assessment period and LA; a linked table
with CSV and XLSX download. Clicking a school opens its profile.

Serve with ``hubcore serve`` (or ``panel serve dashboards/*.py``); in a notebook,
``AreaOverview(db_url=...)`` displays the same component.
"""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from dashboards.common import data, layout, maps
from dashboards.common.area_map import AreaMap
from dashboards.common.context import ALL_HUBS, default_scope
from dashboards.common.page import HubPage, served_page
from hubcore import benchmarks, codes, display, palettes
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
#: Schools the table shows at most (every hub at once is thousands; the downloads hold all).
TABLE_ROWS = 200
TABLE_COLUMNS = {
    "name": "School or college",
    "urn": "URN",
    "type": "Type",
    "la_gss": "LA",
    "pupils": "Pupils",
    "assessed_on": "Assessed",
    "achieved": "Benchmarks achieved",
    "change_achieved": "Change",
    **{f"bm{b}": f"BM{b} %" for b in benchmarks.BENCHMARKS},
    "bm5_min_per_pupil": "BM5 encounters per pupil (lowest year)",
    "bm6_by16_pct": "BM6 reach by 16 %",
    "pal_met": "PAL six encounters met",
    "bm8_by16_pct": "BM8 guidance by 16 %",
}


class AreaOverview(HubPage):
    """The area overview as a component (served page or notebook cell)."""

    page_title = "Careers Hub · area overview"
    url_params = {"hub_id": "hub", "layer": "layer", "benchmark": "bm", "period": "period",
                  "la": "la"}

    offers_all_hubs = True

    layer = param.Selector(default="deprivation", objects=list(LAYERS.values()))
    benchmark = param.Integer(default=0, bounds=(0, 8), doc="0 = benchmarks achieved")
    school_types = param.ListSelector(default=list(codes.SCHOOL_KINDS),
                                      objects=list(codes.SCHOOL_KINDS))
    period = param.Selector(default=None, objects=[], allow_None=True, doc="assessment period")
    # Its LAs are known once the hub is: a link's ?la= is checked then (HubPage._check_link).
    la = param.Selector(default=ALL_LAS, objects=[ALL_LAS], check_on_set=False)

    def __init__(self, **params):
        super().__init__(**params)
        self._summary = pn.pane.Markdown(sizing_mode="stretch_width")
        self._map = pn.pane.Bokeh(sizing_mode="stretch_width", min_height=600)
        # The loading spinner goes on a wrapper: Panel 1.9 cannot add its spinner styles to a
        # Bokeh pane that has been drawn.
        self._map_box = pn.Column(self._map, sizing_mode="stretch_width")
        self._area_map: AreaMap | None = None
        self._table = layout.table(height=420, max_rows=TABLE_ROWS)
        self._downloads = pn.Row(
            pn.widgets.FileDownload(callback=self._csv, filename="schools.csv",
                                    label="Download CSV", button_type="primary"),
            pn.widgets.FileDownload(callback=self._xlsx, filename="schools.xlsx",
                                    label="Download XLSX"),
        )
        self._briefing = layout.briefing_button(self._engine, self._briefing_scope)
        with param.discard_events(self):
            self._hub_changed()
        self._refresh()
        self._briefing_for_hub()
        self._check_link()

    # --- filters that depend on the hub -----------------------------------------------------

    def _hub_changed(self) -> None:
        if self.hub_id is None:
            return
        self._area_map = None  # new geometry: the map is rebuilt on the next refresh
        periods = data.periods(self._url, self._key)
        self.param.period.objects = list(periods.values())
        self.param.period.names = periods
        if self.period not in periods.values():
            self.period = next(iter(periods.values()), None)
        las = sorted(data.schools(self._url, self._key)["la_gss"].dropna().unique())
        self.param.la.objects = [ALL_LAS, *las]
        if self.la not in self.param.la.objects:
            self.la = ALL_LAS

    @param.depends("hub_id", watch=True)
    def _on_hub(self) -> None:
        # A new hub means new geometry and possibly cold reads: show the spinner meanwhile.
        self._map_box.loading = True
        try:
            with param.discard_events(self):
                self._hub_changed()
            self._refresh()
        finally:
            self._map_box.loading = False

    # --- data -------------------------------------------------------------------------------

    def schools_table(self) -> pd.DataFrame:
        """The schools the filters keep, with their benchmarks at the chosen period and their
        encounter coverage (what the table shows and the downloads hold)."""
        # Figures and their disclosure come from hubcore.display; the filters pick rows.
        table = data.overview_schools(self._url, self._key, self.period)
        keep = table["kind"].isin(self.school_types)
        if self.la != ALL_LAS:
            keep &= table["la_gss"] == self.la
        return table[keep]

    def _csv(self):
        from io import StringIO

        from hubcore import spreadsheet

        return StringIO(spreadsheet.to_csv(self._export()))

    def _xlsx(self):
        from io import BytesIO

        from hubcore import spreadsheet

        return BytesIO(spreadsheet.to_xlsx(self._export(), sheet_name="Schools"))

    def _export(self) -> pd.DataFrame:
        return self._export_of(self.schools_table())

    @staticmethod
    def _export_of(frame: pd.DataFrame) -> pd.DataFrame:
        columns = [c for c in TABLE_COLUMNS if c in frame]
        out = frame[columns].rename(columns=TABLE_COLUMNS)
        if "Assessed" in out:
            out["Assessed"] = pd.to_datetime(out["Assessed"]).dt.date
        return out

    # --- drawing ----------------------------------------------------------------------------

    @param.depends("layer", "benchmark", "school_types", "period", "la", watch=True)
    def _refresh(self) -> None:
        if self.hub_id is None:
            self._show([layout.empty_state(
                "No hub in this database yet. Import schools and boundaries "
                "(`hubcore import gias …`) or try the synthetic demo (`hubcore demo`).")])
            return
        hub = self._hub_row()
        self._banner.visible = bool(hub["synthetic"])
        if data.schools(self._url, self._key).empty:
            self._show([layout.empty_state("{hub} has no member schools yet.",
                                           hub=hub["name"])])
            return
        # A filter change takes tens of milliseconds: no loading spinner (it would cost more
        # than the update), and only what changed is sent (see AreaMap and layout.show).
        frame = self.schools_table()
        self._summary.object = self._summary_text(hub, frame)
        self._draw(frame)
        layout.show(self._table, self._export_of(frame))
        self._show([self._summary, self._map_box, self._downloads, self._table])

    def _show(self, parts: list) -> None:
        """Lay the body out, leaving it alone when it already holds these parts."""
        if len(self._body) != len(parts) or any(
                a is not b for a, b in zip(self._body, parts, strict=False)):
            self._body[:] = parts

    def _hub_row(self) -> pd.Series:
        if self.hub_id == ALL_HUBS:
            return pd.Series({"name": "All hubs", "synthetic": self._hubs["synthetic"].any()})
        return self._hubs.loc[self.hub_id]

    def _summary_text(self, hub, frame: pd.DataFrame) -> str:
        lines = [layout.md("### {hub}", hub=hub["name"])]
        summary = display.overview_summary(frame).iloc[0]
        if summary["assessed"]:
            lines.append(layout.md(
                "{n} schools and colleges shown. Mean benchmarks fully achieved: "
                "**{mean:.2f}** of 8 ({fw} framework).", n=summary["schools"],
                mean=summary["mean_achieved"], fw=summary["framework"]))
            if summary["national_note"]:
                lines.append(layout.md("{note}", note=summary["national_note"]))
        else:
            lines.append(f"{len(frame)} schools and colleges shown; no assessment in this period.")
        if len(frame) > TABLE_ROWS:
            lines.append(f"The table below shows the first and last {TABLE_ROWS // 2} of "
                         f"{len(frame):,}; the downloads hold every row.")
        return "\n\n".join(lines)

    def _draw(self, frame: pd.DataFrame) -> None:
        if self._area_map is None:
            national = data.national_zoom(self._url, self._key)
            areas = data.boundaries(self._url, self._key, "lsoa").iloc[0:0] if national \
                else data.boundaries(self._url, self._key, "lsoa")
            self._area_map = AreaMap(areas, data.boundaries(self._url, self._key, "lad"),
                                     self.hub_id)
            self._map.object = self._area_map.figure
        self._area_map.show_areas(*self._area_layer())
        if self.benchmark == 0:
            self._area_map.show_schools(frame, "achieved", "Benchmarks fully achieved",
                                        maps.ACHIEVED_COLOURS, -0.5, 8.5)
        else:
            self._area_map.show_schools(frame, f"bm{self.benchmark}", f"BM{self.benchmark} %",
                                        maps.PERCENT_COLOURS, 0, 100)

    def _area_layer(self) -> tuple:
        """Values, label, colours, range and tooltip columns for the chosen area layer."""
        if data.national_zoom(self._url, self._key):
            # Tens of thousands of small areas cannot be read (or drawn fast) at national
            # zoom: the LA outlines carry the geography and the schools carry the data.
            return (None, "", [], 0, 1)
        layer = data.area_layer(self._url, self._key, self.layer, self.benchmark or 5)
        meta = layer.attrs["display"]
        return (layer, meta["title"], getattr(palettes, meta["palette"]), meta["low"],
                meta["high"], meta["tooltips"])

    # --- layout -----------------------------------------------------------------------------

    def controls(self) -> pn.Column:
        """The page's filters."""
        return pn.Column(
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
            pn.pane.Markdown(
                "Hover over an area or a school for details; click a school to open its "
                "profile. Grey areas or points have no value (suppressed or not assessed)."
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


if pn.state.served:
    served_page(AreaOverview).servable()
