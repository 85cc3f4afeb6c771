"""The briefing's figures: every table, map layer and key figure a briefing pack prints, as
plain display frames (:mod:`hubcore.display` conventions), for one scope and date.

:func:`briefing_frames` reads through :mod:`hubcore.store`, computes with
:mod:`hubcore.metrics` and applies :mod:`hubcore.disclosure` once, for the whole pack; the
``briefing_*`` functions registered in :data:`hubcore.display.SOURCES` give one frame each
(``briefing_X(engine, scope)``), so the suite's attacker test covers what the briefing prints.
:mod:`hubcore.briefing` only formats these frames as text and draws them: it computes and
suppresses nothing itself.

The figures are those of ``hubcore report`` after disclosure control (the benchmarks,
coverage, cold-spot, priority and transitions reports), so the report, the pages and the
briefing show one value for one figure. The report keeps full precision for machines; these
frames are for people (percentages to one decimal, as the report's disclosed rows are).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import defaults, disclosure, geo, store
from hubcore.access import Role, Scope
from hubcore.display.base import _meta
from hubcore.errors import HubcoreError
from hubcore.metrics import coverage as cov
from hubcore.metrics import employers as emp
from hubcore.metrics import priority as prio
from hubcore.metrics import report
from hubcore.metrics import transitions as tr

#: Shown for a missing value (no data, not suppressed).
MISSING = "–"
#: The briefing's coverage year where the scope has no encounters at all.
NO_ENCOUNTERS_YEAR = "none (no encounters recorded)"
#: Year groups shown apart on the transitions page.
YEAR_GROUPS = (11, 13)
#: ``decimals`` value for identifiers (URN, cohort, year group): digits only, no separator.
ID = -1

#: What each coverage measure means, for titles and the map's subtitle.
MEASURE_LABELS = {
    "bm5_pct_year_groups_met": "BM5: % of year groups with the employer encounters their kind "
    "of institution needs (1 a year; colleges 2)",
    "bm6_met_score": "BM6: workplace experiences met (1 = yes; by 16, colleges by end of "
    "programme)",
    "pal_met_score": "BM7: provider-access encounters met (1 = yes)",
    "bm8_met_score": "BM8: guidance interviews met (1 = yes; by 16, colleges by end of programme)",
}


def cell(value: object, decimals: int | None = None) -> str:
    """One value as printed text: missing → "–", "c" kept, whole numbers with thousands
    separators, other numbers to ``decimals`` places (default: as given, at most 2);
    ``decimals=ID`` prints an identifier's digits as they are."""
    if value is None or value is pd.NA:
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    number = float(value)
    if np.isnan(number):
        return MISSING
    if decimals == ID:
        return str(int(number))
    if decimals is None:
        decimals = 0 if number == round(number) else 2
    if decimals == 0:
        return f"{round(number):,}"
    return f"{number:,.{decimals}f}"


@dataclass(frozen=True)
class BriefingFrames:
    """Every frame a briefing shows for one scope and date (each documented where it is built;
    the map layers are GeoDataFrames in EPSG:27700, metres)."""

    as_of: dt.date
    academic_year: str
    has_encounters: bool
    measure: str
    measure_label: str
    threshold: float
    benchmarks: pd.DataFrame
    schools: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    employers: gpd.GeoDataFrame
    outline: gpd.GeoDataFrame
    coverage_gaps: pd.DataFrame
    priority: pd.DataFrame
    supply: pd.DataFrame
    cold_spots: pd.DataFrame
    funnel: pd.DataFrame
    lag: pd.DataFrame
    neet: pd.DataFrame
    key_figures: pd.DataFrame
    funnel_chart: dict[int, list[tuple[str, object]]] = field(default_factory=dict)


# --- benchmarks -------------------------------------------------------------------------------


