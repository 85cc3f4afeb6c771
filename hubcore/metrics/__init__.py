"""Metrics: pure functions from (Geo)DataFrames of :mod:`hubcore.store` to DataFrames, each
with its formula and units in the docstring. Dashboards, briefings and notebooks call these and
nothing else; :mod:`hubcore.metrics.report` assembles them into export tables with disclosure
control applied.
"""

from __future__ import annotations

from hubcore.metrics.benchmarks import (
    assessment_changes,
    benchmark_rollup,
    frameworks_present,
    school_benchmarks,
)
from hubcore.metrics.coverage import (
    area_coverage,
    bm5_by_year_group,
    bm5_school,
    bm6_reach,
    bm8_by16,
    cold_spots,
    coverage_gaps,
    pal_slots,
    pal_summary,
    participants_by_year_group,
    school_context,
    school_coverage,
    year_group_sizes,
)
from hubcore.metrics.employers import (
    WhatItTakes,
    offer_matches,
    shortfalls,
    spare_offers,
    what_would_it_take,
)
from hubcore.metrics.priority import priority_index
from hubcore.metrics.risk import roni_band, roni_indicators, roni_scores, roni_summary, roni_table
from hubcore.metrics.spatial import distance_km, pairs_within
from hubcore.metrics.transitions import (
    compare_neet,
    destination_mix,
    handover_funnel,
    la_published,
    neet_rates,
    overdue_handovers,
    overdue_list,
    referral_lag,
)

__all__ = [
    "WhatItTakes",
    "area_coverage",
    "assessment_changes",
    "benchmark_rollup",
    "bm5_by_year_group",
    "bm5_school",
    "bm6_reach",
    "bm8_by16",
    "cold_spots",
    "compare_neet",
    "coverage_gaps",
    "destination_mix",
    "distance_km",
    "frameworks_present",
    "handover_funnel",
    "la_published",
    "neet_rates",
    "offer_matches",
    "overdue_handovers",
    "overdue_list",
    "pairs_within",
    "pal_slots",
    "pal_summary",
    "participants_by_year_group",
    "priority_index",
    "referral_lag",
    "roni_band",
    "roni_indicators",
    "roni_scores",
    "roni_summary",
    "roni_table",
    "school_benchmarks",
    "school_context",
    "school_coverage",
    "shortfalls",
    "spare_offers",
    "what_would_it_take",
    "year_group_sizes",
]
