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
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import defaults, disclosure, geo, store, vocabulary
from hubcore.access import Role, Scope
from hubcore.display.base import _meta, plural
from hubcore.display.trajectory import hub_rows, school_rows
from hubcore.display.transitions import PAGE_YEAR_GROUPS as YEAR_GROUPS
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
#: ``decimals`` value for identifiers (URN, cohort, year group): digits only, no separator.
ID = -1

#: Where a coverage figure comes from, said next to it: the same benchmark is also in the
#: Compass self-assessment (:data:`COMPASS`), and the two can differ.
ENCOUNTER_LOG = "from the hub's encounter log"
#: Where a benchmark-achieved figure comes from, said next to it.
COMPASS = "Compass self-assessment"

#: What each coverage measure means, for titles and the map's subtitle; the text before the
#: colon names the benchmark and its source (the key figures print it).
MEASURE_LABELS = {
    "bm5_pct_year_groups_met": f"BM5, {ENCOUNTER_LOG}: % of year groups with the employer "
    "encounters their kind of institution needs (1 a year; colleges 2)",
    "bm6_met_score": f"BM6, {ENCOUNTER_LOG}: workplace experiences met (1 = yes; by 16, "
    "colleges by end of programme)",
    "pal_met_score": f"BM7, {ENCOUNTER_LOG}: provider-access encounters met (1 = yes)",
    "bm8_met_score": f"BM8, {ENCOUNTER_LOG}: guidance interviews met (1 = yes; by 16, "
    "colleges by end of programme)",
}

#: Columns of the briefing's transitions frames (after their ``cohort``, ``year_group``): the
#: rows of the protected transitions report the briefing prints, nothing else.
FUNNEL_COLUMNS = (
    "handed_to", "handed_to_label", "leavers", "handovers", "referred", "not_referred",
    "contacted", "engaged", "lost", "closed", "still_open", "pct_referred_of_leavers",
    "pct_contacted_of_referred", "pct_engaged_of_referred", "pct_lost_of_referred",
    "pct_closed_of_referred", "pct_open_of_referred", "note",
)
LAG_COLUMNS = ("handed_to", "handed_to_label", "referred", "median_days", "p90_days", "open",
               "overdue")
NEET_COLUMNS = (
    "academic_age", "measurement", "measured", "denominator", "neet_pct", "not_known_pct",
    "neet_nk_pct", "la_neet_nk_pct", "england_neet_pct", "england_neet_nk_pct",
    "vs_england_neet", "note",
)
BENCHMARK_COLUMNS = (
    "framework", "academic_year", "schools", *(f"pct_bm{b}" for b in range(1, 9)), "achieved",
    "pct_all_eight", "national_mean_achieved", "vs_national", "national_note",
    "national_published", "comparison", "national",
)
PRIORITY_COLUMNS = (
    "rank", "urn", "name", "kind", "imd_decile", "points_deprivation", "points_benchmark_gap",
    "points_neet_risk", "priority_index", "imputed",
)
COLD_SPOT_COLUMNS = ("code", "name", "imd_decile", "cold_spot", "schools_nearby",
                     "nearest_km")
GAP_COLUMNS = ("urn", "name", "kind", "kind_label", "coverage", "meets")


def _keep(frame: pd.DataFrame, columns: tuple[str, ...], first: tuple[str, ...] = ()
          ) -> pd.DataFrame:
    """``frame`` cut to ``first`` + ``columns`` (those present), index reset: a display frame
    holds what its docstring lists, not every column of the report it came from."""
    keep = [c for c in (*first, *columns) if c in frame.columns]
    return frame[keep].reset_index(drop=True)


#: Why the LA comparator of a Year 13 row is empty.
NO_LA_RATE_Y13 = "LAs publish NEET rates for ages 16-17 only, so Year 13 rows have none"


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
    #: Benchmarks projected to the July snapshot: per benchmark for the hub
    #: (:func:`hubcore.display.trajectory.hub_rows`) and per school on the briefing's
    #: benchmark (:func:`hubcore.display.trajectory.school_rows`).
    trajectory: pd.DataFrame | None = None
    trajectory_schools: pd.DataFrame | None = None


