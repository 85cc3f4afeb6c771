"""What a briefing says: its tables and map layers for one scope, gathered from
:mod:`hubcore.store` and computed by :mod:`hubcore.metrics`, with disclosure control applied
*before* anything reaches a renderer.

Every number a renderer draws or prints comes from a :class:`Table` (cells already formatted as
text, suppressed counts as "c") or from a map layer whose value columns are measures that are
not counts of people (ratios, deprivation deciles, priority points, spare employer places). The
renderers never see an unsuppressed count of people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import disclosure, geo, store
from hubcore.access import Role, Scope
from hubcore.benchmarks import (
    ENGLAND_NEET_NK_PERCENT_2025,
    ENGLAND_NEET_PERCENT_2025,
    ENGLAND_NOT_KNOWN_PERCENT_2025,
    benchmark_name,
)
from hubcore.errors import HubcoreError
from hubcore.metrics import coverage as cov
from hubcore.metrics import employers as emp
from hubcore.metrics import priority as prio
from hubcore.metrics import report
from hubcore.metrics import transitions as tr

#: Shown for a missing value (no data, not suppressed).
MISSING = "–"
#: Benchmark whose coverage the gap map shows unless told otherwise (BM5: employer encounters).
DEFAULT_BENCHMARK = 5
#: The briefing's coverage year where the scope has no encounters at all.
NO_ENCOUNTERS_YEAR = "none (no encounters recorded)"
#: Year groups shown apart on the transitions page.
YEAR_GROUPS = (11, 13)

SOURCES_COMMON = (
    "School register and boundaries: the hub's database (GIAS, ONS geography, English IoD).",
    "Benchmarks: latest Compass/Compass+ assessment per school; national means: CEC "
    "(2014 framework).",
    "Encounters, employer offers, destinations and hand-overs: the hub's own records.",
    "England NEET/not-known, ages 16-17, 2025: DfE NEET and participation statistics.",
)
SYNTHETIC_NOTICE = (
    "SYNTHETIC DATA - this briefing is generated from a fictional demo hub. "
    "No figure describes a real school, employer or young person."
)
DISCLOSURE_NOTE = (
    "Disclosure control: counts of people under 6 are shown as 'c', as are percentages and "
    "statistics whose base is under 6; percentages to 1 decimal place."
)


@dataclass(frozen=True)
class Table:
    """A table ready to print: every cell is text. ``counts`` names the columns that hold
    counts of people (checked by the tests: each cell is "c", "0" or at least 6)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    counts: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class MapLayers:
    """Geometry for the maps, all in EPSG:27700 (metres). Value columns are measures, not
    counts of people: ``schools`` carries ``coverage`` (the chosen measure, 2 dp), ``meets``,
    ``priority_index`` (0–100) and ``rank``; ``areas`` carries ``imd_decile`` (1 = most deprived)
    and ``cold_spot``; ``employers`` carries ``spare`` (offer places not taken up)."""

    outline: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame
    employers: gpd.GeoDataFrame
    measure: str
    measure_label: str
    threshold: float


@dataclass(frozen=True)
class Briefing:
    """Everything a briefing pack shows for one scope and date."""

    title: str
    scope_label: str
    as_of: dt.date
    synthetic: bool
    academic_year: str
    sources: tuple[str, ...]
    key_figures: Table
    benchmarks: Table
    coverage_gaps: Table
    priority: Table
    supply: Table
    coldspots: Table
    funnel: Table
    lag: Table
    neet: Table
    layers: MapLayers
    funnel_chart: dict[int, list[tuple[str, object]]] = field(default_factory=dict)

    def tables(self) -> list[Table]:
        """Every printed table, in page order."""
        return [
            self.key_figures,
            self.benchmarks,
            self.coverage_gaps,
            self.priority,
            self.supply,
            self.coldspots,
            self.funnel,
            self.lag,
            self.neet,
        ]


# --- formatting -------------------------------------------------------------------------------


#: ``decimals`` value for identifiers (URN, cohort, year group): digits only, no separator.
ID = -1


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


