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

from dataclasses import replace

from hubcore.codes import DESTINATION_CATEGORIES
from hubcore.disclosure.engine import Relation, Spec

#: The eight Gatsby benchmark columns (percent of the benchmark achieved by an institution).
BM_COLUMNS: tuple[str, ...] = tuple(f"bm{i}" for i in range(1, 9))
_PCT_BM = {f"pct_{c}": None for c in BM_COLUMNS}

#: Destination-mix percentage columns (each stands for a count of leavers; with no record
#: by the measurement point they add up to the leavers: hubcore.metrics.destination_mix).
MIX_PCTS: tuple[str, ...] = tuple(f"pct_{c}" for c in (*DESTINATION_CATEGORIES, "no_record"))

_SCHOOL = ("urn", "cohort", "year_group")
_HUB = ("cohort", "year_group")
_LA = ("la_gss", "cohort", "year_group")
# Transitions (helper B1): NEET counts are people at the measurement point (Dec-Feb averages);
# funnel rows are per receiving organisation (handed_to), never NCS and LA tracking together.
_FUNNEL_SCHOOL = (*_SCHOOL, "handed_to")
_FUNNEL_HUB = (*_HUB, "handed_to")

NEET_COUNTS: tuple[str, ...] = (
    "cohort_leavers", "custody", "denominator", "neet", "not_known", "no_record", "neet_nk_pct",
)  # fmt: skip
FUNNEL_COUNTS: tuple[str, ...] = (
    "leavers", "handovers", "referred", "not_referred", "contacted", "engaged", "lost",
    "lost_before_contact", "closed", "still_open",
)  # fmt: skip
SUSTAINED_COUNTS: tuple[str, ...] = (
    "leavers", "sust_education", "sust_apprenticeship", "sust_edu_app", "sust_employment",
    "sust_overall", "not_sustained", "activity_unknown",
)  # fmt: skip
#: Funnel percentages: {percentage: (numerator, base)}.
FUNNEL_PCTS: dict[str, tuple[str, str]] = {
    "pct_handed_over_of_leavers": ("handovers", "leavers"),
    "pct_referred_of_leavers": ("referred", "leavers"),
    "pct_referred_of_handovers": ("referred", "handovers"),
    "pct_contacted_of_referred": ("contacted", "referred"),
    "pct_engaged_of_referred": ("engaged", "referred"),
    "pct_lost_of_referred": ("lost", "referred"),
    "pct_closed_of_referred": ("closed", "referred"),
    "pct_open_of_referred": ("still_open", "referred"),
    # the funnel's names before the NCS / LA-tracking split
    "pct_referred": ("referred", "left"),
    "pct_contacted": ("contacted", "referred"),
    "pct_engaged": ("engaged", "contacted"),
    "pct_lost": ("lost", "contacted"),
}
SUSTAINED_PCTS: tuple[str, ...] = tuple(f"pct_{c}" for c in SUSTAINED_COUNTS[1:])


def neet_rest(spec: Spec, base: str = "denominator", neet: str = "neet",
              not_known: str = "not_known") -> Spec:
    """``spec`` with the one rule for every NEET rate shown beside its base (report, pages,
    briefing): the leavers in ``base`` who are neither NEET nor not known (``_rest`` = base −
    NEET − not known, people) are a count like any other. No table prints it, but anyone
    reading a rate and its base gets it by subtraction (87.5 % NEET or not known of 8 leavers:
    1 is not), and DOMAIN.md's publishing rules suppress "any cell under 6 learners, or any
    cell that would allow re-identification" (§7; DfE practice, §5.5): so it is suppressed
    when 1–5, with complements, and the rates resting on it are ``c``. ``_rest`` is a
    :attr:`Spec.derived` count (base = NEET + not known + rest) and also base = NEET + not
    known rate + rest, since the combined rate alone gives NEET + not known back. The
    arguments name the columns where a page calls them otherwise."""
    return replace(spec, derived={**spec.derived, "_rest": (base, (neet, not_known))},
                   relations=(*spec.relations, Relation(base, ("neet_nk_pct", "_rest"))))


def rollup(columns: tuple[str, ...], detail: str, total: str, keys: tuple[str, ...]
           ) -> tuple[Relation, ...]:
    """Relations saying that each of ``columns`` in a ``total`` row is the sum over the
    ``detail`` rows with the same ``keys`` (school rows add up to the hub row)."""
    return tuple(Relation(c, (c,), rows=total, part_rows=detail, keys=keys) for c in columns)


def same(column: str, rows: str, other: str, other_column: str, keys: tuple[str, ...],
         where: tuple[tuple[str, object], ...] = ()) -> Relation:
    """One figure shown in two sections (the lag section's ``referred`` is the funnel's)."""
    return Relation(column, (other_column,), rows=rows, part_rows=other, keys=keys, where=where)