def briefing_benchmarks(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Per framework and academic year: the share of the scope's schools achieving each
    benchmark at their latest assessment, against national (the disclosed ``hub`` rows of the
    benchmarks report, else its ``la`` rows), then the like-for-like national comparison rows
    (each school's latest assessment that has a national figure,
    :func:`hubcore.metrics.benchmarks.national_rollup`) not already among them.

    Columns: ``framework``, ``academic_year``, ``schools`` (schools assessed),
    ``pct_bm1``…``pct_bm8`` (% of schools), ``achieved`` (mean benchmarks achieved, 0–8),
    ``pct_all_eight`` (% of schools), ``national_mean_achieved`` (0–8), ``vs_national``
    (difference, benchmarks), ``national_note``, ``national_published`` (False where the
    framework has no national figure), ``comparison`` (True for a national-comparison row
    shown in its own column), ``national`` (True for every national-comparison row, shown or
    not: the key figures compare with England on those). ``attrs["display"]`` adds
    ``frameworks`` (the frameworks of the latest assessments) and ``compared`` (the
    "framework, year" of each row shown apart)."""
    table = report.export_table(engine, "benchmarks", scope)
    level = "hub" if scope.hub_id else "la"
    rollup = table[table["level"].eq(level)]
    national = table[table["level"].eq(f"{level}_national")]
    if rollup.empty:
        rollup = table[table["level"].eq("la")]
        national = table[table["level"].eq("la_national")]
    rollup = rollup.sort_values(["framework", "academic_year"])
    national = national.sort_values(["framework", "academic_year"])
    frameworks = sorted(rollup["framework"].astype(str).unique())

    def key(r: pd.Series) -> tuple[str, str, str]:
        return (str(r["framework"]), str(r["academic_year"]), str(r["schools"]))

    shown = {key(r) for _, r in rollup.iterrows()}
    apart = [key(r) not in shown for _, r in national.iterrows()]
    out = pd.concat(
        [
            rollup.assign(comparison=False, national=False),
            national.assign(comparison=apart, national=True),
        ],
        ignore_index=True,
    )
    out["national_published"] = ~(
        out["national_mean_achieved"].isna() & out["national_note"].notna()
    )
    extra = out[out["comparison"]]
    compared = sorted({f"{r['framework']} framework, {r['academic_year']}"
                       for _, r in extra.iterrows()})
    return _meta(
        out.drop(columns=["level"]),
        title="Benchmark summary against national",
        units={**{f"pct_bm{b}": "% of schools" for b in range(1, 9)},
               "schools": "schools", "achieved": "benchmarks (0-8)",
               "pct_all_eight": "% of schools", "national_mean_achieved": "benchmarks (0-8)",
               "vs_national": "benchmarks"},
        frameworks=frameworks,
        compared=compared,
        note="Frameworks are never mixed: each column is one framework and academic year.",
    )


# --- coverage, cold spots, priority, supply ---------------------------------------------------


def _coverage(
    engine: Engine, scope: Scope, benchmark: int
) -> tuple[pd.DataFrame, pd.DataFrame, str, float, str]:
    """Per-school coverage of ``benchmark`` (as measured, and disclosed), its column, threshold
    and academic year."""
    summary, schools, year = report.coverage_inputs_for_scope(engine, scope)
    per_school = cov.measure_scores(cov.school_coverage(summary, schools, year))
    measure, threshold = report.COVERAGE_MEASURES[benchmark]
    safe = disclosure.apply_spec(per_school, report.SPECS["coverage"])
    return per_school, safe, measure, threshold, year


def _outline(engine: Engine, scope: Scope, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The LA outline: the scope's upper-tier LA polygons, else the union of its small areas."""
    las = store.areas(engine, scope, kind="utla")
    if len(las):
        return las[["code", "name", "geometry"]]
    if len(areas):
        merged = areas.geometry.union_all()
        return gpd.GeoDataFrame({"code": ["area"]}, geometry=[merged], crs=areas.crs)
    return gpd.GeoDataFrame({"code": []}, geometry=[], crs=geo.BNG)


def _empty_cold_spots() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": pd.Series(dtype="string"),
            "name": pd.Series(dtype="string"),
            "imd_decile": pd.Series(dtype="float64"),
            "cold_spot": pd.Series(dtype=bool),
            "schools_nearby": pd.Series(dtype="float64"),
            "nearest_km": pd.Series(dtype="float64"),
        }
    )


# --- transitions ------------------------------------------------------------------------------


