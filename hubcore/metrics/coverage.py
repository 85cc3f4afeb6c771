"""Coverage of benchmarks 5–8 from the encounter log, per school, per year group and per small
area, with gap breakdowns and cold spots.

Inputs are frames from :mod:`hubcore.store`: ``encounters`` (one row per delivered event:
``urn``, ``kind``, ``benchmark``, ``date``, ``academic_year``, ``year_from``, ``year_to``,
``participants``, ``provider_access``) and ``schools`` (``urn``, ``kind``, ``pupils``, …).

Definitions used throughout (and why):

- **Year groups a school teaches, and their size.** The school census gives only total pupils, so
  a year group's size is estimated as ``pupils ÷ divisor`` where the divisor is the number of
  year groups the school kind teaches (:data:`YEAR_GROUPS`; an all-through school divides by 14,
  Reception to Year 13, but only its secondary years are measured).
- **Participants per year group.** The log records one head-count per event; an event for Years
  ``year_from``–``year_to`` has its participants shared equally between those year groups, so
  an event for Years 7–9 with 300 pupils counts 100 in each (no pupil is counted three times).
- All shares of a cohort are capped at 100 percent: head-counts are pupil-places, and more places
  than pupils means repeat attendance, not more than everyone.
- **Thresholds by kind of institution.** What "meets" means comes from
  :data:`hubcore.benchmarks.THRESHOLDS` for the school's kind (school, college, special school)
  and the framework in force in the academic year measured: BM5 one encounter a year per pupil
  in schools and special schools, two in colleges; BM6 and BM8 by 16 (the Year 11 cohort) in
  schools and special schools, by the end of the study programme (the Year 13 cohort, Years 12
  and 13) in colleges. A school with no pupils recorded has no size, so nothing is measured for
  it (NaN, never a negative zero).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely

from hubcore.benchmarks import institution_of, threshold
from hubcore.metrics.spatial import pairs_within

#: Shown where a scope has no encounters at all (coverage cannot be measured).
NOTE_NO_ENCOUNTERS = "no encounters recorded"

#: Year groups each school kind teaches (measured), and the divisor that turns total pupils
#: into one year group's size (year groups taught in all, including any primary years).
YEAR_GROUPS: dict[str, tuple[tuple[int, ...], int]] = {
    "mainstream_11_16": ((7, 8, 9, 10, 11), 5),
    "mainstream_11_18": ((7, 8, 9, 10, 11, 12, 13), 7),
    "all_through": ((7, 8, 9, 10, 11, 12, 13), 14),
    "special": ((7, 8, 9, 10, 11, 12, 13, 14), 8),
    "ap": ((7, 8, 9, 10, 11), 5),
    "utc": ((10, 11, 12, 13), 4),
    "fe_college": ((12, 13, 14), 3),
    "sixth_form_college": ((12, 13), 2),
}

#: Encounter kinds that count as an experience of a workplace (BM6).
WORKPLACE_KINDS: frozenset[str] = frozenset(
    {"work_experience", "work_shadowing", "workplace_visit"}
)

#: Provider Access Legislation phases: year groups, and the year whose slot must fall in the
#: 1 September – 28/29 February window.
PAL_PHASES: dict[int, tuple[tuple[int, int], int]] = {
    1: ((8, 9), 9),
    2: ((10, 11), 11),
    3: ((12, 13), 13),
}
#: Encounters each PAL phase needs.
PAL_PER_PHASE = 2
#: Months (1–12) inside the PAL window, 1 September to the end of February.
PAL_WINDOW_MONTHS: frozenset[int] = frozenset({9, 10, 11, 12, 1, 2})


def previous_academic_year(academic_year: str) -> str:
    """``"2024/25"`` → ``"2023/24"``."""
    start = int(academic_year[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _year_table() -> pd.DataFrame:
    """:data:`YEAR_GROUPS` as rows: kind, year_group, divisor."""
    rows = [(k, y, d) for k, (years, d) in YEAR_GROUPS.items() for y in years]
    return pd.DataFrame(rows, columns=["kind", "year_group", "divisor"]).astype(
        {"kind": "string", "year_group": "int64", "divisor": "float64"}
    )


def required_per_pupil(kinds: pd.Series, benchmark: int, academic_year: str) -> pd.Series:
    """Encounters (BM5), experiences (BM6) or meetings (BM8) each young person needs, for each
    school kind in ``kinds``, under the framework of ``academic_year``
    (:func:`hubcore.benchmarks.threshold`)."""
    table = {
        k: threshold(benchmark, k, academic_year).per_young_person
        for k in pd.unique(kinds.astype("string").fillna(""))
    }
    return kinds.astype("string").fillna("").map(table).astype("float64")


def stage_of(kinds: pd.Series, benchmark: int, academic_year: str) -> pd.Series:
    """The stage (``"by_16"``, ``"end_of_programme"``) at which ``benchmark`` is measured for
    each school kind in ``kinds``."""
    table = {
        k: threshold(benchmark, k, academic_year).stage
        for k in pd.unique(kinds.astype("string").fillna(""))
    }
    return kinds.astype("string").fillna("").map(table).astype("string")


def year_group_sizes(schools: pd.DataFrame) -> pd.DataFrame:
    """One row per school and measured year group: ``urn``, ``kind``, ``year_group``,
    ``pupils_est`` = pupils ÷ divisor of the kind (pupils; NaN where pupils is unknown).
    Schools of an unknown kind are left out."""
    base = pd.DataFrame(
        {
            "urn": schools["urn"].astype("int64").to_numpy(),
            "kind": schools["kind"].astype("string").to_numpy(),
            "pupils": schools["pupils"].astype("float64").to_numpy(),
        }
    )
    out = base.merge(_year_table(), on="kind", how="inner", sort=False)
    out["pupils_est"] = out.pop("pupils") / out.pop("divisor")
    return out.sort_values(["urn", "year_group"], kind="stable").reset_index(drop=True)


def participants_by_year_group(encounters: pd.DataFrame) -> pd.DataFrame:
    """Encounters spread over the year groups they cover: one row per encounter and year group
    with ``participants_share`` = participants ÷ (year_to − year_from + 1) (pupils), plus the
    encounter's ``urn``, ``academic_year``, ``benchmark``, ``kind``, ``date``, ``id``."""
    span = (encounters["year_to"] - encounters["year_from"] + 1).to_numpy(dtype=np.int64)
    span = np.maximum(span, 1)
    pos = np.repeat(np.arange(len(encounters)), span)
    offset = np.arange(len(pos)) - np.repeat(np.cumsum(span) - span, span)
    keep = [
        c for c in ("id", "urn", "academic_year", "benchmark", "kind", "date") if c in encounters
    ]
    out = encounters[keep].iloc[pos].reset_index(drop=True)
    out["year_group"] = encounters["year_from"].to_numpy(dtype=np.int64)[pos] + offset
    share = encounters["participants"].to_numpy(dtype=float) / span
    out["participants_share"] = share[pos]
    return out