@dataclass(frozen=True)
class SharedReads:
    """Reads and per-school figures that are the same whichever hub asks, made once for a
    regional briefing (:func:`shared_reads`) and cut per hub by :func:`briefing_frames`.

    Every frame here is per school or per small area (no hub total), so a hub's cut is exactly
    what its own read would return; hub totals and disclosure are still made per hub.
    ``lsoa`` and ``utla``: boundaries (EPSG:27700, metres); ``latest``: each school's latest
    Compass assessment (:func:`hubcore.metrics.benchmarks.school_benchmarks`); ``neet``:
    :func:`hubcore.store.neet_status_counts` one year after leaving as of ``as_of``;
    ``coverage``: academic year → per-school coverage with scores (all schools' encounter
    summaries for that year and the one before)."""

    as_of: dt.date
    lsoa: gpd.GeoDataFrame
    utla: gpd.GeoDataFrame
    latest: pd.DataFrame
    neet: pd.DataFrame
    summary: pd.DataFrame
    schools: pd.DataFrame
    coverage: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: The URNs of the hub being briefed (set by :func:`briefing_frames` for each hub).
    hub_urns: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))

    def per_school_coverage(self, year: str) -> pd.DataFrame:
        """Coverage with scores of every school for ``year``, computed on first use."""
        if year not in self.coverage:
            wanted = [year, cov.previous_academic_year(year)]
            summary = self.summary[self.summary["academic_year"].isin(wanted)]
            self.coverage[year] = cov.measure_scores(
                cov.school_coverage(summary.reset_index(drop=True), self.schools, year))
        return self.coverage[year]


def shared_reads(engine: Engine, as_of: dt.date, scope: Scope | None = None) -> SharedReads:
    """The reads of :class:`SharedReads`, each one query over the schools of ``scope``
    (default: every school, an administrator's scope), for :func:`briefing_frames` of several
    hubs at once. Every hub briefed with them must be inside ``scope``."""
    everything = scope or Scope.admin(user="region")
    return SharedReads(
        as_of=as_of,
        lsoa=store.areas(engine, everything),
        utla=store.areas(engine, everything, kind="utla"),
        latest=report.school_benchmarks_for_scope(engine, everything),
        neet=store.neet_status_counts(engine, everything, 1, as_of),
        summary=store.encounter_summary(engine, everything),
        schools=pd.DataFrame(store.schools(engine, everything).drop(columns="geometry")),
    )


def _cut(frame: pd.DataFrame, urns: pd.Series) -> pd.DataFrame:
    """The rows of ``frame`` for the schools ``urns``, in their order, index reset."""
    return frame[frame["urn"].isin(set(urns))].reset_index(drop=True)


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
        _keep(out, BENCHMARK_COLUMNS),
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
    engine: Engine, scope: Scope, benchmark: int, shared: SharedReads | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, str, float, str]:
    """Per-school coverage of ``benchmark`` (as measured, and disclosed), its column, threshold
    and academic year (the scope's latest)."""
    if shared is None:
        summary, schools, year = report.coverage_inputs_for_scope(engine, scope)
        per_school = cov.measure_scores(cov.school_coverage(summary, schools, year))
    else:
        # Each school's coverage depends on its own encounters and size only: the hub's rows
        # of the region's table, in the hub's school order.
        year = store.encounter_years(engine, scope)[-1]
        per_school = _cut(shared.per_school_coverage(year), shared.hub_urns)
    measure, threshold = report.COVERAGE_MEASURES[benchmark]
    safe = disclosure.apply_spec(per_school, report.SPECS["coverage"])
    return per_school, safe, measure, threshold, year


