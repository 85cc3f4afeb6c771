"""Column specifications of the hub-kept files (and the Compass results layout).

One :class:`FileSpec` per kind drives three things: the header check, the per-column parsing in
:func:`parse_columns`, and the blank templates written by ``hubcore template`` (so the template
and the importer can never disagree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hubcore import codes
from hubcore.ingest.validate import Checker, number_text


@dataclass(frozen=True)
class Col:
    """One column of a hub-kept file.

    ``kind`` is ``str``, ``int``, ``float``, ``date``, ``bool`` or ``code``; ``low``/``high``
    bound numbers; ``allowed`` lists codes; ``default`` fills blanks; ``future`` allows dates
    after today.
    """

    name: str
    kind: str
    description: str
    required: bool = False
    low: float | None = None
    high: float | None = None
    allowed: tuple = ()
    default: object = None
    max_length: int | None = None
    future: bool = False
    pattern: str | None = None
    example: str = ""

    def allowed_text(self) -> str:
        """Human description of what the column accepts (for templates)."""
        if self.kind == "code":
            return ", ".join(str(a) for a in self.allowed)
        if self.kind == "bool":
            return "yes / no (blank = no)" if not self.default else "yes / no (blank = yes)"
        if self.kind == "date":
            return "date YYYY-MM-DD or DD/MM/YYYY" + ("" if self.future else ", not in the future")
        if self.kind in ("int", "float"):
            bounds = []
            if self.low is not None:
                bounds.append(f">= {number_text(self.low)}")
            if self.high is not None:
                bounds.append(f"<= {number_text(self.high)}")
            word = "whole number" if self.kind == "int" else "number"
            return word + (" " + " and ".join(bounds) if bounds else "")
        if self.pattern:
            return f"text like {self.example}"
        if self.max_length:
            return f"text, up to {self.max_length} characters"
        return "text"


@dataclass(frozen=True)
class FileSpec:
    """A hub-kept file: its columns, natural key and purpose."""

    kind: str
    title: str
    description: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    personal: bool = False

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def optional(self) -> list[str]:
        return [c.name for c in self.columns if not c.required]


def parse_columns(checker: Checker, spec: FileSpec) -> pd.DataFrame:
    """Parse every column of ``spec`` into a typed frame (rejects recorded on ``checker``)."""
    out: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.kind == "str":
            if col.pattern:
                value = checker.parse_pattern(
                    col.name, col.pattern, "bad_format",
                    f"{col.name} is not in the expected form (e.g. {col.example})",
                    required=col.required,
                )
            else:
                value = checker.parse_str(col.name, col.required, col.max_length)
            if col.default is not None:
                value = value.where(value.notna(), col.default)
        elif col.kind == "int":
            value = checker.parse_int(col.name, col.required, col.low, col.high)
            if col.default is not None:
                value = value.fillna(col.default)
        elif col.kind == "float":
            value = checker.parse_float(col.name, col.required, col.low, col.high)
            if col.default is not None:
                value = value.fillna(col.default)
        elif col.kind == "date":
            value = checker.parse_date(col.name, col.required, allow_future=col.future)
        elif col.kind == "bool":
            value = checker.parse_bool(col.name, bool(col.default))
        elif col.kind == "code":
            value = checker.parse_code(col.name, col.allowed, col.required, col.default)
        else:  # pragma: no cover - a programming error in a spec
            raise ValueError(f"unknown column kind {col.kind}")
        out[col.name] = value
    return pd.DataFrame(out, index=checker.frame.index)


YEAR_GROUP = {"low": 7, "high": 14}
ACADEMIC_YEAR = r"20\d\d/\d\d"
URN = {"low": 100000, "high": 999999}
#: Columns that would identify a young person; pupil-level files must not carry them.
IDENTIFYING_COLUMNS = frozenset(
    {
        "name", "first_name", "firstname", "forename", "forenames", "given_name", "surname",
        "last_name", "lastname", "family_name", "full_name", "legal_name", "preferred_name",
        "upn", "uln", "pupil_number", "dob", "date_of_birth", "birth_date", "birthdate",
        "address", "home_address", "street", "home_postcode", "postcode", "email",
        "email_address", "phone", "telephone", "mobile", "nhs_number", "ni_number",
    }
)

EMPLOYERS = FileSpec(
    kind="employers",
    title="Employers",
    description="Employers that work with hub schools. One row per employer; `ref` is your own "
    "stable reference (re-importing updates the employer with that ref).",
    key=("ref",),
    columns=(
        Col("ref", "str", "Your reference for the employer", True, max_length=40,
            example="EMP-0001"),
        Col("name", "str", "Employer name", True, max_length=200, example="Acme Engineering Ltd"),
        Col("companies_house_no", "str", "Companies House number (8 characters)",
            pattern=r"[A-Z0-9]{8}", example="01234567"),
        Col("sector", "str", "Sector (SIC section name)", max_length=60, example="Manufacturing"),
        Col("size_band", "code", "Size band", allowed=codes.SIZE_BANDS, default="small",
            example="medium"),
        Col("postcode", "str", "Workplace postcode", pattern=r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
            example="LS1 4AP"),
        Col("easting", "float", "British National Grid easting, metres", low=0, high=700000,
            example="430000"),
        Col("northing", "float", "British National Grid northing, metres", low=0, high=1300000,
            example="433000"),
        Col("cornerstone", "bool", "Cornerstone employer", example="no"),
        Col("employer_standards_assessed", "bool", "Assessed against the employer standards",
            example="no"),
    ),
)

LINKS = FileSpec(
    kind="links",
    title="Employer links",
    description="Standing links between an employer and a school (enterprise adviser, "
    "cornerstone, governor, work-experience partner). Key: employer_ref + urn + role.",
    key=("employer_ref", "urn", "role"),
    columns=(
        Col("employer_ref", "str", "The employer's `ref` from the employers file", True,
            max_length=40, example="EMP-0001"),
        Col("urn", "int", "School URN (6 digits, as in GIAS)", True, **URN, example="108055"),
        Col("role", "code", "Role of the link", True, allowed=codes.LINK_ROLES,
            example="enterprise_adviser"),
        Col("start_date", "date", "Link started", example="2024-09-01"),
        Col("end_date", "date", "Link ended (blank while current)", future=True,
            example=""),
    ),
)

OFFERS = FileSpec(
    kind="offers",
    title="Employer offers",
    description="Capacity an employer offers in an academic year and how much schools took up. "
    "Key: employer_ref + academic_year + kind.",
    key=("employer_ref", "academic_year", "kind"),
    columns=(
        Col("employer_ref", "str", "The employer's `ref`", True, max_length=40,
            example="EMP-0001"),
        Col("academic_year", "str", "Academic year, e.g. 2025/26", True,
            pattern=ACADEMIC_YEAR, example="2025/26"),
        Col("kind", "code", "What is offered", True, allowed=codes.OFFER_KINDS,
            example="workplace_visit"),
        Col("benchmark", "int", "Gatsby Benchmark the offer serves (1-8)", True, low=1, high=8,
            example="6"),
        Col("capacity", "int", "Pupils or places offered", True, low=0, example="30"),
        Col("taken_up", "int", "Pupils or places used (at most capacity)", low=0, default=0,
            example="12"),
        Col("year_from", "int", "Youngest year group (7-14)", default=7, **YEAR_GROUP,
            example="10"),
        Col("year_to", "int", "Oldest year group (7-14)", default=13, **YEAR_GROUP,
            example="11"),
    ),
)

ENCOUNTERS = FileSpec(
    kind="encounters",
    title="Encounters",
    description="Delivered encounters and experiences. The natural key is urn + date + kind + "
    "benchmark + year_from + year_to + employer_ref + provider_urn + provider_name: a row "
    "with the same key updates participants, mode, provider_access and duration_days.",
    key=("urn", "date", "kind", "benchmark", "year_from", "year_to", "employer_ref",
         "provider_urn", "provider_name"),
    columns=(
        Col("urn", "int", "School URN", True, **URN, example="108055"),
        Col("date", "date", "Date delivered", True, example="2025-03-14"),
        Col("kind", "code", "Kind of encounter", True, allowed=codes.ENCOUNTER_KINDS,
            example="talk"),
        Col("benchmark", "int", "Gatsby Benchmark it serves (1-8)", True, low=1, high=8,
            example="5"),
        Col("year_from", "int", "Youngest year group taking part (7-14)", True, **YEAR_GROUP,
            example="10"),
        Col("year_to", "int", "Oldest year group taking part (7-14)", True, **YEAR_GROUP,
            example="11"),
        Col("participants", "int", "Pupils reached", True, low=0, example="120"),
        Col("employer_ref", "str", "Employer `ref` (blank for providers)", max_length=40,
            example="EMP-0001"),
        Col("provider_urn", "int", "FE/HE/training provider URN or UKPRN", low=100000,
            high=99999999, example=""),
        Col("provider_name", "str", "Provider name", max_length=200, example=""),
        Col("mode", "code", "in_person, virtual or mixed", allowed=codes.ENCOUNTER_MODES,
            default="in_person", example="in_person"),
        Col("provider_access", "bool", "Counts towards the Provider Access Legislation",
            example="no"),
        Col("duration_days", "float", "Days, for placements", low=0, high=365, example=""),
        Col("academic_year", "str", "Academic year (blank: derived from date)",
            pattern=ACADEMIC_YEAR, example="2024/25"),
    ),
)

LEAVERS = FileSpec(
    kind="leavers",
    title="Leavers (pseudonymous)",
    description="Young people leaving a school, identified ONLY by a pseudonymous key (a salted "
    "hash made by the school's MIS). Names, UPNs, dates of birth and addresses must never "
    "be in this file.",
    key=("key",),
    personal=True,
    columns=(
        Col("key", "str", "Pseudonymous key, 16-64 characters (salted hash; not a UPN)", True,
            max_length=64, example="3f9a1c5e7b2d4f6a8c0e"),
        Col("urn", "int", "School or college left", True, **URN, example="108055"),
        Col("cohort", "int", "Calendar year of leaving", True, low=2000, high=2100,
            example="2025"),
        Col("year_group", "int", "11 for Year 11 leavers, 13 for Year 13", True, low=11, high=14,
            example="11"),
        Col("left_on", "date", "Date of leaving", True, example="2025-07-18"),
        Col("home_lsoa", "str", "Home LSOA code (not the address)",
            pattern=r"[EW]01\d{6}", example="E01011685"),
        Col("fsm", "bool", "Free school meals", example="no"),
        Col("sen", "code", "N none, K SEN support, E EHC plan", allowed=("n", "k", "e"),
            default="n", example="N"),
        Col("eal", "bool", "English as an additional language", example="no"),
        Col("looked_after", "bool", "Looked after", example="no"),
        Col("care_leaver", "bool", "Care leaver", example="no"),
        Col("yot", "bool", "Known to youth offending team", example="no"),
        Col("young_carer", "bool", "Young carer", example="no"),
        Col("parent_or_pregnant", "bool", "Teenage parent or pregnant", example="no"),
        Col("alternative_provision", "bool", "Attended alternative provision", example="no"),
        Col("ever_excluded", "bool", "Ever permanently excluded", example="no"),
        Col("attendance_pct", "float", "Attendance, percent", low=0, high=100, example="92.5"),
        Col("roni_score", "int", "Risk-of-NEET score as recorded", low=0, example="3"),
        Col("s14_info_optout", "bool", "ESA 2008 s14 opt-out of sharing other information",
            example="no"),
        Col("ys_restriction", "bool", "Youth-support sharing restricted to basics",
            example="no"),
    ),
)

DESTINATIONS = FileSpec(
    kind="destinations",
    title="Leaver destinations",
    description="Destinations recorded for leavers, as NCCIS current-activity codes. Key: "
    "leaver_key + recorded_on + kind. The category (education, NEET, …) is derived from the "
    "code.",
    key=("leaver_key", "recorded_on", "kind"),
    personal=True,
    columns=(
        Col("leaver_key", "str", "The leaver's pseudonymous key", True, max_length=64,
            example="3f9a1c5e7b2d4f6a8c0e"),
        Col("recorded_on", "date", "Date the destination was recorded", True,
            example="2025-11-01"),
        Col("nccis_code", "int", "NCCIS current-activity code", True, low=100, high=999,
            example="230"),
        Col("kind", "code", "intended or actual", allowed=codes.DESTINATION_KINDS,
            default="actual", example="actual"),
        Col("source", "code", "Who recorded it", allowed=codes.DESTINATION_SOURCES,
            default="school", example="la_ccis"),
        Col("provider", "str", "Provider or employer name", max_length=200,
            example="Leeds City College"),
        Col("provider_urn", "int", "Provider URN or UKPRN", low=100000, high=99999999,
            example=""),
    ),
    notes=("Valid NCCIS codes: " + ", ".join(str(c) for c in codes.NCCIS_CATEGORY),),
)

HANDOVERS = FileSpec(
    kind="handovers",
    title="NCS hand-overs",
    description="Hand-overs of leavers to the National Careers Service or LA tracking. Key: "
    "leaver_key + to_org_type + left_on.",
    key=("leaver_key", "to_org_type", "left_on"),
    personal=True,
    columns=(
        Col("leaver_key", "str", "The leaver's pseudonymous key", True, max_length=64,
            example="3f9a1c5e7b2d4f6a8c0e"),
        Col("reason", "code", "Why the young person is handed over", True,
            allowed=codes.HANDOVER_REASONS, example="neet"),
        Col("left_on", "date", "Date of leaving", True, example="2025-07-18"),
        Col("from_urn", "int", "School handing over (blank: the leaver's school)", **URN,
            example="108055"),
        Col("to_org_type", "code", "Receiving organisation", allowed=codes.HANDOVER_TARGETS,
            default="ncs", example="ncs"),
        Col("ncs_area", "str",
            "Upper-tier LA code of the receiving service (blank: the school's LA)",
            pattern=r"E(06|08|09|10)\d{6}", example="E08000035"),
        Col("referred_on", "date", "Date referred (not before left_on)", example="2025-08-20"),
        Col("contacted_on", "date",
            "Date first contacted (not before referred_on; needed for contacted and engaged)",
            example="2025-08-27"),
        Col("outcome_on", "date", "Date of the outcome (not before referred_on)", example=""),
        Col("outcome_nccis_code", "int", "NCCIS code of the outcome", low=100, high=999,
            example=""),
        Col("status", "code", "Where the hand-over stands", allowed=codes.HANDOVER_STATUSES,
            default="pending", example="contacted"),
        Col("lawful_basis", "code", "UK GDPR lawful basis", allowed=codes.LAWFUL_BASES,
            default="public_task", example="public_task"),
        Col("dsa_ref", "str", "Data-sharing agreement reference", max_length=40,
            example="DSA-2025-01"),
        Col("consent_recorded", "bool", "Consent recorded", example="no"),
    ),
)

COMPASS = FileSpec(
    kind="compass",
    title="Compass benchmark results",
    description="One row per Compass evaluation: the school, the date it was completed and the "
    "percent of each benchmark's assessment areas met (BM1-BM8, 0-100). Key: urn + "
    "assessed_on + evaluation_type.",
    key=("urn", "assessed_on", "evaluation_type"),
    columns=(
        Col("urn", "int", "School URN", True, **URN, example="108055"),
        Col("assessed_on", "date", "Date the evaluation was completed", True,
            example="2025-03-31"),
        *(
            Col(f"bm{n}", "float", f"Benchmark {n}: percent of assessment areas met", True,
                low=0, high=100, example=str(e))
            for n, e in zip(range(1, 9), (100, 88, 75, 100, 67, 50, 100, 80), strict=True)
        ),
        Col("evaluation_type", "code", "schools, specialist or fe_itp",
            allowed=codes.EVALUATION_TYPES, default="schools", example="schools"),
        Col("framework", "code", "Gatsby framework: 2014 or 2024 (blank: 2024 from "
            "1 Sep 2025, else 2014)", allowed=codes.FRAMEWORKS, example="2014"),
        Col("academic_year", "str", "Academic year (blank: from assessed_on)",
            pattern=ACADEMIC_YEAR, example="2024/25"),
        Col("snapshot", "code", "dec31, mar31, jul31 or other (blank: from assessed_on)",
            allowed=codes.SNAPSHOTS, example="mar31"),
    ),
    notes=("Percent columns accept a trailing % sign (e.g. 88%).",),
)

SPECS: dict[str, FileSpec] = {
    s.kind: s for s in (EMPLOYERS, LINKS, OFFERS, ENCOUNTERS, LEAVERS, DESTINATIONS, HANDOVERS,
                        COMPASS)
}

