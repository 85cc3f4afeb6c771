"""The employers page: employers, links, spare offers, matches and what it would take."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine

from hubcore import codes, defaults, metrics, store, vocabulary
from hubcore.access import Scope
from hubcore.display.base import (
    RULES,
    _meta,
    plural,
    protect,
    schools,
)
from hubcore.metrics import report

# --- employers --------------------------------------------------------------------------------


def employer_points(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Employers (organisations): ``id``, ``name``, ``sector``, ``size_band``,
    ``easting``/``northing`` (BNG metres)."""
    out = pd.DataFrame(store.employers(engine, scope).drop(columns="geometry"))
    return _meta(out, title="Employers", units={"easting": "m (BNG)", "northing": "m (BNG)"})


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
                      "northing_s"]].reset_index(drop=True), title="Employer links",
                 units={c: "m (BNG)" for c in ("easting_e", "northing_e", "easting_s",
                                               "northing_s")})


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


def what_it_takes(engine: Engine, scope: Scope, benchmark: int = defaults.BENCHMARK,
                  target_pct: float = defaults.TARGET_PCT,
                  radius_km: float = defaults.RADIUS_KM) -> pd.DataFrame:
    """The "what would it take" table (the ``what-it-takes`` report with its disclosure rules):
    a ``level`` = ``summary`` row (``academic_year``, ``schools_measured``, ``meeting_now``,
    ``pct_meeting_now``, ``schools_to_lift``, ``additional_needed``, ``unit``,
    ``spare_within_radius``, ``supply_covers_need``) then one ``school`` row per school to lift
    (``order``, ``name``, ``urn``, ``shortfall``, ``cumulative_needed``, ``nearest_supplier``,
    ``nearest_supplier_km``)."""
    opts = report.Options(benchmark=benchmark, target_pct=target_pct, radius_km=radius_km)
    # the report as exported (its shortfalls hidden where the coverage report hides their
    # count: report.hide_shortfalls), so the page and the CSV agree
    out = protect(report.export_table(engine, "what-it-takes", scope, opts),
                  RULES["what_it_takes"])
    return _meta(out, title="What would it take?", units={"nearest_supplier_km": "km"})

# --- the employers page, for people ----------------------------------------------------------

#: Where the page's BM5 and BM6 figures come from, said beside them: the hub's encounter log.
#: The overview's benchmark percentages are the schools' Compass self-assessments instead, so
#: "0 of 32 schools meet BM6" here and "BM6 100 %" there can both be true.
SOURCE_NOTE = "from the hub's encounter log, not the Compass self-assessments the overview shows"

#: Columns of the page's tables, in order (the first is the frozen name column).
SPARE_OFFER_COLUMNS = ("employer_name", "kind", "benchmark", "academic_year", "year_from",
                       "year_to", "capacity", "taken_up", "spare", "offer_id")
MATCH_COLUMNS = ("school_name", "urn", "rank", "distance_km", "employer_name", "kind",
                 "benchmark", "academic_year", "spare", "offer_id")
LIFT_COLUMNS = ("name", "order", "urn", "shortfall", "cumulative_needed", "nearest_supplier",
                "nearest_supplier_km")

#: The one-pupil word for each ``unit`` of the what-it-takes summary.
_SINGULAR = {"pupil-encounters": "pupil-encounter", "placements": "placement"}


def link_role_choices() -> dict[str, str]:
    """The kinds of employer–school link, words → code, in :data:`hubcore.codes.LINK_ROLES`
    order (the page's "Links shown" check boxes)."""
    return {vocabulary.label(role): role for role in codes.LINK_ROLES}


def employer_hover(employers: pd.DataFrame) -> pd.DataFrame:
    """:func:`employer_points` with words for codes in ``size_band`` (what a map's hover
    shows: "Small (10–49 staff)", not ``small``)."""
    out = employers.copy()
    if "size_band" in out:
        out["size_band"] = out["size_band"].map(lambda v: vocabulary.label(v, "size_band"))
    if "sector" in out:
        out["sector"] = out["sector"].fillna("").astype(str)
    return out


def page_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``columns`` of ``frame`` that it has, in that order (a page table's columns; a table
    gives them titles and words through :mod:`hubcore.vocabulary`)."""
    keep = [c for c in columns if c in frame.columns]
    out = frame[keep].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """A page table as people read it (what its CSV and XLSX hold): words for codes, numbers
    rounded for people, km to one decimal (:func:`hubcore.vocabulary.for_display`), titled
    with the frame's own ``attrs["display"]["titles"]`` where it has them, else the
    vocabulary's. The machine-readable report keeps full precision."""
    own = (frame.attrs.get("display") or {}).get("titles") or {}
    out = vocabulary.for_display(frame)
    out.columns = [own.get(column, title) for column, title in zip(frame.columns, out.columns,
                                                                   strict=True)]
    return out


def what_it_takes_summary(table: pd.DataFrame) -> dict | None:
    """The ``summary`` row of :func:`what_it_takes` as a dict, or None if it has none."""
    if "level" not in table:
        return None
    rows = table[table["level"] == "summary"]
    return None if rows.empty else rows.iloc[0].to_dict()


