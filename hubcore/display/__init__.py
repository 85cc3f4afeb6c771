"""The display layer: every table, chart and map layer the served pages show, as plain data.

Each function takes an engine (and, where a page keeps cached reads, the frames it already
holds), a :class:`~hubcore.access.Scope` and the page's options, and returns a
:class:`pandas.DataFrame` whose columns its docstring lists. Disclosure control is applied here,
through :func:`hubcore.disclosure.apply_spec` with the rules of :data:`RULES`
(``hubcore.disclosure.rules.PAGE_SPECS``, declared as data, one ``Spec`` per source); the
transitions figures (destination mix, funnel, lag, NEET) are rows of the protected transitions
report (:func:`transitions_report`), so the page, the report and the briefing show one value
and hide the same cells. A page only draws what it is given: no page module suppresses or
computes a figure itself. Nothing here imports Panel or Bokeh.

Conventions of every frame:

- a count of people that may not be published is the text ``"c"``
  (:data:`hubcore.disclosure.SUPPRESSED`); counts of schools, employers or events are
  published as they are;
- a percentage is rounded to one decimal and is ``"c"`` where its base or the count it is a
  share of is suppressed, so percentage × base never gives back a suppressed count;
- where a chart needs numbers, a ``*_value`` column (or ``value``) holds the same figure as a
  float, NaN where suppressed;
- ``frame.attrs["display"]`` holds metadata, read with :func:`meta` (``display.meta(frame)``):
  ``title``, ``units`` (every source has both), and where relevant ``palette`` (a name in
  :mod:`hubcore.palettes`), ``low``/``high`` (colour range), ``labels``, ``tooltips``
  (column → label) and ``note`` (how the figures were protected, why a comparator is empty);
- sentences with a count agree with it: :func:`plural` ("1 school", "0 schools").

:data:`SOURCES` names every page data source; each can be called as ``SOURCES[name](engine,
scope)`` with its defaults, which is what the suite's attacker test iterates over.

Modules, named for the page or kind of figure they hold: :mod:`~hubcore.display.base`
(conventions and shared helpers), :mod:`~hubcore.display.overview`, :mod:`~hubcore.display.maps`,
:mod:`~hubcore.display.profile`, :mod:`~hubcore.display.transitions`,
:mod:`~hubcore.display.employers`, :mod:`~hubcore.display.trajectory` (benchmarks projected to
July), :mod:`~hubcore.display.briefing` (what a briefing pack prints). Everything public is
also importable from here.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from hubcore.display.base import (
    FUNNEL_STEPS,
    LAG_BIN_DAYS,
    META_REQUIRED,
    RULES,
    THRESHOLD,
    C,
    benchmarks_at,
    meta,
    numeric,
    plural,
    protect,
    schools,
    text,
)
from hubcore.display.briefing import (
    BriefingFrames,
    briefing_benchmarks,
    briefing_cold_spots,
    briefing_coverage_gaps,
    briefing_frames,
    briefing_funnel,
    briefing_key_figures,
    briefing_lag,
    briefing_neet,
    briefing_priority,
    briefing_supply,
)
from hubcore.display.employers import (
    employer_link_segments,
    employer_points,
    spare_offers,
    suggested_matches,
    what_it_takes,
)
from hubcore.display.maps import (
    CATEGORICAL,
    COVERAGE_BENCHMARKS,
    LAYERS,
    area_coverage,
    area_layer,
    area_neet,
    school_points,
)
from hubcore.display.overview import (
    data_freshness,
    data_imports,
    la_names,
    overview_columns,
    overview_coverage,
    overview_schools,
    overview_sentences,
    overview_summary,
    overview_table,
    region_schools,
    select_schools,
)
from hubcore.display.profile import (
    profile_benchmarks,
    profile_destination_bars,
    profile_destinations,
    profile_encounters,
    profile_funnel,
    profile_heading,
    profile_links,
    profile_trend,
)
from hubcore.display.region import region_side_by_side
from hubcore.display.trajectory import trajectory_hub, trajectory_schools
from hubcore.display.transitions import (
    FUNNEL_COLUMNS,
    PAGE_YEAR_GROUPS,
    cohorts,
    flow_nodes,
    flow_segments,
    funnel_bars,
    lag_histogram,
    neet_bars,
    overdue_list,
    pupil_handovers,
    transitions_flows,
    transitions_funnel,
    transitions_lag,
    transitions_neet,
    transitions_report,
)

#: Every page data source, by name: ``SOURCES[name](engine, scope)`` gives its frame with the
#: defaults (for the school profile's sources, every school in ``scope`` unless the scope names
#: one). The overdue list (pupil rows for allowed roles) is not an aggregate and is not here.
SOURCES: dict[str, Callable[..., pd.DataFrame]] = {
    "schools": schools,
    "overview_schools": overview_schools,
    "area_neet": area_neet,
    "area_coverage": area_coverage,
    "area_layer": area_layer,
    "school_points": school_points,
    "profile_benchmarks": profile_benchmarks,
    "profile_trend": profile_trend,
    "profile_encounters": profile_encounters,
    "profile_links": profile_links,
    "profile_destinations": profile_destinations,
    "profile_destination_bars": profile_destination_bars,
    "profile_funnel": profile_funnel,
    "transitions_funnel": transitions_funnel,
    "transitions_lag": transitions_lag,
    "lag_histogram": lag_histogram,
    "transitions_neet": transitions_neet,
    "transitions_flows": transitions_flows,
    "employer_points": employer_points,
    "employer_link_segments": employer_link_segments,
    "spare_offers": spare_offers,
    "suggested_matches": suggested_matches,
    "what_it_takes": what_it_takes,
    "briefing_benchmarks": briefing_benchmarks,
    "briefing_key_figures": briefing_key_figures,
    "briefing_coverage_gaps": briefing_coverage_gaps,
    "briefing_priority": briefing_priority,
    "briefing_supply": briefing_supply,
    "briefing_cold_spots": briefing_cold_spots,
    "briefing_funnel": briefing_funnel,
    "briefing_lag": briefing_lag,
    "briefing_neet": briefing_neet,
    "region_side_by_side": region_side_by_side,
    "region_schools": region_schools,
    "data_freshness": data_freshness,
    "data_imports": data_imports,
    "trajectory_schools": trajectory_schools,
    "trajectory_hub": trajectory_hub,
}

__all__ = [
    "BriefingFrames",
    "C",
    "CATEGORICAL",
    "COVERAGE_BENCHMARKS",
    "FUNNEL_COLUMNS",
    "FUNNEL_STEPS",
    "LAG_BIN_DAYS",
    "LAYERS",
    "META_REQUIRED",
    "RULES",
    "THRESHOLD",
    "area_coverage",
    "area_layer",
    "area_neet",
    "benchmarks_at",
    "briefing_benchmarks",
    "briefing_cold_spots",
    "briefing_coverage_gaps",
    "briefing_frames",
    "briefing_funnel",
    "briefing_key_figures",
    "briefing_lag",
    "briefing_neet",
    "briefing_priority",
    "briefing_supply",
    "cohorts",
    "employer_link_segments",
    "employer_points",
    "flow_nodes",
    "flow_segments",
    "funnel_bars",
    "la_names",
    "lag_histogram",
    "neet_bars",
    "PAGE_YEAR_GROUPS",
    "meta",
    "numeric",
    "overdue_list",
    "overview_columns",
    "overview_coverage",
    "overview_schools",
    "overview_sentences",
    "overview_summary",
    "overview_table",
    "profile_benchmarks",
    "profile_destination_bars",
    "profile_destinations",
    "profile_encounters",
    "profile_funnel",
    "profile_heading",
    "profile_links",
    "profile_trend",
    "plural",
    "protect",
    "region_side_by_side",
    "region_schools",
    "data_freshness",
    "data_imports",
    "pupil_handovers",
    "school_points",
    "schools",
    "select_schools",
    "spare_offers",
    "suggested_matches",
    "text",
    "transitions_flows",
    "transitions_funnel",
    "transitions_lag",
    "transitions_neet",
    "transitions_report",
    "trajectory_hub",
    "trajectory_schools",
    "what_it_takes",
    "SOURCES",
]
