"""The non-map pages of a briefing (title and summary, benchmarks, transitions) as A4-landscape
matplotlib figures, and :func:`all_pages`, the pack's pages in order.

Page order (the PDF's; headings are text, so they can be read back):

1. title and summary: "Careers Hub briefing", scope, date, sources, synthetic notice, key figures
2. "Benchmark summary against national", with the benchmark trajectory to July
3. "Coverage gaps by school and small area" (map)
4. "Priority schools" (map)
5. "Employer supply and cold spots" (map)
6. "Transitions: hand-overs and NEET"
"""

from __future__ import annotations

import textwrap

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hubcore.briefing import maps, style
from hubcore.briefing.content import DISCLOSURE_NOTE, SYNTHETIC_NOTICE, Briefing

#: Page headings in order (the tests read these back from the PDF).
HEADINGS: tuple[str, ...] = (
    "Careers Hub briefing",
    "Benchmark summary against national",
    *maps.MAPS.values(),
    "Transitions: hand-overs and NEET",
)


def title_page(briefing: Briefing) -> Figure:
    """Title, scope, date, synthetic notice, key figures, sources and the disclosure rule."""
    fig = Figure(figsize=style.A4_LANDSCAPE_IN)
    maps.page_frame(fig, briefing, HEADINGS[0], 1)
    fig.text(0.03, 0.83, briefing.title, fontsize=22, fontweight="bold", color=style.INK)
    fig.text(
        0.03,
        0.79,
        f"{briefing.scope_label}  |  Briefing date {briefing.as_of.isoformat()}"
        f"  |  Coverage year {briefing.academic_year}",
        fontsize=11,
        color=style.MUTED,
    )
    if briefing.synthetic:
        fig.text(
            0.03,
            0.72,
            "\n".join(textwrap.wrap(SYNTHETIC_NOTICE, 110)),
            fontsize=10,
            fontweight="bold",
            color="white",
            va="top",
            bbox={"fc": style.SYNTHETIC_COLOUR, "ec": "none", "pad": 6},
        )
    # Key figures across the page: each names its source beside it (Compass self-assessment
    # or the hub's encounter log), which needs the width; sources and contents go below.
    maps.draw_table(
        fig.add_axes((0.03, 0.36, 0.94, 0.26)), briefing.key_figures, fontsize=9, max_chars=80
    )
    fig.text(0.03, 0.30, "Data sources", fontsize=10, fontweight="bold", va="bottom")
    lines = [
        textwrap.fill(s, 95, initial_indent="- ", subsequent_indent="  ") for s in briefing.sources
    ]
    fig.text(0.03, 0.29, "\n".join(lines), fontsize=8, va="top", linespacing=1.4)
    fig.text(
        0.62, 0.30, textwrap.fill(DISCLOSURE_NOTE, 66), fontsize=8, va="top", color=style.MUTED
    )
    contents = "\n".join(f"{i}. {h}" for i, h in enumerate(HEADINGS, start=1))
    fig.text(0.62, 0.205, "Contents\n" + contents, fontsize=8, va="top", linespacing=1.4)
    return fig


def benchmark_page(briefing: Briefing) -> Figure:
    """The benchmark summary table against national (framework named in every column), and
    under it the benchmark trajectory to the July snapshot: per benchmark for the hub, and the
    schools projected to miss the briefing's benchmark."""
    fig = Figure(figsize=style.A4_LANDSCAPE_IN)
    maps.page_frame(fig, briefing, HEADINGS[1], 2)
    if briefing.trajectory is None or briefing.trajectory_schools is None:
        maps.draw_table(fig.add_axes((0.03, 0.15, 0.94, 0.70)), briefing.benchmarks,
                        fontsize=9, max_chars=80)
        return fig
    # Sizes chosen so that the three tables and their notes keep apart on one page.
    maps.draw_table(fig.add_axes((0.03, 0.55, 0.94, 0.30)), briefing.benchmarks,
                    fontsize=7.5, max_chars=80)
    maps.draw_table(fig.add_axes((0.03, 0.30, 0.94, 0.16)), briefing.trajectory,
                    fontsize=6.5, max_chars=40)
    maps.draw_table(fig.add_axes((0.03, 0.05, 0.94, 0.17)), briefing.trajectory_schools,
                    fontsize=6.5, max_chars=70)
    return fig


def _funnel_bars(ax: Axes, stages: list[tuple[str, object]], year: int, cohort: str) -> None:
    """Bars of the funnel stages; a suppressed stage ("c") gets no bar, only its label."""
    # Two-word stage names on two lines: side by side they ran into each other.
    labels = [s.replace(" ", "\n", 1) for s, _ in stages]
    heights = [v if isinstance(v, (int, float)) else 0 for _, v in stages]
    ax.bar(labels, heights, color=["#4575b4", "#74add1", "#abd9e9", "#1a9850"])
    top = max([h for h in heights if h] or [1])
    for i, (_, value) in enumerate(stages):
        text = value if isinstance(value, str) else f"{int(value):,}"
        ax.text(i, (heights[i] or 0) + 0.02 * top, text, ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, top * 1.15)
    ax.set_title(f"Year {year} leavers, cohort {cohort}", fontsize=9, loc="left")
    # Bars carry their (disclosed) values; a numeric axis would only add unlabelled numbers.
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.set_yticks([])
    ax.tick_params(labelsize=6)


def funnel_figure(briefing: Briefing) -> Figure:
    """The funnel charts alone (for the HTML page): 9 × 3.2 inches."""
    fig = Figure(figsize=(9, 3.2))
    cohort = briefing.funnel.rows[-1][0] if briefing.funnel.rows else ""
    years = sorted(briefing.funnel_chart)
    for i, year in enumerate(years):
        ax = fig.add_axes((0.07 + 0.5 * i, 0.12, 0.40, 0.72))
        _funnel_bars(ax, briefing.funnel_chart[year], year, cohort)
    return fig


def transitions_figure(briefing: Briefing, page: int | None = 6) -> Figure:
    """Hand-over funnel (latest cohort, Year 11 and Year 13 apart), referral lag and overdue
    hand-overs, NEET/not-known against the LA and England."""
    fig = Figure(figsize=style.A4_LANDSCAPE_IN)
    maps.page_frame(fig, briefing, HEADINGS[-1], page)
    cohort = briefing.funnel.rows[-1][0] if briefing.funnel.rows else ""
    for i, year in enumerate(sorted(briefing.funnel_chart)):
        ax = fig.add_axes((0.04 + 0.24 * i, 0.62, 0.20, 0.24))
        _funnel_bars(ax, briefing.funnel_chart[year], year, cohort)
    # Sizes chosen so that no table runs off the page or into the next (twelve funnel rows:
    # three cohorts, two year groups, two receiving organisations).
    maps.draw_table(fig.add_axes((0.54, 0.58, 0.43, 0.27)), briefing.lag, fontsize=5.5)
    maps.draw_table(fig.add_axes((0.03, 0.29, 0.94, 0.25)), briefing.funnel, fontsize=6.5)
    maps.draw_table(fig.add_axes((0.03, 0.06, 0.94, 0.17)), briefing.neet, fontsize=6.5,
                    max_chars=40)
    return fig


def all_pages(briefing: Briefing) -> list[Figure]:
    """Every page of the pack, in order."""
    return [
        title_page(briefing),
        benchmark_page(briefing),
        *(maps.map_figure(briefing, key, page) for page, key in enumerate(maps.MAPS, start=3)),
        transitions_figure(briefing),
    ]