TRANSITIONS_RELATIONS: tuple[Relation, ...] = (
    # within a row (each holds only in the rows that have all its columns)
    Relation("leavers", MIX_PCTS),
    Relation("cohort_leavers", ("custody", "denominator")),
    Relation("neet_nk_pct", ("neet", "not_known")),
    Relation("handovers", ("referred", "not_referred")),
    Relation("left", ("referred", "not_referred")),
    Relation("referred", ("engaged", "lost", "closed", "still_open")),
    Relation("leavers", ("sust_overall", "not_sustained", "activity_unknown")),
    Relation("sust_overall", ("sust_edu_app", "sust_employment")),
    # inequalities: the rest is a count that is not published
    Relation("sust_edu_app", ("sust_education", "sust_apprenticeship"), partial=True),
    Relation("not_known", ("no_record",), partial=True),
    Relation("lost", ("lost_before_contact",), partial=True),
    Relation("referred", ("contacted",), partial=True),
    Relation("open", ("overdue",), partial=True),
    Relation("leavers", ("handovers",), partial=True),
    # down the columns: schools → LA → hub
    *rollup(NEET_COUNTS, "neet_school", "neet_hub", _HUB),
    *rollup(NEET_COUNTS, "neet_school", "neet_la", _LA),
    *rollup(NEET_COUNTS, "neet_la", "neet_hub", _HUB),
    *rollup(("_rest",), "neet_school", "neet_hub", _HUB),
    *rollup(("_rest",), "neet_school", "neet_la", _LA),
    *rollup(("_rest",), "neet_la", "neet_hub", _HUB),
    *rollup(FUNNEL_COUNTS, "funnel_school", "funnel_hub", _FUNNEL_HUB),
    *rollup(("left",), "funnel_school", "funnel_hub", _HUB),
    *rollup(("referred",), "lag_school", "lag_hub", _FUNNEL_HUB),
    *rollup(("open", "overdue"), "overdue_school", "overdue_hub", _FUNNEL_HUB),
    *rollup(SUSTAINED_COUNTS, "sustained_school", "sustained_hub", _HUB),
    # linked sections: the same figure twice
    same("referred", "lag_school", "funnel_school", "referred", _FUNNEL_SCHOOL),
    same("referred", "lag_hub", "funnel_hub", "referred", _FUNNEL_HUB),
    same("open", "overdue_school", "funnel_school", "not_referred", _FUNNEL_SCHOOL),
    same("open", "overdue_hub", "funnel_hub", "not_referred", _FUNNEL_HUB),
    same("leavers", "funnel_school", "neet_school", "cohort_leavers", _SCHOOL),
    same("leavers", "funnel_hub", "neet_hub", "cohort_leavers", _HUB),
    same("leavers", "sustained_school", "funnel_school", "leavers", _SCHOOL,
         (("handed_to", "ncs"),)),
    same("leavers", "sustained_hub", "funnel_hub", "leavers", _HUB, (("handed_to", "ncs"),)),
    # the destination mix counts every leaver of the cohort, each year after leaving (B3)
    same("leavers", "destination_mix", "funnel_school", "leavers", _SCHOOL,
         (("handed_to", "ncs"),)),
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
    "transitions": neet_rest(Spec(
        counts=(
            *NEET_COUNTS[:-1],
            *FUNNEL_COUNTS,
            *SUSTAINED_COUNTS[1:],
            "left",
            "open",
            "overdue",
        ),
        percents={
            **{p: "leavers" for p in MIX_PCTS},
            **{p: "leavers" for p in SUSTAINED_PCTS},
            **{p: base for p, (_, base) in FUNNEL_PCTS.items()},
            "neet_pct": "denominator",
            "not_known_pct": "denominator",
            "neet_nk_pct": "denominator",
            "la_neet_pct": None,
            "la_not_known_pct": None,
            "la_neet_nk_pct": None,
        },
        numerators={
            **{f"pct_{c}": c for c in SUSTAINED_COUNTS[1:]},
            **{p: num for p, (num, _) in FUNNEL_PCTS.items()},
            "neet_pct": "neet",
            "not_known_pct": "not_known",
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
    )),  # fmt: skip
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


# --- page data sources (hubcore.display) ------------------------------------------------------
#
# What the served pages show, by hubcore.display source name. A helper column (named with a
# leading "_") declares a count the page does not show but a reader could derive (a
# percentage's numerator, the rest of a total); hubcore.display drops it after protection.
# The destination mix, funnel and lag rows the pages show are the transitions report's, under
# its rules above (SPECS["transitions"]).


def neet_rate_spec(base: str) -> Spec:
    """NEET + not known over ``base`` (a page's rate beside its base): the rate stands for the
    leavers NEET (``_neet``) or not known (``_nk``), which with the other leavers (``_rest``,
    :func:`neet_rest`, the report's rule) make up the base shown beside it, so neither group
    can be 1–5 behind a shown rate."""
    return neet_rest(Spec(counts=(base, "_neet", "_nk"), percents={"neet_nk_pct": base},
                          relations=(Relation("neet_nk_pct", ("_neet", "_nk")),)),
                     base, "_neet", "_nk")


PAGE_SPECS: dict[str, Spec] = {
    # Reach percentages of the Year 11 cohort, with their places and cohort as helpers.
    "overview_schools": Spec(
        counts=("_bm6_places", "_bm8_meetings", "_y11"),
        percents={"bm6_by16_pct": "_y11", "bm8_by16_pct": "_y11",
                  **dict.fromkeys(BM_COLUMNS)},
        numerators={"bm6_by16_pct": "_bm6_places", "bm8_by16_pct": "_bm8_meetings"},
        rounded={"change_achieved": 0, "bm5_min_per_pupil": 2},
    ),
    "area_neet": neet_rate_spec("leavers"),
    # Schools near each area, not people: only rounded.
    "area_coverage": Spec(percents={"pct_below": None},
                          rounded={"nearest_km": 2, "mean_measure": 2}),
    "profile_encounters": Spec(counts=("participants",)),
    # The bins add up to the referrals of the lag line (the "total" row, not shown).
    "lag_histogram": Spec(counts=("handovers",), rows_by="_row",
                          relations=(Relation("handovers", ("handovers",), rows="total",
                                              part_rows="bin", keys=("_group",)),)),
    # A school's destination flows add up to its leavers of the year group ("total" rows).
    "transitions_flows": Spec(counts=("leavers",), rows_by="_row",
                              relations=(Relation("leavers", ("leavers",), rows="total",
                                                  part_rows="flow",
                                                  keys=("urn", "year_group")),)),
    "suggested_matches": SPECS["employers"],
    "what_it_takes": SPECS["what-it-takes"],
}
