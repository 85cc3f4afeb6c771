"""Words for codes, and column titles with units: one vocabulary for everything a person reads.

Pages, display downloads and briefings show ``label(code)`` instead of a stored code
(``enterprise_adviser`` → "Enterprise adviser", ``neet_active`` → "NEET (available)") and
``title(column)`` instead of a column name (``distance_km`` → "Distance (km)").
:func:`for_display` does both to a whole frame and rounds numbers for people to read: one
decimal for percentages, rates, distances and durations, whole numbers for counts; the
disclosure markers ``"c"`` (suppressed) and ``"low"`` are kept as they are. The
machine-readable report (``hubcore report``, :mod:`hubcore.metrics.report`) does not go
through here and keeps full precision.

An unknown code comes back as itself (as text) and an unknown column gets a title made from
its name, so a new code never breaks a page; ``tests/test_vocabulary.py`` checks that every
code in :mod:`hubcore.codes` has words here. Nothing here imports Panel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from hubcore import codes
from hubcore.access import Role

# --- words for codes --------------------------------------------------------------------------

#: Gatsby Benchmark names (2024 wording; DOMAIN.md §1.1).
BENCHMARK_NAMES: dict[int, str] = {
    1: "A stable careers programme",
    2: "Learning from careers and labour market information",
    3: "Addressing the needs of each young person",
    4: "Linking curriculum learning to careers",
    5: "Encounters with employers and employees",
    6: "Experiences of workplaces",
    7: "Encounters with further and higher education",
    8: "Personal guidance",
}

#: Words for the hub-kept records' closed vocabularies and other codes a person may read.
#: Keys are the stored codes; one code has one meaning wherever it appears (``talk`` is an
#: offer kind and an encounter kind; ``not_known`` a destination and a hand-over reason).
LABELS: dict[str, str] = {
    # kinds of school or college
    **codes.SCHOOL_KINDS,
    # how an employer is linked to a school
    "enterprise_adviser": "Enterprise adviser",
    "cornerstone": "Cornerstone employer",
    "governor": "Governor",
    "work_experience_partner": "Work experience partner",
    # employer size bands
    "micro": "Micro (under 10 staff)",
    "small": "Small (10–49 staff)",
    "medium": "Medium (50–249 staff)",
    "large": "Large (250+ staff)",
    # offers and encounters
    "talk": "Talk",
    "workplace_visit": "Workplace visit",
    "work_experience": "Work experience",
    "mentoring": "Mentoring",
    "enterprise": "Enterprise activity",
    "work_shadowing": "Work shadowing",
    "provider_encounter": "Encounter with a provider",
    "he_visit": "Higher education visit",
    "guidance_meeting": "Guidance meeting",
    "lmi_session": "Labour market information session",
    "curriculum_link": "Careers in the curriculum",
    "in_person": "In person",
    "virtual": "Virtual",
    "mixed": "In person and virtual",
    # Compass evaluation types and snapshots
    "schools": "Schools",
    "specialist": "Special schools",
    "fe_itp": "Colleges and training providers",
    "dec31": "31 December",
    "mar31": "31 March",
    "jul31": "31 July",
    "other": "Other",
    # destinations (NCCIS activity categories)
    "education": "Education",
    "apprenticeship": "Apprenticeship",
    "employment": "Employment",
    "training": "Training",
    "re_engagement": "Re-engagement",
    "neet_active": "NEET (available)",
    "neet_inactive": "NEET (not available)",
    "custody": "Custody",
    "not_known": "Not known",
    "no_record": "No record",
    "intended": "Intended",
    "actual": "Actual",
    # who recorded a destination
    "school": "School",
    "college": "College",
    "la_ccis": "Local authority tracking (CCIS)",
    "learner": "The young person",
    # hand-overs: to whom, why, how far they got, on what lawful basis
    "ncs": "National Careers Service",
    "la_tracking": "LA tracking",
    "jobcentre_plus": "Jobcentre Plus",
    "provider": "Provider",
    "youth_service": "Youth support service",
    "neet": "NEET",
    "at_risk": "At risk of NEET",
    "left_y13": "Left after Year 13",
    "dropped_out": "Dropped out",
    "pending": "Pending",
    "referred": "Referred",
    "contacted": "Contacted",
    "engaged": "Engaged",
    "lost": "Lost",
    "closed": "Closed",
    "public_task": "Public task",
    "legal_obligation": "Legal obligation",
    "consent": "Consent",
    # host bodies and areas
    "LA": "Local authority",
    "CA": "Combined authority",
    "GLA": "Greater London Authority",
    "lsoa": "Small area (LSOA)",
    "msoa": "Middle-layer area (MSOA)",
    "ward": "Ward",
    "lad": "Local authority district",
    "utla": "Upper-tier local authority",
    "region": "Region",
    # roles of people signed in
    Role.ADMIN.value: "Administrator",
    Role.HUB_LEAD.value: "Hub lead",
    Role.CAREERS_LEADER.value: "Careers leader",
    Role.NCS_ADVISER.value: "NCS adviser",
    Role.ANALYST.value: "Analyst",
    # sections of the transitions report, and other words in display frames
    "destination_mix": "Destination mix",
    "funnel": "Hand-over funnel",
    "lag": "Time to referral",
    "overdue": "Overdue hand-overs",
    "sustained": "Sustained destinations",
    "summary": "Summary",
    "bm5_pct_year_groups_met": "BM5: % of year groups meeting the benchmark",
    "bm6_pct_year_groups_met": "BM6: % of year groups meeting the benchmark",
    **{f"BM{n}": f"BM{n} {name}" for n, name in BENCHMARK_NAMES.items()},
}

#: Why a leaver is on a careers leader's worklist (``state`` of
#: :func:`hubcore.worklists.leavers_to_confirm`): code → words.
WORKLIST_STATES: dict[str, str] = {
    "not_known": "Activity not known",
    "stale": "Record out of date",
    "missing": "No destination recorded",
    "intended_only": "Intended destination only",
}
#: A hand-over case's outcome (:data:`hubcore.models.HANDOVER_OUTCOMES`): code → words. Apart
#: from :data:`LABELS` because "refused" and "lost" read differently as a case's outcome.
CASE_OUTCOMES: dict[str, str] = {"engaged": "Engaged", "moved_area": "Moved out of the area",
                                 "refused": "Refused support", "lost": "Lost contact"}


#: Codes whose words depend on the column (a bare "2014" or "E" would be ambiguous elsewhere).
COLUMN_CODES: dict[str, Mapping] = {
    "framework": {f: f"{f} framework" for f in codes.FRAMEWORKS},
    "previous_framework": {f: f"{f} framework" for f in codes.FRAMEWORKS},
    "national_framework": {f: f"{f} framework" for f in codes.FRAMEWORKS},
    "sen_status": {"N": "No SEN", "K": "SEN support", "E": "EHC plan"},
    "type_code": codes.ESTABLISHMENT_TYPES,
    "phase_code": codes.PHASES,
    "outcome_nccis_code": codes.NCCIS_LABELS,
    "nccis_code": codes.NCCIS_LABELS,
    "benchmark": {n: f"BM{n} {name}" for n, name in BENCHMARK_NAMES.items()},
}

#: Columns holding codes of :data:`LABELS` (or area codes, see :func:`for_display`'s ``names``).
CODE_COLUMNS: frozenset[str] = frozenset({
    "kind", "role", "category", "destination", "handed_to", "to_org_type", "reason", "status",
    "size_band", "mode", "evaluation_type", "snapshot", "lawful_basis", "section", "measure",
    "level", "benchmark", "host_body_type", "destination_kind", "source", "user_role",
    "la_gss", "lad_gss", "parent_code", "code", "ncs_area", "area", "hub",
})


def label(value: object, column: str | None = None) -> str:
    """Words for a code value (``"lmi_session"`` → "Labour market information session");
    ``column`` picks a column's own codes first (``label("2014", "framework")`` →
    "2014 framework"). An unknown value comes back unchanged, as text; a missing value is
    ``""``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    own = COLUMN_CODES.get(column) if column else None
    if own is not None:
        for key in (value, _as_int(value)):
            if key is not None and key in own:
                return own[key]
    if isinstance(value, str) and value in LABELS:
        return LABELS[value]
    return _plain(value)


