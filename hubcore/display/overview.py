"""The overview page's table and summary: which schools the filters keep, the columns the
table shows (LA names, school types in words, each benchmark figure naming its source), and the
sentences above it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import defaults, store, vocabulary
from hubcore.access import Role, Scope
from hubcore.benchmarks import BENCHMARKS
from hubcore.display.base import (
    RULES,
    _meta,
    benchmarks_at,
    numeric,
    protect,
    schools,
)
from hubcore.errors import HubcoreError
from hubcore.metrics import report

#: Where the Compass benchmark figures (``bm1``–``bm8``, ``achieved``) come from. The employers
#: page and the coverage columns measure BM5, BM6 and BM8 from the hub's encounter log instead,
#: so two figures for one benchmark can differ: each says its source next to it.
COMPASS_SOURCE = "Compass self-assessment"
#: Where the coverage columns (``bm5_min_per_pupil``, ``bm6_by16_pct``, ``pal_met``,
#: ``bm8_by16_pct``) come from.
ENCOUNTER_SOURCE = "hub encounter log"

#: The overview table's columns, in order, with their titles: units in the title, and the
#: source of every benchmark figure in brackets (Compass or the encounter log).
TABLE_COLUMNS: dict[str, str] = {
    "name": "School or college",
    "urn": "URN",
    "kind": "Type",
    "la_name": "Local authority",
    "pupils": "Pupils",
    "assessed_on": "Compass assessment",
    "achieved": "Benchmarks achieved (of 8, Compass)",
    "change_achieved": "Change since previous (Compass)",
    **{f"bm{b}": f"BM{b} (%, Compass)" for b in BENCHMARKS},
    "bm5_min_per_pupil": "BM5 encounters per pupil, lowest year (encounter log)",
    "bm6_by16_pct": "BM6 reach by 16 (%, encounter log)",
    "pal_met": "Provider access met (encounter log)",
    "bm8_by16_pct": "BM8 guidance by 16 (%, encounter log)",
}


def la_names(engine: Engine, la_codes) -> dict[str, str]:
    """Names of the local authorities ``la_codes`` (GSS codes, e.g. ``E08000035`` → "Leeds"),
    from the boundaries imported (district or upper tier); a code with no boundary keeps its
    code."""
    from sqlalchemy import select

    from hubcore.models import Area

    wanted = sorted({str(c) for c in la_codes if isinstance(c, str) and c})
    if not wanted:
        return {}
    area = Area.__table__
    query = select(area.c.code, area.c.name).where(
        area.c.code.in_(wanted), area.c.kind.in_(("lad", "utla")))
    with engine.connect() as conn:
        found = {code: name for code, name in conn.execute(query) if name}
    return {code: found.get(code, code) for code in wanted}


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
    # LA names, not codes, wherever a person reads the LA (the code stays for filtering).
    names = la_names(engine, out["la_gss"].dropna().unique()) if "la_gss" in out else {}
    if "la_gss" in out:
        out["la_name"] = out["la_gss"].map(names).astype("string")
    for col in ("bm6_by16_pct", "bm8_by16_pct", *(f"bm{b}" for b in BENCHMARKS)):
        if col in out:
            out[f"{col}_value"] = numeric(out[col])
    return _meta(out, title="Schools and colleges", units={
        "achieved": "benchmarks (0–8)", "bm5_min_per_pupil": "encounters per pupil",
        "bm6_by16_pct": "percent", "bm8_by16_pct": "percent"},
        sources={**{c: COMPASS_SOURCE for c in ("achieved", "change_achieved",
                                                 *(f"bm{b}" for b in BENCHMARKS))},
                 **dict.fromkeys(("bm5_min_per_pupil", "bm6_by16_pct", "pal_met",
                                  "bm8_by16_pct"), ENCOUNTER_SOURCE)},
        note="Reach percentages are c where fewer than 6 pupils took part.")


def select_schools(table: pd.DataFrame, kinds=None, la_gss: str | None = None
                   ) -> pd.DataFrame:
    """The rows of ``table`` (:func:`overview_schools`) whose ``kind`` is one of ``kinds``
    (codes of :data:`hubcore.codes.SCHOOL_KINDS`; None: every kind; an empty list: none) and,
    given ``la_gss``, in that local authority. Metadata are kept."""
    keep = pd.Series(True, index=table.index)
    if kinds is not None:
        keep &= table["kind"].isin(list(kinds))
    if la_gss is not None:
        keep &= table["la_gss"] == la_gss
    out = table[keep]
    out.attrs = dict(table.attrs)
    return out


def overview_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The overview table's columns of ``table`` (:func:`overview_schools`, filtered): those
    of :data:`TABLE_COLUMNS` present, in that order, under their own names and at full
    precision (a table sorts and filters the numbers and formats them for people; it takes
    the titles from ``attrs["display"]["titles"]``). The LA is its name (``la_name``)."""
    frame = table
    if "la_name" not in frame and "la_gss" in frame:
        frame = frame.assign(la_name=frame["la_gss"])
    columns = [c for c in TABLE_COLUMNS if c in frame]
    return _meta(frame[columns].reset_index(drop=True), title="Schools and colleges",
                 titles={c: TABLE_COLUMNS[c] for c in columns},
                 note="Columns marked Compass are each school's own Compass self-assessment; "
                      "those marked encounter log are measured from the hub's records, like "
                      "the employers page's figures.")


