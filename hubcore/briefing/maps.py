"""Static briefing maps with matplotlib and GeoPandas: no browser, no basemap tiles, no network.

Every map is drawn in British National Grid (EPSG:27700, metres) with the LA outline, small
areas shaded, schools as points, a legend, a scale bar in kilometres, a north arrow (grid north:
within a degree or two of true north across England), a title and, for synthetic data, a notice.

:func:`map_figure` returns one A4-landscape :class:`~matplotlib.figure.Figure` per map, drawn by
the same code for both formats: the PDF page has the map on the left and its table(s) on the
right; the PNG has the map alone, larger. Figures are built with the object API (no ``pyplot``
state), so renders in a server thread do not interfere with each other.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from hubcore import defaults, notices, palettes
from hubcore.briefing import style
from hubcore.briefing.content import Briefing, MapLayers, Table

#: The three maps of a pack, in page order: key → page heading.
MAPS: dict[str, str] = {
    "coverage": "Coverage gaps by school and small area",
    "priority": "Priority schools",
    "supply": "Employer supply and cold spots",
}

_DECILES = ListedColormap(palettes.DEPRIVATION)


def _frame_axes(ax: Axes, layers: MapLayers) -> None:
    """Fit the axes to the outline (or small areas) with a margin; equal scale, no ticks."""
    shapes = layers.outline if len(layers.outline) else layers.areas
    if len(shapes):
        x0, y0, x1, y1 = shapes.total_bounds
    else:
        x0, y0, x1, y1 = layers.schools.total_bounds
    pad = 0.04 * max(x1 - x0, y1 - y0, 1000.0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor("#999999")


def _nice_km(span_m: float) -> float:
    """A round scale-bar length (km) of about a fifth of ``span_m`` metres."""
    target = span_m / 5 / 1000
    power = 10 ** math.floor(math.log10(target)) if target > 0 else 1
    return max(b * power for b in (1, 2, 5) if b * power <= target) if target >= power else power


def scale_bar(ax: Axes) -> None:
    """A two-segment scale bar in kilometres at the bottom left."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km = _nice_km(x1 - x0)
    length = km * 1000
    bx, by = x0 + 0.03 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    h = 0.008 * (y1 - y0)
    ax.add_patch(Rectangle((bx, by), length / 2, h, fc=style.INK, ec=style.INK, zorder=6))
    ax.add_patch(
        Rectangle((bx + length / 2, by), length / 2, h, fc="white", ec=style.INK, zorder=6)
    )
    for x, label in ((bx, "0"), (bx + length, f"{km:g} km")):
        ax.text(x, by + 2.2 * h, label, ha="center", va="bottom", fontsize=7, zorder=6)


def north_arrow(ax: Axes) -> None:
    """An arrow and "N" at the top right (grid north of EPSG:27700)."""
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "fc": style.INK, "lw": 1.5},
        zorder=6,
    )


def _base(ax: Axes, layers: MapLayers, shade: bool = True) -> list:
    """Small areas (shaded by IMD decile when ``shade``), the LA outline; legend handles."""
    areas = layers.areas
    handles = []
    if len(areas):
        if shade and areas["imd_decile"].notna().any():
            norm = BoundaryNorm(np.arange(0.5, 11.5, 1), _DECILES.N)
            areas.plot(
                ax=ax,
                column="imd_decile",
                cmap=_DECILES,
                norm=norm,
                edgecolor="white",
                linewidth=0.2,
                alpha=0.55,
                zorder=1,
            )
            handles += [
                Patch(fc=_DECILES(0), alpha=0.55, label="Small area, IMD decile 1 (most deprived)"),
                Patch(fc=_DECILES(9), ec="#cccccc", alpha=0.55, label="... decile 10 (least)"),
            ]
        else:
            areas.plot(ax=ax, color="#f2f2f2", edgecolor="white", linewidth=0.2, zorder=1)
    if len(layers.outline):
        layers.outline.boundary.plot(ax=ax, color=style.INK, linewidth=1.0, zorder=3)
        handles.append(Line2D([], [], color=style.INK, lw=1.0, label="Local authority boundary"))
    return handles


def _cold_spots(ax: Axes, layers: MapLayers) -> list:
    spots = layers.areas[layers.areas["cold_spot"]]
    if not len(spots):
        return []
    spots.plot(ax=ax, facecolor="none", edgecolor="#d7301f", hatch="////", linewidth=1.2, zorder=2)
    return [
        Patch(
            fc="none",
            ec="#d7301f",
            hatch="////",
            label=f"Cold spot (all schools within {defaults.RADIUS_KM:g} km below threshold)",
        )
    ]