def _as_int(value: object) -> int | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- column titles and units ------------------------------------------------------------------

PERCENT = "percent"
RATE = "rate"
DISTANCE = "distance"
DURATION = "duration"
COUNT = "count"
IDENTIFIER = "identifier"
TEXT = "text"

#: Decimals shown for each kind of number (``None``: shown as it is).
DECIMALS: dict[str, int | None] = {
    PERCENT: 1, RATE: 1, DISTANCE: 1, DURATION: 1, COUNT: 0, IDENTIFIER: None, TEXT: None,
}

_PCT = ("%", PERCENT)
_KM = ("km", DISTANCE)
_DAYS = ("days", DURATION)
_PEOPLE = ("people", COUNT)
_ID = (None, IDENTIFIER)
_TEXT = (None, TEXT)

#: Column name → (words, unit, kind). The title is the words with the unit in brackets for
#: percentages, rates, distances and durations (a count's noun already says what it counts).
COLUMNS: dict[str, tuple[str, tuple[str | None, str]]] = {
    # schools
    "urn": ("URN", _ID),
    "name": ("Name", _TEXT),
    "school_name": ("School", _TEXT),
    "employer_name": ("Employer", _TEXT),
    "employer": ("Employer", _TEXT),
    "la_code": ("LA number", _ID),
    "establishment_number": ("Establishment number", _ID),
    "ukprn": ("UKPRN", _ID),
    "type_code": ("Establishment type", _ID),
    "phase_code": ("Phase", _ID),
    "kind": ("Kind", _TEXT),
    "type": ("Type", _TEXT),
    "status": ("Status", _TEXT),
    "statutory_low_age": ("Lowest age", ("years", IDENTIFIER)),
    "statutory_high_age": ("Highest age", ("years", IDENTIFIER)),
    "pupils": ("Pupils", ("pupils", COUNT)),
    "percentage_fsm": ("Free school meals", _PCT),
    "postcode": ("Postcode", _TEXT),
    "easting": ("Easting", ("m", IDENTIFIER)),
    "northing": ("Northing", ("m", IDENTIFIER)),
    "lat": ("Latitude", ("°", IDENTIFIER)),
    "lon": ("Longitude", ("°", IDENTIFIER)),
    "lad_gss": ("District", _TEXT),
    "la_gss": ("Local authority", _TEXT),
    "lsoa_code": ("Small area (LSOA)", _TEXT),
    "lsoa_vintage": ("LSOA boundaries", _ID),
    "is_special": ("Special school", _TEXT),
    "is_ap": ("Alternative provision", _TEXT),
    "has_careers_leader": ("Has a careers leader", _TEXT),
    "has_employer_link_governor": ("Has an employer-link governor", _TEXT),
    "predecessor_urn": ("Predecessor URN", _ID),
    "trust_code": ("Trust", _ID),
    # Compass assessments
    "assessment_id": ("Assessment", _ID),
    "assessed_on": ("Assessed on", _TEXT),
    "academic_year": ("Academic year", _TEXT),
    "snapshot": ("Snapshot", _TEXT),
    "evaluation_type": ("Evaluation", _TEXT),
    "framework": ("Framework", _TEXT),
    # A school's benchmarks achieved is a whole number (0–8); a mean of them is a rate.
    "achieved": ("Benchmarks achieved (of 8)", ("of 8", COUNT)),
    "mean_percent": ("Mean of benchmarks", _PCT),
    "previous_on": ("Previous assessment", _TEXT),
    "previous_framework": ("Previous framework", _TEXT),
    "framework_changed": ("Framework changed", _TEXT),
    "change_achieved": ("Change in benchmarks achieved", ("benchmarks", COUNT)),
    "change_mean_percent": ("Change in mean of benchmarks", ("points", PERCENT)),
    "national_framework": ("England: framework", _TEXT),
    "national_academic_year": ("England: academic year", _TEXT),
    "national_achieved": ("England: benchmarks achieved (of 8)", ("of 8", COUNT)),
    "national_mean_achieved": ("England: mean benchmarks achieved", ("of 8", RATE)),
    "vs_national": ("Compared with England", ("benchmarks", RATE)),
    "national_note": ("England comparison", _TEXT),
    "bm5_min_per_pupil": ("BM5 encounters", ("per pupil", RATE)),
    "bm6_by16_pct": ("BM6 workplace experience by 16", _PCT),
    "bm8_by16_pct": ("BM8 guidance interview by 16", _PCT),
    "pal_met": ("Provider access met", _TEXT),
    "mean_achieved": ("Mean benchmarks achieved", ("of 8", RATE)),
    "schools": ("Schools", ("schools", COUNT)),
    "assessed": ("Schools assessed", ("schools", COUNT)),
    "benchmark": ("Benchmark", _TEXT),
    "who": ("Who", _TEXT),
    "percent": ("Percent", _PCT),
    # areas
    "code": ("Area", _TEXT),
    "parent_code": ("Local authority", _TEXT),
    "imd_decile": ("Deprivation decile (1 = most deprived)", _ID),
    "schools_nearby": ("Schools nearby", ("schools", COUNT)),
    "schools_below": ("Schools below the threshold", ("schools", COUNT)),
    "nearest_km": ("Nearest school", _KM),
    "mean_measure": ("Mean of the measure", _PCT),
    "cold_spot": ("Cold spot", _TEXT),
    "pct_below": ("Schools below the threshold", _PCT),
    "measure": ("Measure", _TEXT),
    "threshold": ("Threshold", _PCT),
    "radius_km": ("Radius", _KM),
    "shown": ("Shown", _TEXT),
    # encounters, links, employers, offers
    "year_from": ("From year", _ID),
    "year_to": ("To year", _ID),
    "year_group": ("Year group", _ID),
    "cohort": ("Cohort (year left)", _ID),
    "encounters": ("Encounters", ("encounters", COUNT)),
    "participants": ("Participants", ("pupils", COUNT)),
    "role": ("Role", _TEXT),
    "sector": ("Sector", _TEXT),
    "size_band": ("Size", _TEXT),
    "start_date": ("Since", _TEXT),
    "end_date": ("Until", _TEXT),
    "id": ("ID", _ID),
    "ref": ("Reference", _TEXT),
    "companies_house_no": ("Companies House number", _TEXT),
    "cornerstone": ("Cornerstone employer", _TEXT),
    "employer_standards_assessed": ("Employer standards assessed", _TEXT),
    "employer_id": ("Employer ID", _ID),
    "offer_id": ("Offer", _ID),
    "capacity": ("Places offered", ("places", COUNT)),
    "taken_up": ("Places taken up", ("places", COUNT)),
    "spare": ("Spare places", ("places", COUNT)),
    "distance_km": ("Distance", _KM),
    "rank": ("Rank", _ID),
    "schools_measured": ("Schools measured", ("schools", COUNT)),
    "meeting_now": ("Schools meeting it now", ("schools", COUNT)),
    "pct_meeting_now": ("Schools meeting it now", _PCT),
    "target_pct": ("Target", _PCT),
    "schools_to_lift": ("Schools to lift", ("schools", COUNT)),
    "target_reachable": ("Target reachable", _TEXT),
    "additional_needed": ("Additional encounters needed", ("encounters", COUNT)),
    "unit": ("Unit", _TEXT),
    "spare_within_radius": ("Spare places within the radius", ("places", COUNT)),
    "supply_covers_need": ("Local supply covers the need", _TEXT),
    "level": ("Level", _TEXT),
    "order": ("Order", _ID),
    "shortfall": ("Shortfall", ("encounters", COUNT)),
    "cumulative_needed": ("Needed so far", ("encounters", COUNT)),
    "spare_nearby": ("Spare places nearby", ("places", COUNT)),
    "nearest_supplier": ("Nearest supplier", _TEXT),
    "nearest_supplier_km": ("Nearest supplier", _KM),
    # destinations, NEET, hand-overs
    "leavers": ("Leavers", _PEOPLE),
    "cohort_leavers": ("Leavers in the cohort", _PEOPLE),
    "denominator": ("Leavers counted", _PEOPLE),
    "destination": ("Destination", _TEXT),
    "category": ("Destination", _TEXT),
    "measurement": ("Measured", _TEXT),
    "handed_to": ("Handed to", _TEXT),
    "handed_to_label": ("Handed to", _TEXT),
    "neet": ("NEET", _PEOPLE),
    "not_known": ("Not known", _PEOPLE),
    "no_record": ("No record", _PEOPLE),
    "custody": ("In custody", _PEOPLE),
    "neet_pct": ("NEET", _PCT),
    "not_known_pct": ("Not known", _PCT),
    "neet_nk_pct": ("NEET or not known", _PCT),
    "vs_la_neet_nk": ("NEET or not known compared with the LA", ("points", PERCENT)),
    "vs_england_neet": ("NEET compared with England", ("points", PERCENT)),
    "vs_england_neet_nk": ("NEET or not known compared with England", ("points", PERCENT)),
    "england_comparator": ("England comparator", _TEXT),
    "academic_age": ("Academic age", ("years", IDENTIFIER)),
    "handovers": ("Hand-overs", _PEOPLE),
    "referred": ("Referred", _PEOPLE),
    "not_referred": ("Not referred", _PEOPLE),
    "contacted": ("Contacted", _PEOPLE),
    "engaged": ("Engaged", _PEOPLE),
    "lost": ("Lost", _PEOPLE),
    "lost_before_contact": ("Lost before contact", _PEOPLE),
    "closed": ("Closed", _PEOPLE),
    "still_open": ("Still open", _PEOPLE),
    "open": ("Open", _PEOPLE),
    "overdue": ("Overdue", _PEOPLE),
    "median_days": ("Median time to referral", _DAYS),
    "p90_days": ("90th percentile time to referral", _DAYS),
    "mean_days": ("Mean time to referral", _DAYS),
    "median_days_waiting": ("Median wait", _DAYS),
    "max_days_waiting": ("Longest wait", _DAYS),
    "days_waiting": ("Waiting", _DAYS),
    "overdue_days": ("Overdue after", _DAYS),
    "left_days": ("From", _DAYS),
    "right_days": ("To", _DAYS),
    "as_of": ("As of", _TEXT),
    "note": ("Note", _TEXT),
    "leaver_key": ("Young person (pseudonym)", _TEXT),
    "from_urn": ("From school (URN)", _ID),
    "to_org_type": ("Handed to", _TEXT),
    "reason": ("Reason", _TEXT),
    "left_on": ("Left on", _TEXT),
    "referred_on": ("Referred on", _TEXT),
    "contacted_on": ("Contacted on", _TEXT),
    "outcome_on": ("Outcome on", _TEXT),
    "outcome_nccis_code": ("Outcome", _TEXT),
    "lawful_basis": ("Lawful basis", _TEXT),
    "dsa_ref": ("Data sharing agreement", _TEXT),
    "consent_recorded": ("Consent recorded", _TEXT),
    "ncs_area": ("NCS area", _TEXT),
    "provider_urn": ("Provider (URN)", _ID),
    "years_after": ("Years after leaving", _ID),
    "section": ("Section", _TEXT),
    "sust_education": ("Sustained education", _PEOPLE),
    "sust_apprenticeship": ("Sustained apprenticeship", _PEOPLE),
    "sust_edu_app": ("Sustained education or apprenticeship", _PEOPLE),
    "sust_employment": ("Sustained employment", _PEOPLE),
    "sust_overall": ("Sustained destination", _PEOPLE),
    "not_sustained": ("Not sustained", _PEOPLE),
    "activity_unknown": ("Activity not captured", _PEOPLE),
    "dfe_pupils": ("DfE: pupils", ("pupils", COUNT)),
    "dfe_time_period": ("DfE: period", _ID),
    "dfe_note": ("DfE note", _TEXT),
    "la_time_period": ("LA: period", _TEXT),
    "value": ("Value", (None, RATE)),
    "pct_handed_over_of_leavers": ("Handed over (% of leavers)", _PCT),
    "pct_referred_of_leavers": ("Referred (% of leavers)", _PCT),
    "pct_referred_of_handovers": ("Referred (% of hand-overs)", _PCT),
    "pct_contacted_of_referred": ("Contacted (% of referred)", _PCT),
    "pct_engaged_of_referred": ("Engaged (% of referred)", _PCT),
    "pct_lost_of_referred": ("Lost (% of referred)", _PCT),
    "pct_closed_of_referred": ("Closed (% of referred)", _PCT),
    "pct_open_of_referred": ("Still open (% of referred)", _PCT),
}