def _table(
    title: str,
    frame: pd.DataFrame,
    columns: dict[str, tuple[str, int | None]],
    counts: tuple[str, ...] = (),
    note: str = "",
) -> Table:
    """A :class:`Table` from ``frame``: ``columns`` maps a source column to (header, decimals);
    ``counts`` are source columns of counts of people."""
    rows = tuple(
        tuple(cell(rec[col], dec) for col, (_, dec) in columns.items())
        for rec in frame.to_dict("records")
    )
    headers = tuple(h for h, _ in columns.values())
    count_headers = tuple(columns[c][0] for c in counts if c in columns)
    return Table(title, headers, rows, count_headers, note)


# --- scope ------------------------------------------------------------------------------------


def area_scope(engine: Engine, code: str) -> Scope:
    """A read scope for the schools of one upper-tier LA (GSS ``code``).

    The store has no area scope of its own; the NCS adviser's scope is the one that restricts
    schools to ``la_gss == code`` (:func:`hubcore.store.school_filter`). Side effect, named on the
    transitions page: its hand-overs are those to the NCS in that area only.
    """
    known = sorted(
        c for c in pd.DataFrame(store.schools(engine, Scope.admin()))["la_gss"].dropna().unique()
    )
    if code not in known:
        raise HubcoreError(
            f"no schools in LA {code!r} (upper-tier LA codes with schools: "
            f"{', '.join(known) or 'none'})"
        )
    return Scope(Role.NCS_ADVISER, ncs_area=code, user="briefing")


def _labels(engine: Engine, scope: Scope) -> tuple[str, str, bool]:
    """Title, scope label and whether the data are synthetic."""
    if scope.hub_id is not None:
        hub = store.hub(engine, scope.hub_id)
        return hub["name"], f"Careers Hub {hub['id']}", bool(hub["synthetic"])
    schools = store.schools(engine, scope)
    hubs = store.hubs(engine)
    synthetic = bool(hubs["synthetic"].astype(bool).any()) if len(hubs) else False
    if scope.role is Role.NCS_ADVISER:
        areas = store.areas(engine, scope, kind="utla")
        names = areas.loc[areas["code"].eq(scope.ncs_area), "name"].tolist()
        name = names[0] if names else scope.ncs_area
        return f"{name} ({scope.ncs_area})", f"Local authority {scope.ncs_area}", synthetic
    if scope.urn is not None and len(schools):
        return str(schools["name"].iloc[0]), f"School URN {scope.urn}", synthetic
    return "All schools", "All hubs", synthetic


# --- sections ---------------------------------------------------------------------------------


#: Printed where a column's framework has no published national figure (instead of "–", which
#: would read as "no data").
NOT_PUBLISHED = "not published"


