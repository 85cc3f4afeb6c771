"""The disclosure rules of every published table, written once as data.

For each report kind (:data:`SPECS`, keyed like :data:`hubcore.metrics.report.KINDS`): which
columns count people, which count is each percentage's base (and, where it is a column, its
numerator), which statistics rest on which counts, and which cells add up to which totals
within a row, down a column (school → LA → hub rows of the same cohort and year group) and
between the sections one table carries. Pages and the briefing publish subsets of these tables
and use the same specs (:func:`hubcore.disclosure.apply_spec` skips the columns a frame lacks).

A new column of people, or a new section that repeats or adds up another's figures, needs an
entry here; the attacker test (``tests/test_disclosure_attack.py``) fails otherwise.
"""

from __future__ import annotations

from hubcore.codes import DESTINATION_CATEGORIES
from hubcore.disclosure.engine import Relation, Spec

#: The eight Gatsby benchmark columns (percent of the benchmark achieved by an institution).
BM_COLUMNS: tuple[str, ...] = tuple(f"bm{i}" for i in range(1, 9))
_PCT_BM = {f"pct_{c}": None for c in BM_COLUMNS}

#: Destination-mix percentage columns (each stands for a count of leavers).
MIX_PCTS: tuple[str, ...] = tuple(f"pct_{c}" for c in DESTINATION_CATEGORIES)

_SCHOOL = ("urn", "cohort", "year_group")
_HUB = ("cohort", "year_group")
_LA = ("la_gss", "cohort", "year_group")

# Transitions (helper B1): NEET counts are people at the measurement point (Dec-Feb averages);
# funnel rows are per receiving organisation (handed_to), never NCS and LA tracking together.
NEET_COUNTS = ("cohort_leavers", "custody", "denominator", "neet", "not_known", "no_record",
               "neet_nk_pct")
FUNNEL_COUNTS = ("leavers", "handovers", "referred", "not_referred", "contacted", "engaged",
                 "lost", "lost_before_contact", "closed", "still_open")
SUSTAINED_COUNTS = ("leavers", "sust_education", "sust_apprenticeship", "sust_edu_app",
                    "sust_employment", "sust_overall", "not_sustained", "activity_unknown")
_SCHOOL_TO = (*_SCHOOL, "handed_to")
_HUB_TO = (*_HUB, "handed_to")


def rollup(columns: tuple[str, ...], detail: str, total: str, keys: tuple[str, ...]
           ) -> tuple[Relation, ...]:
    """Relations saying that each of ``columns`` in a ``total`` row is the sum over the
    ``detail`` rows with the same ``keys`` (school rows add up to the hub row)."""
    return tuple(Relation(c, (c,), rows=total, part_rows=detail, keys=keys) for c in columns)


def same(column: str, rows: str, other: str, other_column: str, keys: tuple[str, ...]
         ) -> Relation:
    """One figure shown in two sections (the lag section's ``referred`` is the funnel's)."""
    return Relation(column, (other_column,), rows=rows, part_rows=other, keys=keys)


TRANSITIONS_RELATIONS: tuple[Relation, ...] = (
    # within a row
    Relation("leavers", MIX_PCTS),
    Relation("neet_nk_pct", ("neet", "not_known")),
    Relation("cohort_leavers", ("denominator", "custody")),
    Relation("handovers", ("referred", "not_referred")),
    Relation("referred", ("engaged", "lost", "closed", "still_open")),
    Relation("sust_overall", ("sust_edu_app", "sust_employment")),
    Relation("leavers", ("sust_overall", "not_sustained", "activity_unknown"),
             rows="sustained_school", part_rows="sustained_school", keys=_SCHOOL),
    Relation("leavers", ("sust_overall", "not_sustained", "activity_unknown"),
             rows="sustained_hub", part_rows="sustained_hub", keys=_HUB),
    # (NEET counts are people at the measurement point, no longer sums of the destination
    # mix's records, so the mix and NEET sections are not linked by a relation.)
    # down the columns: schools → LA → hub
    *rollup(NEET_COUNTS, "neet_school", "neet_hub", _HUB),
    *rollup(NEET_COUNTS, "neet_school", "neet_la", _LA),
    *rollup(NEET_COUNTS, "neet_la", "neet_hub", _HUB),
    *rollup(FUNNEL_COUNTS, "funnel_school", "funnel_hub", _HUB_TO),
    *rollup(("referred",), "lag_school", "lag_hub", _HUB_TO),
    *rollup(("open", "overdue"), "overdue_school", "overdue_hub", _HUB_TO),
    *rollup(SUSTAINED_COUNTS, "sustained_school", "sustained_hub", _HUB),
    # linked sections: the same figure twice
    same("referred", "lag_school", "funnel_school", "referred", _SCHOOL_TO),
    same("referred", "lag_hub", "funnel_hub", "referred", _HUB_TO),
    same("open", "overdue_school", "funnel_school", "not_referred", _SCHOOL_TO),
    same("open", "overdue_hub", "funnel_hub", "not_referred", _HUB_TO),
)