#: The columns the per-year-group sums need (filter rows on these only: copying the text
#: columns of a million-row log is what makes a filter slow).
_SUM_COLUMNS = ["urn", "academic_year", "year_from", "year_to", "participants"]


def _spread(encounters: pd.DataFrame) -> pd.DataFrame:
    """:func:`participants_by_year_group` for the sums only: rows are first summed by school,
    academic year and year range (kinds, months and events collapse), then spread — the same
    totals from far fewer rows."""
    keys = ["urn", "academic_year", "year_from", "year_to"]
    if encounters.empty:
        return pd.DataFrame(columns=["urn", "academic_year", "year_group", "participants_share"])
    summed = encounters.groupby(keys, as_index=False, sort=False)["participants"].sum()
    return participants_by_year_group(summed)


def _per_year(
    encounters: pd.DataFrame, sizes: pd.DataFrame, academic_years: Sequence[str]
) -> pd.DataFrame:
    """Participants per school, academic year and year group on the full grid of measured year
    groups (zero where nothing happened)."""
    grid = sizes.merge(pd.DataFrame({"academic_year": list(academic_years)}), how="cross")
    spread = _spread(
        encounters.loc[encounters["academic_year"].isin(list(academic_years)), _SUM_COLUMNS]
    )
    summed = spread.groupby(["urn", "academic_year", "year_group"], as_index=False)[
        "participants_share"
    ].sum()
    out = grid.merge(summed, on=["urn", "academic_year", "year_group"], how="left")
    out["participants"] = out.pop("participants_share").fillna(0.0)
    return out


def _years(encounters: pd.DataFrame, academic_year: str | None) -> list[str]:
    if academic_year is not None:
        return [academic_year]
    return sorted(pd.unique(encounters["academic_year"].astype(str)))