def _benchmark_table(engine: Engine, scope: Scope) -> tuple[Table, pd.DataFrame, str]:
    """Per benchmark: percent of schools achieving it, per framework present, against national;
    returns the table, the national-comparison rows and the frameworks present.

    Beside the columns of the schools' latest assessments, a column per framework and year of
    the like-for-like national comparison (each school's latest assessment that has a national
    figure, :func:`hubcore.metrics.benchmarks.national_rollup`) where it is not already one of
    them: after the move to the 2024 framework the hub is still compared with England, at the
    schools' last 2014-framework assessments, and the column names that framework and year."""
    table = report.export_table(engine, "benchmarks", scope)
    level = "hub" if scope.hub_id else "la"
    rollup = table[table["level"].eq(level)]
    national = table[table["level"].eq(f"{level}_national")]
    if rollup.empty:
        rollup = table[table["level"].eq("la")]
        national = table[table["level"].eq("la_national")]
    rollup = rollup.sort_values(["framework", "academic_year"])
    frameworks = sorted(rollup["framework"].astype(str).unique())
    shown = {
        (str(r["framework"]), str(r["academic_year"]), str(r["schools"]))
        for r in rollup.to_dict("records")
    }
    extra_nat = [
        r
        for r in national.sort_values(["framework", "academic_year"]).to_dict("records")
        if (str(r["framework"]), str(r["academic_year"]), str(r["schools"])) not in shown
    ]
    compared = sorted({f"{r['framework']} framework, {r['academic_year']}" for r in extra_nat})
    note = (
        "Frameworks are never mixed: each column is one framework and academic year. "
        + ("Both 2014 and 2024 frameworks are present. " if len(frameworks) > 1 else "")
        + "National figures (CEC) exist for the 2014 framework only"
        + (
            f"; the national comparison is made at each school's latest assessment that has "
            f"one ({'; '.join(compared)}), in its own column."
            if compared
            else "."
        )
    )
    columns = ["Measure"]
    # Benchmark names follow the framework when there is one; with both, the 2024 names (the
    # note says the columns are separate frameworks).
    names_of = frameworks[0] if len(frameworks) == 1 else "2024"
    rows: list[list[str]] = [
        [f"BM{b} {benchmark_name(b, names_of)} (% of schools)"] for b in range(1, 9)
    ]
    extra = {
        "schools": "Schools assessed",
        "achieved": "Mean benchmarks achieved (0-8)",
        "pct_all_eight": "All eight achieved (% of schools)",
        "national_mean_achieved": "National mean achieved (0-8)",
        "vs_national": "Difference from national",
    }
    rows += [[label] for label in extra.values()]
    records = [(rec, "") for rec in rollup.to_dict("records")]
    records += [(rec, " (latest with national figures)") for rec in extra_nat]
    for rec, suffix in records:
        columns.append(f"{rec['framework']} framework, {rec['academic_year']}{suffix}")
        unpublished = pd.isna(rec["national_mean_achieved"]) and not pd.isna(rec["national_note"])
        for b in range(1, 9):
            rows[b - 1].append(cell(rec[f"pct_bm{b}"], 1))
        for i, col in enumerate(extra):
            text = cell(rec[col], {"schools": 0, "pct_all_eight": 1}.get(col, 2))
            if col in ("national_mean_achieved", "vs_national") and unpublished:
                text = NOT_PUBLISHED
            rows[8 + i].append(text)
    out = Table(
        "Benchmark summary against national", tuple(columns), tuple(map(tuple, rows)), (), note
    )
    return out, national, ", ".join(frameworks)


def _coverage(
    engine: Engine, scope: Scope, benchmark: int
) -> tuple[pd.DataFrame, pd.DataFrame, str, float, str]:
    """Per-school coverage of ``benchmark`` (as measured, and disclosed), its column, threshold
    and academic year."""
    if benchmark not in report.COVERAGE_MEASURES:
        raise HubcoreError(f"no coverage measure for BM{benchmark}; use 5, 6, 7 or 8")
    summary, schools, year = report.coverage_inputs_for_scope(engine, scope)
    per_school = cov.measure_scores(cov.school_coverage(summary, schools, year))
    measure, threshold = report.COVERAGE_MEASURES[benchmark]
    safe = disclosure.apply_spec(per_school, report.SPECS["coverage"])
    return per_school, safe, measure, threshold, year


MEASURE_LABELS = {
    "bm5_pct_year_groups_met": "BM5: % of year groups with the employer encounters their kind "
    "of institution needs (1 a year; colleges 2)",
    "bm6_met_score": "BM6: workplace experiences met (1 = yes; by 16, colleges by end of "
    "programme)",
    "pal_met_score": "BM7: provider-access encounters met (1 = yes)",
    "bm8_met_score": "BM8: guidance interviews met (1 = yes; by 16, colleges by end of programme)",
}