_WORDS_FOR_PARTS: dict[str, str] = {
    "pct": "", "nk": "or not known", "neet": "NEET", "la": "LA", "dfe": "DfE", "ncs": "NCS",
    "edu": "education", "app": "apprenticeship", "handovers": "hand-overs", "sust": "sustained",
    "km": "", "urn": "URN", "bm": "BM",
}


def _entry(column: str) -> tuple[str, str | None, str]:
    """(words, unit, kind) of ``column``: from :data:`COLUMNS`, else from its name's pattern."""
    if column in COLUMNS:
        words, (unit_, kind) = COLUMNS[column]
        return words, unit_, kind
    if m := re.fullmatch(r"bm([1-8])", column):
        return f"BM{m[1]}", "%", PERCENT
    if m := re.fullmatch(r"change_bm([1-8])", column):
        return f"Change in BM{m[1]}", "points", PERCENT
    if m := re.fullmatch(r"(.+)_value", column):
        words, unit_, kind = _entry(m[1])
        return f"{words} (number)" if kind == TEXT else words, unit_, kind
    if m := re.fullmatch(r"pct_(.+)_of_(.+)", column):
        return f"{_capital(_words(m[1]))} (% of {_words(m[2])})", "%", PERCENT
    if m := re.fullmatch(r"pct_(.+)", column):
        return _capital(label(m[1]) if m[1] in LABELS else _words(m[1])), "%", PERCENT
    if m := re.fullmatch(r"(?:(la|england|dfe|national)_)?(.+)_pct", column):
        words = _capital(label(m[2]) if m[2] in LABELS else _words(m[2]))
        prefix = {"la": "LA: ", "england": "England: ", "dfe": "DfE: ",
                  "national": "England: "}.get(m[1] or "", "")
        return prefix + words, "%", PERCENT
    if m := re.fullmatch(r"(.+)_km", column):
        return _capital(_words(m[1])), "km", DISTANCE
    if m := re.fullmatch(r"(.+)_days", column):
        return _capital(_words(m[1])), "days", DURATION
    if m := re.fullmatch(r"change_(.+)", column):
        words, unit_, kind = _entry(m[1])
        return f"Change in {words[:1].lower() + words[1:]}", unit_, kind
    return _capital(_words(column)), None, TEXT