def bm5_by_year_group(
    encounters: pd.DataFrame,
    schools: pd.DataFrame,
    academic_year: str | None = None,
    per_pupil_threshold: float | None = None,
) -> pd.DataFrame:
    """BM5 employer encounters per pupil for every school, academic year and measured year group.

    ``participants`` = Σ participants of benchmark-5 encounters covering the year group, shared
    equally across the year groups each encounter covers (pupil-encounters);
    ``per_pupil`` = participants ÷ ``pupils_est`` (encounters per pupil, NaN without a size or
    with no pupils); ``required`` = encounters per pupil the framework asks of the school's kind
    that year (1 for schools and special schools, 2 for colleges; ``per_pupil_threshold``
    overrides it for every school); ``meets`` = per_pupil ≥ required.
    """
    bm5 = encounters.loc[encounters["benchmark"].eq(5), _SUM_COLUMNS]
    sizes = year_group_sizes(schools)
    out = _per_year(bm5, sizes, _years(encounters, academic_year))
    out["per_pupil"] = out["participants"] / out["pupils_est"].where(out["pupils_est"] > 0)
    if per_pupil_threshold is not None:
        out["required"] = float(per_pupil_threshold)
    else:
        out["required"] = np.nan
        for year, idx in out.groupby("academic_year", sort=False).groups.items():
            out.loc[idx, "required"] = required_per_pupil(out.loc[idx, "kind"], 5, str(year))
    out["meets"] = out["per_pupil"].ge(out["required"])
    return out


def bm5_school(bm5_year_groups: pd.DataFrame) -> pd.DataFrame:
    """BM5 per school and academic year from :func:`bm5_by_year_group`:
    ``year_groups`` measured, ``year_groups_met``, ``bm5_pct_year_groups_met`` (percent),
    ``bm5_min_per_pupil`` (lowest year group, encounters per pupil), ``bm5_participants``
    (pupil-encounters), ``bm5_required`` (encounters per pupil a year the school's kind needs),
    ``meets_bm5`` = every measured year group meets."""
    frame = bm5_year_groups
    if "required" not in frame.columns:
        frame = frame.assign(required=np.nan)
    grouped = frame.groupby(["urn", "academic_year"], sort=True)
    out = grouped.agg(
        year_groups=("year_group", "count"),
        year_groups_met=("meets", "sum"),
        bm5_min_per_pupil=("per_pupil", "min"),
        bm5_participants=("participants", "sum"),
        bm5_required=("required", "max"),
    ).reset_index()
    # No year group with a size (a school with no pupils): nothing measured, so no percent.
    sized = frame.groupby(["urn", "academic_year"], sort=True)["per_pupil"].count().to_numpy()
    pct = 100.0 * out["year_groups_met"] / out["year_groups"]
    out["bm5_pct_year_groups_met"] = pct.where(sized > 0)
    out["meets_bm5"] = out["year_groups_met"].eq(out["year_groups"]) & out["year_groups"].gt(0)
    return out


def _reach(
    spread: pd.DataFrame,
    sizes: pd.DataFrame,
    academic_year: str,
    years: tuple[int, int],
) -> pd.DataFrame:
    """Places in ``years[0]`` last academic year plus ``years[1]`` this year, for the cohort
    that is in ``years[1]`` now, against that cohort's size."""
    earlier, final = years
    last = previous_academic_year(academic_year)
    took = (spread["academic_year"].eq(last) & spread["year_group"].eq(earlier)) | (
        spread["academic_year"].eq(academic_year) & spread["year_group"].eq(final)
    )
    places = spread[took].groupby("urn", as_index=False)["participants_share"].sum()
    cohort = sizes[sizes["year_group"].eq(final)][["urn", "pupils_est"]]
    out = cohort.merge(places, on="urn", how="left")
    out["places"] = out.pop("participants_share").fillna(0.0)
    share = 100.0 * out["places"] / out["pupils_est"].where(out["pupils_est"] > 0)
    out["pct"] = share.clip(upper=100.0)
    return out