def _outline(engine: Engine, scope: Scope, areas: gpd.GeoDataFrame,
             shared: SharedReads | None = None, la_codes: list[str] | None = None
             ) -> gpd.GeoDataFrame:
    """The LA outline: the scope's upper-tier LA polygons, else the union of its small areas."""
    if shared is None:
        las = store.areas(engine, scope, kind="utla")
    else:
        las = shared.utla[shared.utla["code"].isin(la_codes or [])].reset_index(drop=True)
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
    target = store.AREA_ROLE_TARGET.get(scope.role)
    if target is not None:
        # An area briefing sees hand-overs to its own service only (NCS adviser: the NCS; LA
        # tracking officer: LA tracking): no rows of zeros for the other.
        funnel = funnel[funnel["handed_to"].eq(target)].reset_index(drop=True)
    overdue = section("overdue_hub")[[*by_to, "open", "overdue"]]
    lag = section("lag_hub").drop(columns=["open", "overdue"])
    lag = lag.merge(overdue, on=by_to, how="outer").sort_values(by_to, ignore_index=True)
    lag["handed_to_label"] = lag["handed_to"].map(tr.HANDOVER_TARGET_LABELS)
    las = sorted(schools["la_gss"].dropna().unique().tolist())
    la_stats = store.la_neet_stats(engine, las)
    neet = section("neet_hub")
    published = tr.la_published(la_stats)
    la_nk = published["la_neet_nk_pct"].iloc[0] if len(published) == 1 else np.nan
    la_note = _la_note(las, published, la_nk)
    # One LA: its published 16–17 rate beside the Year 11 rows (none exists for age 18).
    age = pd.to_numeric(neet["academic_age"], errors="coerce")
    neet["la_neet_nk_pct"] = np.where(age.between(16, 17), round(la_nk, 1), np.nan)
    neet["measured"] = neet["measurement"].astype("string").str.replace(
        r" \(.*\)$", "", regex=True
    )
    # the report's values as they are (its rules include rules.neet_rest); not protected
    # again, which would read each "c" count as a 1 and hide rates the report shows
    neet = neet.drop(columns=["neet", "not_known"])
    first = ("cohort", "year_group")
    funnel = _meta(
        _keep(funnel, FUNNEL_COLUMNS, first),
        title="Hand-over funnel: leavers, referred, contacted and outcome, NCS and LA "
        "tracking apart",
        units={"leavers": "young people", "referred": "young people",
               **{c: "%" for c in FUNNEL_COLUMNS if c.startswith("pct_")}},
        ncs_only=scope.role is Role.NCS_ADVISER,
        ncs_area=scope.ncs_area,
    )
    lag = _meta(
        _keep(lag, LAG_COLUMNS, first),
        title="Days from leaving to referral; hand-overs overdue",
        units={"referred": "young people", "open": "young people", "overdue": "young people",
               "median_days": "days", "p90_days": "days"},
        overdue_days=defaults.OVERDUE_DAYS,
    )
    neet = _meta(
        _keep(neet, NEET_COLUMNS, first),
        title="NEET and not known per young person, first year after leaving, against "
        "England for their age",
        units={"denominator": "young people",
               **{c: "%" for c in NEET_COLUMNS if c.endswith("_pct")},
               "vs_england_neet": "percentage points"},
        la_note=la_note,
        note="Leavers excl. custody (denominator): the base of the NEET and not-known "
        "rates, the cohort's leavers minus those in custody (DfE's denominator), averaged over "
        "the month ends measured.",
    )
    return funnel, lag, neet


def _la_note(las: list[str], published: pd.DataFrame, la_nk: float) -> str:
    """What the LA comparator column shows, or why it is empty."""
    if not np.isnan(la_nk):
        rec = published.iloc[0]
        return (f"LA rate: latest published for {rec['la_gss']}, ages 16-17 "
                f"({rec['la_time_period']}), Year 11 rows only ({NO_LA_RATE_Y13})")
    if len(published) == 1:
        return (f"LA rate column empty: the latest published rate for "
                f"{published.iloc[0]['la_gss']} is suppressed at source")
    if len(published) > 1:
        return (f"LA rate column empty: the schools are in {plural(len(las), 'LA')}, each "
                "with its own published rate, so no one LA figure applies")
    if not las:
        return "LA rate column empty: the schools have no LA recorded"
    which = ", ".join(las)
    return (f"LA rate column empty: no published NEET rate for {which} is in the data "
            "(import DfE's NEET and not known statistics by LA to fill it)")


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
            f"Mean benchmarks achieved vs England (Compass; {r['framework']} framework, "
            f"{r['academic_year']})",
            f"{cell(r['achieved'], 1)} vs {cell(r['national_mean_achieved'], 1)} "
            f"({_schools(r['schools'])})",
        )
        for r in rows.to_dict("records")
    ]