def _words(name: str) -> str:
    parts = [_WORDS_FOR_PARTS.get(p, p) for p in str(name).split("_")]
    return " ".join(p for p in parts if p)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def unit(column: str) -> str | None:
    """The unit of a column's numbers: ``"%"``, ``"km"``, ``"days"``, ``"people"``,
    ``"schools"``, ``"pupils"``, ``"places"``, ``"encounters"``, ``"of 8"``, ``"points"``
    (percentage points) …, or ``None`` for text, codes and identifiers."""
    _, unit_, kind = _entry(str(column))
    return None if kind == TEXT else unit_


def kind(column: str) -> str:
    """What a column holds: :data:`PERCENT`, :data:`RATE`, :data:`DISTANCE`,
    :data:`DURATION`, :data:`COUNT`, :data:`IDENTIFIER` or :data:`TEXT`."""
    return _entry(str(column))[2]


def decimals(column: str) -> int | None:
    """Decimals a column's numbers are shown with: 1 for percentages, rates, km and days, 0
    for counts, ``None`` for identifiers and text (shown as they are)."""
    return DECIMALS[kind(column)]


def title(column: str) -> str:
    """A human column title with its unit: ``distance_km`` → "Distance (km)",
    ``neet_nk_pct`` → "NEET or not known (%)", ``leavers`` → "Leavers" (a count's noun
    says what it counts). An unknown column gets words made from its name."""
    words, unit_, kind_ = _entry(str(column))
    if unit_ and kind_ in (PERCENT, RATE, DISTANCE, DURATION) and f"({unit_}" not in words:
        return f"{words} ({unit_})"
    return words


# --- whole frames -----------------------------------------------------------------------------

#: Disclosure markers shown as they are (:data:`hubcore.disclosure.SUPPRESSED` and "low").
MARKERS: frozenset[str] = frozenset({"c", "low"})


def round_value(value: object, places: int | None) -> object:
    """``value`` rounded to ``places`` decimals for display (0 → an ``int``); text such as
    ``"c"`` or ``"low"``, missing values and ``places=None`` leave it unchanged. Never
    ``-0.0``."""
    if places is None or isinstance(value, (str, bool)) or value is None:
        return value
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value
    if pd.isna(number):
        return value
    rounded = round(number, places) + 0.0  # + 0.0 turns -0.0 into 0.0
    return int(rounded) if places == 0 else rounded


def _cells(series: pd.Series, function) -> pd.Series:
    """``function`` of each cell, as an object column (no dtype guessing: 12 stays an int)."""
    return pd.Series([function(v) for v in series.tolist()], index=series.index, dtype=object,
                     name=series.name)


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _display_column(series: pd.Series, column: str, names: Mapping[str, str]) -> pd.Series:
    kind_ = kind(column)
    if pd.api.types.is_bool_dtype(series.dtype):
        return _cells(series, lambda v: None if _missing(v) else ("Yes" if v else "No"))
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(
            series.dtype):
        return _cells(series, lambda v: None if _missing(v) else v.strftime("%Y-%m-%d"))
    if column in COLUMN_CODES or column in CODE_COLUMNS:
        def word(v: object) -> object:
            if _missing(v):
                return None
            if isinstance(v, str) and v in names:
                return names[v]
            return label(v, column)
        return _cells(series, word)
    places = DECIMALS[kind_]
    if kind_ == TEXT and pd.api.types.is_float_dtype(series.dtype):
        places = 1  # an unnamed measure: one decimal, as for rates
    if places is None:
        return series
    if pd.api.types.is_integer_dtype(series.dtype):
        return series  # whole numbers already
    if pd.api.types.is_float_dtype(series.dtype):
        # Python's round (the disclosure engine's), cell by cell: numpy's scales and rounds
        # half to even, so 0.05 km would show as 0.0 where the engine and a person say 0.1.
        rounded = [round_value(v, places) for v in series.tolist()]
        return pd.Series(rounded, index=series.index, name=series.name,
                         dtype="Int64" if places == 0 else "float64")
    if pd.api.types.is_object_dtype(series.dtype):
        # Numbers beside "c"/"low" after disclosure: round the numbers, keep the markers;
        # true/false cells (an object column of flags) read yes/no.
        def one(v: object) -> object:
            if isinstance(v, bool):
                return "Yes" if v else "No"
            return round_value(v, places)
        return _cells(series, one)
    return series