def bm6_reach(encounters: pd.DataFrame, schools: pd.DataFrame, academic_year: str) -> pd.DataFrame:
    """BM6 workplace-experience reach per school for the cohort finishing Year 11 (by 16) and
    Year 13 (by 18) in ``academic_year``.

    An experience is a benchmark-6 encounter of kind work_experience, work_shadowing or
    workplace_visit. For the Year 11 cohort:
    ``bm6_by16_places`` = Year 10 places last academic year + Year 11 places this year (pupils,
    shared across year groups as in the module note);
    ``bm6_by16_pct`` = min(100, places ÷ Year 11 size × 100) (percent).
    This is an upper-bound estimate of reach: it assumes each place went to a different pupil of
    the cohort, which the event log cannot check. ``bm6_by18_*`` do the same for Years 12–13 and
    exist only for schools that teach Year 13 (NaN elsewhere). ``y11_cohort`` and
    ``y13_cohort`` are the estimated cohort sizes (pupils), the bases of the percentages.
    """
    work = encounters.loc[
        encounters["benchmark"].eq(6) & encounters["kind"].isin(list(WORKPLACE_KINDS)),
        _SUM_COLUMNS,
    ]
    spread = _spread(work)
    sizes = year_group_sizes(schools)
    by16 = _reach(spread, sizes, academic_year, (10, 11)).rename(
        columns={"pupils_est": "y11_cohort", "places": "bm6_by16_places", "pct": "bm6_by16_pct"}
    )
    by18 = _reach(spread, sizes, academic_year, (12, 13)).rename(
        columns={"pupils_est": "y13_cohort", "places": "bm6_by18_places", "pct": "bm6_by18_pct"}
    )
    out = schools[["urn"]].merge(by16, on="urn", how="left").merge(by18, on="urn", how="left")
    out.insert(1, "academic_year", academic_year)
    return out


def _teaches(kinds: pd.Series, year: int) -> pd.Series:
    """True where the school kind teaches ``year``."""
    return kinds.map(lambda k: year in YEAR_GROUPS.get(k, ((), 0))[0]).astype(bool)


def _months(encounters: pd.DataFrame) -> pd.Series:
    """Calendar month (1–12) of each row: the ``month`` column of
    :func:`hubcore.store.encounter_summary`, else the month of ``date``."""
    if "month" in encounters.columns:
        return encounters["month"].astype("int64")
    return pd.to_datetime(encounters["date"]).dt.month.astype("int64")


def _events(encounters: pd.DataFrame) -> pd.Series:
    """Events each row stands for: ``encounters`` of the summary read, else 1."""
    if "encounters" in encounters.columns:
        return encounters["encounters"].astype("int64")
    return pd.Series(1, index=encounters.index, dtype="int64")


def pal_slots(encounters: pd.DataFrame) -> pd.DataFrame:
    """Provider Access Legislation encounters (``provider_access`` true), one row per encounter
    (or summary row) and PAL phase it covers: ``phase`` (1 = Years 8–9, 2 = 10–11,
    3 = 12–13), ``events`` (encounters the row stands for), ``window_slot`` = the encounter
    includes the phase's second year (9, 11 or 13), whose slot must fall 1 September – end of
    February; ``out_of_window`` = window_slot and the month is March–August.

    Takes raw encounters (``date``) or :func:`hubcore.store.encounter_summary` (``month``,
    ``encounters``)."""
    pal = encounters[encounters["provider_access"].astype(bool)]
    pal = pal.assign(month=_months(pal), events=_events(pal))
    cols = ["id", "urn", "academic_year", "benchmark", "kind", "date", "month"]
    cols = [c for c in [*cols, "year_from", "year_to"] if c in pal.columns] + ["events"]
    pieces = []
    for phase, ((first, second), slot_year) in PAL_PHASES.items():
        touches = pal["year_from"].le(second) & pal["year_to"].ge(first)
        part = pal.loc[touches, cols].copy()
        part["phase"] = phase
        part["window_slot"] = part["year_from"].le(slot_year) & part["year_to"].ge(slot_year)
        part["out_of_window"] = part["window_slot"] & ~part["month"].isin(list(PAL_WINDOW_MONTHS))
        pieces.append(part)
    out = pd.concat(pieces, ignore_index=True)
    return out.sort_values(["urn", "academic_year", "phase"], kind="stable").reset_index(drop=True)


