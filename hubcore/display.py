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
- ``frame.attrs["display"]`` holds metadata: ``title``, ``units``, and where relevant
  ``palette`` (a name in :mod:`hubcore.palettes`), ``low``/``high`` (colour range),
  ``tooltips`` (column → label) and ``note`` (how the figures were protected).

:data:`SOURCES` names every page data source; each can be called as ``SOURCES[name](engine,
scope)`` with its defaults, which is what the suite's attacker test iterates over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import codes, disclosure, metrics, store
from hubcore.access import Scope
from hubcore.benchmarks import BENCHMARKS
from hubcore.disclosure import Spec, rules
from hubcore.errors import HubcoreError
from hubcore.metrics import report

C = disclosure.SUPPRESSED
THRESHOLD = disclosure.THRESHOLD
#: Width of the referral-lag histogram's bins, days.
LAG_BIN_DAYS = 14
#: Funnel stages in order, as the transitions chart draws them.
FUNNEL_STEPS = ("handovers", "referred", "contacted", "engaged", "lost")


# --- rules as data ----------------------------------------------------------------------------

#: Disclosure rules of the page data sources, by source name (see :data:`SOURCES`): written
#: once, as data, with the report rules in :mod:`hubcore.disclosure.rules`.
RULES: dict[str, Spec] = rules.PAGE_SPECS