#: Disclosure rules per report kind.
SPECS: dict[str, Spec] = {
    "benchmarks": Spec(
        percents={
            "mean_percent": None,
            "pct_all_eight": None,
            "change_mean_percent": None,
            **_PCT_BM,
            **{c: None for c in BM_COLUMNS},
        },
        rounded={
            "achieved": 2,
            "change_achieved": 2,
            "national_mean_achieved": 2,
            "national_achieved": 2,
            "vs_national": 2,
        },
        rows_by="level",
    ),  # fmt: skip
    "coverage": Spec(
        counts=(
            "bm5_participants",
            "bm6_by16_places",
            "bm6_by18_places",
            "bm8_y11_meetings",
            "bm8_by18_meetings",
            "y11_cohort",
            "y13_cohort",
        ),
        percents={
            "bm6_by16_pct": "y11_cohort",
            "bm6_by18_pct": "y13_cohort",
            "bm8_by16_pct": "y11_cohort",
            "bm8_by18_pct": "y13_cohort",
            "bm5_pct_year_groups_met": None,
            "pct_meeting_bm5": None,
            "pct_meeting_bm6": None,
            "pct_meeting_bm8": None,
            "pct_pal_met": None,
            "mean_bm6_by16_pct": None,
            "mean_bm8_by16_pct": None,
        },
        numerators={
            "bm6_by16_pct": "bm6_by16_places",
            "bm6_by18_pct": "bm6_by18_places",
            "bm8_by16_pct": "bm8_y11_meetings",
            "bm8_by18_pct": "bm8_by18_meetings",
        },
        rounded={
            "bm5_participants": 0,
            "bm6_by16_places": 0,
            "bm6_by18_places": 0,
            "bm8_y11_meetings": 0,
            "bm8_by18_meetings": 0,
            "bm5_required": 0,
            "bm6_required": 0,
            "bm8_required": 0,
            "y11_cohort": 0,
            "y13_cohort": 0,
            "bm5_min_per_pupil": 2,
            "mean_bm5_min_per_pupil": 2,
            **{f"bm5_per_pupil_y{y}": 2 for y in range(7, 15)},
        },
        rows_by="level",
    ),  # fmt: skip
    "coldspots": Spec(
        rounded={"nearest_km": 2, "mean_measure": 2, "easting": 0, "northing": 0}
    ),
    "employers": Spec(rounded={"distance_km": 2}),
    "what-it-takes": Spec(
        percents={"pct_meeting_now": None, "target_pct": None},
        rounded={"distance_km": 2, "nearest_supplier_km": 2},
        rows_by="level",
    ),
    "transitions": Spec(
        counts=tuple(dict.fromkeys((
            *NEET_COUNTS[:-1], *FUNNEL_COUNTS, *SUSTAINED_COUNTS, "open", "overdue",
            "dfe_pupils",
        ))),
        percents={
            **{p: "leavers" for p in MIX_PCTS},
            "neet_pct": "denominator",
            "not_known_pct": "denominator",
            "neet_nk_pct": "denominator",
            # the funnel: each stage over its own base, named after "_of_"
            "pct_handed_over_of_leavers": "leavers",
            "pct_referred_of_leavers": "leavers",
            "pct_referred_of_handovers": "handovers",
            "pct_contacted_of_referred": "referred",
            "pct_engaged_of_referred": "referred",
            "pct_lost_of_referred": "referred",
            "pct_closed_of_referred": "referred",
            "pct_open_of_referred": "referred",
            # sustained destinations over every leaver of the group
            **{f"pct_{c}": "leavers" for c in SUSTAINED_COUNTS[1:]},
            # published comparators (already published; only rounded)
            "la_neet_pct": None,
            "la_not_known_pct": None,
            "la_neet_nk_pct": None,
            "england_neet_pct": None,
            "england_not_known_pct": None,
            "england_neet_nk_pct": None,
            "dfe_overall_pct": None,
            "dfe_education_pct": None,
            "dfe_apprenticeship_pct": None,
            "dfe_employment_pct": None,
            "dfe_not_sustained_pct": None,
            "dfe_unknown_pct": None,
        },
        numerators={
            "neet_pct": "neet",
            "not_known_pct": "not_known",
            "pct_handed_over_of_leavers": "handovers",
            "pct_referred_of_leavers": "referred",
            "pct_referred_of_handovers": "referred",
            "pct_contacted_of_referred": "contacted",
            "pct_engaged_of_referred": "engaged",
            "pct_lost_of_referred": "lost",
            "pct_closed_of_referred": "closed",
            "pct_open_of_referred": "still_open",
            **{f"pct_{c}": c for c in SUSTAINED_COUNTS[1:]},
        },
        statistics={
            "vs_la_neet_nk": ("denominator", 1),
            "vs_england_neet": ("denominator", 1),
            "vs_england_neet_nk": ("denominator", 1),
            "median_days": ("referred", 1),
            "p90_days": ("referred", 1),
            "mean_days": ("referred", 1),
            "median_days_waiting": ("overdue", 1),
            "max_days_waiting": ("overdue", 0),
        },
        # a difference from a published comparator gives the rate back
        follows={
            "vs_la_neet_nk": ("neet_nk_pct",),
            "vs_england_neet": ("neet_pct",),
            "vs_england_neet_nk": ("neet_nk_pct",),
        },
        relations=TRANSITIONS_RELATIONS,
    ),  # fmt: skip
    "priority": Spec(
        percents={"neet_measure_pct": None},
        rounded={
            "deprivation": 3,
            "benchmark_gap": 3,
            "neet_risk": 3,
            "priority_index": 1,
            "points_deprivation": 1,
            "points_benchmark_gap": 1,
            "points_neet_risk": 1,
        },
    ),  # fmt: skip
}
