"""Report tables per metric family, ready for export with disclosure control applied.

Each ``*_for_scope(engine, scope, ...)`` is a thin wrapper: it reads through
:mod:`hubcore.store` and calls the pure functions of :mod:`hubcore.metrics`. :func:`build`
returns one table per report KIND (benchmarks, coverage, coldspots, employers, what-it-takes,
transitions, priority) and :func:`export_table` passes it through
:func:`hubcore.disclosure.apply_spec` with the family's :class:`~hubcore.disclosure.Spec`: counts
of people under 6 become "c", percentages are rounded to one decimal and suppressed where their
base is under 6. Tables with more than one kind of row carry a ``level`` (or ``section``)
column saying which.

Only aggregate store reads are used (no pupil rows), so every report is safe for a role that
sees aggregates only once disclosure is applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import defaults, disclosure, store
from hubcore.access import Scope
from hubcore.errors import HubcoreError
from hubcore.metrics import benchmarks as bm
from hubcore.metrics import coverage as cov
from hubcore.metrics import employers as emp
from hubcore.metrics import priority as prio
from hubcore.metrics import transitions as tr

KINDS: tuple[str, ...] = (
    "benchmarks",
    "coverage",
    "coldspots",
    "employers",
    "what-it-takes",
    "transitions",
    "priority",
)

#: Cold-spot measure per benchmark from the encounter log: column and threshold. Each meets
#: its threshold exactly when the school meets the benchmark as the framework states it for
#: its kind of institution (:data:`hubcore.benchmarks.THRESHOLDS`): BM5 every measured year
#: group at the kind's encounters per pupil; BM6/BM8 the 0/1 scores of
#: :func:`hubcore.metrics.coverage.measure_scores` (by 16 for schools, end of programme for
#: colleges).
COVERAGE_MEASURES: dict[int, tuple[str, float]] = {
    5: ("bm5_pct_year_groups_met", 100.0),
    6: ("bm6_met_score", 1.0),
    7: ("pal_met_score", 1.0),
    8: ("bm8_met_score", 1.0),
}


@dataclass(frozen=True)
class Options:
    """Parameters every report may use (each report reads the ones it needs)."""

    academic_year: str | None = None
    benchmark: int = defaults.BENCHMARK
    # Cold spots: "coverage" (encounter log) or "assessment" (latest Compass percent).
    source: str = defaults.COLDSPOT_SOURCE
    threshold: float | None = None
    radius_km: float = defaults.RADIUS_KM
    nearest: int = 5
    max_km: float = 25.0
    target_pct: float = defaults.TARGET_PCT
    as_of: dt.date | None = None
    overdue_days: int = defaults.OVERDUE_DAYS
    years_after: int = 1
    priority_weights: dict[str, float] = field(default_factory=lambda: dict(prio.DEFAULT_WEIGHTS))


# --- convenience wrappers: store read, then the pure function ---------------------------------


def school_benchmarks_for_scope(engine: Engine, scope: Scope) -> pd.DataFrame:
    """:func:`hubcore.metrics.benchmarks.school_benchmarks` on the scope's assessments."""
    return bm.school_benchmarks(store.assessments(engine, scope))