def _transitions(
    engine: Engine, scope: Scope, as_of: dt.date, schools: pd.DataFrame, safe: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Funnel, referral lag and NEET comparators per cohort and year group (Year 11 and Year 13
    apart; hand-overs to the NCS apart from those to LA tracking): the hub rows of the
    protected transitions report ``safe``, so a cell hidden in the report (for a school's sake
    too) is hidden here and every figure shown is the report's value."""
    keys = ("cohort", "year_group")
    by_to = [*keys, "handed_to"]

    def section(name: str) -> pd.DataFrame:
        return safe[safe["section"].eq(name)].reset_index(drop=True)

    funnel = section("funnel_hub")
    if scope.role is Role.NCS_ADVISER:
        # An area briefing sees hand-overs to its NCS area only: no LA-tracking rows of zeros.
        funnel = funnel[funnel["handed_to"].eq("ncs")].reset_index(drop=True)
    overdue = section("overdue_hub")[[*by_to, "open", "overdue"]]
    lag = section("lag_hub").drop(columns=["open", "overdue"])
    lag = lag.merge(overdue, on=by_to, how="outer").sort_values(by_to, ignore_index=True)
    lag["handed_to_label"] = lag["handed_to"].map(tr.HANDOVER_TARGET_LABELS)
    las = sorted(schools["la_gss"].dropna().unique().tolist())
    la_stats = store.la_neet_stats(engine, las)
    neet = section("neet_hub")
    published = tr.la_published(la_stats)
    la_nk = published["la_neet_nk_pct"].iloc[0] if len(published) == 1 else np.nan
    # One LA: its published 16–17 rate beside the Year 11 rows (none exists for age 18).
    age = pd.to_numeric(neet["academic_age"], errors="coerce")
    neet["la_neet_nk_pct"] = np.where(age.between(16, 17), round(la_nk, 1), np.nan)
    neet["measured"] = neet["measurement"].astype("string").str.replace(
        r" \(.*\)$", "", regex=True
    )
    la_period = None if np.isnan(la_nk) else str(published["la_time_period"].iloc[0])
    funnel = _meta(
        funnel,
        title="Hand-over funnel: leavers, referred, contacted and outcome, NCS and LA "
        "tracking apart",
        units={"leavers": "young people", "referred": "young people",
               **{c: "%" for c in funnel.columns if str(c).startswith("pct_")}},
        ncs_only=scope.role is Role.NCS_ADVISER,
        ncs_area=scope.ncs_area,
    )
    lag = _meta(
        lag,
        title="Days from leaving to referral; hand-overs overdue",
        units={"referred": "young people", "open": "young people", "overdue": "young people",
               "median_days": "days", "p90_days": "days"},
        overdue_days=tr.OVERDUE_DAYS,
    )
    neet = _meta(
        neet,
        title="NEET and not known per young person, first year after leaving, against "
        "England for their age",
        units={"denominator": "young people",
               **{c: "%" for c in neet.columns if str(c).endswith("_pct")},
               "vs_england_neet": "percentage points"},
        la_period=la_period,
    )
    return funnel, lag, neet


def _funnel_chart(funnel: pd.DataFrame) -> tuple[dict[int, list[tuple[str, object]]], object]:
    """Bars of the latest cohort's funnel per year group: leavers, then referred and engaged
    per receiving organisation (disclosed values: a hidden one is "c")."""
    chart: dict[int, list[tuple[str, object]]] = {}
    latest = funnel["cohort"].max() if len(funnel) else None
    short = {"ncs": "NCS", "la_tracking": "LA"}
    for year in YEAR_GROUPS:
        rows = funnel[funnel["cohort"].eq(latest) & funnel["year_group"].eq(year)]
        if len(rows):
            stages: list[tuple[str, object]] = [("Leavers", rows.iloc[0]["leavers"])]
            for rec in rows.to_dict("records"):
                to = short.get(rec["handed_to"], rec["handed_to"])
                stages += [(f"{to} referred", rec["referred"]), (f"{to} engaged", rec["engaged"])]
            chart[year] = stages
    return chart, latest


# --- key figures ------------------------------------------------------------------------------


def _national_key_rows(national: pd.DataFrame) -> list[tuple[str, str]]:
    """Key-figure lines comparing the scope with England, like for like: for each framework and
    year of the national comparison, the mean benchmarks achieved against CEC's national mean,
    the framework named."""
    rows = national.sort_values(["framework", "academic_year"])
    return [
        (
            f"Mean benchmarks achieved vs England ({r['framework']} framework, "
            f"{r['academic_year']}, {cell(r['schools'], 0)} schools)",
            f"{cell(r['achieved'], 2)} vs {cell(r['national_mean_achieved'], 2)}",
        )
        for r in rows.to_dict("records")
    ]


# --- everything at once -----------------------------------------------------------------------


def briefing_frames(
    engine: Engine,
    scope: Scope,
    as_of: dt.date | None = None,
    benchmark: int = defaults.BENCHMARK,
) -> BriefingFrames:
    """Read and compute everything a briefing shows for ``scope`` as of ``as_of`` (default:
    today), with disclosure control applied. ``benchmark`` (5–8) picks the coverage-gap
    measure. Raises :class:`~hubcore.errors.HubcoreError` for a scope with no schools or a
    benchmark with no coverage measure."""
    as_of = as_of or dt.date.today()
    schools = store.schools(engine, scope)
    if schools.empty:
        raise HubcoreError("no schools in scope: nothing to brief on")
    if benchmark not in report.COVERAGE_MEASURES:
        raise HubcoreError(f"no coverage measure for BM{benchmark}; use 5, 6, 7 or 8")
    areas = store.areas(engine, scope)
    plain_schools = pd.DataFrame(schools.drop(columns="geometry"))

    benchmarks = briefing_benchmarks(engine, scope)
    # A scope with no encounters still gets its briefing: the coverage sections say so.
    has_encounters = bool(store.encounter_years(engine, scope))
    if has_encounters:
        measured, coverage, measure, threshold, year = _coverage(engine, scope, benchmark)
        # Cold spots: every small area with the schools near it, flagged from the measured
        # values as `hubcore report coldspots` does; only the flag and distances are shown.
        area_cov = cov.area_coverage(areas, schools, measured[["urn", measure]], measure, threshold)
        area_cov = disclosure.apply_spec(area_cov, report.SPECS["coldspots"])
    else:
        measure, threshold = report.COVERAGE_MEASURES[benchmark]
        year = NO_ENCOUNTERS_YEAR
        coverage = plain_schools[["urn"]].assign(**{measure: np.nan})
        area_cov = _empty_cold_spots()
    areas_l = areas[["code", "name", "imd_decile", "geometry"]].merge(
        area_cov[["code", "cold_spot", "schools_nearby", "nearest_km"]], on="code", how="left"
    )
    areas_l["cold_spot"] = areas_l["cold_spot"].fillna(False).astype(bool)

    # The protected transitions report: the funnel, lag and NEET tables are its hub rows, and
    # a school's rate enters the priority index only where the report shows it.
    safe = report.export_table(engine, "transitions", scope, report.Options(as_of=as_of))
    # The priority index as report.priority_table computes it, from reads made here already.
    neet = report.priority_neet(store.neet_status_counts(engine, scope, 1, as_of), 1, safe)
    latest = report.school_benchmarks_for_scope(engine, scope)
    priority = prio.priority_index(plain_schools, latest, neet, areas)
    priority = disclosure.apply_spec(priority, report.SPECS["priority"])
    employers = store.employers(engine, scope)
    if has_encounters:
        spare = emp.spare_offers(
            store.employer_offers(engine, scope, academic_year=year), employers
        )
    else:
        spare = pd.DataFrame()
    supply = (
        spare.groupby(["employer_id", "employer_name"], as_index=False)["spare"].sum()
        if len(spare)
        else pd.DataFrame(columns=["employer_id", "employer_name", "spare"])
    )
    emp_l = employers[["id", "name", "geometry"]].merge(
        supply.rename(columns={"employer_id": "id"})[["id", "spare"]], on="id", how="left"
    )
    emp_l["spare"] = emp_l["spare"].fillna(0).astype("int64")

    school_l = schools[["urn", "name", "kind", "geometry"]].merge(
        coverage[["urn", measure]].rename(columns={measure: "coverage"}), on="urn", how="left"
    )
    school_l["coverage"] = pd.to_numeric(school_l["coverage"], errors="coerce")
    school_l["meets"] = school_l["coverage"].ge(threshold)
    school_l = school_l.merge(priority[["urn", "priority_index", "rank"]], on="urn", how="left")

    funnel, lag, neet_t = _transitions(engine, scope, as_of, plain_schools, safe)
    chart, latest_cohort = _funnel_chart(funnel)

    gaps = school_l[~school_l["meets"]].sort_values(["coverage", "urn"], na_position="first")
    if not has_encounters:
        gaps = gaps.iloc[0:0]
    gaps = pd.DataFrame(gaps.drop(columns="geometry"))
    spots = area_cov[area_cov["cold_spot"].astype(bool)].sort_values(["imd_decile", "code"])
    supply = supply.sort_values(["spare", "employer_id"], ascending=[False, True])

    n_meet = int(school_l["meets"].sum())
    key_rows = [
        ("Schools and colleges in scope", cell(len(school_l))),
        ("Benchmark framework(s) assessed",
         ", ".join(benchmarks.attrs["display"]["frameworks"]) or MISSING),
        *_national_key_rows(benchmarks[benchmarks["national"]]),
        (
            f"Meeting {MEASURE_LABELS[measure].split(':')[0]} coverage ({year})",
            f"{n_meet} of {len(school_l)} schools" if has_encounters else cov.NOTE_NO_ENCOUNTERS,
        ),
        (
            "Small areas that are cold spots",
            f"{len(spots)} of {len(area_cov)}" if has_encounters else cov.NOTE_NO_ENCOUNTERS,
        ),
        ("Employers with spare offers", cell(int((supply["spare"] > 0).sum()))),
        ("Spare employer places", cell(int(supply["spare"].sum()))),
    ]
    if latest_cohort is not None:
        for year_group in YEAR_GROUPS:
            rows = funnel[funnel["cohort"].eq(latest_cohort) & funnel["year_group"].eq(year_group)]
            if len(rows):
                referred = "; ".join(
                    f"to {cell(r['handed_to_label'])}: {cell(r['referred'], 0)}"
                    for r in rows.to_dict("records")
                )
                key_rows.append(
                    (f"Year {year_group} leavers {cell(latest_cohort, ID)}: leavers / referred",
                     f"{cell(rows.iloc[0]['leavers'], 0)} / {referred}")
                )
    key_figures = _meta(
        pd.DataFrame(key_rows, columns=["measure", "value"]),
        title="Key figures",
        units={},
    )

    label = MEASURE_LABELS[measure]
    return BriefingFrames(
        as_of=as_of,
        academic_year=year,
        has_encounters=has_encounters,
        measure=measure,
        measure_label=label,
        threshold=float(threshold),
        benchmarks=benchmarks,
        schools=_meta(school_l, title=label, units={"coverage": measure}),
        areas=_meta(areas_l, title="Small areas and cold spots", units={"nearest_km": "km"}),
        employers=_meta(emp_l, title="Employers with spare offers", units={"spare": "places"}),
        outline=_outline(engine, scope, areas),
        coverage_gaps=_meta(
            gaps,
            title=f"Schools below the threshold ({threshold:g}) on {label}",
            units={"coverage": measure},
            below=len(gaps) if has_encounters else None,
            schools=len(school_l),
        ),
        priority=_meta(
            priority.sort_values("rank"),
            title="Priority schools: index and its components",
            units={"priority_index": "index (0-100)", "imd_decile": "decile (1 = most deprived)",
                   **{c: "index points" for c in priority.columns
                      if str(c).startswith("points_")}},
        ),
        supply=_meta(supply, title="Employers with spare offers (places not taken up)",
                     units={"spare": "places"}),
        cold_spots=_meta(
            spots,
            title="Cold spots: small areas where every school within 5 km is below threshold",
            units={"nearest_km": "km", "schools_nearby": "schools"},
            areas=len(area_cov),
        ),
        funnel=funnel,
        lag=lag,
        neet=neet_t,
        key_figures=key_figures,
        funnel_chart=chart,
    )


# --- one frame each, for SOURCES --------------------------------------------------------------


def _one(name: str) -> Callable[..., pd.DataFrame]:
    def source(
        engine: Engine,
        scope: Scope,
        as_of: dt.date | None = None,
        benchmark: int = defaults.BENCHMARK,
    ) -> pd.DataFrame:
        frame = getattr(briefing_frames(engine, scope, as_of, benchmark), name)
        return frame

    source.__name__ = source.__qualname__ = f"briefing_{name}"
    source.__doc__ = (
        f"The briefing's ``{name}`` frame (:class:`BriefingFrames`, built by "
        ":func:`briefing_frames` with the same arguments)."
    )
    return source


briefing_key_figures = _one("key_figures")
briefing_coverage_gaps = _one("coverage_gaps")
briefing_priority = _one("priority")
briefing_supply = _one("supply")
briefing_cold_spots = _one("cold_spots")
briefing_funnel = _one("funnel")
briefing_lag = _one("lag")
briefing_neet = _one("neet")