def draw_coverage(ax: Axes, layers: MapLayers) -> list:
    """Schools meeting / below the threshold on the chosen coverage measure, over deprivation
    and cold spots. Returns legend handles."""
    handles = _base(ax, layers) + _cold_spots(ax, layers)
    sch = layers.schools
    meets, below = sch[sch["meets"]], sch[~sch["meets"]]
    if len(meets):
        meets.plot(
            ax=ax,
            color="#1a9850",
            marker="o",
            markersize=40,
            edgecolor="white",
            linewidth=0.6,
            zorder=4,
        )
    if len(below):
        below.plot(
            ax=ax,
            color="#d73027",
            marker="v",
            markersize=70,
            edgecolor=style.INK,
            linewidth=0.6,
            zorder=5,
        )
    handles += [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            color="#1a9850",
            ms=7,
            label=f"School meeting threshold ({layers.threshold:g})",
        ),
        Line2D(
            [],
            [],
            ls="",
            marker="v",
            color="#d73027",
            mec=style.INK,
            ms=8,
            label="School below threshold (or no data)",
        ),
    ]
    return handles


def draw_priority(ax: Axes, layers: MapLayers) -> list:
    """Schools sized and coloured by priority index (0–100); the ten highest labelled with
    their rank."""
    handles = _base(ax, layers)
    sch = layers.schools[layers.schools["priority_index"].notna()]
    if len(sch):
        values = sch["priority_index"].astype(float)
        sch.plot(
            ax=ax,
            column="priority_index",
            cmap="YlOrRd",
            vmin=0,
            vmax=100,
            markersize=(12 + 2.2 * values).to_numpy(),
            edgecolor=style.INK,
            linewidth=0.5,
            zorder=4,
            legend=True,
            legend_kwds={
                "label": "Priority index (0-100)",
                "shrink": 0.5,
                "location": "bottom",
                "pad": 0.02,
            },
        )
        top = sch.sort_values("rank").head(10)
        for geom, rank in zip(top.geometry, top["rank"], strict=True):
            ax.annotate(
                f"#{int(rank)}",
                (geom.x, geom.y),
                xytext=(5, 5),
                textcoords="offset points",
                fontsize=7,
                fontweight="bold",
                zorder=6,
            )
    handles.append(
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            mfc="#fd8d3c",
            mec=style.INK,
            ms=8,
            label="School (size and colour: priority index; #n = rank)",
        )
    )
    return handles


def draw_supply(ax: Axes, layers: MapLayers) -> list:
    """Employers sized by spare offer places, schools, and cold spots."""
    handles = _base(ax, layers, shade=False) + _cold_spots(ax, layers)
    layers.schools.plot(ax=ax, color="#4575b4", marker="s", markersize=18, zorder=4)
    emp = layers.employers[layers.employers.geometry.notna() & ~layers.employers.is_empty]
    spare = emp[emp["spare"] > 0]
    none = emp[emp["spare"] <= 0]
    if len(none):
        none.plot(
            ax=ax,
            facecolor="none",
            edgecolor="#777777",
            marker="o",
            markersize=8,
            linewidth=0.4,
            zorder=3,
        )
    if len(spare):
        spare.plot(
            ax=ax,
            color="#fdae61",
            edgecolor="#a6611a",
            marker="o",
            alpha=0.85,
            markersize=(8 + 3.0 * spare["spare"].astype(float)).to_numpy(),
            zorder=5,
        )
    handles += [
        Line2D([], [], ls="", marker="s", color="#4575b4", ms=5, label="School"),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            mfc="#fdae61",
            mec="#a6611a",
            ms=9,
            label="Employer with spare places (size: places)",
        ),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            mfc="none",
            mec="#777777",
            ms=4,
            label="Employer, no spare places",
        ),
    ]
    return handles


DRAW = {"coverage": draw_coverage, "priority": draw_priority, "supply": draw_supply}


def _is_number(text: str) -> bool:
    return text.replace(",", "").replace(".", "").lstrip("-").isdigit()