def protect(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """``frame`` through the engine (:func:`hubcore.disclosure.apply_spec`) with ``spec``,
    helper columns (``_…``) dropped."""
    out = disclosure.apply_spec(frame, spec)
    return out.drop(columns=[c for c in out.columns if str(c).startswith("_")])


def numeric(values: pd.Series) -> pd.Series:
    """A displayed column as floats for drawing: ``"c"``, ``"low"`` and other text become
    NaN."""
    return pd.to_numeric(values.astype(object), errors="coerce").astype("float64")


def text(values: pd.Series) -> pd.Series:
    """A displayed column as text for a hover: numbers as ``12.5`` / ``40``, ``"c"`` kept,
    missing as ``–``."""
    def one(v) -> str:
        if isinstance(v, str):
            return v
        if v is None or pd.isna(v):
            return "–"
        return f"{float(v):g}"

    return values.astype(object).map(one)


def _meta(frame: pd.DataFrame, **meta) -> pd.DataFrame:
    frame.attrs["display"] = meta
    return frame


# --- schools and the overview -----------------------------------------------------------------


def schools(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The scope's schools and colleges (published register data): ``urn``, ``name``,
    ``kind``, ``type`` (readable kind), ``la_gss``, ``pupils``, ``easting``/``northing``
    (BNG metres) and the register's other columns."""
    frame = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    frame["type"] = frame["kind"].map(codes.SCHOOL_KINDS)
    return _meta(frame, title="Schools and colleges", units={"pupils": "pupils"})


def benchmarks_at(assessments: pd.DataFrame, period: str) -> pd.DataFrame:
    """Each school's latest assessment on or before ``period`` (``YYYY-MM-DD|framework``),
    within that framework (:func:`hubcore.metrics.school_benchmarks`).

    The national comparison (``national_*``, ``vs_national``, ``national_note``) of a school
    whose assessment in that framework has no national figure (the 2024 framework, before CEC
    publishes one) is made at its latest earlier assessment that has one, in either framework,
    and the note names it; "no assessment with a national figure" only where none has."""
    date, framework = period.split("|")
    upto = assessments[assessments["assessed_on"] <= pd.Timestamp(date)]
    within = metrics.school_benchmarks(upto, framework)
    national = [c for c in within.columns if c.startswith("national_") or c == "vs_national"]
    missing = within["national_framework"].isna()
    if missing.any():
        across = metrics.school_benchmarks(upto).set_index("urn")[national]
        fill = within.loc[missing, "urn"]
        within.loc[missing, national] = across.reindex(fill).to_numpy()
    return within


def overview_schools(
    engine: Engine,
    scope: Scope,
    period: str | None = None,
    *,
    school_list: pd.DataFrame | None = None,
    benchmarks: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The overview's schools table: each school (:func:`schools`) with its benchmarks at
    ``period`` (``bm1``–``bm8`` percent of criteria met, ``achieved`` 0–8, ``change_achieved``,
    ``framework``, ``assessed_on``, ``national_note``; default: the latest period) and its
    encounter coverage in the latest academic year (``bm5_min_per_pupil`` encounters per pupil
    in the lowest year group, ``bm6_by16_pct`` and ``bm8_by16_pct`` percent of the Year 11
    cohort, ``pal_met``).

    The cached frames a page holds may be passed instead of being read again:
    ``school_list`` (:func:`schools`), ``benchmarks`` (:func:`benchmarks_at`) and
    ``coverage`` (:func:`hubcore.metrics.school_coverage`).
    """
    frame = schools(engine, scope) if school_list is None else school_list
    if benchmarks is None:
        a = store.assessments(engine, scope)
        if period is None and len(a):
            latest = a.sort_values("assessed_on").iloc[-1]
            period = f"{latest['assessed_on']:%Y-%m-%d}|{latest['framework']}"
        benchmarks = benchmarks_at(a, period) if period else None
    if benchmarks is not None:
        frame = frame.merge(benchmarks, on="urn", how="left")
    if coverage is None:
        try:
            coverage = report.school_coverage_for_scope(engine, scope)
        except HubcoreError:  # no encounters yet: no coverage columns
            coverage = None
    if coverage is not None:
        cover = coverage[["urn", "bm5_min_per_pupil", "bm6_by16_pct", "pal_met", "bm8_by16_pct",
                          "bm6_by16_places", "bm8_y11_meetings", "y11_cohort"]]
        frame = frame.merge(cover.rename(columns={
            "bm6_by16_places": "_bm6_places", "bm8_y11_meetings": "_bm8_meetings",
            "y11_cohort": "_y11"}), on="urn", how="left")
    out = protect(frame, RULES["overview_schools"])
    for col in ("bm6_by16_pct", "bm8_by16_pct", *(f"bm{b}" for b in BENCHMARKS)):
        if col in out:
            out[f"{col}_value"] = numeric(out[col])
    return _meta(out, title="Schools and colleges", units={
        "achieved": "benchmarks (0–8)", "bm5_min_per_pupil": "encounters per pupil",
        "bm6_by16_pct": "percent", "bm8_by16_pct": "percent"},
        note="Reach percentages are c where fewer than 6 pupils took part.")


def overview_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row summing up the schools a page shows (``table`` from :func:`overview_schools`,
    already filtered): ``schools`` shown, ``assessed`` (with an assessment in the period),
    ``mean_achieved`` (mean benchmarks fully achieved over the assessed schools, 0–8, two
    decimals; NaN if none), ``framework`` and ``national_note``."""
    achieved = pd.to_numeric(table["achieved"], errors="coerce") if "achieved" in table \
        else pd.Series(dtype="float64")
    assessed = int(achieved.notna().sum())

    def first(column: str):
        values = table[column].dropna() if column in table else pd.Series(dtype=object)
        return values.iat[0] if len(values) else None

    return _meta(pd.DataFrame({
        "schools": [len(table)],
        "assessed": [assessed],
        "mean_achieved": [round(float(achieved.mean()), 2) if assessed else np.nan],
        "framework": [first("framework")],
        "national_note": [first("national_note")],
    }), title="Schools shown", units={"mean_achieved": "benchmarks (0–8)"})


# --- map layers -------------------------------------------------------------------------------


def area_neet(engine: Engine, scope: Scope, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """NEET + not known one year after leaving by the leavers' home small area, all cohorts
    and year groups (:func:`hubcore.metrics.neet_rates` over
    :func:`hubcore.store.neet_status_by_area`): per young person, as the NEET report counts
    them (each leaver once per measurement point by the record current then, DfE's Dec–Feb
    average or a named snapshot; no record counts as not known; custody left out of the base).
    ``code`` (LSOA), ``leavers`` (the rate's base: leavers outside custody, averaged over the
    points, so possibly fractional), ``neet_nk_pct`` (percent) and ``value`` (the same as a
    float, NaN where suppressed).

    Protection: leavers under 6 are ``c``; the rate is ``c`` where the leavers NEET or not known,
    or the other leavers, number 1–5 (either would follow from rate × leavers), and both are
    hidden together since they add up to the leavers shown.
    """
    if counts is None:
        counts = store.neet_status_by_area(engine, scope)
    rates = metrics.neet_rates(counts, by=("home_lsoa",))
    frame = pd.DataFrame({
        "code": rates["home_lsoa"].astype(str),
        "leavers": rates["denominator"],
        "neet_nk_pct": rates["neet_nk_pct"],
        "_neet": rates["neet"],
        "_nk": rates["not_known"],
        "_rest": rates["denominator"] - rates["neet"] - rates["not_known"],
    })
    out = protect(frame, RULES["area_neet"])
    out["value"] = numeric(out["neet_nk_pct"])
    return _meta(out, title="NEET + not known, % (c = fewer than 6)", units={
        "neet_nk_pct": "percent", "leavers": "leavers"}, palette="RATE", low=0, high=15,
        tooltips={"leavers": "leavers"},
        note="c: fewer than 6 leavers, or fewer than 6 NEET / not known or otherwise.")


def area_coverage(engine: Engine, scope: Scope, benchmark: int = 5,
                  areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per small area, the schools within 5 km and how many are below threshold on the
    benchmark's measure (:func:`hubcore.metrics.area_coverage`; schools, not people, so not
    suppressed): ``code``, ``schools_nearby``, ``schools_below``, ``pct_below`` (percent of
    nearby schools), ``nearest_km``, ``mean_measure``, ``cold_spot``, ``measure``,
    ``threshold``."""
    source = "coverage" if benchmark in report.COVERAGE_MEASURES else "assessment"
    opts = report.Options(benchmark=benchmark, source=source)
    values, measure, threshold = report.school_measure_for_scope(engine, scope, opts)
    if areas is None:
        areas = store.areas(engine, scope, kind="lsoa")
    result = metrics.area_coverage(areas, store.schools(engine, scope), values, measure,
                                   threshold, opts.radius_km)
    out = protect(pd.DataFrame(result.drop(columns="geometry", errors="ignore")),
                  RULES["area_coverage"])
    return _meta(out.assign(measure=measure, threshold=threshold),
                 title=f"BM{benchmark} coverage by small area", units={"pct_below": "percent"})


LAYERS = ("deprivation", "neet", "gap", "cold")


def area_layer(
    engine: Engine,
    scope: Scope,
    layer: str = "neet",
    benchmark: int = 5,
    *,
    areas: pd.DataFrame | None = None,
    neet: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The overview map's area layer: indexed by area ``code``, a ``value`` column to shade
    (float, NaN = no value or suppressed), ``shown`` (the value as the hover shows it: text,
    ``c`` where suppressed) and the hover's other columns named in
    ``attrs["display"]["tooltips"]`` (as text). ``layer`` is one of :data:`LAYERS`.
    Cached inputs may be passed: ``areas`` (LSOA boundaries with ``imd_decile``), ``neet``
    (:func:`area_neet`), ``coverage`` (:func:`area_coverage`)."""
    if layer == "deprivation":
        if areas is None:
            areas = store.areas(engine, scope, kind="lsoa")
        value = pd.to_numeric(areas["imd_decile"]).astype("float64")
        out = pd.DataFrame({"value": value.to_numpy(), "shown": text(value).to_numpy()},
                           index=pd.Index(areas["code"].to_numpy(), name="code"))
        return _meta(out, title="IMD decile (1 = most deprived)", palette="DEPRIVATION",
                     low=0.5, high=10.5, tooltips={}, units={"value": "decile"})
    if layer == "neet":
        frame = area_neet(engine, scope) if neet is None else neet
        out = frame.set_index("code")[["value"]].assign(
            shown=text(frame["neet_nk_pct"]).to_numpy(),
            leavers=text(frame["leavers"]).to_numpy())
        return _meta(out, **{**frame.attrs["display"], "tooltips": {"leavers": "leavers"}})
    if layer not in ("gap", "cold"):
        raise HubcoreError(f"unknown map layer {layer!r}; choose from {', '.join(LAYERS)}")
    frame = area_coverage(engine, scope, benchmark, areas) if coverage is None else coverage
    tips = {"schools_nearby": "schools within 5 km", "schools_below": "below threshold"}
    out = pd.DataFrame({c: text(frame[c]).to_numpy() for c in tips},
                       index=pd.Index(frame["code"].to_numpy(), name="code"))
    if layer == "gap":
        out.insert(0, "value", numeric(frame["pct_below"]).to_numpy())
        out.insert(1, "shown", text(frame["pct_below"]).to_numpy())
        return _meta(out, title=f"BM{benchmark}: % of schools within 5 km below threshold",
                     palette="RATE", low=0, high=100, tooltips=tips, units={"value": "percent"})
    out.insert(0, "value", frame["cold_spot"].astype(float).to_numpy())
    out.insert(1, "shown", np.where(frame["cold_spot"].astype(bool), "yes", "no"))
    return _meta(out, title=f"BM{benchmark} cold spot (1 = every school nearby below)",
                 palette="COLD", low=-0.5, high=1.5, tooltips=tips, units={"value": "yes/no"})


# --- the school profile -----------------------------------------------------------------------


def _urns(scope: Scope, urn: int | None) -> int | None:
    return urn if urn is not None else scope.urn


def _only(frame: pd.DataFrame, urn: int | None, column: str = "urn") -> pd.DataFrame:
    return frame if urn is None else frame[frame[column] == urn]


def profile_benchmarks(engine: Engine, scope: Scope, urn: int | None = None,
                       benchmarks: pd.DataFrame | None = None) -> pd.DataFrame:
    """A school's eight benchmarks against its hub, long form: ``urn``, ``benchmark``
    (``BM1``…), ``who`` (this school: % of criteria met; hub: % of schools achieving),
    ``percent``; ``attrs["display"]`` adds ``achieved``, ``framework``, ``assessed_on`` and
    ``national_note`` of the school's assessment, and ``national`` (where one exists: the
    compared assessment's ``achieved``, England's mean ``england`` (0–8), its ``framework`` and
    ``academic_year``). ``benchmarks`` (:func:`benchmarks_at` for the
    hub's scope) defaults to each school's latest assessment. Schools, not people: nothing to
    suppress."""
    if benchmarks is None:
        benchmarks = report.school_benchmarks_for_scope(engine, scope)
    urn = _urns(scope, urn)
    rows = []
    for _, latest in benchmarks.groupby(["framework", "academic_year"]):
        hub = metrics.benchmark_rollup(latest)
        for school in _only(latest, urn).itertuples():
            for b in BENCHMARKS:
                rows.append((school.urn, f"BM{b}", "this school: % of criteria met",
                             float(getattr(school, f"bm{b}"))))
                rows.append((school.urn, f"BM{b}", "hub: % of schools achieving",
                             float(hub[f"pct_bm{b}"].iat[0])))
    out = pd.DataFrame(rows, columns=["urn", "benchmark", "who", "percent"])
    out["percent"] = out["percent"].round(1)
    mine = _only(benchmarks, urn)
    meta = {}
    if len(mine) and urn is not None:
        first = mine.iloc[0]
        meta = {"achieved": int(first["achieved"]), "framework": first["framework"],
                "assessed_on": first["assessed_on"], "national_note": first["national_note"]}
        if pd.notna(first.get("national_mean_achieved")):
            meta["national"] = {
                "achieved": int(first["national_achieved"]),
                "england": round(float(first["national_mean_achieved"]), 2),
                "framework": str(first["national_framework"]),
                "academic_year": str(first["national_academic_year"]),
            }
    return _meta(out, title="Benchmarks against the hub", units={"percent": "percent"}, **meta)


def profile_trend(engine: Engine, scope: Scope, urn: int | None = None,
                  assessments: pd.DataFrame | None = None) -> pd.DataFrame:
    """A school's assessments over time: ``urn``, ``assessed_on``, ``framework``,
    ``achieved`` (benchmarks fully achieved, 0–8), ``change_achieved`` (NaN across a change of
    framework)."""
    if assessments is None:
        assessments = store.assessments(engine, scope)
    mine = metrics.assessment_changes(_only(assessments, _urns(scope, urn)))
    out = mine[["urn", "assessed_on", "framework", "achieved", "change_achieved"]]
    return _meta(out.reset_index(drop=True), title="Trend across assessments",
                 units={"achieved": "benchmarks (0–8)"},
                 note="The 2024 framework (from September 2025) has new criteria: the two "
                      "frameworks are not one series.")


def profile_encounters(engine: Engine, scope: Scope, urn: int | None = None) -> pd.DataFrame:
    """Encounters in each school's latest academic year by kind and year group (the heat map):
    ``urn``, ``academic_year``, ``kind``, ``year_from`` (year group), ``encounters`` (events),
    ``participants`` (pupils reached: ``c`` under 6) and ``value`` (participants as a float,
    NaN where suppressed)."""
    urn = _urns(scope, urn)
    totals = _only(store.encounter_totals(
        engine, scope, by=("urn", "academic_year", "kind", "year_from")), urn)
    latest = totals.groupby("urn")["academic_year"].transform("max")
    frame = totals[totals["academic_year"] == latest].reset_index(drop=True)
    out = protect(frame, RULES["profile_encounters"])
    out["value"] = numeric(out["participants"])
    return _meta(out, title="Pupils reached by kind and year group",
                 units={"participants": "pupils", "encounters": "events"},
                 note="c: fewer than 6 pupils.")


def profile_links(engine: Engine, scope: Scope, urn: int | None = None) -> pd.DataFrame:
    """Employer links of each school: ``urn``, ``employer``, ``role``, ``sector``,
    ``size_band``, ``start_date`` (organisations, not people)."""
    links = _only(store.employer_links(engine, scope), _urns(scope, urn))
    employers = store.employers(engine, scope)
    table = links.merge(pd.DataFrame(employers[["id", "name", "sector", "size_band"]]),
                        left_on="employer_id", right_on="id", how="left")
    out = table[["urn", "name", "role", "sector", "size_band", "start_date"]].rename(
        columns={"name": "employer"}).reset_index(drop=True)
    return _meta(out, title="Employer links")


# --- the transitions report: one protected table for every transitions figure ----------------
#
# The destination mix, funnel, lag and NEET figures the pages show are rows of the transitions
# report after disclosure control (``hubcore.metrics.report.export_table``), whose rules link
# them to each other (school rows to hub rows, the lag's referrals to the funnel's, NEET counts
# to the cohort's leavers). Taking the page's figures from it keeps one figure one value across
# the report, the pages and the briefing, and a cell hidden in one is hidden in all.

#: Funnel columns the pages show, after their keys.
FUNNEL_COLUMNS = (*rules.FUNNEL_COUNTS, *(p for p in rules.FUNNEL_PCTS if "_of_" in p), "note")


def transitions_report(engine: Engine, scope: Scope,
                       overdue_days: int = metrics.transitions.OVERDUE_DAYS) -> pd.DataFrame:
    """The transitions report for ``scope`` with disclosure control applied (every section;
    see :func:`hubcore.metrics.report.transitions_table`). The page sources below take their
    rows from it; a page passes the one it has cached as ``table``."""
    return report.export_table(engine, "transitions", scope,
                               report.Options(overdue_days=overdue_days))


def _section(table: pd.DataFrame, section: str, columns: Sequence[str],
             cohort: int | None = None, urn: int | None = None) -> pd.DataFrame:
    rows = table[table["section"].eq(section)]
    if cohort is not None:
        rows = rows[pd.to_numeric(rows["cohort"]) == cohort]
    if urn is not None:
        rows = rows[pd.to_numeric(rows["urn"]) == urn]
    keep = [c for c in columns if c in rows.columns]
    return rows[keep].reset_index(drop=True)


def profile_destinations(engine: Engine, scope: Scope, urn: int | None = None,
                         table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Destinations one year after leaving per school, cohort and year group (the report's
    ``destination_mix`` rows, :func:`hubcore.metrics.destination_mix`): ``urn``, ``cohort``,
    ``year_group``, ``leavers`` (young people, every leaver of the cohort) and
    ``pct_<category>`` (percent of leavers) for each category of
    :data:`hubcore.metrics.transitions.MIX_CATEGORIES` (``pct_no_record``: no record by the
    point), by the record current at the end of December after leaving (or a named earlier
    snapshot), named in ``measurement``.

    Protection (the report's rules): leavers under 6 are ``c``; a category's percentage is
    ``c`` where 1–5 leavers are in it, and never the only one hidden in its row, since the
    percentages add up to 100."""
    if table is None:
        table = transitions_report(engine, scope)
    mix = _section(table, "destination_mix", ["urn", "cohort", "year_group", "years_after",
                                              "leavers", *rules.MIX_PCTS, "measurement"],
                   urn=_urns(scope, urn))
    mix = mix[pd.to_numeric(mix["years_after"]) == 1].drop(columns="years_after")
    return _meta(mix.reset_index(drop=True),
                 title="Destinations one year after leaving (c = fewer than 6 leavers)",
                 units={"leavers": "leavers", **dict.fromkeys(rules.MIX_PCTS, "percent")})


def profile_destination_bars(engine: Engine, scope: Scope, urn: int | None = None,
                             table: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`profile_destinations` in long form for the stacked bars: ``urn``, ``cohort``,
    ``year_group``, ``destination``, ``percent`` (float, NaN where suppressed). ``table`` is a
    :func:`profile_destinations` frame."""
    if table is None:
        table = profile_destinations(engine, scope, urn)
    pct = [c for c in table.columns if c.startswith("pct_")]
    long = table.melt(["urn", "cohort", "year_group"], pct, "destination", "percent")
    long["percent"] = numeric(long["percent"])
    long["destination"] = long["destination"].str.removeprefix("pct_")
    return _meta(long, title="Destinations one year after leaving",
                 units={"percent": "% of leavers"})


def profile_funnel(engine: Engine, scope: Scope, urn: int | None = None,
                   table: pd.DataFrame | None = None) -> pd.DataFrame:
    """A school's NCS and LA hand-over funnel per cohort, year group and receiving
    organisation (the report's ``funnel_school`` rows, :func:`hubcore.metrics.handover_funnel`;
    the NCS and LA tracking never added together): ``urn``, ``cohort``, ``year_group``,
    ``handed_to``, ``handed_to_label``, ``leavers``, ``handovers``, ``referred``,
    ``not_referred``, ``contacted``, ``engaged``, ``lost``, ``lost_before_contact``,
    ``closed``, ``still_open`` (young people), ``pct_<count>_of_<base>`` (percent of the base
    named) and ``note``.

    Protection (the report's rules): counts under 6 are ``c``; referred and not referred add
    up to the hand-overs and the outcomes to the referred, so none is hidden alone; school rows
    add up to the hub's; a percentage is ``c`` with its count or base."""
    if table is None:
        table = transitions_report(engine, scope)
    out = _section(table, "funnel_school", ["urn", "cohort", "year_group", "handed_to",
                                            "handed_to_label", *FUNNEL_COLUMNS],
                   urn=_urns(scope, urn))
    return _meta(out, title="NCS and LA hand-over funnel",
                 units=dict.fromkeys(rules.FUNNEL_COUNTS, "young people"))


# --- transitions ------------------------------------------------------------------------------


def _cohort(frame: pd.DataFrame, cohort: int | None) -> pd.DataFrame:
    if cohort is None:
        return frame
    return frame[pd.to_numeric(frame["cohort"]) == cohort].reset_index(drop=True)


def cohorts(engine: Engine, scope: Scope, table: pd.DataFrame | None = None) -> list[int]:
    """Summers of leaving in the transitions report, oldest first."""
    if table is None:
        table = transitions_report(engine, scope)
    return sorted(int(c) for c in pd.to_numeric(table["cohort"], errors="coerce")
                  .dropna().unique())


def transitions_funnel(engine: Engine, scope: Scope, cohort: int | None = None,
                       table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The hub's hand-over funnel per cohort, year group and receiving organisation (the
    report's ``funnel_hub`` rows; columns as :func:`profile_funnel` without ``urn``); one
    cohort if ``cohort`` is given."""
    if table is None:
        table = transitions_report(engine, scope)
    out = _section(table, "funnel_hub", ["cohort", "year_group", "handed_to", "handed_to_label",
                                         *FUNNEL_COLUMNS], cohort=cohort)
    return _meta(out, title="Hand-over funnel",
                 units=dict.fromkeys(rules.FUNNEL_COUNTS, "young people"))


def funnel_bars(funnel_table: pd.DataFrame, year_group: int) -> pd.DataFrame:
    """One year group's rows of a funnel frame as grouped bars: ``step``
    (:data:`FUNNEL_STEPS`), ``to`` (the receiving organisation's label), ``young_people`` (as
    shown, ``c`` where suppressed) and ``value`` (float, NaN where suppressed)."""
    rows = funnel_table[pd.to_numeric(funnel_table["year_group"]) == year_group]
    parts = [pd.DataFrame({"step": list(FUNNEL_STEPS), "to": r["handed_to_label"],
                           "young_people": [r[s] for s in FUNNEL_STEPS]})
             for _, r in rows.iterrows()]
    out = pd.concat(parts, ignore_index=True) if parts else \
        pd.DataFrame(columns=["step", "to", "young_people"])
    out["value"] = numeric(out["young_people"])
    return _meta(out, title="Hand-over funnel", units={"value": "young people"})


def transitions_lag(engine: Engine, scope: Scope, cohort: int | None = None,
                    table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Days from leaving to referral per cohort, year group and receiving organisation (the
    report's ``lag_hub`` rows, :func:`hubcore.metrics.referral_lag`): ``cohort``,
    ``year_group``, ``handed_to``, ``referred`` (hand-overs referred), ``median_days`` and
    ``p90_days`` (days; ``c`` with too few referrals)."""
    if table is None:
        table = transitions_report(engine, scope)
    out = _section(table, "lag_hub", ["cohort", "year_group", "handed_to", "referred",
                                      "median_days", "p90_days"], cohort=cohort)
    out["handed_to_label"] = out["handed_to"].map(
        metrics.transitions.HANDOVER_TARGET_LABELS).fillna(out["handed_to"])
    return _meta(out, title="Days from leaving to referral",
                 units={"median_days": "days", "p90_days": "days", "referred": "hand-overs"})


def lag_histogram(engine: Engine, scope: Scope, cohort: int | None = None,
                  year_group: int = 11, lag: pd.DataFrame | None = None) -> pd.DataFrame:
    """Days from leaving to referral in 14-day bins for one cohort (default all) and year
    group, every receiving organisation together, from the aggregate hand-over read (so every
    role sees it): ``left_days``, ``right_days`` (bin edges, days), ``handovers`` (``c`` where
    suppressed) and ``value`` (float; 0 where suppressed, so a hidden bin draws nothing).

    Protection: the bins add up to the referrals of :func:`transitions_lag` (``lag``), so a
    hidden bin never stands alone, and if the lag hides any of those referrals (or for all
    cohorts at once, which no lag row shows) a bin is hidden with them."""
    hand = _cohort(store.handover_dates(engine, scope), cohort)
    hand = hand[(hand["year_group"] == year_group) & hand["referred_on"].notna()]
    days = (pd.to_datetime(hand["referred_on"]) - pd.to_datetime(hand["left_on"])).dt.days
    weights = hand["handovers"] if "handovers" in hand else pd.Series(1, index=hand.index)
    top = max(int(days.max()) if len(days) else 0, 30)
    edges = np.arange(0, top + LAG_BIN_DAYS + 1, LAG_BIN_DAYS)
    counts, edges = np.histogram(days, bins=edges, weights=weights.to_numpy(float))
    if lag is None and cohort is not None:
        lag = transitions_lag(engine, scope, cohort)
    rows = lag[pd.to_numeric(lag["year_group"]) == year_group] if lag is not None else None
    total: object = int(counts.sum())
    if rows is None or rows["referred"].astype(object).eq(C).any():
        total = C  # not shown as such: treat it as hidden
    frame = pd.DataFrame({
        "_row": ["bin"] * len(counts) + ["total"], "_group": 0,
        "left_days": [*edges[:-1].astype(int), 0], "right_days": [*edges[1:].astype(int), 0],
        "handovers": [*counts.astype("int64").tolist(), total]})
    out = protect(frame, RULES["lag_histogram"]).iloc[:-1].reset_index(drop=True)
    out["value"] = numeric(out["handovers"]).fillna(0.0)
    return _meta(out, title="Referral lag, hidden bins not drawn",
                 units={"handovers": "hand-overs", "left_days": "days"})


def transitions_neet(engine: Engine, scope: Scope, cohort: int | None = None,
                     table: pd.DataFrame | None = None) -> pd.DataFrame:
    """NEET + not known one year after leaving, per young person, for the hub (the report's
    ``neet_hub`` rows, :func:`hubcore.metrics.neet_rates`) against its LAs' published rates and
    England's figure for the leavers' age (:func:`hubcore.metrics.compare_neet`), per cohort
    and year group: ``cohort``, ``year_group``, ``who`` ("this hub", "LA <code> (published
    …)", the England comparator's name), ``denominator`` (leavers; hub rows only),
    ``neet_nk_pct`` (percent), ``measurement`` and ``value`` (float, NaN where suppressed or
    no comparator). LAs publish rates for ages 16–17 only, so Year 13 rows have none.

    Protection: the report's, and beside its base the rate is also ``c`` where the leavers who
    are neither NEET nor not known number 1–5 (rate × base would give them back)."""
    if table is None:
        table = transitions_report(engine, scope)
    hub = _section(table, "neet_hub", ["cohort", "year_group", "denominator", "neet_nk_pct",
                                       "measurement", "england_comparator",
                                       "england_neet_nk_pct", "neet", "not_known"],
                   cohort=cohort)
    rest = numeric(hub["denominator"]) - numeric(hub["neet"]) - numeric(hub["not_known"])
    hub = protect(hub.rename(columns={"neet": "_neet", "not_known": "_nk"})
                  .assign(_rest=rest.round(9)), RULES["transitions_neet"])
    las = sorted(schools(engine, scope)["la_gss"].dropna().unique().tolist())
    published = metrics.la_published(store.la_neet_stats(engine, las))
    published = published[published["la_neet_nk_pct"].notna()]
    rows = [hub.drop(columns=["england_comparator", "england_neet_nk_pct"])
            .assign(who="this hub")]
    for r in hub.itertuples(index=False):
        young = pd.notna(r.england_neet_nk_pct)
        who = [f"LA {p.la_gss} (published {p.la_time_period})"
               for p in published.itertuples()] if young else []
        pct = [float(v) for v in published["la_neet_nk_pct"]] if young else []
        who.append(str(r.england_comparator))
        pct.append(float(r.england_neet_nk_pct))
        rows.append(pd.DataFrame({"cohort": r.cohort, "year_group": r.year_group, "who": who,
                                  "neet_nk_pct": [round(v, 1) for v in pct]}))
    out = pd.concat(rows, ignore_index=True)
    out["value"] = numeric(out["neet_nk_pct"])
    return _meta(out, title="NEET and not known, first year after leaving",
                 units={"neet_nk_pct": "percent", "denominator": "leavers"})


def transitions_flows(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Where leavers went in their first autumn, for the flow map: ``urn``, ``year_group``,
    ``category`` (a destination, or ``handed over: ncs`` / ``handed over: la_tracking``),
    ``provider_urn``, ``leavers`` (``c`` under 6) and ``value`` (float, NaN where suppressed:
    such flows are not drawn).

    Protection: a school's destination flows for a year group add up to its leavers with a
    destination (which the profile shows, cohort by cohort), so a hidden flow never stands
    alone there."""
    flows = store.destination_flows(engine, scope)
    handed = flows["category"].astype(str).str.startswith("handed over")
    keys = ["urn", "year_group"]
    totals = flows[~handed].groupby(keys, as_index=False)["leavers"].sum()
    frame = pd.concat([flows.assign(_row=np.where(handed, "handover", "flow")),
                       totals.assign(_row="total")], ignore_index=True)
    out = protect(frame, RULES["transitions_flows"])
    out = out[(frame["_row"] != "total").to_numpy()].reset_index(drop=True)
    out["value"] = numeric(out["leavers"])
    return _meta(out, title="Where leavers went in their first autumn",
                 units={"leavers": "leavers"}, note="Flows of fewer than 6 are not drawn.")


def pupil_handovers(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The hand-overs themselves (:func:`hubcore.store.handovers`: pupil rows, guarded and
    audited; raises :class:`~hubcore.errors.AccessDenied` for roles that may not see them),
    read once by a page that filters them as its options change (:func:`overdue_list`)."""
    return store.handovers(engine, scope)


def overdue_list(engine: Engine, scope: Scope, cohort: int | None = None,
                 year_group: int = 11, days: int = metrics.transitions.OVERDUE_DAYS,
                 rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The overdue hand-overs themselves (:func:`hubcore.metrics.overdue_list`): pupil rows
    with pseudonymous keys, only for roles allowed them (``rows`` from
    :func:`pupil_handovers`, read here if not given). Not an aggregate, so not in
    :data:`SOURCES`. Columns ``leaver_key``, ``from_urn``, ``to_org_type``, ``reason``,
    ``left_on``, ``days_waiting`` (days), longest wait first."""
    if rows is None:
        rows = pupil_handovers(engine, scope)
    rows = rows[rows["year_group"] == year_group]
    if cohort is not None:
        rows = rows[rows["cohort"] == cohort]
    late = metrics.overdue_list(rows, days=days)
    keep = [c for c in ("leaver_key", "from_urn", "to_org_type", "reason", "left_on",
                        "days_waiting") if c in late]
    return _meta(late[keep], title="Overdue hand-overs", units={"days_waiting": "days"})


# --- employers --------------------------------------------------------------------------------


def employer_points(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Employers (organisations): ``id``, ``name``, ``sector``, ``size_band``,
    ``easting``/``northing`` (BNG metres)."""
    out = pd.DataFrame(store.employers(engine, scope).drop(columns="geometry"))
    return _meta(out, title="Employers")


def employer_link_segments(engine: Engine, scope: Scope,
                           roles: Iterable[str] | None = None) -> pd.DataFrame:
    """Links between employers and schools as map segments: ``role``, ``urn``,
    ``employer_id``, ``easting_e``/``northing_e`` (employer) and ``easting_s``/``northing_s``
    (school), BNG metres; only ``roles`` if given."""
    links = store.employer_links(engine, scope)
    if roles is not None:
        links = links[links["role"].isin(list(roles))]
    employers = employer_points(engine, scope)
    places = schools(engine, scope)
    seg = links.merge(employers[["id", "easting", "northing"]], left_on="employer_id",
                      right_on="id").merge(places[["urn", "easting", "northing"]], on="urn",
                                           suffixes=("_e", "_s"))
    return _meta(seg[["role", "urn", "employer_id", "easting_e", "northing_e", "easting_s",
                      "northing_s"]].reset_index(drop=True), title="Employer links")


def spare_offers(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Offers not taken up (:func:`hubcore.metrics.spare_offers`; places, not people):
    ``offer_id``, ``employer_name``, ``kind``, ``academic_year``, ``capacity``, ``taken_up``,
    ``spare`` and the offer's other columns."""
    offers = store.employer_offers(engine, scope)
    out = metrics.spare_offers(offers, store.employers(engine, scope))
    return _meta(out.drop(columns=["easting", "northing", "employer_id"]),
                 title="Offers not taken up", units={"spare": "places"})


def suggested_matches(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Spare offers with the nearest schools that have a matching gap (the ``employers``
    report, with its disclosure rules)."""
    out = protect(report.build(engine, "employers", scope), RULES["suggested_matches"])
    return _meta(out, title="Suggested matches", units={"distance_km": "km"})


def what_it_takes(engine: Engine, scope: Scope, benchmark: int = 5, target_pct: float = 90.0,
                  radius_km: float = 5.0) -> pd.DataFrame:
    """The "what would it take" table (the ``what-it-takes`` report with its disclosure rules):
    a ``level`` = ``summary`` row (``academic_year``, ``schools_measured``, ``meeting_now``,
    ``pct_meeting_now``, ``schools_to_lift``, ``additional_needed``, ``unit``,
    ``spare_within_radius``, ``supply_covers_need``) then one ``school`` row per school to lift
    (``order``, ``name``, ``urn``, ``shortfall``, ``cumulative_needed``, ``nearest_supplier``,
    ``nearest_supplier_km``)."""
    opts = report.Options(benchmark=benchmark, target_pct=target_pct, radius_km=radius_km)
    out = protect(report.build(engine, "what-it-takes", scope, opts), RULES["what_it_takes"])
    return _meta(out, title="What would it take?", units={"nearest_supplier_km": "km"})


#: Every page data source, by name: ``SOURCES[name](engine, scope)`` gives its frame with the
#: defaults (for the school profile's sources, every school in ``scope`` unless the scope names
#: one). The overdue list (pupil rows for allowed roles) is not an aggregate and is not here.
SOURCES: dict[str, Callable[..., pd.DataFrame]] = {
    "schools": schools,
    "overview_schools": overview_schools,
    "area_neet": area_neet,
    "area_coverage": area_coverage,
    "area_layer": area_layer,
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
}
