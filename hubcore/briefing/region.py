"""Regional briefing packs: several hubs side by side and a map of the region, as an
A4-landscape PDF and 300-dpi PNG maps (``hubcore brief --region E12… | --hubs A,B``).

Every figure comes from :func:`hubcore.display.region.region_frames` (each hub's own briefing
figures, disclosure control applied per hub there); this module only formats them as text and
draws them. It computes and suppresses nothing itself. Same data and date, same bytes (fixed
fonts and metadata, as :mod:`hubcore.briefing.render_pdf`).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from sqlalchemy import Engine

from hubcore import areas, defaults, notices, store
from hubcore.briefing import maps, style
from hubcore.briefing.content import DISCLOSURE_NOTE, MapLayers, Table
from hubcore.briefing.render_png import figure_png
from hubcore.display import region as shown
from hubcore.display.base import plural
from hubcore.display.briefing import cell
from hubcore.display.provenance import attribution_lines

#: Rows of the side-by-side table: source column → (label, decimals).
ROWS: dict[str, tuple[str, int | None]] = {
    "schools": ("Schools and colleges", 0),
    "framework": ("Compass framework compared", None),
    "benchmark_year": ("Academic year compared", None),
    "achieved": ("Mean benchmarks achieved (0-8)", 1),
    "national_mean_achieved": ("England mean (0-8)", 1),
    "vs_national": ("Difference from England", 1),
    "rank_vs_national": ("  rank (fair)", 0),
    "coverage_year": ("Coverage year (encounter log)", None),
    "meeting": ("Schools meeting coverage measure", 0),
    "pct_meeting": ("% of schools meeting", 1),
    "rank_pct_meeting": ("  rank (fair)", 0),
    "cold_spots": ("Cold-spot small areas", 0),
    "employers_with_spare": ("Employers with spare offers", 0),
    "spare_places": ("Spare employer places", 0),
    "cohort": ("Latest leaver cohort", -1),
    "y11_handed_to": ("Year 11 hand-overs to", None),
    "y11_median_days": ("Year 11 median days to referral", 1),
    "rank_y11_median_days": ("  rank (fair)", 0),
    "y11_overdue": ("Year 11 overdue hand-overs", 0),
    "neet_cohort": ("NEET: leaver cohort", -1),
    "neet_measured": ("NEET: measured", None),
    "y11_neet_pct": ("Year 11 NEET %", 1),
    "y11_england_neet_pct": ("England NEET %, age 16-17", 1),
    "y11_vs_england_neet": ("Year 11 NEET vs England (pp)", 1),
    "rank_y11_neet": ("  rank (fair, lowest first)", 0),
    "y13_neet_pct": ("Year 13 NEET %", 1),
    "y13_england_neet_pct": ("England NEET %, age 16-18", 1),
    "y13_vs_england_neet": ("Year 13 NEET vs England (pp)", 1),
}

HEADINGS = ("Regional Careers Hub briefing", "Hubs side by side", "Coverage gaps and priority "
            "schools across the region", "Cold spots crossing LA lines")

#: Outline of a cold-spot cluster that crosses LA lines on the regional map.
CROSSING_COLOUR = "#000000"


@dataclass(frozen=True)
class RegionBriefing:
    """A regional briefing ready to draw (the fields :func:`maps.page_frame` reads, the
    side-by-side :class:`Table` and the region's map layers)."""

    title: str
    scope_label: str
    as_of: dt.date
    synthetic: bool
    side_by_side: Table
    layers: MapLayers
    hub_outlines: gpd.GeoDataFrame
    top_priority: gpd.GeoDataFrame
    #: One polygon per cold-spot cluster crossing LA lines (``cluster``), and their list.
    crossing: gpd.GeoDataFrame
    crossing_table: Table
    #: The official data's credit lines (OS Crown copyright, OGL), printed under the map:
    #: :func:`hubcore.display.provenance.attribution_lines`; empty for the plain demo.
    attributions: tuple[str, ...] = ()
    #: The label in the file names (default: ``scope_label``).
    file_label: str = ""


def side_by_side_table(frame: pd.DataFrame) -> Table:
    """Measures as rows, one column per hub (hub ids as headers); "c" kept, missing "–"."""
    columns = ("Measure", *(str(h) for h in frame["hub_id"]))
    rows = tuple(
        (label, *(cell(v, dec) for v in frame[col]))
        for col, (label, dec) in ROWS.items() if col in frame.columns
    )
    names = "; ".join(f"{h}: {n}" for h, n in zip(frame["hub_id"], frame["hub_name"], strict=True))
    note = f"{names}. {frame.attrs['display']['note']}"
    return Table(frame.attrs["display"]["title"], columns, rows, ("Year 11 overdue hand-overs",),
                 note)


def crossing_outlines(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One polygon per cold-spot cluster that crosses LA lines (the union of its small
    areas), by ``cluster`` number."""
    if "crosses_la" not in areas.columns or not areas["crosses_la"].any():
        return gpd.GeoDataFrame({"cluster": []}, geometry=[], crs=areas.crs)
    crossing = areas[areas["crosses_la"]][["cluster", "geometry"]]
    out = crossing.dissolve(by="cluster").reset_index()
    out["cluster"] = out["cluster"].astype("int64")
    return out


def crossing_table(clusters: pd.DataFrame) -> Table:
    """The cold-spot clusters crossing LA lines: cluster number, its LAs, its number of small
    areas (areas, not people) and their codes."""
    rows = tuple(
        (f"C{int(r['cluster'])}", str(r["las"]), cell(int(r["small_areas"]), 0), str(r["codes"]))
        for r in clusters[clusters["crosses_la"].astype(bool)].to_dict("records")
    )
    note = (
        f"A cold spot is a small area where every school of the region within "
        f"{defaults.RADIUS_KM:g} km (any hub's) is below the coverage threshold; touching cold "
        f"spots form a cluster, and a cluster in two or more LAs crosses LA lines. "
        f"{len(clusters)} cluster(s) of cold spots in all, {len(rows)} crossing LA lines. "
        "Counts are of small areas, not people."
    )
    return Table("Cold spots crossing LA lines",
                 ("Cluster", "Local authorities", "Small areas", "Small-area codes"), rows,
                 (), note)


def gather_region(engine: Engine, hub_ids: list[str], as_of: dt.date | None = None,
                  benchmark: int = defaults.BENCHMARK, label: str = "",
                  title: str = "", workers: int = 1) -> RegionBriefing:
    """The regional briefing for ``hub_ids`` (figures from the display layer; ``workers``:
    processes building the hubs' figures, see :func:`hubcore.display.region.region_frames`)."""
    frames = shown.region_frames(engine, hub_ids, as_of, benchmark, label, title, workers)
    hubs = store.hubs(engine)
    synthetic = bool(hubs.loc[hubs["id"].isin(list(frames.per_hub)), "synthetic"]
                     .astype(bool).any())
    first = next(iter(frames.per_hub.values()))
    layers = MapLayers(frames.la_outlines, frames.areas, frames.schools,
                       gpd.GeoDataFrame({"spare": []}, geometry=[], crs=frames.schools.crs),
                       first.measure, frames.measure_label, first.threshold)
    # Each hub's three highest-priority schools: the index is relative within a hub, so it is
    # not ranked across hubs.
    top = frames.schools[pd.to_numeric(frames.schools["rank"], errors="coerce").le(3)]
    return RegionBriefing(
        crossing=crossing_outlines(frames.areas),
        crossing_table=crossing_table(frames.cold_spot_clusters),
        title=title or "Hubs: " + ", ".join(frames.per_hub),
        # A list of hubs is already the title: the page heads say how many, not the list
        # again (nine hubs' ids twice ran off an A4 page); the file names keep the list.
        scope_label=(label if title or not label else plural(len(frames.per_hub), "hub")),
        file_label=label,
        as_of=frames.as_of, synthetic=synthetic,
        side_by_side=side_by_side_table(frames.hubs), layers=layers,
        hub_outlines=frames.hub_outlines, top_priority=top,
        attributions=tuple(attribution_lines(engine)),
    )


def title_page(b: RegionBriefing) -> Figure:
    """Title, scope, synthetic notice, disclosure rule."""
    fig = Figure(figsize=style.A4_LANDSCAPE_IN)
    maps.page_frame(fig, b, HEADINGS[0], 1)
    fig.text(0.03, 0.80, b.title, fontsize=20, fontweight="bold", color=style.INK)
    if b.synthetic:
        fig.text(0.03, 0.70, "\n".join(textwrap.wrap(notices.SYNTHETIC_NOTICE, 110)),
                 fontsize=10, fontweight="bold", color="white", va="top",
                 bbox={"fc": style.SYNTHETIC_COLOUR, "ec": "none", "pad": 6})
    fig.text(0.03, 0.50, textwrap.fill(DISCLOSURE_NOTE, 110), fontsize=9, va="top")
    contents = "\n".join(f"{i}. {h}" for i, h in enumerate(HEADINGS, start=1))
    fig.text(0.03, 0.40, "Contents\n" + contents, fontsize=9, va="top", linespacing=1.5)
    return fig


def table_page(b: RegionBriefing) -> Figure:
    """The side-by-side table with its caveats."""
    fig = Figure(figsize=style.A4_LANDSCAPE_IN)
    maps.page_frame(fig, b, HEADINGS[1], 2)
    maps.draw_table(fig.add_axes((0.03, 0.30, 0.94, 0.56)), b.side_by_side, fontsize=6.5,
                    max_chars=36)
    return fig


def map_page(b: RegionBriefing, page: int | None = 3) -> Figure:
    """Hub and LA boundaries, small areas by deprivation, cold spots, schools meeting or below
    the coverage threshold, each hub's top-three priority schools."""
    fig = Figure(figsize=style.A4_LANDSCAPE_IN)
    maps.page_frame(fig, b, HEADINGS[2], page)
    # The licences' credit under the map, as on a hub briefing's maps (plain text: a "$" in
    # the data is a "$"); the map is raised to make room.
    credit = textwrap.fill(" · ".join(b.attributions), 185)
    low = 0.07 + 0.012 * (credit.count("\n") + 1) if credit else 0.07
    if credit:
        fig.text(0.03, 0.036, credit, fontsize=5.5, color=style.MUTED, va="bottom",
                 usetex=False, parse_math=False)
    ax = fig.add_axes((0.03, low, 0.68, 0.85 - low))
    maps._frame_axes(ax, b.layers)
    handles = maps.draw_coverage(ax, b.layers)
    if len(b.hub_outlines):
        b.hub_outlines.boundary.plot(ax=ax, color="#3f007d", linewidth=2.2, linestyle="--",
                                     zorder=4)
        handles.append(Line2D([], [], color="#3f007d", lw=2.2, ls="--", label="Hub boundary"))
        for hub_id, point in zip(b.hub_outlines["hub_id"],
                                 b.hub_outlines.geometry.representative_point(), strict=True):
            ax.text(point.x, point.y, str(hub_id), fontsize=9, fontweight="bold", ha="center",
                    color="#3f007d", zorder=7,
                    bbox={"fc": "white", "ec": "#3f007d", "alpha": 0.8, "pad": 2})
    if len(b.crossing):
        b.crossing.boundary.plot(ax=ax, color=CROSSING_COLOUR, linewidth=2.0, linestyle="-.",
                                 zorder=5)
        for number, point in zip(b.crossing["cluster"],
                                 b.crossing.geometry.representative_point(), strict=True):
            ax.text(point.x, point.y, f"C{number}", fontsize=8, fontweight="bold",
                    ha="center", color=CROSSING_COLOUR, zorder=7,
                    bbox={"fc": "white", "ec": CROSSING_COLOUR, "alpha": 0.8, "pad": 1.5})
        handles.append(Line2D([], [], color=CROSSING_COLOUR, lw=2.0, ls="-.",
                              label="Cold spots crossing LA lines (cluster, page 4)"))
    if len(b.top_priority):
        b.top_priority.plot(ax=ax, marker="*", color="#fdae61", markersize=180,
                            edgecolor=style.INK, linewidth=0.6, zorder=6)
        handles.append(Line2D([], [], ls="", marker="*", color="#fdae61", mec=style.INK, ms=12,
                              label="Top-3 priority school of its hub"))
    maps._frame_axes(ax, b.layers)
    maps.scale_bar(ax)
    maps.north_arrow(ax)
    ax.set_title(textwrap.fill(b.layers.measure_label, 95), fontsize=9, loc="left")
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.73, 0.07), fontsize=7,
               frameon=False, title="Legend", title_fontsize=8, alignment="left")
    return fig


def crossing_page(b: RegionBriefing) -> Figure:
    """The list of cold-spot clusters crossing LA lines."""
    fig = Figure(figsize=style.A4_LANDSCAPE_IN)
    maps.page_frame(fig, b, HEADINGS[3], 4)
    maps.draw_table(fig.add_axes((0.03, 0.20, 0.94, 0.66)), b.crossing_table, fontsize=7,
                    max_chars=60)
    return fig


def render_region(b: RegionBriefing, formats: tuple[str, ...] = ("pdf", "png")
                  ) -> dict[str, bytes]:
    """``{file name: bytes}``: the PDF (title, side by side, map) and the map as a 300-dpi
    PNG. File names start ``briefing-region-<label>-<date>``."""
    label = b.file_label or b.scope_label
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", f"briefing-region-{label}-{b.as_of}")
    out: dict[str, bytes] = {}
    with style.settings():
        # The map page is drawn once (its thousands of small-area patches are most of the
        # rendering time) and saved both into the PDF and, at 300 dpi, as the PNG; the PNG
        # carries the page number, as a one-hub briefing's map PNGs do.
        the_map = map_page(b) if formats else None
        if "pdf" in formats:
            buffer = io.BytesIO()
            meta = {"Title": f"Regional Careers Hub briefing: {b.title} ({b.as_of})",
                    "Subject": b.scope_label + (f" - {notices.SYNTHETIC_TAG}"
                                                if b.synthetic else ""),
                    "Creator": "hubcore briefing", "Producer": "hubcore briefing (matplotlib)",
                    "CreationDate": None, "ModDate": None}
            with PdfPages(buffer, metadata=meta) as pdf:
                for fig in (title_page(b), table_page(b), the_map, crossing_page(b)):
                    pdf.savefig(fig)
            out[f"{stem}.pdf"] = buffer.getvalue()
        if "png" in formats:
            out[f"{stem}-map_region.png"] = figure_png(the_map)
    return out


def write_region_pack(engine: Engine, out_dir: str | Path, *, region: str | None = None,
                      hubs: list[str] | None = None, formats: tuple[str, ...] = ("pdf", "png"),
                      as_of: dt.date | None = None,
                      benchmark: int = defaults.BENCHMARK,
                      area: str | None = None, workers: int | None = None) -> list[Path]:
    """Write a regional pack for English region ``region`` (E12…, its hubs from the
    database's LA-to-region membership), for the hubs ``hubs``, or for combined authority or
    LSIP area ``area`` (E47…/E69…, or a region; hubs from the imported lookups, titled with
    the area's name); the paths written. The hubs' figures are built on ``workers`` processes
    (default: one per core), which changes nothing in the pack."""
    if area:
        code = area.strip().upper()
        hub_ids = shown.area_hub_ids(engine, code)
        label, title = code, f"{areas.area_name(engine, code)} ({code})"
    elif region:
        code = region.strip().upper()
        hub_ids = shown.region_hub_ids(engine, code)
        label, title = code, f"{shown.region_name(code)} ({code})"
    else:
        hub_ids = [h.strip() for h in (hubs or []) if h.strip()]
        label, title = "-".join(hub_ids), ""
    b = gather_region(engine, hub_ids, as_of, benchmark, label, title,
                      (os.cpu_count() or 1) if workers is None else workers)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in render_region(b, tuple(f for f in formats if f in ("pdf", "png"))).items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths
