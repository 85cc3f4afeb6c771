"""Code lists used across the model: GIAS establishment codes, NCCIS activity codes and the
closed vocabularies of hub-kept records.

Facts follow ``../shared/DOMAIN.md`` (§5.1 GIAS, §4.2 NCCIS, data-model section). Every list
here is also enforced by a CHECK constraint in :mod:`hubcore.models`, so a code that is not
listed cannot be stored.
"""

from __future__ import annotations

# --- GIAS -----------------------------------------------------------------------------------

#: ``PhaseOfEducation (code)``.
PHASES: dict[int, str] = {
    0: "Not applicable",
    1: "Nursery",
    2: "Primary",
    3: "Middle deemed primary",
    4: "Secondary",
    5: "Middle deemed secondary",
    6: "16 plus",
    7: "All-through",
}

#: ``TypeOfEstablishment (code)`` (DOMAIN.md §5.1).
ESTABLISHMENT_TYPES: dict[int, str] = {
    1: "Community school",
    2: "Voluntary aided school",
    3: "Voluntary controlled school",
    5: "Foundation school",
    6: "City technology college",
    7: "Community special school",
    8: "Non-maintained special school",
    10: "Other independent special school",
    11: "Other independent school",
    12: "Foundation special school",
    14: "Pupil referral unit",
    15: "LA nursery school",
    18: "Further education",
    24: "Secure units",
    25: "Offshore schools",
    26: "Service children's education",
    27: "Miscellaneous",
    28: "Academy sponsor led",
    29: "Higher education institutions",
    30: "Welsh establishment",
    31: "Sixth form centres",
    32: "Special post 16 institution",
    33: "Academy special sponsor led",
    34: "Academy converter",
    35: "Free schools",
    36: "Free schools special",
    37: "British schools overseas",
    38: "Free schools alternative provision",
    39: "Free schools 16 to 19",
    40: "University technical college",
    41: "Studio schools",
    42: "Academy alternative provision converter",
    43: "Academy alternative provision sponsor led",
    44: "Academy special converter",
    45: "Academy 16-19 converter",
    46: "Academy 16 to 19 sponsor led",
    47: "Children's centre",
    48: "Children's centre linked site",
    56: "Institution funded by other government department",
    57: "Academy secure 16 to 19",
}

#: Establishment types a Careers Hub works with (DOMAIN.md §5.1: secondary, special, AP, 16+).
HUB_TYPES: frozenset[int] = frozenset(
    {1, 2, 3, 5, 6, 7, 8, 12, 14, 18, 28, 31, 32, 33, 34, 35, 36} | set(range(38, 47)) | {57}
)
SPECIAL_TYPES: frozenset[int] = frozenset({7, 8, 10, 12, 32, 33, 36, 44})
AP_TYPES: frozenset[int] = frozenset({14, 38, 42, 43})
COLLEGE_TYPES: frozenset[int] = frozenset({18, 31, 39, 45, 46, 57})

#: The kinds of hub institution the suite reports by, in display order.
SCHOOL_KINDS: dict[str, str] = {
    "mainstream_11_16": "Mainstream 11–16",
    "mainstream_11_18": "Mainstream 11–18",
    "all_through": "All-through",
    "special": "Special school",
    "ap": "Alternative provision",
    "utc": "University technical college",
    "fe_college": "FE college",
    "sixth_form_college": "Sixth-form college",
}


def school_kind(type_code: int, phase_code: int, high_age: int | None = None) -> str:
    """Classify a GIAS establishment into one of :data:`SCHOOL_KINDS`.

    ``high_age`` is ``StatutoryHighAge`` in years; a mainstream school teaching to 18 or 19 has a
    sixth form.
    """
    if type_code in SPECIAL_TYPES:
        return "special"
    if type_code in AP_TYPES:
        return "ap"
    if type_code == 40:
        return "utc"
    if type_code == 18:
        return "fe_college"
    if type_code in COLLEGE_TYPES or phase_code == 6:
        return "sixth_form_college"
    if phase_code == 7:
        return "all_through"
    if high_age is not None and high_age >= 18:
        return "mainstream_11_18"
    return "mainstream_11_16"


#: Kinds whose pupils take Compass's specialist or FE/ITP evaluation rather than "schools".
EVALUATION_TYPE_BY_KIND: dict[str, str] = {
    "special": "specialist",
    "fe_college": "fe_itp",
    "sixth_form_college": "fe_itp",
}

# --- NCCIS current-activity codes (DOMAIN.md §4.2) -------------------------------------------

#: Activity categories, in the order reports show them.
DESTINATION_CATEGORIES: tuple[str, ...] = (
    "education",
    "apprenticeship",
    "employment",
    "training",
    "re_engagement",
    "neet_active",
    "neet_inactive",
    "custody",
    "not_known",
)

#: Categories that count as NEET, and as "not known", in the published rates.
NEET_CATEGORIES: frozenset[str] = frozenset({"neet_active", "neet_inactive"})
NOT_KNOWN_CATEGORIES: frozenset[str] = frozenset({"not_known"})