def overview_table(table: pd.DataFrame) -> pd.DataFrame:
    """The overview's table as people read it (what its CSV and XLSX hold), from
    :func:`overview_schools` (filtered): :func:`overview_columns` titled as
    :data:`TABLE_COLUMNS` (units, and the source of each benchmark figure), school types in
    words (``hubcore.vocabulary``), LAs by name, numbers rounded for people (one decimal for
    percentages and rates, whole numbers for counts; ``"c"`` kept where suppressed), dates as
    ``YYYY-MM-DD``. The machine-readable report keeps full precision."""
    columns = overview_columns(table)
    meta = columns.attrs["display"]
    out = vocabulary.for_display(columns)
    out.columns = [meta["titles"][c] for c in columns.columns]
    return _meta(out, title=meta["title"], note=meta["note"])


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


def _schools(n: int) -> str:
    return f"{n:,} school or college" if n == 1 else f"{n:,} schools and colleges"


def overview_sentences(summary: pd.DataFrame) -> list[str]:
    """The overview's lines of plain text (no markup) above its map, from
    :func:`overview_summary`'s row: how many schools are shown, their mean benchmarks fully
    achieved with its source (Compass self-assessment) and framework, and how that compares
    with England. English at 0, 1 and many."""
    row = summary.iloc[0]
    shown, assessed = int(row["schools"]), int(row["assessed"])
    if shown == 0:
        return ["No schools or colleges match these filters."]
    if not assessed:
        return [f"{_schools(shown)} shown; none has a Compass assessment in this period."]
    framework = f", {row['framework']} framework" if row["framework"] else ""
    lines = [
        f"{_schools(shown)} shown.",
        f"Mean benchmarks fully achieved: {row['mean_achieved']:.1f} of 8 over the "
        f"{assessed:,} assessed ({COMPASS_SOURCE}{framework}).",
    ]
    if assessed < shown:
        missing = shown - assessed
        lines[-1] += (f" {missing:,} {'has' if missing == 1 else 'have'} no assessment in "
                      "this period.")
    if isinstance(row["national_note"], str) and row["national_note"]:
        note = row["national_note"].strip()
        lines.append(note if note.endswith(".") else f"{note}.")
    return lines


# --- the landing page: how fresh the data are and where they came from -------------------------

#: Where each kind of import comes from, in words (the landing page's provenance lines).
IMPORT_SOURCES: dict[str, str] = {
    "gias": "DfE Get Information about Schools (GIAS) register",
    "boundaries": "ONS boundaries",
    "imd": "English Indices of Deprivation",
    "neet": "DfE NEET and not known statistics by LA",
    "ks4-destinations": "DfE KS4 and 16-18 destination measures",
    "compass": "Compass benchmark results",
    "employers": "the hub's employer records",
    "links": "the hub's employer-school links",
    "offers": "the hub's employer offers",
    "encounters": "the hub's encounter log",
    "leavers": "the hub's leaver records (pseudonymous)",
    "destinations": "the hub's destination records",
    "handovers": "the hub's NCS hand-over log",
}