def _schools(count: object) -> str:
    """"36 schools", "1 school"; a missing count as "–"."""
    number = pd.to_numeric(pd.Series([count]), errors="coerce").iat[0]
    return MISSING if pd.isna(number) else plural(int(number), "school")


# --- everything at once -----------------------------------------------------------------------


def briefing_frames(
    engine: Engine,
    scope: Scope,
    as_of: dt.date | None = None,
    benchmark: int = defaults.BENCHMARK,
    shared: SharedReads | None = None,
) -> BriefingFrames:
    """Read and compute everything a briefing shows for ``scope`` as of ``as_of`` (default:
    today), with disclosure control applied. ``benchmark`` (5–8) picks the coverage-gap
    measure. ``shared`` (:func:`shared_reads`, same ``as_of``) gives reads made once for
    several hubs; the figures are the same with or without it. Raises
    :class:`~hubcore.errors.HubcoreError` for a scope with no schools or a benchmark with no
    coverage measure."""
    as_of = as_of or dt.date.today()
    schools = store.schools(engine, scope)
    if schools.empty:
        raise HubcoreError("no schools in scope: nothing to brief on")
    if benchmark not in report.COVERAGE_MEASURES:
        raise HubcoreError(f"no coverage measure for BM{benchmark}; use 5, 6, 7 or 8")
    if shared is not None and shared.as_of != as_of:
        raise ValueError(f"shared reads are as of {shared.as_of}, not {as_of}")
    plain_schools = pd.DataFrame(schools.drop(columns="geometry"))
    la_codes = sorted({c for col in ("lad_gss", "la_gss") for c in plain_schools[col].dropna()})
    if shared is None:
        areas = store.areas(engine, scope)
    else:
        # store.areas' filter: small areas whose parent is one of the schools' LAs.
        areas = shared.lsoa[shared.lsoa["parent_code"].isin(la_codes)].reset_index(drop=True)
        shared = replace(shared, hub_urns=plain_schools["urn"])

    benchmarks = briefing_benchmarks(engine, scope)
    # A scope with no encounters still gets its briefing: the coverage sections say so.
    has_encounters = bool(store.encounter_years(engine, scope))
    if has_encounters:
        measured, coverage, measure, threshold, year = _coverage(engine, scope, benchmark,
                                                                 shared)
        # Cold spots: every small area with the schools near it, flagged from the measured
        # values as `hubcore report coldspots` does; only the flag and distances are shown.
        area_cov = cov.area_coverage(areas, schools, measured[["urn", measure]], measure,
                                     threshold, radius_km=defaults.RADIUS_KM)
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
    if shared is None:
        status = store.neet_status_counts(engine, scope, 1, as_of)
        latest = report.school_benchmarks_for_scope(engine, scope)
    else:
        status, latest = _cut(shared.neet, shared.hub_urns), _cut(shared.latest, shared.hub_urns)
    neet = report.priority_neet(status, 1, safe)
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
    gaps["kind_label"] = gaps["kind"].map(vocabulary.label).astype(object)
    gaps = _keep(gaps, GAP_COLUMNS)
    spots = area_cov[area_cov["cold_spot"].astype(bool)].sort_values(["imd_decile", "code"])
    supply = supply.sort_values(["spare", "employer_id"], ascending=[False, True])

    n_meet = int(school_l["meets"].sum())
    frameworks = benchmarks.attrs["display"]["frameworks"]
    key_rows = [
        ("Schools and colleges in scope", cell(len(school_l))),
        (f"Benchmark framework(s) assessed ({COMPASS})",
         ", ".join(f"{f} framework" for f in frameworks) or MISSING),
        *_national_key_rows(benchmarks[benchmarks["national"]]),
        (
            f"Meeting {MEASURE_LABELS[measure].split(':')[0]} ({year})",
            f"{n_meet} of {_schools(len(school_l))}" if has_encounters
            else cov.NOTE_NO_ENCOUNTERS,
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
                # The funnel's base: everyone in the cohort (the NEET table's base leaves out
                # custody and is averaged, so it is named differently there).
                key_rows.append(
                    (f"Year {year_group}, {cell(latest_cohort, ID)} cohort: leavers (everyone "
                     "in the cohort) / referred",
                     f"{cell(rows.iloc[0]['leavers'], 0)} / {referred}")
                )
    key_figures = _meta(
        pd.DataFrame(key_rows, columns=["measure", "value"]),
        title="Key figures",
        units={},
        note="Benchmarks achieved are schools' own Compass self-assessments; coverage of "
        "benchmarks 5-8 is measured from the hub's encounter log. The two can differ.",
    )

    # Benchmark trajectory to July (issue 15 item 4), on the schools' Compass histories: a
    # read of the hub's own assessments (shared reads hold only the latest of each school).
    history = store.assessments(engine, scope)
    trajectory = hub_rows(history, plain_schools, as_of)
    trajectory_schools = school_rows(history, plain_schools, benchmark, as_of)

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
        outline=_outline(engine, scope, areas, shared, la_codes),
        coverage_gaps=_meta(
            gaps,
            title=f"Schools below the threshold ({threshold:g}): {label.split(':')[0]}",
            units={"coverage": measure},
            below=len(gaps) if has_encounters else None,
            schools=len(school_l),
        ),
        priority=_meta(
            _keep(priority.sort_values("rank"), PRIORITY_COLUMNS),
            title="Priority schools: index and its components",
            units={"priority_index": "index (0-100)", "imd_decile": "decile (1 = most deprived)",
                   **{c: "index points" for c in priority.columns
                      if str(c).startswith("points_")}},
            note="Index 0-100: equal-weight mean of deprivation, benchmark gap and NEET risk "
            "(each 0-1); the points columns add up to the index. A school whose Year 11 NEET "
            "rate may not be published gets the hub mean (imputed).",
        ),
        supply=_meta(supply, title="Employers with spare offers (places not taken up)",
                     units={"spare": "places"}),
        cold_spots=_meta(
            _keep(spots, COLD_SPOT_COLUMNS),
            title=f"Cold spots: small areas where every school within "
            f"{defaults.RADIUS_KM:g} km is below threshold",
            units={"nearest_km": "km", "schools_nearby": "schools"},
            areas=len(area_cov),
        ),
        funnel=funnel,
        lag=lag,
        neet=neet_t,
        key_figures=key_figures,
        funnel_chart=chart,
        trajectory=trajectory,
        trajectory_schools=trajectory_schools,
    )


# --- one frame each, for SOURCES --------------------------------------------------------------
#
# Each builds the whole briefing (about 3 s on the demo hub) and returns one frame: the
# attacker test and notebooks call them one at a time; the briefing itself calls
# briefing_frames once.


def briefing_key_figures(engine: Engine, scope: Scope, as_of: dt.date | None = None,
                         benchmark: int = defaults.BENCHMARK) -> pd.DataFrame:
    """The briefing's key figures, one per row: ``measure`` (what it is, its source named
    beside it: Compass self-assessment or the hub's encounter log, and the base of a count of
    leavers) and ``value`` (text, as printed: counts with thousands separators, "c" where
    hidden, "N of M schools" agreeing in number)."""
    return briefing_frames(engine, scope, as_of, benchmark).key_figures


def briefing_coverage_gaps(engine: Engine, scope: Scope, as_of: dt.date | None = None,
                           benchmark: int = defaults.BENCHMARK) -> pd.DataFrame:
    """Schools below the coverage threshold of ``benchmark`` (measured from the hub's
    encounter log), lowest first: ``urn``, ``name``, ``kind`` (code), ``kind_label`` (words),
    ``coverage`` (the measure: % of year groups for BM5, else 1 = met; NaN where hidden) and
    ``meets`` (False). ``attrs["display"]`` adds ``below`` (how many, None without encounters)
    and ``schools`` (schools in scope)."""
    return briefing_frames(engine, scope, as_of, benchmark).coverage_gaps


def briefing_priority(engine: Engine, scope: Scope, as_of: dt.date | None = None,
                      benchmark: int = defaults.BENCHMARK) -> pd.DataFrame:
    """Priority index per school, by ``rank`` (1 = highest priority): ``urn``, ``name``,
    ``kind``, ``imd_decile`` (1 = most deprived), ``points_deprivation``,
    ``points_benchmark_gap``, ``points_neet_risk`` (index points, adding up to the index),
    ``priority_index`` (0-100) and ``imputed`` (the hub mean stood in for the school's NEET
    rate). Same values as ``hubcore report priority``."""
    return briefing_frames(engine, scope, as_of, benchmark).priority


def briefing_supply(engine: Engine, scope: Scope, as_of: dt.date | None = None,
                    benchmark: int = defaults.BENCHMARK) -> pd.DataFrame:
    """Employers with offers not taken up in the coverage year, most first: ``employer_id``,
    ``employer_name`` and ``spare`` (places, not people)."""
    return briefing_frames(engine, scope, as_of, benchmark).supply


def briefing_cold_spots(engine: Engine, scope: Scope, as_of: dt.date | None = None,
                        benchmark: int = defaults.BENCHMARK) -> pd.DataFrame:
    """Small areas where every school within the radius is below the threshold (as
    ``hubcore report coldspots``): ``code``, ``name``, ``imd_decile`` (1 = most deprived),
    ``cold_spot`` (True), ``schools_nearby`` (schools within the radius) and ``nearest_km``
    (km to the nearest school). ``attrs["display"]["areas"]`` is how many small areas were
    looked at."""
    return briefing_frames(engine, scope, as_of, benchmark).cold_spots


def briefing_funnel(engine: Engine, scope: Scope, as_of: dt.date | None = None,
                    benchmark: int = defaults.BENCHMARK) -> pd.DataFrame:
    """The hand-over funnel per ``cohort``, ``year_group`` and receiving organisation
    (``handed_to`` code, ``handed_to_label`` words): ``leavers`` (everyone in the cohort and
    year group, custody included), ``handovers``, ``referred``, ``not_referred``,
    ``contacted``, ``engaged``, ``lost``, ``closed``, ``still_open`` (young people),
    ``pct_referred_of_leavers`` and ``pct_contacted_of_referred``, ``pct_engaged_of_referred``,
    ``pct_lost_of_referred``, ``pct_closed_of_referred``, ``pct_open_of_referred`` (%), and
    ``note``. The hub rows of the protected transitions report."""
    return briefing_frames(engine, scope, as_of, benchmark).funnel


def briefing_lag(engine: Engine, scope: Scope, as_of: dt.date | None = None,
                 benchmark: int = defaults.BENCHMARK) -> pd.DataFrame:
    """Days from leaving to referral per ``cohort``, ``year_group`` and ``handed_to``
    (``handed_to_label`` words): ``referred`` (young people), ``median_days``, ``p90_days``
    (days), ``open`` (not referred yet) and ``overdue`` (not referred more than
    :data:`hubcore.defaults.OVERDUE_DAYS` days after leaving, on ``as_of``)."""
    return briefing_frames(engine, scope, as_of, benchmark).lag


def briefing_neet(engine: Engine, scope: Scope, as_of: dt.date | None = None,
                  benchmark: int = defaults.BENCHMARK) -> pd.DataFrame:
    """NEET and not known per ``cohort`` and ``year_group``, first year after leaving:
    ``academic_age``, ``measurement`` and ``measured`` (Dec-Feb average or the snapshot
    date), ``denominator`` (leavers excl. custody, averaged: DfE's base, not the funnel's
    ``leavers``), ``neet_pct``, ``not_known_pct``, ``neet_nk_pct`` (%), the comparators
    ``la_neet_nk_pct`` (the one LA's published 16-17 rate; ``attrs["display"]["la_note"]``
    says what it is or why it is empty), ``england_neet_pct``, ``england_neet_nk_pct`` (%),
    ``vs_england_neet`` (percentage points) and ``note``."""
    return briefing_frames(engine, scope, as_of, benchmark).neet