def pal_summary(
    encounters: pd.DataFrame, schools: pd.DataFrame, academic_year: str | None = None
) -> pd.DataFrame:
    """PAL compliance per school and academic year.

    ``pal_phaseN`` = provider-access encounters touching phase N's year groups in that academic
    year (encounters); a phase applies only where the school teaches its slot year (9, 11, 13),
    NaN elsewhere — phase 3 is for sixth forms only, and colleges are judged on phase 3 alone.
    ``pal_out_of_window`` = encounters for Years 9/11/13 held March–August. ``pal_met`` = every
    applicable phase has ≥ 2 encounters that year (the legislation asks for two per phase over
    a pupil's two years in it; two a year in every phase keeps every cohort on track).
    Out-of-window slots are flagged, not subtracted: the encounter still counts for the phase's
    first year.
    """
    years = _years(encounters, academic_year)
    keys = ["urn", "academic_year"]
    cols = [c for c in ("urn", "academic_year", "year_from", "year_to", "month", "date",
                        "encounters") if c in encounters.columns]  # fmt: skip
    pal = encounters.loc[
        encounters["provider_access"].astype(bool) & encounters["academic_year"].isin(years), cols
    ]
    # Sum events per school, year, year range and month first: far fewer rows to test.
    pal = (
        pal.assign(month=_months(pal), events=_events(pal))
        .groupby([*keys, "year_from", "year_to", "month"], as_index=False, sort=False)["events"]
        .sum()
    )
    late_month = ~pal["month"].isin(list(PAL_WINDOW_MONTHS))
    any_slot = pd.Series(False, index=pal.index)
    out = schools[["urn", "kind"]].merge(pd.DataFrame({"academic_year": years}), how="cross")
    for phase, ((first, second), slot_year) in PAL_PHASES.items():
        col = f"pal_phase{phase}"
        touches = pal["year_from"].le(second) & pal["year_to"].ge(first)
        any_slot |= pal["year_from"].le(slot_year) & pal["year_to"].ge(slot_year)
        n = pal[touches].groupby(keys)["events"].sum().rename(col)
        out = out.merge(n.reset_index(), on=keys, how="left")
        out[col] = out[col].fillna(0).astype("float64").where(_teaches(out["kind"], slot_year))
    phases = out[[f"pal_phase{p}" for p in PAL_PHASES]]
    out["pal_met"] = (phases.ge(PAL_PER_PHASE) | phases.isna()).all(axis=1)
    # An encounter touching two slot years (e.g. Years 9–11) is one late event: counted once.
    oow = pal[any_slot & late_month].groupby(keys)["events"].sum().rename("pal_out_of_window")
    out = out.merge(oow.reset_index(), on=keys, how="left")
    out["pal_out_of_window"] = out["pal_out_of_window"].fillna(0).astype("int64")
    return out.drop(columns=["kind"])


def bm8_by16(encounters: pd.DataFrame, schools: pd.DataFrame, academic_year: str) -> pd.DataFrame:
    """BM8 personal guidance by 16 per school in ``academic_year``:
    ``bm8_y11_meetings`` = Year 11 participants of benchmark-8 guidance_meeting encounters
    (pupils, shared across year groups); ``bm8_by16_pct`` = min(100, meetings ÷ Year 11 size ×
    100) (percent). Schools without Year 11 get NaN."""
    meetings = encounters[encounters["benchmark"].eq(8) & encounters["kind"].eq("guidance_meeting")]
    spread = _spread(meetings)
    spread = spread[spread["academic_year"].eq(academic_year) & spread["year_group"].eq(11)]
    sizes = year_group_sizes(schools)
    y11 = sizes[sizes["year_group"].eq(11)][["urn", "pupils_est"]]
    done = spread.groupby("urn", as_index=False)["participants_share"].sum()
    out = y11.merge(done, on="urn", how="left")
    out["bm8_y11_meetings"] = out.pop("participants_share").fillna(0.0)
    pct = 100.0 * out["bm8_y11_meetings"] / out["pupils_est"].where(out["pupils_est"] > 0)
    out["bm8_by16_pct"] = pct.clip(upper=100.0)
    out = schools[["urn"]].merge(out.drop(columns=["pupils_est"]), on="urn", how="left")
    out.insert(1, "academic_year", academic_year)
    return out