def display_values(frame: pd.DataFrame,
                   names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`for_display` without the renaming: the same words and rounded numbers under the
    original column names (a ``<column>_label`` beside its ``<column>`` is dropped). For
    tables that put titles on the columns themselves (``dashboards.common.tables``)."""
    names = dict(names or {})
    # A "<code column>_label" column repeats its code column in words: the code column now
    # is words, so the copy goes.
    frame = frame.drop(columns=[c for c in frame.columns if str(c).endswith("_label")
                                and str(c)[: -len("_label")] in frame.columns])
    out = pd.DataFrame(index=frame.index)
    for i, column in enumerate(frame.columns):
        out[i] = _display_column(frame.iloc[:, i], str(column), names)
    out.columns = frame.columns
    out.attrs = dict(frame.attrs)
    return out


def unique_titles(columns) -> list[str]:
    """:func:`title` of each column, a repeated title numbered ("Employer", "Employer [2]")."""
    titles: list[str] = []
    seen: dict[str, int] = {}
    for column in columns:
        text = title(str(column))
        seen[text] = seen.get(text, 0) + 1
        titles.append(text if seen[text] == 1 else f"{text} [{seen[text]}]")
    return titles


def for_display(frame: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` as a person reads it: codes in code columns as words (:func:`label`; area
    codes through ``names``, e.g. ``{"X06000001": "Eastmere"}``), yes/no for true/false,
    dates as ``YYYY-MM-DD``, numbers rounded (one decimal for percentages, rates, km and
    days; whole numbers for counts; ``"c"`` and ``"low"`` kept), columns renamed by
    :func:`title` (made unique); a ``<column>_label`` beside its ``<column>`` is dropped.
    ``frame`` itself is left unchanged; ``frame.attrs`` are kept, with ``"for_display"``
    set (:func:`is_for_display`)."""
    out = display_values(frame, names)
    out.columns = unique_titles(out.columns)
    # Marks a frame as already for people, so a second pass (a download of a page's table
    # already in words) leaves it alone: see :func:`is_for_display`.
    out.attrs[DISPLAYED] = True
    return out


#: ``frame.attrs`` key set by :func:`for_display`.
DISPLAYED = "for_display"


def is_for_display(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` came from :func:`for_display` (its titles and values are already
    for people; converting it again would take its titles for column names)."""
    return bool(frame.attrs.get(DISPLAYED))