def _nccis_codes() -> dict[int, str]:
    codes: dict[int, str] = {}
    for code in range(210, 291, 10):
        codes[code] = "education"
    codes[310] = "apprenticeship"
    for code in (320, 330, 340, 350, 360, 380, 381, 550):
        codes[code] = "employment"
    for code in (410, 430, 440, 450, 460):
        codes[code] = "training"
    codes[530] = "re_engagement"
    # Working not for reward, not yet ready, start date agreed and seeking all count as NEET
    # (LG Inform metric help, DOMAIN.md §4.2).
    for code in (540, 610, 615, 616, 619):
        codes[code] = "neet_active"
    for code in range(620, 681, 10):
        codes[code] = "neet_inactive"
    codes[710] = "custody"
    for code in (810, 820, 830):
        codes[code] = "not_known"
    return dict(sorted(codes.items()))


#: NCCIS activity code → category.
NCCIS_CATEGORY: dict[int, str] = _nccis_codes()

NCCIS_LABELS: dict[int, str] = {
    210: "FT education – school sixth form",
    220: "FT education – sixth-form college",
    230: "FT education – further education",
    240: "FT education – higher education",
    250: "Part-time education",
    260: "Gap year student",
    270: "FT education – other",
    280: "Special post-16 institution",
    290: "FT education – custodial institution",
    310: "Apprenticeship",
    320: "FT employment with study",
    330: "Employment without training",
    340: "Employment with training (other)",
    350: "Temporary employment",
    360: "Part-time employment",
    380: "Self-employment",
    381: "Self-employment with study",
    410: "ESFA-funded work-based learning",
    430: "Other training",
    440: "DWP training and support programme",
    450: "Traineeship",
    460: "Supported internship",
    530: "Re-engagement provision",
    540: "Working not for reward",
    550: "Work not for reward with study",
    610: "Not yet ready for work or learning",
    615: "Start date agreed (other)",
    616: "Start date agreed (RPA compliant)",
    619: "Seeking employment, education or training",
    620: "Not available – carer",
    630: "Not available – teenage parent",
    640: "Not available – illness",
    650: "Not available – pregnancy",
    660: "Not available – religious grounds",
    670: "Not available – unlikely ever to be economically active",
    680: "Not available – other reason",
    710: "Custody (young adult offender)",
    810: "Current situation not known",
    820: "Cannot be contacted – no current address",
    830: "Refused to disclose activity",
}


# --- Hub-kept records ------------------------------------------------------------------------

HOST_BODY_TYPES = ("LA", "CA", "GLA", "other")
LINK_ROLES = ("enterprise_adviser", "cornerstone", "governor", "work_experience_partner")
SIZE_BANDS = ("micro", "small", "medium", "large")
OFFER_KINDS = ("talk", "workplace_visit", "work_experience", "mentoring", "enterprise", "other")
ENCOUNTER_KINDS = (
    "talk",
    "mentoring",
    "enterprise",
    "workplace_visit",
    "work_shadowing",
    "work_experience",
    "provider_encounter",
    "he_visit",
    "guidance_meeting",
    "lmi_session",
    "curriculum_link",
)
ENCOUNTER_MODES = ("in_person", "virtual", "mixed")
EVALUATION_TYPES = ("schools", "specialist", "fe_itp")
FRAMEWORKS = ("2014", "2024")
SNAPSHOTS = ("dec31", "mar31", "jul31", "other")
SEN_STATUSES = ("N", "K", "E")  # none, SEN support, EHC plan
DESTINATION_KINDS = ("intended", "actual")
DESTINATION_SOURCES = ("school", "college", "la_ccis", "learner", "ncs")
HANDOVER_TARGETS = ("ncs", "la_tracking", "jobcentre_plus", "provider", "youth_service")
HANDOVER_REASONS = ("neet", "not_known", "at_risk", "left_y13", "dropped_out")
HANDOVER_STATUSES = ("pending", "referred", "contacted", "engaged", "lost", "closed")
LAWFUL_BASES = ("public_task", "legal_obligation", "consent")
AREA_KINDS = ("lsoa", "msoa", "ward", "lad", "utla", "region")

#: Year groups each kind of institution teaches (7–14; 14 is a third post-16 year). All-through
#: schools also teach primary years, which careers metrics leave out.
YEAR_GROUPS_BY_KIND: dict[str, tuple[int, ...]] = {
    "mainstream_11_16": (7, 8, 9, 10, 11),
    "mainstream_11_18": (7, 8, 9, 10, 11, 12, 13),
    "all_through": (7, 8, 9, 10, 11, 12, 13),
    "special": (7, 8, 9, 10, 11, 12, 13, 14),
    "ap": (7, 8, 9, 10, 11),
    "utc": (10, 11, 12, 13),
    "fe_college": (12, 13, 14),
    "sixth_form_college": (12, 13),
}

#: Share of an institution's pupils who are in the secondary/post-16 years above (all-through
#: schools: 7 of 14 year groups).
SECONDARY_SHARE_BY_KIND: dict[str, float] = {"all_through": 0.5}


def year_group_size(kind: str, pupils: float) -> float:
    """Estimated pupils per year group: pupils in the years the kind teaches ÷ number of those
    years (an even split: GIAS gives only the total)."""
    years = YEAR_GROUPS_BY_KIND[kind]
    return pupils * SECONDARY_SHARE_BY_KIND.get(kind, 1.0) / len(years)