def bm8_by18(encounters: pd.DataFrame, schools: pd.DataFrame, academic_year: str) -> pd.DataFrame:
    """BM8 personal guidance by the end of the study programme, for the cohort finishing Year 13
    in ``academic_year`` (the measure for colleges): ``bm8_by18_meetings`` = Year 12 participants
    of benchmark-8 guidance_meeting encounters last academic year + Year 13 participants this
    year (pupils, shared across year groups; an upper bound on pupils reached, as for BM6);
    ``bm8_by18_pct`` = min(100, meetings ÷ Year 13 size × 100) (percent). Schools without Year
    13 get NaN."""
    meetings = encounters.loc[
        encounters["benchmark"].eq(8) & encounters["kind"].eq("guidance_meeting"), _SUM_COLUMNS
    ]
    reach = _reach(_spread(meetings), year_group_sizes(schools), academic_year, (12, 13))
    reach = reach.rename(columns={"places": "bm8_by18_meetings", "pct": "bm8_by18_pct"})
    out = schools[["urn"]].merge(reach.drop(columns=["pupils_est"]), on="urn", how="left")
    out.insert(1, "academic_year", academic_year)
    return out


def _stage_meets(
    out: pd.DataFrame,
    benchmark: int,
    year: str,
    columns: dict[str, tuple[str, str]],
    reach_threshold: float,
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Required count, stage, measurable flag and meets flag of ``benchmark`` per school row:
    places at the kind's stage ≥ required × cohort × reach_threshold ÷ 100. ``columns`` maps a
    stage to its (places, cohort) columns."""
    required = required_per_pupil(out["kind"], benchmark, year)
    stage = stage_of(out["kind"], benchmark, year)
    places = pd.Series(np.nan, index=out.index)
    cohort = pd.Series(np.nan, index=out.index)
    for name, (place_col, cohort_col) in columns.items():
        at = stage.eq(name).fillna(False).to_numpy()
        places[at] = out.loc[at, place_col].astype("float64")
        cohort[at] = out.loc[at, cohort_col].astype("float64")
    measurable = cohort.gt(0) & places.notna()
    meets = measurable & places.ge(required * cohort * reach_threshold / 100.0 - 1e-9)
    return required, stage, measurable, meets.astype(bool)


def measure_scores(coverage: pd.DataFrame) -> pd.DataFrame:
    """``coverage`` with 0/1 scores for maps and cold spots (1 = meets the benchmark as the
    framework states it for the school's kind; NaN where it cannot be measured):
    ``pal_met_score``, ``bm6_met_score``, ``bm8_met_score``."""
    out = coverage.assign(pal_met_score=coverage["pal_met"].astype("float64"))
    for b in (6, 8):
        score = coverage[f"meets_bm{b}"].astype("float64")
        if f"bm{b}_measurable" in coverage.columns:
            score = score.where(coverage[f"bm{b}_measurable"].astype(bool))
        out[f"bm{b}_met_score"] = score
    return out


def latest_academic_year(encounters: pd.DataFrame) -> str | None:
    """The most recent academic year in the encounter log (None when it is empty)."""
    years = _years(encounters, None)
    return years[-1] if years else None


def school_coverage(
    encounters: pd.DataFrame,
    schools: pd.DataFrame,
    academic_year: str | None = None,
    per_pupil_threshold: float | None = None,
    reach_threshold: float = 100.0,
) -> pd.DataFrame:
    """One row per school for ``academic_year`` (default: the latest in the log) combining
    :func:`bm5_school` (with ``bm5_per_pupil_yN``, encounters per pupil in each measured year
    group N, NaN where the school does not teach it), :func:`bm6_reach`, :func:`pal_summary`,
    :func:`bm8_by16` and :func:`bm8_by18`, plus, per the thresholds of the school's kind
    (:data:`hubcore.benchmarks.THRESHOLDS`):

    - ``bm6_required`` / ``bm8_required``: experiences / meetings each young person needs;
      ``bm6_stage`` / ``bm8_stage``: ``by_16`` (schools, special schools: the Year 11 cohort)
      or ``end_of_programme`` (colleges: the Year 13 cohort);
    - ``meets_bm6`` = places at the stage ≥ required × cohort × ``reach_threshold`` ÷ 100
      (default 100: every young person); ``meets_bm8`` likewise with guidance meetings;
      ``bm6_measurable`` / ``bm8_measurable`` = the stage's cohort is known and above 0.

    ``per_pupil_threshold`` (BM5) overrides the kind's number for every school when given.
    An empty log with no ``academic_year`` raises ValueError (see :data:`NOTE_NO_ENCOUNTERS`).
    """
    year = academic_year or latest_academic_year(encounters)
    if year is None:
        raise ValueError(f"{NOTE_NO_ENCOUNTERS}: coverage cannot be measured")
    keys = ["urn", "academic_year"]
    per_year = bm5_by_year_group(encounters, schools, year, per_pupil_threshold)
    bm5 = bm5_school(per_year)
    wide = per_year.pivot_table(index=keys, columns="year_group", values="per_pupil")
    wide.columns = [f"bm5_per_pupil_y{y}" for y in wide.columns]
    out = schools[["urn", "name", "kind"]].assign(academic_year=year)
    out = out.merge(bm5, on=keys, how="left").merge(wide.reset_index(), on=keys, how="left")
    out = out.merge(bm6_reach(encounters, schools, year), on=keys, how="left")
    out = out.merge(pal_summary(encounters, schools, year), on=keys, how="left")
    out = out.merge(bm8_by16(encounters, schools, year), on=keys, how="left")
    out = out.merge(bm8_by18(encounters, schools, year), on=keys, how="left")
    out["meets_bm5"] = out["meets_bm5"].fillna(False).astype(bool)
    bm6 = {"by_16": ("bm6_by16_places", "y11_cohort"),
           "end_of_programme": ("bm6_by18_places", "y13_cohort")}  # fmt: skip
    req, stage, measurable, meets = _stage_meets(out, 6, year, bm6, reach_threshold)
    out = out.assign(bm6_required=req, bm6_stage=stage, bm6_measurable=measurable, meets_bm6=meets)
    bm8 = {"by_16": ("bm8_y11_meetings", "y11_cohort"),
           "end_of_programme": ("bm8_by18_meetings", "y13_cohort")}  # fmt: skip
    req, stage, measurable, meets = _stage_meets(out, 8, year, bm8, reach_threshold)
    out = out.assign(bm8_required=req, bm8_stage=stage, bm8_measurable=measurable, meets_bm8=meets)
    out["institution"] = out["kind"].map(institution_of).astype("string")
    return out


def school_context(schools: pd.DataFrame, areas: pd.DataFrame | None) -> pd.DataFrame:
    """Schools' breakdown columns: ``urn``, ``kind``, ``la_gss``, ``lsoa_code`` and
    ``imd_decile`` (of the school's own small area, 1 = most deprived; NaN where unknown)."""
    cols = [c for c in ("urn", "kind", "la_gss", "lad_gss", "lsoa_code") if c in schools]
    out = pd.DataFrame(schools[cols])
    if areas is not None and "imd_decile" in areas and "lsoa_code" in out:
        deciles = pd.DataFrame(areas[["code", "imd_decile"]]).rename(columns={"code": "lsoa_code"})
        out = out.merge(deciles, on="lsoa_code", how="left")
    else:
        out["imd_decile"] = np.nan
    return out


def _measured(frame: pd.DataFrame, benchmark: int) -> pd.Series:
    """``meets_bmN`` as 0/1, NaN where the school's stage cohort is unknown (left out of the
    group's share rather than counted as failing)."""
    meets = frame[f"meets_bm{benchmark}"].astype("float64")
    flag = f"bm{benchmark}_measurable"
    return meets.where(frame[flag].astype(bool)) if flag in frame.columns else meets


def coverage_gaps(
    coverage: pd.DataFrame,
    schools: pd.DataFrame,
    areas: pd.DataFrame | None = None,
    by: str = "kind",
) -> pd.DataFrame:
    """Coverage broken down ``by`` school ``kind`` (special, AP and FE included),
    ``imd_decile`` of the school's small area, or ``la_gss``.

    Per group: ``schools`` (institutions, not suppressed); ``pct_meeting_bm5`` / ``_bm6`` /
    ``_bm8`` / ``pct_pal_met`` = percent of the group's schools meeting each by the threshold of
    its kind (percent; schools where BM6/BM8 cannot be measured are left out);
    ``mean_bm5_min_per_pupil`` (encounters per pupil), ``mean_bm6_by16_pct``,
    ``mean_bm8_by16_pct`` (percent, mean over schools; schools with no estimate left out).
    """
    context = school_context(schools, areas)
    extra = [c for c in context.columns if c not in coverage.columns or c == "urn"]
    frame = coverage.merge(context[extra], on="urn", how="left")
    frame = frame.assign(
        _m5=frame["meets_bm5"].astype("float64") * 100,
        _m6=_measured(frame, 6) * 100,
        _m8=_measured(frame, 8) * 100,
        _pal=frame["pal_met"].astype("float64") * 100,
    )
    out = (
        frame.groupby(by, dropna=False, sort=True)
        .agg(
            schools=("urn", "nunique"),
            pct_meeting_bm5=("_m5", "mean"),
            pct_meeting_bm6=("_m6", "mean"),
            pct_meeting_bm8=("_m8", "mean"),
            pct_pal_met=("_pal", "mean"),
            mean_bm5_min_per_pupil=("bm5_min_per_pupil", "mean"),
            mean_bm6_by16_pct=("bm6_by16_pct", "mean"),
            mean_bm8_by16_pct=("bm8_by16_pct", "mean"),
        )
        .reset_index()
    )
    return out.rename(columns={by: "group"}).assign(breakdown=by)[
        ["breakdown", "group", *[c for c in out.columns if c != by]]
    ]


def area_centroids(areas: pd.DataFrame) -> pd.DataFrame:
    """Small areas with the easting/northing (metres, BNG) of their polygon's centroid."""
    geoms = np.asarray(areas.geometry)
    cent = shapely.centroid(geoms)
    cols = [c for c in ("code", "name", "parent_code", "imd_decile") if c in areas]
    out = pd.DataFrame(areas[cols]).reset_index(drop=True)
    out["easting"] = shapely.get_x(cent)
    out["northing"] = shapely.get_y(cent)
    return out


def area_coverage(
    areas: pd.DataFrame,
    schools: pd.DataFrame,
    values: pd.DataFrame,
    measure: str,
    threshold: float,
    radius_km: float = 5.0,
) -> pd.DataFrame:
    """Per small area, the schools within ``radius_km`` of its centroid (km, BNG) and how they
    do on ``measure`` (a column of ``values``, one row per ``urn``).

    ``schools_nearby`` (institutions), ``schools_below`` = nearby schools with
    measure < ``threshold`` (a school with no value counts as below: no evidence of coverage),
    ``nearest_km`` (km), ``mean_measure`` over nearby schools with a value, and ``cold_spot`` =
    schools_nearby ≥ 1 and schools_below = schools_nearby. Areas with no school in range are
    not cold spots (nothing to be below) but show ``schools_nearby`` = 0. ``pct_below`` = 100 ×
    schools_below ÷ schools_nearby (percent; NaN with no school in range).

    ``measure`` can be a latest-assessment percent (``bmN``, threshold 100 = achieved) or a
    coverage column of :func:`school_coverage` (e.g. ``bm5_min_per_pupil`` with threshold 1,
    ``bm6_by16_pct`` with threshold 100).
    """
    cents = area_centroids(areas)
    sch = pd.DataFrame(schools[["urn", "easting", "northing"]]).reset_index(drop=True)
    sch = sch.merge(values[["urn", measure]], on="urn", how="left")
    i, j, d = pairs_within(
        cents["easting"].to_numpy(),
        cents["northing"].to_numpy(),
        sch["easting"].to_numpy(float),
        sch["northing"].to_numpy(float),
        radius_km,
    )
    val = sch[measure].to_numpy(dtype=float)[j]
    below = ~(val >= threshold)  # NaN counts as below
    pairs = pd.DataFrame({"i": i, "d": d, "val": val, "below": below})
    agg = pairs.groupby("i").agg(
        schools_nearby=("d", "size"),
        schools_below=("below", "sum"),
        nearest_km=("d", "min"),
        mean_measure=("val", "mean"),
    )
    out = cents.join(agg, how="left")
    out["schools_nearby"] = out["schools_nearby"].fillna(0).astype("int64")
    out["schools_below"] = out["schools_below"].fillna(0).astype("int64")
    out["cold_spot"] = out["schools_nearby"].gt(0) & out["schools_below"].eq(out["schools_nearby"])
    out["pct_below"] = 100 * out["schools_below"] / out["schools_nearby"].where(
        out["schools_nearby"] > 0
    )
    out["measure"] = measure
    out["threshold"] = float(threshold)
    out["radius_km"] = float(radius_km)
    return out


def cold_spots(
    areas: pd.DataFrame,
    schools: pd.DataFrame,
    values: pd.DataFrame,
    measure: str,
    threshold: float,
    radius_km: float = 5.0,
) -> pd.DataFrame:
    """Small areas where at least one school lies within ``radius_km`` (km, BNG) and every such
    school is below ``threshold`` on ``measure`` (see :func:`area_coverage`), most deprived
    first."""
    cov = area_coverage(areas, schools, values, measure, threshold, radius_km)
    spots = cov[cov["cold_spot"]]
    return spots.sort_values(["imd_decile", "code"], na_position="last").reset_index(drop=True)