def what_it_takes_schools(table: pd.DataFrame) -> pd.DataFrame:
    """The schools to lift, closest to meeting first (:data:`LIFT_COLUMNS` of the ``school``
    rows of :func:`what_it_takes`), titled with the summary's unit (pupil-encounters for
    BM5, placements for BM6) in ``attrs["display"]["titles"]``."""
    rows = table[table["level"] == "school"] if "level" in table else table.iloc[0:0]
    out = page_columns(rows, LIFT_COLUMNS)
    unit = (what_it_takes_summary(table) or {}).get("unit") or "pupil-encounters"
    return _meta(out, title="Schools to lift, closest to meeting first",
                 units={"shortfall": unit, "cumulative_needed": unit,
                        "nearest_supplier_km": "km"},
                 titles={"name": "School", "order": "Order", "urn": "URN",
                         "shortfall": f"Shortfall ({unit})",
                         "cumulative_needed": f"Needed so far ({unit})",
                         "nearest_supplier": "Nearest employer with spare places",
                         "nearest_supplier_km": "Nearest employer (km)"})


def _number(value) -> float | None:
    """A summary figure as a number, or None where it is missing or hidden (``"c"``)."""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iat[0]
    return None if pd.isna(number) else float(number)


def _pct(value: float) -> str:
    """A percentage for a sentence: whole when whole ("80%"), else one decimal ("82.5%")."""
    return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"


def _km(value: float) -> str:
    return f"{value:g} km"


def what_it_takes_sentences(table: pd.DataFrame) -> list[str]:
    """The "what would it take?" answer as plain sentences (no markup), from
    :func:`what_it_takes`: which benchmark, year and source (the encounter log, not Compass),
    how many schools meet it today, how many more would reach the target and how many
    pupil-encounters or placements that needs, and whether employers' spare places within the
    radius cover it. English at 0, 1 and many ("1 more school needs", "no more schools")."""
    row = what_it_takes_summary(table)
    if row is None:
        return ["Nothing to work out: no school has a figure for this benchmark yet."]
    bm, year = int(row["benchmark"]), row.get("academic_year")
    when = f", {year}" if isinstance(year, str) and year else ""
    measured = int(_number(row["schools_measured"]) or 0)
    if measured == 0:
        return [f"BM{bm}{when}: no school can be measured from the hub's encounter log (none "
                "has pupil numbers), so there is no target to work towards."]
    meeting = int(_number(row["meeting_now"]) or 0)
    target = _number(row["target_pct"]) or 0.0
    to_lift = int(_number(row["schools_to_lift"]) or 0)
    unit = str(row.get("unit") or "pupil-encounters")
    one = _SINGULAR.get(unit, unit)
    pct = _number(row["pct_meeting_now"])
    share = f" ({_pct(round(pct, 1))})" if pct is not None else ""
    lines = [
        f"BM{bm}{when} ({SOURCE_NOTE}): {meeting:,} of {plural(measured, 'school')} "
        f"{plural(meeting, 'meets', 'meet', number=False)} it today{share}."
    ]
    if to_lift == 0:
        lines.append(f"That already reaches the {_pct(target)} target: no more schools need "
                     "to meet it.")
        return lines
    needed = _number(row["additional_needed"])
    schools_word = plural(to_lift, "more school")
    verb = plural(to_lift, "needs", "need", number=False)
    if not bool(row.get("target_reachable", True)):
        lines.append(f"Reaching {_pct(target)} would take {schools_word}, more than the "
                     "schools not meeting it today: the target cannot be reached.")
        return lines
    if needed is None:
        lines.append(f"To reach {_pct(target)}, {schools_word} {verb} to meet it.")
        return lines
    if needed == 0:
        lines.append(f"To reach {_pct(target)}, {schools_word} {verb} to meet it; the log "
                     f"shows them short of no {unit}.")
        return lines
    lines.append(f"To reach {_pct(target)}, {schools_word} {verb} about "
                 f"{plural(needed, one, unit)} between them." if to_lift > 1 else
                 f"To reach {_pct(target)}, {schools_word} {verb} about "
                 f"{plural(needed, one, unit)}.")
    spare = _number(row["spare_within_radius"])
    radius = _number(row["radius_km"])
    them = "it" if to_lift == 1 else "them"
    near = f"within {_km(radius)} of {them}" if radius is not None else f"near {them}"
    if spare is None:
        return lines
    if spare == 0:
        lines.append(f"Employers {near} have no spare places, so local supply cannot cover "
                     "it.")
    elif spare >= needed:
        lines.append(f"Employers {near} have {plural(spare, 'spare place')}, so local supply "
                     "can cover it.")
    else:
        lines.append(f"Employers {near} have {plural(spare, 'spare place')}, so local supply "
                     f"cannot cover it: about {plural(needed - spare, one, unit)} short.")
    return lines


#: Every page data source, by name: ``SOURCES[name](engine, scope)`` gives its frame with the
#: defaults (for the school profile's sources, every school in ``scope`` unless the scope names
#: one). The overdue list (pupil rows for allowed roles) is not an aggregate and is not here.