def _transitions(
    engine: Engine, scope: Scope, as_of: dt.date, schools: pd.DataFrame, safe: pd.DataFrame
) -> tuple[Table, Table, Table, dict[int, list[tuple[str, object]]], str | None]:
    """Funnel, referral lag and NEET comparators per cohort and year group (Year 11 and Year 13
    apart; hand-overs to the NCS apart from those to LA tracking), disclosed; the funnel chart
    of the latest cohort. NEET and not known are per young person (DfE's Dec–Feb average, else
    a named snapshot), each year group against England's figure for its age."""
    # The hub rows of `hubcore report transitions`, protected there together with the school
    # rows: a cell hidden in the report (for a school's sake too) is hidden here, and every
    # figure shown is the report's value (one figure, one value; no second suppression).
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
    ncs_only = scope.role is Role.NCS_ADVISER
    funnel_t = _table(
        "Hand-over funnel: leavers, referred, contacted and outcome, NCS and LA tracking apart",
        funnel,
        {
            "cohort": ("Cohort", ID),
            "year_group": ("Year", ID),
            "handed_to_label": ("Handed over to", None),
            "leavers": ("Leavers", 0),
            "referred": ("Referred", 0),
            "pct_referred_of_leavers": ("% of leavers", 1),
            "pct_contacted_of_referred": ("% contacted", 1),
            "pct_engaged_of_referred": ("% engaged", 1),
            "pct_lost_of_referred": ("% lost", 1),
            "pct_open_of_referred": ("% still open", 1),
        },
        counts=("leavers", "referred"),
        note="Leavers: young people in the cohort. Referred: hand-overs with a referral date, "
        "as a % of leavers; contacted, engaged, lost and still open are % of referred (lost "
        "includes those never contacted; engaged + lost + still open + closed = 100). Year 11 "
        "and Year 13 apart; hand-overs to the National Careers Service and to LA tracking are "
        "counted apart, never added."
        + (
            f" Area briefing: hand-overs to the NCS in {scope.ncs_area} only (hand-overs to LA "
            "tracking are not included)."
            if ncs_only
            else ""
        ),
    )
    lag_t = _table(
        "Days from leaving to referral; hand-overs overdue",
        lag,
        {
            "cohort": ("Cohort", ID),
            "year_group": ("Year", ID),
            "handed_to_label": ("To", None),
            "referred": ("Referred", 0),
            "median_days": ("Median days", 1),
            "p90_days": ("90th pct days", 1),
            "open": ("Not referred", 0),
            "overdue": (f"Overdue (>{tr.OVERDUE_DAYS} days)", 0),
        },
        counts=("referred", "open", "overdue"),
        note=f"Overdue: not referred more than {tr.OVERDUE_DAYS} days after leaving, "
        f"as of {as_of.isoformat()}. NCS and LA tracking apart.",
    )
    la_note = (
        "LA published rate not available for this area"
        if np.isnan(la_nk)
        else f"LA rate: latest published, ages 16-17 ({published['la_time_period'].iloc[0]}), "
        "Year 11 rows only"
    )
    neet_t = _table(
        "NEET and not known per young person, first year after leaving, against England for "
        "their age",
        neet,
        {
            "cohort": ("Cohort", ID),
            "year_group": ("Year", ID),
            "measured": ("Measured", None),
            "denominator": ("Leavers", None),
            "neet_pct": ("NEET %", 1),
            "not_known_pct": ("Not known %", 1),
            "neet_nk_pct": ("NEET + NK %", 1),
            "la_neet_nk_pct": ("LA NEET + NK %", 1),
            "england_neet_pct": ("England NEET %", 1),
            "england_neet_nk_pct": ("England NEET + NK %", 1),
            "vs_england_neet": ("NEET vs England (pp)", 1),
        },
        counts=("denominator",),
        note=f"Each leaver counted once, by the record current at the end of December, January "
        "and February (their average, as DfE publishes), else on the snapshot date named; "
        "leavers with no record count as not known; custody is left out of the base. "
        f"{la_note}. England for Year 11 leavers (age 16): 2025 Dec-Feb, ages 16-17, NEET "
        f"{ENGLAND_NEET_PERCENT_2025}%, not known {ENGLAND_NOT_KNOWN_PERCENT_2025}%, both "
        f"{ENGLAND_NEET_NK_PERCENT_2025}%. For Year 13 leavers (age 18, no longer tracked by "
        f"LAs): England NEET at 16-18, {tr.ENGLAND_NEET_16_18_PERCENT_2023}% (2023, official "
        "statistics), which has no not-known figure. Published rates cover every young person "
        "of that age: a guide, not a like-for-like comparison.",
    )
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
    return funnel_t, lag_t, neet_t, chart, None if latest is None else str(latest)