def coverage_inputs_for_scope(
    engine: Engine, scope: Scope, academic_year: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The encounter summary (this year and last, which BM6 reach needs), the schools, and the
    academic year measured (default: the latest in the log)."""
    years = store.encounter_years(engine, scope)
    year = academic_year or (years[-1] if years else None)
    if year is None:
        raise HubcoreError("no encounters recorded for this scope: nothing to measure")
    wanted = [year, cov.previous_academic_year(year)]
    summary = store.encounter_summary(engine, scope, academic_years=wanted)
    schools = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    return summary, schools, year


def school_coverage_for_scope(
    engine: Engine, scope: Scope, academic_year: str | None = None
) -> pd.DataFrame:
    """:func:`hubcore.metrics.coverage.school_coverage` for the scope."""
    summary, schools, year = coverage_inputs_for_scope(engine, scope, academic_year)
    return cov.school_coverage(summary, schools, year)


def destination_counts_for_scope(
    engine: Engine, scope: Scope, as_of: dt.date | None = None
) -> pd.DataFrame:
    """:func:`hubcore.store.destination_status_counts` (aggregate; people at the mix's
    measurement point, ``as_of`` default today)."""
    return store.destination_status_counts(engine, scope, as_of)


# --- report tables ----------------------------------------------------------------------------


def benchmarks_table(engine: Engine, scope: Scope, opts: Options) -> pd.DataFrame:
    """Per school (latest assessment, change, national), then per LA and for the hub, each
    split by framework."""
    assessments = store.assessments(engine, scope)
    latest = bm.school_benchmarks(assessments)
    schools = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    per_school = latest.merge(schools[["urn", "name", "kind", "la_gss"]], on="urn", how="left")
    per_school = per_school.assign(level="school", key=per_school["urn"].astype(str), schools=1)
    names = {"mean_achieved": "achieved", "mean_change_achieved": "change_achieved"}
    hub = bm.benchmark_rollup(latest).assign(level="hub", key=scope.hub_id or "all")
    hub = hub.rename(columns=names)
    la = bm.benchmark_rollup(latest, by=("la_gss",), schools=schools).rename(columns=names)
    la = la.assign(level="la", key=la["la_gss"].astype(str))
    # The like-for-like national comparison: each school's latest assessment that has a
    # national figure (after the framework change, its last 2014-framework one).
    # (bm.national_rollup for the hub and per LA, the comparison itself made once)
    compared = bm.national_comparison(assessments)
    hub_nat = bm.benchmark_rollup(compared).rename(columns=names)
    hub_nat = hub_nat.assign(level="hub_national", key=scope.hub_id or "all")
    la_nat = bm.benchmark_rollup(compared, by=("la_gss",), schools=schools)
    la_nat = la_nat.rename(columns=names)
    la_nat = la_nat.assign(level="la_national", key=la_nat["la_gss"].astype(str))
    cols = [
        "level", "key", "name", "kind", "framework", "academic_year", "assessed_on", "schools",
        "achieved", "mean_percent", "change_achieved", "change_mean_percent", "framework_changed",
        "previous_framework", "pct_all_eight", *[f"pct_{c}" for c in bm.BM_COLUMNS],
        *bm.BM_COLUMNS, "national_framework", "national_academic_year", "national_achieved",
        "national_mean_achieved", "vs_national", "national_note",
    ]  # fmt: skip
    out = pd.concat([per_school, la, hub, la_nat, hub_nat], ignore_index=True)
    out = out.reindex(columns=cols)
    out["assessed_on"] = pd.to_datetime(out["assessed_on"]).dt.date.astype("string")
    return out


def coverage_table(engine: Engine, scope: Scope, opts: Options) -> pd.DataFrame:
    """Per school coverage (BM5–BM8, PAL), then gap breakdowns by school kind, deprivation
    decile and LA. A scope with no encounters at all gets one row per school saying so
    (``note`` = "no encounters recorded"), not an error: there is nothing to measure, and the
    table says why."""
    if opts.academic_year is None and not store.encounter_years(engine, scope):
        schools = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
        return schools[["urn", "name", "kind"]].assign(
            level="school",
            group=schools["urn"].astype(str),
            academic_year=pd.Series(pd.NA, index=schools.index, dtype="string"),
            note=cov.NOTE_NO_ENCOUNTERS,
        )
    summary, schools, year = coverage_inputs_for_scope(engine, scope, opts.academic_year)
    per_school = cov.school_coverage(summary, schools, year)
    areas = store.areas(engine, scope)
    ctx = cov.school_context(schools, areas)
    per_school = per_school.merge(ctx[["urn", "la_gss", "imd_decile"]], on="urn", how="left")
    per_school = per_school.assign(level="school", group=per_school["urn"].astype(str))
    gaps = [
        cov.coverage_gaps(per_school.drop(columns=["la_gss", "imd_decile"]), schools, areas, by=b)
        for b in ("kind", "imd_decile", "la_gss")
    ]
    gap_rows = pd.concat(gaps, ignore_index=True)
    gap_rows = gap_rows.assign(level=gap_rows.pop("breakdown"), academic_year=year)
    gap_rows["group"] = gap_rows["group"].astype(str)
    return pd.concat([per_school, gap_rows], ignore_index=True)


def school_measure_for_scope(
    engine: Engine, scope: Scope, opts: Options, coverage: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, str, float]:
    """Per-school values of the measure cold spots and coverage gaps use for
    ``opts.benchmark`` (an assessment percent, or an encounter-coverage measure for BM5–BM8),
    its column and its threshold. ``coverage``, when given, is
    :func:`school_coverage_for_scope` for the same scope and ``opts.academic_year``, already
    read (it serves every one of BM5–BM8)."""
    if opts.source == "assessment":
        latest = school_benchmarks_for_scope(engine, scope)
        measure = f"bm{opts.benchmark}"
        threshold = 100.0 if opts.threshold is None else opts.threshold
        return latest[["urn", measure]], measure, threshold
    if opts.benchmark not in COVERAGE_MEASURES:
        raise HubcoreError(f"no coverage measure for BM{opts.benchmark}; use 5, 6, 7 or 8")
    if coverage is None:
        coverage = school_coverage_for_scope(engine, scope, opts.academic_year)
    values = cov.measure_scores(coverage)
    measure, default = COVERAGE_MEASURES[opts.benchmark]
    threshold = default if opts.threshold is None else opts.threshold
    return values[["urn", measure]], measure, threshold


def coldspots_table(engine: Engine, scope: Scope, opts: Options) -> pd.DataFrame:
    """Small areas where every school within ``radius_km`` is below threshold. Only the
    scope's schools are seen: for a hub, a neighbouring hub's school does not lift an area."""
    values, measure, threshold = school_measure_for_scope(engine, scope, opts)
    schools = store.schools(engine, scope)
    areas = store.areas(engine, scope)
    return cov.cold_spots(areas, schools, values, measure, threshold, opts.radius_km)


def _employer_inputs(
    engine: Engine, scope: Scope, opts: Options
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    summary, schools, year = coverage_inputs_for_scope(engine, scope, opts.academic_year)
    coverage = cov.school_coverage(summary, schools, year)
    offers = store.employer_offers(engine, scope, academic_year=year)
    spare = emp.spare_offers(offers, store.employers(engine, scope))
    return summary, schools, coverage, spare, year


def employers_table(engine: Engine, scope: Scope, opts: Options) -> pd.DataFrame:
    """Spare employer offers with the nearest schools that have a matching gap, ranked."""
    _, schools, coverage, spare, _ = _employer_inputs(engine, scope, opts)
    return emp.offer_matches(spare, schools, coverage, opts.nearest, opts.max_km)


def what_it_takes_table(engine: Engine, scope: Scope, opts: Options) -> pd.DataFrame:
    """The "what would it take" summary row followed by the schools to lift (greedy order) and
    the nearest supplier of each."""
    summary, schools, coverage, spare, year = _employer_inputs(engine, scope, opts)
    yg = cov.bm5_by_year_group(summary, schools, year) if opts.benchmark == 5 else None
    result = emp.what_would_it_take(
        coverage, schools, spare, opts.benchmark, opts.target_pct, opts.radius_km, yg
    )
    nearest = result.suppliers.groupby("urn", as_index=False).head(1)
    nearest = nearest[["urn", "employer_name", "distance_km"]].rename(
        columns={"employer_name": "nearest_supplier", "distance_km": "nearest_supplier_km"}
    )
    lift = result.schools.merge(nearest, on="urn", how="left").assign(level="school")
    head = result.summary.assign(level="summary", academic_year=year)
    return pd.concat([head, lift], ignore_index=True)


def transitions_table(engine: Engine, scope: Scope, opts: Options) -> pd.DataFrame:
    """Sections: destination mix per school/cohort/year group/years after; NEET and not-known
    rates per young person (DfE's December–February average, else a named snapshot) per school,
    LA and for the hub, each year group against the England figure for its age; the hand-over
    funnel (leavers → hand-overs → referred → contacted → outcome, NCS apart from LA tracking),
    referral lags and overdue hand-overs per school, year group and receiving organisation;
    sustained destinations (two terms) per school beside DfE's published measure, and for the
    hub. Year 11 and Year 13 are never pooled."""
    counts = destination_counts_for_scope(engine, scope, opts.as_of)
    # Destination measures follow a cohort for three years after leaving (DOMAIN.md §1.2 BM3).
    counts = counts[counts["years_after"].between(1, 3)]
    schools = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    la_stats = store.la_neet_stats(engine, sorted(schools["la_gss"].dropna().unique().tolist()))
    mix = tr.destination_mix(counts).assign(section="destination_mix")
    school_keys, hub_keys = ("urn", "cohort", "year_group"), ("cohort", "year_group")
    ya = opts.years_after
    status = store.neet_status_counts(engine, scope, ya, opts.as_of)
    per_school = tr.neet_rates(status, school_keys, ya)
    per_school = tr.compare_neet(per_school, la_stats, schools, ya).assign(section="neet_school")
    with_la = status.merge(schools[["urn", "la_gss"]], on="urn", how="left")
    per_la = tr.neet_rates(with_la, ("la_gss", *hub_keys), ya)
    per_la = tr.compare_neet(per_la, la_stats, years_after=ya).assign(section="neet_la")
    hub = tr.neet_rates(status, hub_keys, ya)
    hub = tr.compare_neet(hub, la_stats, years_after=ya).assign(section="neet_hub")
    hand = store.handover_dates(engine, scope)
    people = store.leaver_counts(engine, scope)
    as_of, days = opts.as_of, opts.overdue_days
    funnel = pd.concat(
        [
            tr.handover_funnel(hand, people, school_keys).assign(section="funnel_school"),
            tr.handover_funnel(hand, people, hub_keys).assign(section="funnel_hub"),
        ]
    )
    # Lags and overdue counts per receiving organisation too: NCS and LA tracking apart.
    by_school, by_hub = (*school_keys, "to_org_type"), (*hub_keys, "to_org_type")
    lags = pd.concat(
        [
            tr.referral_lag(hand, by_school).assign(section="lag_school"),
            tr.referral_lag(hand, by_hub).assign(section="lag_hub"),
        ]
    )
    overdue = pd.concat(
        [
            tr.overdue_handovers(hand, as_of, days, by_school).assign(section="overdue_school"),
            tr.overdue_handovers(hand, as_of, days, by_hub).assign(section="overdue_hub"),
        ]
    )
    lags_overdue = pd.concat([lags, overdue]).rename(columns={"to_org_type": "handed_to"})
    sustained = store.sustained_counts(engine, scope, opts.as_of)
    published = store.school_destination_measures(engine, scope)
    sust_school = tr.compare_sustained(
        tr.sustained_destinations(sustained, school_keys), published
    ).assign(section="sustained_school")
    sust_hub = tr.sustained_destinations(sustained, hub_keys).assign(section="sustained_hub")
    out = pd.concat(
        [mix, per_school, per_la, hub, funnel, lags_overdue, sust_school, sust_hub],
        ignore_index=True,
    )
    first = ["section", "urn", "la_gss", "cohort", "year_group", "years_after", "handed_to"]
    return out[[*first, *[c for c in out.columns if c not in first]]]


def priority_table(engine: Engine, scope: Scope, opts: Options) -> pd.DataFrame:
    """Priority index per school with its components. NEET risk uses the NEET + not known
    percent of the school's Year 11 leavers (never pooled with Year 13) one year after leaving,
    latest cohort (:func:`priority_neet`); a school whose base is under the disclosure
    threshold, or with no Year 11 leavers, gets the hub mean instead (named in ``imputed``), so
    the index never reveals a small cohort's rate."""
    schools = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    areas = store.areas(engine, scope)
    latest = school_benchmarks_for_scope(engine, scope)
    status = store.neet_status_counts(engine, scope, opts.years_after, opts.as_of)
    published = export_table(engine, "transitions", scope, opts)
    neet = priority_neet(status, opts.years_after, published)
    return prio.priority_index(schools, latest, neet, areas, weights=opts.priority_weights)


def priority_neet(
    counts: pd.DataFrame, years_after: int = 1, published: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The NEET-risk input of the priority index from ``counts``
    (:func:`hubcore.store.neet_status_counts`: per young person at the measurement point):
    Year 11 leavers' rates per school, latest cohort, bases under the disclosure threshold left
    out (:func:`hubcore.metrics.priority.year11_neet`). The cohort is the latest whose
    December–February average is complete (a cohort measured only by an autumn snapshot has
    many leavers with no record yet, all "not known"); the latest cohort where none is. One
    function, so the report and the briefing cannot differ.

    The index and its ``neet_measure_pct`` show a school's rate beside nothing, but the
    transitions report publishes that school's base: a rate is kept only where it may be
    published. That is where the NEET + not-known count and the rest of the base are each 0 or
    at least the threshold (young people, averaged over the measurement points) and, given
    ``published`` (the protected transitions report, :func:`export_table`), where the
    report's ``neet_school`` row shows the rate too (complementary suppression may hide more).
    Schools left out get the hub mean in the index (``imputed``)."""
    rates = tr.neet_rates(counts, ("urn", "cohort", "year_group"), years_after)
    flagged = rates["neet"] + rates["not_known"]
    rest = rates["denominator"] - flagged
    # Averages of three month ends can be thirds: compare at a hair under the threshold.
    small = lambda n: (n > 1e-9) & (n < disclosure.THRESHOLD - 1e-9)  # noqa: E731
    rates = rates[~(small(flagged) | small(rest))]
    if published is not None and "section" in published.columns:
        rows = published[published["section"].eq("neet_school")]
        shown = rows[pd.to_numeric(rows["neet_nk_pct"], errors="coerce").notna()]
        keys = pd.MultiIndex.from_frame(
            shown[["urn", "cohort", "year_group"]].astype("int64")
        )
        mine = pd.MultiIndex.from_frame(rates[["urn", "cohort", "year_group"]].astype("int64"))
        rates = rates[mine.isin(keys)]
    cohort = None
    if "point" in counts.columns:
        # Complete = all three of DfE's points; a snapshot at the end of December alone is
        # also called "dec", so one point is not enough.
        y11 = counts[counts["year_group"].eq(prio.NEET_YEAR_GROUP)]
        y11 = y11[y11["point"].isin(["dec", "jan", "feb"])]
        points = y11.groupby("cohort")["point"].nunique()
        complete = points.index[points.eq(3)]
        cohort = int(max(complete)) if len(complete) else None
    return prio.year11_neet(rates, min_base=disclosure.THRESHOLD, cohort=cohort)


BUILDERS = {
    "benchmarks": benchmarks_table,
    "coverage": coverage_table,
    "coldspots": coldspots_table,
    "employers": employers_table,
    "what-it-takes": what_it_takes_table,
    "transitions": transitions_table,
    "priority": priority_table,
}

#: Disclosure rules per report kind: written once, as data, in :mod:`hubcore.disclosure.rules`.
SPECS: dict[str, disclosure.Spec] = disclosure.SPECS


#: Identifier and count columns that concatenation turns into floats; shown as integers.
INTEGER_COLUMNS: tuple[str, ...] = (
    "urn", "cohort", "year_group", "years_after", "la_time_period", "order", "rank", "benchmark",
    "schools", "schools_measured", "meeting_now", "schools_to_lift", "year_groups",
    "year_groups_met", "pal_out_of_window", "imd_decile", "offer_id", "employer_id",
    "overdue_days", "leavers", "denominator", "neet", "not_known", "left", "referred",
    "contacted", "engaged", "lost", "not_referred", "open", "overdue", "schools_nearby",
    "schools_below", "spare", "spare_nearby", "spare_within_radius",
    # transitions (funnel per receiving organisation, sustained destinations, DfE's measure)
    "handovers", "lost_before_contact", "closed", "still_open", "cohort_leavers", "custody",
    "no_record", "sust_education", "sust_apprenticeship", "sust_edu_app", "sust_employment",
    "sust_overall", "not_sustained", "activity_unknown", "dfe_pupils", "dfe_time_period",
    "academic_age",
)  # fmt: skip


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """Integer columns back to (nullable) integers where every value is whole."""
    out = table.copy()
    for col in INTEGER_COLUMNS:
        if col in out.columns and pd.api.types.is_float_dtype(out[col]):
            values = out[col].dropna()
            if (values == values.round()).all():
                out[col] = out[col].astype("Int64")
    return out


def build(engine: Engine, kind: str, scope: Scope, opts: Options | None = None) -> pd.DataFrame:
    """The unsuppressed report table of ``kind`` for ``scope`` (for trusted callers; exports
    go through :func:`export_table`)."""
    if kind not in BUILDERS:
        raise HubcoreError(f"unknown report {kind!r}; choose from {', '.join(KINDS)}")
    return _tidy(BUILDERS[kind](engine, scope, opts or Options()))


def export_table(
    engine: Engine, kind: str, scope: Scope, opts: Options | None = None
) -> pd.DataFrame:
    """The report table of ``kind`` with disclosure control applied (see the module note)."""
    table = build(engine, kind, scope, opts)
    out = disclosure.apply_spec(table, SPECS[kind])
    if kind == "what-it-takes":
        opts = opts or Options()
        out = hide_shortfalls(out, export_table(engine, "coverage", scope, opts), opts.benchmark)
    return out


#: The coverage report's count of people behind each benchmark's shortfall.
_SHORTFALL_COUNT = {5: "bm5_participants", 6: "bm6_by16_places"}


def hide_shortfalls(table: pd.DataFrame, coverage: pd.DataFrame, benchmark: int
                     ) -> pd.DataFrame:
    """``c`` for a school's ``shortfall`` where the coverage report hides the count it is
    taken from (BM6: ⌈target × Year 11 cohort⌉ − placements, and the coverage report shows the
    cohort beside the hidden placements, so 126 short of 129 gives 3 back; BM5 likewise with
    its participants). Every running ``cumulative_needed`` and the summary's
    ``additional_needed`` are hidden too, since differences of shown totals would give the
    shortfall back; and since the plan is ordered by shortfall, the hidden schools move after
    the shown ones with their place (``order``) hidden, the shown ones numbered 1, 2, …"""
    column = _SHORTFALL_COUNT.get(benchmark)
    if column is None or column not in coverage or "urn" not in table:
        return table
    rows = coverage[coverage["level"].eq("school")] if "level" in coverage else coverage
    c = disclosure.SUPPRESSED
    hidden = pd.to_numeric(rows.loc[rows[column].astype(object).eq(c), "urn"], errors="coerce")
    school = table["level"].eq("school").to_numpy()
    hit = school & pd.to_numeric(table["urn"], errors="coerce").isin(hidden).to_numpy()
    if not hit.any():
        return table
    order = pd.to_numeric(table["order"], errors="coerce").to_numpy()
    out = table.astype({col: object for col in ("shortfall", "cumulative_needed",
                                                "additional_needed") if col in table})
    out.loc[hit, "shortfall"] = c
    # Every running total: where they turned to "c" would show where the hidden one sits.
    out.loc[school, "cumulative_needed"] = c
    out.loc[table["level"].eq("summary").to_numpy(), "additional_needed"] = c
    # The plan is ordered by shortfall: a hidden one left in its place would be pinned between
    # its neighbours (exactly, where they are equal). Hidden rows go after the shown schools,
    # their place in the plan hidden too.
    if "order" in out:
        out["order"] = out["order"].astype(object)
        out.loc[hit, "order"] = c
        # The shown schools numbered 1, 2, … among themselves: a gap would mark the place.
        kept = school & ~hit
        out.loc[kept, "order"] = pd.Series(order[kept]).rank(method="first").astype(int).to_numpy()
    positions = np.flatnonzero(school)
    moved = np.concatenate([positions[~hit[positions]], positions[hit[positions]]])
    rows_now = np.arange(len(out))
    rows_now[positions] = moved
    out = out.iloc[rows_now].reset_index(drop=True)
    out.attrs = dict(table.attrs)
    return out


def to_csv(table: pd.DataFrame) -> str:
    """CSV text of an exported table (missing values empty; text cells formula-safe, see
    :mod:`hubcore.spreadsheet`)."""
    from hubcore import spreadsheet

    return spreadsheet.to_csv(table)


def to_json(table: pd.DataFrame, meta: dict | None = None) -> str:
    """JSON text: ``{"meta": {...}, "rows": [...]}`` with missing values as null."""
    import json

    obj = table.astype(object).where(table.notna(), None)
    rows = [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()}
        for rec in obj.to_dict("records")
    ]
    return json.dumps({"meta": meta or {}, "rows": rows}, default=str, indent=1)
