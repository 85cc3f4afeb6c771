"""Colours shared by the served maps and the briefing maps, so both read the same way."""

from __future__ import annotations

#: Deprivation by IMD decile: decile 1 (most deprived) darkest.
DEPRIVATION = [
    "#3f007d", "#54278f", "#6a51a3", "#807dba", "#9e9ac8",
    "#bcbddc", "#dadaeb", "#efedf5", "#f7f5fa", "#fcfbfd",
]
#: Benchmarks achieved 0–8 (or a percent met): red (none) through amber to green (all).
ACHIEVED = [
    "#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b",
    "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850",
]
#: Rates and gaps, percent: pale (low) to dark red (high).
RATE = [
    "#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603",
    "#7f2704",
]
#: Cold spots: not cold (pale) and cold (strong blue).
COLD = ["#f0f0f0", "#08519c"]