def table_lines(table: Table, max_chars: int = 34) -> list[str]:
    """The table as fixed-width text lines (header first): text left-aligned, numbers
    right-aligned, long text shortened to ``max_chars`` (numbers never are)."""
    rows = [
        [c if len(c) <= max_chars or _is_number(c) else c[: max_chars - 1] + "~" for c in row]
        for row in table.rows
    ]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(table.columns)]
    numeric = [
        bool(rows) and all(_is_number(r[i]) or r[i] in ("c", "–") for r in rows)
        for i in range(len(widths))
    ]

    def line(cells: list[str] | tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    return [line(table.columns), *(line(r) for r in rows)]


def draw_table(ax: Axes, table: Table, fontsize: float = 7, max_chars: int = 34) -> None:
    """``table`` in ``ax`` as monospaced text, one text object per row (a cell-per-artist
    matplotlib table took most of the render time), its title above and note below."""
    ax.set_axis_off()
    ax.text(
        0,
        1,
        table.title,
        transform=ax.transAxes,
        fontsize=9,
        fontweight="bold",
        va="bottom",
        wrap=True,
    )
    lines = table_lines(table, max_chars) if table.rows else [*table.columns[:1], "None."]
    step = fontsize * 1.55 / 72 / (ax.get_position().height * ax.figure.get_figheight())
    y = 0.98
    for i, text in enumerate(lines):
        ax.text(
            0,
            y,
            text,
            transform=ax.transAxes,
            fontsize=fontsize,
            va="top",
            family="DejaVu Sans Mono",
            fontweight="bold" if i == 0 else "normal",
        )
        y -= step
        if i == 0:
            ax.plot([0, 1], [y + step * 0.15] * 2, transform=ax.transAxes, color="#999999", lw=0.5)
    if table.note:
        ax.text(
            0,
            y - step * 0.4,
            table.note,
            transform=ax.transAxes,
            fontsize=6.5,
            color=style.MUTED,
            va="top",
            wrap=True,
        )


def page_frame(fig: Figure, briefing: Briefing, heading: str, page: int | None = None) -> None:
    """Heading, scope, date, and (for synthetic data) the notice, on every page."""
    fig.text(0.03, 0.955, heading, fontsize=15, fontweight="bold", color=style.INK)
    fig.text(
        0.03,
        0.925,
        f"{briefing.title} - {briefing.scope_label} - as of {briefing.as_of.isoformat()}",
        fontsize=8.5,
        color=style.MUTED,
    )
    if briefing.synthetic:
        fig.text(
            0.97,
            0.955,
            notices.SYNTHETIC_TAG,
            fontsize=11,
            fontweight="bold",
            ha="right",
            color="white",
            bbox={"fc": style.SYNTHETIC_COLOUR, "ec": "none", "pad": 3},
        )
    if page is not None:
        fig.text(0.97, 0.02, f"Page {page}", fontsize=7, ha="right", color=style.MUTED)
    fig.text(
        0.03,
        0.02,
        "Disclosure control applied: counts of people under 6 shown as 'c'.",
        fontsize=6.5,
        color=style.MUTED,
    )


def side_tables(briefing: Briefing, key: str) -> list[Table]:
    """The table(s) printed beside each map."""
    return {
        "coverage": [briefing.coverage_gaps],
        "priority": [briefing.priority],
        "supply": [briefing.supply, briefing.coldspots],
    }[key]


def map_figure(
    briefing: Briefing, key: str, page: int | None = None, tables: bool = True
) -> Figure:
    """One A4-landscape map page: map, legend, scale bar, north arrow and, with ``tables``
    (the PDF page), its side table(s); without them (the PNG map) the map is larger."""
    fig = Figure(figsize=style.A4_LANDSCAPE_IN)
    page_frame(fig, briefing, MAPS[key], page)
    # The licences' credit ("Contains OS data © Crown copyright…") under every map, PDF page
    # and PNG alike, as wide as the map (the legend is beside it), the map raised to make room;
    # plain text (no mathtext: a "$" in the data is a "$").
    credit = textwrap.fill(" · ".join(briefing.attributions), 150 if tables else 185)
    low = 0.07 + 0.012 * (credit.count("\n") + 1) if credit else 0.07
    if credit:
        fig.text(0.03, 0.036, credit, fontsize=5.5, color=style.MUTED, va="bottom",
                 usetex=False, parse_math=False)
    ax = fig.add_axes((0.03, low, 0.55 if tables else 0.68, 0.89 - low))
    _frame_axes(ax, briefing.layers)
    handles = DRAW[key](ax, briefing.layers)
    _frame_axes(ax, briefing.layers)  # plotting may widen the limits; the frame is the LA's
    scale_bar(ax)
    north_arrow(ax)
    subtitle = briefing.layers.measure_label if key == "coverage" else ""
    if subtitle:
        # Wrapped to the map's width: one long line ran into the side table's title.
        ax.set_title(textwrap.fill(f"{subtitle}, {briefing.academic_year}", 95), fontsize=9,
                     loc="left")
    legend_x = 0.60 if tables else 0.73
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(legend_x, 0.07),
        fontsize=7,
        frameon=False,
        title="Legend",
        title_fontsize=8,
        alignment="left",
    )
    if not tables:
        return fig
    side = side_tables(briefing, key)
    top = 0.86
    for table in side:
        height = 0.62 / len(side)
        draw_table(
            fig.add_axes((0.60, top - height, 0.37, height - 0.06)),
            table,
            fontsize=6.5,
            max_chars=28,
        )
        top -= height + 0.02
    return fig
