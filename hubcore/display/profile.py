"""The school profile's benchmarks, trend, encounters, links, destinations and funnel."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from hubcore import metrics, store, vocabulary
from hubcore.access import Scope
from hubcore.benchmarks import BENCHMARKS
from hubcore.disclosure import rules
from hubcore.display.base import (
    RULES,
    _meta,
    _only,
    _urns,
    numeric,
    protect,
    schools,
    text,
)
from hubcore.display.transitions import FUNNEL_COLUMNS, _section, transitions_report
from hubcore.metrics import report

#: The trend's lines, one per Compass framework (new criteria from September 2025).
TREND_SERIES = ("2014 framework", "2024 framework")

# --- the school profile ----------------------------------------------------------------------


def profile_heading(engine: Engine, scope: Scope, urn: int | None = None,
                    school_list: pd.DataFrame | None = None,
                    areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """The register facts the profile's heading shows, one row per school: ``urn``, ``name``,
    ``type`` (the kind in words), ``pupils`` (whole pupils, 0 if unknown), ``la_gss``,
    ``la_name`` (from the LA boundaries imported; the code where there is none),
    ``careers_leader`` and ``employer_link_governor`` ("yes"/"no"). ``school_list`` is
    :func:`~hubcore.display.base.schools`, ``areas`` the scope's LA areas (``code``,
    ``name``); both read if not given. Published register data: nothing to suppress."""
    if school_list is None:
        school_list = schools(engine, scope)
    if areas is None:
        areas = store.areas(engine, scope, kind="lad")
    names = dict(zip(areas["code"], areas["name"], strict=True)) if len(areas) else {}
    mine = _only(school_list, _urns(scope, urn))
    out = pd.DataFrame({
        "urn": mine["urn"].astype(int),
        "name": mine["name"].astype(object),
        "type": mine["kind"].map(vocabulary.label).astype(object),
        "pupils": pd.to_numeric(mine["pupils"], errors="coerce").fillna(0).astype(int),
        "la_gss": mine["la_gss"].astype(object),
        "la_name": mine["la_gss"].map(lambda c: names.get(c) or c).astype(object),
        "careers_leader": mine["has_careers_leader"].map(lambda v: "yes" if v else "no"),
        "employer_link_governor": mine["has_employer_link_governor"].map(
            lambda v: "yes" if v else "no"),
    }).reset_index(drop=True)
    return _meta(out, title="School or college", units={"pupils": "pupils"})


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
    framework) and ``series`` (the line it belongs to, one per framework: "2014 framework", as
    in :data:`TREND_SERIES`); ``attrs["display"]["y_bounds"]`` is the axis's fixed extent
    (0–8 benchmarks)."""
    if assessments is None:
        assessments = store.assessments(engine, scope)
    mine = metrics.assessment_changes(_only(assessments, _urns(scope, urn)))
    out = mine[["urn", "assessed_on", "framework", "achieved", "change_achieved"]]
    out = out.assign(series=out["framework"].astype(str) + " framework")
    return _meta(out.reset_index(drop=True), title="Trend across assessments",
                 y_bounds=(0, len(BENCHMARKS)),
                 units={"achieved": "benchmarks (0–8)"},
                 note="The 2024 framework (from September 2025) has new criteria: the two "
                      "frameworks are not one series.")


def profile_encounters(engine: Engine, scope: Scope, urn: int | None = None) -> pd.DataFrame:
    """Encounters in each school's latest academic year by kind and year group (the heat map):
    ``urn``, ``academic_year``, ``kind``, ``year_from`` (year group), ``encounters`` (events),
    ``participants`` (pupils reached: ``c`` under 6), ``value`` (participants as a float,
    NaN where suppressed) and ``kind_label`` (the kind in words)."""
    urn = _urns(scope, urn)
    totals = _only(store.encounter_totals(
        engine, scope, by=("urn", "academic_year", "kind", "year_from")), urn)
    latest = totals.groupby("urn")["academic_year"].transform("max")
    frame = totals[totals["academic_year"] == latest].reset_index(drop=True)
    out = protect(frame, RULES["profile_encounters"])
    out["value"] = numeric(out["participants"])
    out["kind_label"] = out["kind"].map(vocabulary.label).astype(object)
    return _meta(out, title="Pupils reached by kind and year group",
                 units={"participants": "pupils", "encounters": "events"},
                 note="c: fewer than 6 pupils.")


def profile_links(engine: Engine, scope: Scope, urn: int | None = None) -> pd.DataFrame:
    """Employer links of each school: ``urn``, ``employer``, ``role``, ``sector``,
    ``size_band``, ``start_date`` (datetime64; organisations, not people)."""
    links = _only(store.employer_links(engine, scope), _urns(scope, urn))
    employers = store.employers(engine, scope)
    table = links.merge(pd.DataFrame(employers[["id", "name", "sector", "size_band"]]),
                        left_on="employer_id", right_on="id", how="left")
    out = table[["urn", "name", "role", "sector", "size_band", "start_date"]].rename(
        columns={"name": "employer"}).reset_index(drop=True)
    # A date column, not Python dates in an object column (tables would show them as numbers).
    out["start_date"] = pd.to_datetime(out["start_date"])
    return _meta(out, title="Employer links", units={"start_date": "date"})




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
    ``year_group``, ``destination``, ``percent`` (float, NaN where suppressed), ``shown`` (the
    percentage as the table shows it: ``"c"`` where suppressed) and ``destination_label`` (the
    destination in words). ``table`` is a
    :func:`profile_destinations` frame."""
    if table is None:
        table = profile_destinations(engine, scope, urn)
    pct = [c for c in table.columns if c.startswith("pct_")]
    long = table.melt(["urn", "cohort", "year_group"], pct, "destination", "percent")
    # The hover's text is the table's ("c" where hidden); the float only sizes the bar.
    long["shown"] = text(long["percent"])
    long["percent"] = numeric(long["percent"])
    long["destination"] = long["destination"].str.removeprefix("pct_")
    long["destination_label"] = long["destination"].map(
        lambda d: vocabulary.label(d, "destination")).astype(object)
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