def _as_date(value) -> dt.date | None:
    """A date read from the database (SQLite may give text) as a date, or None."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def data_freshness(engine: Engine, scope: Scope) -> pd.DataFrame:
    """One row saying how fresh the data in ``scope`` are: ``version`` (the data version,
    :mod:`hubcore.data_version`, which every import moves), ``schools`` (schools and colleges
    in scope: a count of schools, published as it is), ``latest_assessment``,
    ``latest_encounter`` and ``latest_destination`` (dates of the latest Compass assessment,
    encounter and destination record in scope, or None) and ``synthetic`` (whether any hub in
    scope holds generated demonstration data)."""
    from sqlalchemy import func, select

    from hubcore import data_version
    from hubcore.models import DestinationRecord, Encounter, Leaver

    hubs = store.hubs(engine)
    if scope.hub_id is not None:
        hubs = hubs[hubs["id"] == scope.hub_id]
    assessed = store.assessments(engine, scope)["assessed_on"]
    enc, dest, leaver = Encounter.__table__, DestinationRecord.__table__, Leaver.__table__
    with engine.connect() as conn:
        last_encounter = conn.execute(
            select(func.max(enc.c.date)).where(store.school_filter(scope, enc.c.urn))).scalar()
        last_destination = conn.execute(
            select(func.max(dest.c.recorded_on))
            .join(leaver, leaver.c.key == dest.c.leaver_key)
            .where(store.school_filter(scope, leaver.c.urn))).scalar()
    frame = pd.DataFrame({
        "version": [data_version.current(engine)],
        "schools": [len(store.schools(engine, scope))],
        "latest_assessment": [None if assessed.empty else _as_date(assessed.max())],
        "latest_encounter": [_as_date(last_encounter)],
        "latest_destination": [_as_date(last_destination)],
        "synthetic": [bool(hubs["synthetic"].any()) if "synthetic" in hubs else False],
    }, dtype=object)
    return _meta(frame, title="The data", units={"schools": "schools"})


def data_imports(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The latest import of each kind of file (audit log), newest first: ``kind`` (an
    importer of :data:`hubcore.ingest.KINDS`), ``source`` (where that kind of file comes from,
    in words), ``at`` (UTC time of the import) and ``rows`` (rows the import wrote: records,
    not people counted by a figure). ``scope`` is accepted for the sources' shared signature:
    the audit log records imports for the whole database."""
    from sqlalchemy import select

    from hubcore.ingest import KINDS
    from hubcore.models import AuditEvent

    del scope  # the same imports for every reader (see the docstring)
    table = AuditEvent.__table__
    with engine.connect() as conn:
        events = pd.DataFrame(conn.execute(
            select(table.c.at, table.c.subject, table.c.rows).where(table.c.action == "import")
        ).mappings().all(), columns=["at", "subject", "rows"])
    events["kind"] = events["subject"].astype(str).str.split(":", n=1).str[0]
    events = events[events["kind"].isin(list(KINDS))]
    latest = (events.sort_values("at", kind="stable").groupby("kind", sort=False).tail(1)
              .sort_values("at", ascending=False, kind="stable"))
    frame = pd.DataFrame({
        "kind": latest["kind"].astype(object).tolist(),
        "source": [IMPORT_SOURCES.get(k, KINDS[k]) for k in latest["kind"]],
        "at": [pd.Timestamp(a).to_pydatetime() for a in latest["at"]],
        "rows": [None if pd.isna(r) else int(r) for r in latest["rows"]],
    }, columns=["kind", "source", "at", "rows"])
    return _meta(frame, title="Provenance: latest import of each kind of file",
                 units={"rows": "rows"})