def _national_key_rows(national: pd.DataFrame) -> list[tuple[str, str]]:
    """Key-figure lines comparing the scope with England, like for like: for each framework and
    year of the national comparison (``national``: the disclosed ``hub_national`` or
    ``la_national`` rows of the benchmarks report), the mean benchmarks achieved against CEC's
    national mean, the framework named."""
    rows = national.sort_values(["framework", "academic_year"])
    return [
        (
            f"Mean benchmarks achieved vs England ({r['framework']} framework, "
            f"{r['academic_year']}, {cell(r['schools'], 0)} schools)",
            f"{cell(r['achieved'], 2)} vs {cell(r['national_mean_achieved'], 2)}",
        )
        for r in rows.to_dict("records")
    ]


def _outline(engine: Engine, scope: Scope, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The LA outline: the scope's upper-tier LA polygons, else the union of its small areas."""
    las = store.areas(engine, scope, kind="utla")
    if len(las):
        return las[["code", "name", "geometry"]]
    if len(areas):
        merged = areas.geometry.union_all()
        return gpd.GeoDataFrame({"code": ["area"]}, geometry=[merged], crs=areas.crs)
    return gpd.GeoDataFrame({"code": []}, geometry=[], crs=geo.BNG)


def gather(
    engine: Engine,
    scope: Scope,
    as_of: dt.date | None = None,
    benchmark: int = DEFAULT_BENCHMARK,
) -> Briefing:
    """Read and compute everything the briefing shows for ``scope`` as of ``as_of`` (default:
    today), with disclosure control applied. ``benchmark`` picks the coverage-gap measure."""
    as_of = as_of or dt.date.today()
    title, scope_label, synthetic = _labels(engine, scope)
    schools = store.schools(engine, scope)
    if schools.empty:
        raise HubcoreError(f"no schools in scope ({scope_label}): nothing to brief on")
    areas = store.areas(engine, scope)
    plain_schools = pd.DataFrame(schools.drop(columns="geometry"))

    bench_t, bench_national, frameworks = _benchmark_table(engine, scope)
    # A scope with no encounters still gets its briefing: the coverage sections say so.
    has_encounters = bool(store.encounter_years(engine, scope))
    if benchmark not in report.COVERAGE_MEASURES:
        raise HubcoreError(f"no coverage measure for BM{benchmark}; use 5, 6, 7 or 8")
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
        area_cov = pd.DataFrame(
            {
                "code": pd.Series(dtype="string"),
                "name": pd.Series(dtype="string"),
                "imd_decile": pd.Series(dtype="float64"),
                "cold_spot": pd.Series(dtype=bool),
                "schools_nearby": pd.Series(dtype="float64"),
                "nearest_km": pd.Series(dtype="float64"),
            }
        )
    areas_l = areas[["code", "name", "imd_decile", "geometry"]].merge(
        area_cov[["code", "cold_spot", "schools_nearby", "nearest_km"]], on="code", how="left"
    )
    areas_l["cold_spot"] = areas_l["cold_spot"].fillna(False).astype(bool)

    # The priority index as report.priority_table computes it, from reads this briefing has
    # already made: NEET risk of Year 11 leavers one year after leaving, left out (so imputed
    # from the hub mean) where a school's base is under the threshold.
    # The protected transitions report: the funnel, lag and NEET tables are its hub rows, and
    # a school's rate enters the priority index only where the report shows it.
    safe = report.export_table(engine, "transitions", scope, report.Options(as_of=as_of))
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

    funnel_t, lag_t, neet_t, chart, cohort = _transitions(
        engine, scope, as_of, plain_schools, safe
    )

    gaps = school_l[~school_l["meets"]].sort_values(["coverage", "urn"], na_position="first")
    if not has_encounters:
        gaps = gaps.iloc[0:0]
    gaps_t = _table(
        f"Schools below the threshold ({threshold:g}) on {MEASURE_LABELS[measure]}",
        pd.DataFrame(gaps.drop(columns="geometry")).head(15),
        {
            "urn": ("URN", ID),
            "name": ("School", None),
            "kind": ("Type", None),
            "coverage": ("Value", 2),
        },
        note=(
            f"Academic year {year}. {len(gaps)} of {len(school_l)} schools below threshold. "
            "Thresholds follow the school's kind of institution (school, college, special "
            "school) and the framework in force that year."
            if has_encounters
            else f"{cov.NOTE_NO_ENCOUNTERS.capitalize()} for these schools: coverage of "
            "benchmarks 5-8 cannot be measured."
        ),
    )
    prio_t = _table(
        "Priority schools: index and its components",
        priority.sort_values("rank").head(12),
        {
            "rank": ("Rank", ID),
            "name": ("School", None),
            "imd_decile": ("IMD", 0),
            "points_deprivation": ("Depriv.", 1),
            "points_benchmark_gap": ("BM gap", 1),
            "points_neet_risk": ("NEET", 1),
            "priority_index": ("Index", 1),
        },
        note="Index 0-100 = equal-weight mean of deprivation, benchmark gap and NEET risk "
        "(each 0-1); the points columns (deprivation, benchmark gap, NEET risk) add up to the "
        "index. IMD = decile of the school's small area, 1 = most deprived.",
    )
    supply_t = _table(
        "Employers with spare offers (places not taken up)",
        supply.sort_values(["spare", "employer_id"], ascending=[False, True]).head(12),
        {"employer_name": ("Employer", None), "spare": ("Spare places", 0)},
        note=(
            f"Academic year {year}; offers are places, not people."
            if has_encounters
            else f"{cov.NOTE_NO_ENCOUNTERS.capitalize()}: no academic year to count spare "
            "offers in."
        ),
    )
    spots = area_cov[area_cov["cold_spot"].astype(bool)].sort_values(["imd_decile", "code"])
    cold_t = _table(
        "Cold spots: small areas where every school within 5 km is below threshold",
        spots.head(12),
        {
            "code": ("Area", None),
            "name": ("Name", None),
            "imd_decile": ("IMD decile", 0),
            "schools_nearby": ("Schools nearby", 0),
            "nearest_km": ("Nearest km", 2),
        },
        note=(
            f"{len(spots)} cold spot(s) of {len(area_cov)} small areas."
            if has_encounters
            else f"{cov.NOTE_NO_ENCOUNTERS.capitalize()}: cold spots cannot be measured."
        ),
    )

    n_meet = int(school_l["meets"].sum())
    key_rows = [
        ("Schools and colleges in scope", cell(len(school_l))),
        ("Benchmark framework(s) assessed", frameworks or MISSING),
        *_national_key_rows(bench_national),
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
    if cohort is not None:
        # Funnel rows: cohort, year, handed over to, leavers, referred, ... (see _transitions).
        for year_group in YEAR_GROUPS:
            rows = [r for r in funnel_t.rows if (r[0], r[1]) == (cohort, str(year_group))]
            if rows:
                referred = "; ".join(f"to {r[2]}: {r[4]}" for r in rows)
                key_rows.append(
                    (f"Year {year_group} leavers {cohort}: leavers / referred",
                     f"{rows[0][3]} / {referred}")
                )
    key_t = Table("Key figures", ("Measure", "Value"), tuple(key_rows))

    outline = _outline(engine, scope, areas)
    layers = MapLayers(
        outline, areas_l, school_l, emp_l, measure, MEASURE_LABELS[measure], float(threshold)
    )
    return Briefing(
        title=title,
        scope_label=scope_label,
        as_of=as_of,
        synthetic=synthetic,
        academic_year=year,
        sources=SOURCES_COMMON,
        key_figures=key_t,
        benchmarks=bench_t,
        coverage_gaps=gaps_t,
        priority=prio_t,
        supply=supply_t,
        coldspots=cold_t,
        funnel=funnel_t,
        lag=lag_t,
        neet=neet_t,
        layers=layers,
        funnel_chart=chart,
    )
