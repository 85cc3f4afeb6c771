"""What a briefing says: its tables and map layers for one scope, as printable text.

Every figure comes from :func:`hubcore.display.briefing.briefing_frames` (the display layer:
read through :mod:`hubcore.store`, computed by :mod:`hubcore.metrics`, disclosure control
applied there); this module only picks columns, names them and formats their values as text.
It computes and suppresses nothing itself.

Every number a renderer draws or prints comes from a :class:`Table` (cells already formatted as
text, suppressed counts as "c") or from a map layer whose value columns are measures that are
not counts of people (ratios, deprivation deciles, priority points, spare employer places). The
renderers never see an unsuppressed count of people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine

from hubcore import defaults, notices, store
from hubcore.access import Role, Scope
from hubcore.benchmarks import (
    ENGLAND_NEET_NK_PERCENT_2025,
    ENGLAND_NEET_PERCENT_2025,
    ENGLAND_NOT_KNOWN_PERCENT_2025,
    benchmark_name,
)
from hubcore.display import briefing as shown
from hubcore.display import trajectory as projected
from hubcore.display.base import plural
from hubcore.display.briefing import COMPASS, ENCOUNTER_LOG, ID, cell
from hubcore.display.briefing import MISSING as MISSING  # noqa: F401  (re-exported: renderers, tests)
from hubcore.display.provenance import attribution_lines
from hubcore.errors import HubcoreError
from hubcore.metrics import coverage as cov
from hubcore.metrics import transitions as tr

#: Benchmark whose coverage the gap map shows unless told otherwise
#: (:data:`hubcore.defaults.BENCHMARK`).
DEFAULT_BENCHMARK = defaults.BENCHMARK

SOURCES_COMMON = (
    "School register and boundaries: the hub's database (GIAS, ONS geography, English IoD).",
    "Benchmarks: latest Compass/Compass+ assessment per school; national means: CEC "
    "(2014 framework).",
    "Encounters, employer offers, destinations and hand-overs: the hub's own records.",
    "England NEET/not-known, ages 16-17, 2025: DfE NEET and participation statistics.",
)
SYNTHETIC_NOTICE = notices.SYNTHETIC_NOTICE  # worded once, in hubcore.notices
DISCLOSURE_NOTE = (
    "Disclosure control: counts of people under 6 are shown as 'c', as are percentages and "
    "statistics whose base is under 6, and larger counts (e.g. a cohort's leavers) where "
    "they would give a hidden count away; percentages to 1 decimal place."
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
    #: Credit lines of the official data in store (OGL, "Contains OS data © Crown copyright
    #: and database right YEAR"): :func:`hubcore.display.provenance.attribution_lines`; empty
    #: for the plain synthetic demo. Untrusted text: renderers escape it.
    attributions: tuple[str, ...] = ()
    #: Benchmark trajectory to the July snapshot (on the benchmarks page): per benchmark for
    #: the hub, and the schools projected to miss the briefing's benchmark.
    trajectory: Table | None = None
    trajectory_schools: Table | None = None

    def tables(self) -> list[Table]:
        """Every printed table, in page order."""
        return [
            self.key_figures,
            self.benchmarks,
            *(t for t in (self.trajectory, self.trajectory_schools) if t is not None),
            self.coverage_gaps,
            self.priority,
            self.supply,
            self.coldspots,
            self.funnel,
            self.lag,
            self.neet,
        ]


# --- formatting -------------------------------------------------------------------------------


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
    if scope.handover_area_role:  # NCS adviser, LA tracking officer: their LA
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


def _benchmark_table(frame: pd.DataFrame) -> Table:
    """Per benchmark: percent of schools achieving it, per framework present, against national
    (:func:`hubcore.display.briefing.briefing_benchmarks`): a column per framework and year of
    the schools' latest assessments, then one per like-for-like national comparison not already
    among them, named as such (after the move to the 2024 framework the hub is still compared
    with England, at the schools' last 2014-framework assessments)."""
    meta = frame.attrs["display"]
    frameworks, compared = meta["frameworks"], meta["compared"]
    note = (
        f"Source: each school's latest {COMPASS}; coverage of benchmarks 5-8 on the maps "
        f"is measured {ENCOUNTER_LOG} instead, so the two can differ. "
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
    shown_rows = frame[~frame["national"] | frame["comparison"]]
    for rec in shown_rows.to_dict("records"):
        suffix = " (latest with national figures)" if rec["comparison"] else ""
        columns.append(f"{rec['framework']} framework, {rec['academic_year']}{suffix}")
        for b in range(1, 9):
            rows[b - 1].append(cell(rec[f"pct_bm{b}"], 1))
        for i, col in enumerate(extra):
            text = cell(rec[col], 0 if col == "schools" else 1)
            if col in ("national_mean_achieved", "vs_national") and not rec["national_published"]:
                text = NOT_PUBLISHED
            rows[8 + i].append(text)
    title = f"{meta['title']} ({COMPASS})"
    return Table(title, tuple(columns), tuple(map(tuple, rows)), (), note)


def _transitions(
    frames: shown.BriefingFrames, scope: Scope
) -> tuple[Table, Table, Table, str | None]:
    """Funnel, referral lag and NEET comparators per cohort and year group (Year 11 and Year 13
    apart; hand-overs to the NCS apart from those to LA tracking) as printed tables, and the
    latest cohort. NEET and not known are per young person (DfE's Dec–Feb average, else a named
    snapshot), each year group against England's figure for its age."""
    funnel, lag, neet = frames.funnel, frames.lag, frames.neet
    ncs_only = scope.role is Role.NCS_ADVISER
    funnel_t = _table(
        funnel.attrs["display"]["title"],
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
        note="Leavers: everyone in the cohort and year group, custody included (the NEET "
        "table's base leaves custody out). Referred: hand-overs with a referral date, "
        "as a % of leavers; contacted, engaged, lost and still open are % of referred (lost "
        "includes those never contacted; engaged + lost + still open + closed = 100). Year 11 "
        "and Year 13 apart; hand-overs to the National Careers Service and to LA tracking are "
        "counted apart, never added."
        + (
            f" Area briefing: hand-overs to the NCS in {scope.ncs_area} only (hand-overs to LA "
            "tracking are not included)."
            if ncs_only
            else f" LA tracking briefing: hand-overs to LA tracking in {scope.ncs_area} only "
            "(hand-overs to the NCS are not included)."
            if scope.role is Role.LA_TRACKING
            else ""
        ),
    )
    overdue_days = lag.attrs["display"]["overdue_days"]
    lag_t = _table(
        lag.attrs["display"]["title"],
        lag,
        {
            "cohort": ("Cohort", ID),
            "year_group": ("Year", ID),
            "handed_to_label": ("To", None),
            "referred": ("Referred", 0),
            "median_days": ("Median days", 1),
            "p90_days": ("90th pct days", 1),
            "open": ("Not referred", 0),
            "overdue": (f"Overdue (>{overdue_days} days)", 0),
        },
        counts=("referred", "open", "overdue"),
        note=f"Overdue: not referred more than {overdue_days} days after leaving, "
        f"as of {frames.as_of.isoformat()}. NCS and LA tracking apart.",
    )
    la_note = neet.attrs["display"]["la_note"]
    neet_t = _table(
        neet.attrs["display"]["title"],
        neet,
        {
            "cohort": ("Cohort", ID),
            "year_group": ("Year", ID),
            "measured": ("Measured", None),
            "denominator": ("Leavers excl. custody", 0),
            "neet_pct": ("NEET %", 1),
            "not_known_pct": ("Not known %", 1),
            "neet_nk_pct": ("NEET + NK %", 1),
            "la_neet_nk_pct": ("LA NEET + NK %", 1),
            "england_neet_pct": ("England NEET %", 1),
            "england_neet_nk_pct": ("England NEET + NK %", 1),
            "vs_england_neet": ("NEET vs England (pp)", 1),
        },
        counts=("denominator",),
        note=f"{neet.attrs['display']['note']} Each leaver counted once, by the record "
        "current at the end of December, January and February (their average, as DfE "
        "publishes), else on the snapshot date named; "
        "leavers with no record count as not known; custody is left out of the base. "
        f"{la_note}. England for Year 11 leavers (age 16): 2025 Dec-Feb, ages 16-17, NEET "
        f"{ENGLAND_NEET_PERCENT_2025}%, not known {ENGLAND_NOT_KNOWN_PERCENT_2025}%, both "
        f"{ENGLAND_NEET_NK_PERCENT_2025}%. For Year 13 leavers (age 18, no longer tracked by "
        f"LAs): England NEET at 16-18, {tr.ENGLAND_NEET_16_18_PERCENT_2023}% (2023, official "
        "statistics), which has no not-known figure. Published rates cover every young person "
        "of that age: a guide, not a like-for-like comparison.",
    )
    latest = funnel["cohort"].max() if len(funnel) else None
    return funnel_t, lag_t, neet_t, None if latest is None else str(latest)


def _trajectory(frames: shown.BriefingFrames) -> tuple[Table, Table]:
    """The benchmark trajectory as printed tables: per benchmark, how many schools will miss
    it by the July snapshot out of those with a projection, against the hub's target; and the
    schools projected to miss the briefing's benchmark, lowest first (at most 10 printed)."""
    hub, schools = frames.trajectory, frames.trajectory_schools
    hub_meta, school_meta = hub.attrs["display"], schools.attrs["display"]
    hub_t = _table(
        hub_meta["title"],
        hub,
        {
            "benchmark": ("Benchmark", None),
            "projected": ("With a projection", 0),
            "will_miss": ("Will miss", 0),
            "pct_projected_achieving": ("Projected to achieve (%)", 1),
            "target_pct": ("Hub target (%)", 0),
            "meets_target": ("Meets target", None),
            "schools_short": ("Schools short", 0),
            "not_projected": ("Not projected", 0),
        },
        note=f"{hub_meta['note']} Not projected: one assessment or none.",
    )
    risk = projected.at_risk(schools)
    school_t = _table(
        school_meta["heading"],
        risk.head(10),
        {
            "school": ("School", None),
            "current_pct": ("Now %", 1),
            "projected_pct": ("Projected %", 1),
            "trend": ("Trend", None),
            "held_back_by": ("Benchmarks holding it back", None),
        },
        note=" ".join(projected.sentences(schools)) + " Lowest projection first; at most 10 "
        "listed.",
    )
    return hub_t, school_t


def gather(
    engine: Engine,
    scope: Scope,
    as_of: dt.date | None = None,
    benchmark: int = DEFAULT_BENCHMARK,
) -> Briefing:
    """Everything the briefing shows for ``scope`` as of ``as_of`` (default: today), from the
    display layer (:func:`hubcore.display.briefing.briefing_frames`, disclosure control
    applied there), as printable tables. ``benchmark`` picks the coverage-gap measure."""
    title, scope_label, synthetic = _labels(engine, scope)
    try:
        frames = shown.briefing_frames(engine, scope, as_of, benchmark)
    except HubcoreError as exc:
        if str(exc).startswith("no schools in scope"):
            raise HubcoreError(f"no schools in scope ({scope_label}): nothing to brief on") from exc
        raise
    year, has_encounters = frames.academic_year, frames.has_encounters
    measure = frames.measure

    bench_t = _benchmark_table(frames.benchmarks)
    trajectory_t, trajectory_schools_t = _trajectory(frames)
    funnel_t, lag_t, neet_t, _cohort = _transitions(frames, scope)

    gaps = frames.coverage_gaps
    gaps_meta = gaps.attrs["display"]
    gaps_t = _table(
        gaps_meta["title"],
        gaps.head(15),
        {
            "urn": ("URN", ID),
            "name": ("School", None),
            "kind_label": ("Type", None),
            "coverage": ("Value", 1),
        },
        note=(
            f"Academic year {year}, {ENCOUNTER_LOG}. {gaps_meta['below']} of "
            f"{plural(gaps_meta['schools'], 'school')} below threshold. Thresholds follow "
            "the school's kind of institution (school, college, special school) and the "
            "framework in force that year."
            if has_encounters
            else f"{cov.NOTE_NO_ENCOUNTERS.capitalize()} for these schools: coverage of "
            "benchmarks 5-8 cannot be measured."
        ),
    )
    prio_t = _table(
        frames.priority.attrs["display"]["title"],
        frames.priority.head(12),
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
        frames.supply.attrs["display"]["title"],
        frames.supply.head(12),
        {"employer_name": ("Employer", None), "spare": ("Spare places", 0)},
        note=(
            f"Academic year {year}; offers are places, not people."
            if has_encounters
            else f"{cov.NOTE_NO_ENCOUNTERS.capitalize()}: no academic year to count spare "
            "offers in."
        ),
    )
    spots = frames.cold_spots
    cold_t = _table(
        spots.attrs["display"]["title"],
        spots.head(12),
        {
            "code": ("Area", None),
            "name": ("Name", None),
            "imd_decile": ("IMD decile", 0),
            "schools_nearby": ("Schools nearby", 0),
            "nearest_km": ("Nearest km", 1),
        },
        note=(
            f"{plural(len(spots), 'cold spot')} of "
            f"{plural(spots.attrs['display']['areas'], 'small area')}."
            if has_encounters
            else f"{cov.NOTE_NO_ENCOUNTERS.capitalize()}: cold spots cannot be measured."
        ),
    )
    keys = frames.key_figures
    key_t = Table(
        keys.attrs["display"]["title"],
        ("Measure", "Value"),
        tuple((str(m), str(v)) for m, v in zip(keys["measure"], keys["value"], strict=True)),
        note=keys.attrs["display"]["note"],
    )
    layers = MapLayers(
        frames.outline, frames.areas, frames.schools, frames.employers, measure,
        frames.measure_label, frames.threshold,
    )
    return Briefing(
        title=title,
        scope_label=scope_label,
        as_of=frames.as_of,
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
        funnel_chart=frames.funnel_chart,
        attributions=tuple(attribution_lines(engine)),
        trajectory=trajectory_t,
        trajectory_schools=trajectory_schools_t,
    )