def overview_coverage(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Encounter coverage per school in the latest academic year of the log
    (:func:`hubcore.metrics.school_coverage` for ``scope``): the input
    :func:`overview_schools` takes as ``coverage=`` so a page can cache it once for every
    period. It holds unsuppressed counts (``y11_cohort``, ``bm6_by16_places``,
    ``bm8_y11_meetings``): never shown as it is, and so not one of the page sources
    (``SOURCES``); :func:`overview_schools` protects what it takes from it. Raises
    :class:`~hubcore.errors.HubcoreError` when the scope has no encounters yet."""
    frame = report.school_coverage_for_scope(engine, scope)
    return _meta(frame, title="Encounter coverage per school (input, not for display)",
                 units={"bm5_min_per_pupil": "encounters per pupil",
                        "bm6_by16_pct": "percent", "bm8_by16_pct": "percent"},
                 note="Unsuppressed: pass to overview_schools, do not show.")


# --- the served regional view -------------------------------------------------------------------

#: Roles that may open the served regional view: an administrator sees every hub; a hub lead
#: or analyst only their own hub's row (each hub's figures are its own disclosed briefing's).
REGION_ROLES = (Role.ADMIN, Role.HUB_LEAD, Role.ANALYST)
#: The regional view's choice meaning every hub in the database.
ALL_REGIONS = "all"
#: Most hubs the regional view compares at once when no area is chosen: each hub's figures are
#: a briefing's (a few seconds a hub), and a table of 150 hubs is no comparison anyone reads.
REGION_MAX_HUBS = 12


def region_allowed(scope: Scope) -> bool:
    """Whether ``scope``'s role may open the served regional view (:data:`REGION_ROLES`). A
    careers leader (one school) and an NCS adviser (hand-overs of one area) may not: the view
    is about hubs, which their roles do not cover."""
    return scope.role in REGION_ROLES


def region_choices(engine: Engine) -> dict[str, str]:
    """The areas the regional view can show, code → label, regions first, then combined
    authorities, then LSIP areas, each by name: English regions any LA is placed in (an
    ``area_membership`` row of the ONS lookup, or ``area.parent_code`` of a ``lad`` / ``utla``
    row) and combined authorities and LSIP areas of the lookups imported
    (``hubcore import area-lookup``); names from :func:`hubcore.areas.area_name`, a combined
    authority or LSIP area labelled as such. Empty when no lookup was imported."""
    from sqlalchemy import select

    from hubcore import areas
    from hubcore.models import Area, AreaMembership

    area, member = Area.__table__, AreaMembership.__table__
    with engine.connect() as conn:
        found = {str(c) for c in conn.execute(
            select(area.c.parent_code).where(area.c.kind.in_(("lad", "utla")),
                                             area.c.parent_code.like("E12%")).distinct()
        ).scalars() if c}
        found |= {str(c) for c in conn.execute(
            select(member.c.parent_code).distinct()).scalars() if c}
    label = {"region": "{name}", "cauth": "{name} (combined authority)",
             "lsip": "{name} (LSIP area)"}
    order = list(label)
    choices = []
    for code in found:
        try:
            kind = areas.area_kind(code)
        except HubcoreError:  # a county or other parent code: not an area of this view
            continue
        name = label[kind].format(name=areas.area_name(engine, code))
        choices.append((order.index(kind), name.casefold(), code, name))
    return {code: name for _, _, code, name in sorted(choices)}


def region_view(engine: Engine, scope: Scope, region: str | None = None,
                as_of: dt.date | None = None, benchmark: int = defaults.BENCHMARK):
    """The regional view's figures for ``scope`` (a :class:`hubcore.display.region.
    RegionFrames`: hubs side by side with ranks and caveats, the map layers): for an
    administrator the hubs of ``region`` (an English region E12…, combined authority E47… or
    LSIP area E69…, :func:`hubcore.display.region.area_hub_ids`; None or
    :data:`ALL_REGIONS`: every hub);
    for a hub lead or analyst their own hub only, whatever ``region`` says (as
    :func:`hubcore.display.region.region_side_by_side`); any other role is refused with a
    :class:`~hubcore.errors.HubcoreError`. Figures are each hub's own disclosed briefing's."""
    from hubcore.display.region import area_hub_ids, region_frames

    if not region_allowed(scope):
        raise HubcoreError("the regional view is for administrators, hub leads and analysts")
    if scope.role is not Role.ADMIN:
        hubs = [scope.hub_id]
    elif region in (None, ALL_REGIONS):
        hubs = [str(h) for h in store.hubs(engine)["id"]]
    else:
        hubs = area_hub_ids(engine, region)
    return region_frames(engine, hubs, as_of, benchmark)


#: The regional map's school status, by whether the school meets the briefing's measure.
REGION_STATUS: dict[bool | None, str] = {True: "meets the measure", False: "below the measure",
                                         None: "no figure"}
#: How many of each hub's highest-priority schools the regional map marks (as the briefing).
TOP_PRIORITY = 3


def region_schools(engine: Engine, scope: Scope, region: str | None = None, *,
                   frames=None) -> pd.DataFrame:
    """The regional view's schools (``frames`` from :func:`region_view`, or read for
    ``scope`` and ``region``): ``hub_id``, ``hub_name``, ``urn``, ``name``, ``kind``,
    ``easting``/``northing`` (BNG metres), ``coverage`` (the briefing's measure, its unit in
    ``attrs["display"]["units"]``), ``meets`` (whether the school meets it; NA without a
    figure), ``status`` (the same in words, :data:`REGION_STATUS`), ``priority_index``
    (0-100, relative within its hub), ``rank`` (1 = its hub's highest priority) and
    ``top_priority`` (one of its hub's :data:`TOP_PRIORITY` highest: the index is relative
    within a hub, so it is not ranked across hubs). Measures of schools, not counts of
    people."""
    if frames is None:
        frames = region_view(engine, scope, region)
    schools = frames.schools
    names = dict(zip(frames.hubs["hub_id"], frames.hubs["hub_name"], strict=True))
    rank = pd.to_numeric(schools["rank"], errors="coerce")
    out = pd.DataFrame({
        "hub_id": schools["hub_id"].astype(object),
        "hub_name": schools["hub_id"].map(names).astype(object),
        "urn": schools["urn"],
        "name": schools["name"].astype(object),
        "kind": schools["kind"].astype(object),
        "easting": schools.geometry.x.to_numpy(),
        "northing": schools.geometry.y.to_numpy(),
        "coverage": pd.to_numeric(schools["coverage"], errors="coerce"),
        "meets": schools["meets"].astype("boolean"),
        # In words, for the map's colours and legend (no figure: no encounters measured).
        "status": [REGION_STATUS[None if pd.isna(m) else bool(m)] for m in schools["meets"]],
        "priority_index": pd.to_numeric(schools["priority_index"], errors="coerce"),
        "rank": rank,
        "top_priority": rank.le(TOP_PRIORITY).to_numpy(),
    })
    out = out.sort_values(["hub_id", "rank"], kind="stable", ignore_index=True)
    return _meta(out, title="Schools of the regional view", units={
        "coverage": frames.measure_label, "priority_index": "index 0-100 (within its hub)",
        "easting": "m (BNG)", "northing": "m (BNG)"},
        note=f"Stars mark each hub's {TOP_PRIORITY} highest-priority schools; the priority "
             "index is relative within a hub and is not compared across hubs.")


def region_priority(schools: pd.DataFrame) -> pd.DataFrame:
    """The regional view's priority table: the rows of ``schools`` (:func:`region_schools`)
    marked ``top_priority``, columns ``hub_name``, ``name``, ``urn``, ``rank``,
    ``priority_index``, ``coverage`` and ``meets``."""
    columns = ["hub_name", "name", "urn", "rank", "priority_index", "coverage", "meets"]
    out = schools.loc[schools["top_priority"], columns].reset_index(drop=True)
    meta_ = schools.attrs.get("display", {})
    return _meta(out, title="Each hub's highest-priority schools",
                 units={k: v for k, v in meta_.get("units", {}).items() if k in columns},
                 titles={"hub_name": "Hub", "name": "School or college", "urn": "URN",
                         "rank": "Priority rank in its hub",
                         "priority_index": "Priority index (0-100, within its hub)",
                         "coverage": "Coverage (the briefing's measure)",
                         "meets": "Meets the measure"},
                 note=meta_.get("note", ""))


#: The regional view's column titles for people (units and sources in the title).
REGION_TITLES: dict[str, str] = {
    "hub_id": "Hub id", "hub_name": "Hub", "schools": "Schools and colleges",
    "framework": "Compass framework", "benchmark_year": "Benchmark year",
    "mean_achieved": "Benchmarks achieved (mean of 8, Compass)",
    "national_mean_achieved": "England mean (of 8)",
    "vs_national": "Compared with England (benchmarks)", "rank_vs_national": "Rank: vs England",
    "coverage_year": "Coverage year", "meeting": "Schools meeting coverage",
    "pct_meeting": "Schools meeting coverage (%)", "rank_pct_meeting": "Rank: coverage",
    "cold_spots": "Cold-spot small areas", "small_areas": "Small areas",
    "employers_with_spare": "Employers with spare places", "spare_places": "Spare places",
    "cohort": "Hand-over cohort (summer left)", "y11_handed_to": "Year 11 handed to",
    "y11_median_days": "Year 11 median days to referral",
    "y11_overdue": "Year 11 overdue (young people)",
    "rank_y11_median_days": "Rank: hand-over timeliness", "neet_cohort": "NEET cohort",
    "neet_measured": "NEET measured", "y11_neet_pct": "Year 11 NEET (%)",
    "y11_england_neet_pct": "England Year 11 NEET (%)",
    "y11_vs_england_neet": "Year 11 NEET vs England (points)", "rank_y11_neet": "Rank: Y11 NEET",
    "y13_neet_pct": "Year 13 NEET (%)", "y13_england_neet_pct": "England Year 13 NEET (%)",
    "y13_vs_england_neet": "Year 13 NEET vs England (points)",
}


def region_hubs(frames) -> pd.DataFrame:
    """The regional view's table of hubs side by side (``frames.hubs`` of
    :func:`region_view`: each hub's own disclosed figures, ranks only where fair), with its
    note and caveats, and titles for people (:data:`REGION_TITLES`) in ``attrs["display"]``;
    ranks as whole numbers (NA where not ranked); ``achieved`` (a hub's mean benchmarks
    achieved, 0-8) as ``mean_achieved``, so it is shown as a mean (one decimal), not as one
    school's count."""
    out = frames.hubs.rename(columns={"achieved": "mean_achieved"})
    for column in [c for c in out.columns if str(c).startswith("rank_")]:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    meta_ = dict(frames.hubs.attrs.get("display", {}))
    meta_["titles"] = {c: REGION_TITLES.get(c, vocabulary.title(c)) for c in out.columns}
    return _meta(out, **meta_)
