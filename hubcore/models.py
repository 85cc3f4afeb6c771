"""SQLModel tables of the suite.

The schema itself refuses bad rows: CHECK constraints carry the ranges and code lists of
:mod:`hubcore.codes`, foreign keys tie every record to a school, and unique constraints give each
record its natural key (so imports can upsert). ``table=True`` models skip pydantic validation,
so importers validate rows separately and insert with SQLAlchemy Core (see ``hubcore.ingest``).

Pupil-level tables (:class:`Leaver`, :class:`DestinationRecord`, :class:`Handover`) hold
pseudonymous keys only: there is no column for a name, date of birth, UPN or address.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    MetaData,
    UniqueConstraint,
    func,
    literal,
)
from sqlmodel import Field, SQLModel

from hubcore import codes

# Named constraints let Alembic alter SQLite tables in batch mode and make errors readable.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def _in(column: str, values) -> str:
    """SQL ``column IN (...)`` for a CHECK constraint."""
    rendered = ", ".join(repr(v) if isinstance(v, str) else str(int(v)) for v in values)
    return f"{column} IN ({rendered})"


def _one_of(column: str, values) -> str:
    """SQL ``column = v1 OR column = v2 …`` for a CHECK constraint: the same rule as
    :func:`_in`, but SQLite 3.40 tests it about six times faster per row (3.5 µs → 0.6 µs for
    eleven values), which matters on tables imported a million rows at a time."""
    return " OR ".join(f"{column} = {v!r}" for v in values)


def _gss(column: str, *prefixes: str, nullable: bool = True) -> str:
    """CHECK that ``column`` is a 9-character GSS-style code with one of ``prefixes``.

    Synthetic demo areas use the prefix ``X`` (never issued by ONS) so they can't be mistaken for
    real ones.
    """
    likes = " OR ".join(f"{column} LIKE '{p}%'" for p in prefixes)
    rule = f"(length({column}) = 9 AND ({likes}))"
    return f"({column} IS NULL OR {rule})" if nullable else rule


class Hub(SQLModel, table=True):
    """A Careers Hub: 20–40 schools and colleges in one area."""

    __tablename__ = "hub"
    __table_args__ = (CheckConstraint(_in("host_body_type", codes.HOST_BODY_TYPES), "host"),)

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    host_body_type: str = Field(default="LA", max_length=10)
    host_gss: str | None = Field(default=None, max_length=9)
    #: Whether the hub's data-sharing agreement lets its lead see pupil-level hand-overs.
    pupil_data_sharing: bool = Field(default=False)
    #: True for generated demonstration data; every view and export says so.
    synthetic: bool = Field(default=False)


class Area(SQLModel, table=True):
    """A boundary: a small area (LSOA), a local authority district or upper-tier LA.

    Geometry is WKB in British National Grid (EPSG:27700); ``hubcore.geo`` turns it into
    GeoDataFrames and simplifies them for display (the pages cache those copies per process).
    """

    __tablename__ = "area"
    __table_args__ = (
        CheckConstraint(_in("kind", codes.AREA_KINDS), "kind"),
        CheckConstraint("length(code) = 9", "code_length"),
        CheckConstraint("imd_decile IS NULL OR imd_decile BETWEEN 1 AND 10", "imd_decile"),
        CheckConstraint("imd_rank IS NULL OR imd_rank >= 1", "imd_rank"),
        CheckConstraint("idaci_decile IS NULL OR idaci_decile BETWEEN 1 AND 10", "idaci_decile"),
        Index("ix_area_kind_parent", "kind", "parent_code"),
    )

    code: str = Field(primary_key=True, max_length=9)
    kind: str = Field(max_length=10)
    name: str = Field(max_length=200)
    #: The LA (district or upper tier) an LSOA lies in; the region of an LA.
    parent_code: str | None = Field(default=None, max_length=9)
    vintage: int | None = Field(default=None, description="boundary year, e.g. 2011 or 2021")
    imd_rank: int | None = None
    imd_decile: int | None = Field(default=None, description="1 = most deprived 10%")
    idaci_decile: int | None = None
    imd_vintage: int | None = Field(default=None, description="2019 or 2025")
    population: int | None = None
    geometry: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class School(SQLModel, table=True):
    """A school or college, identified as in Get Information about Schools (GIAS)."""

    __tablename__ = "school"
    __table_args__ = (
        CheckConstraint("urn BETWEEN 100000 AND 999999", "urn_range"),
        CheckConstraint("la_code BETWEEN 201 AND 999", "la_code"),
        CheckConstraint(_in("type_code", codes.ESTABLISHMENT_TYPES), "type_code"),
        CheckConstraint(_in("phase_code", codes.PHASES), "phase_code"),
        CheckConstraint(_in("kind", codes.SCHOOL_KINDS), "kind"),
        CheckConstraint("pupils IS NULL OR pupils >= 0", "pupils"),
        CheckConstraint(
            "percentage_fsm IS NULL OR (percentage_fsm >= 0 AND percentage_fsm <= 100)", "fsm"
        ),
        CheckConstraint("easting IS NULL OR (easting >= 0 AND easting <= 700000)", "easting"),
        CheckConstraint("northing IS NULL OR (northing >= 0 AND northing <= 1300000)", "northing"),
        CheckConstraint(_gss("lsoa_code", "E01", "W01", "X01"), "lsoa_code"),
        CheckConstraint(_gss("lad_gss", "E06", "E07", "E08", "E09", "X06", "X07"), "lad_gss"),
        CheckConstraint(_gss("la_gss", "E06", "E08", "E09", "E10", "X06", "X10"), "la_gss"),
        CheckConstraint(
            "statutory_low_age IS NULL OR statutory_low_age BETWEEN 0 AND 25", "low_age"
        ),
        CheckConstraint(
            "statutory_high_age IS NULL OR statutory_high_age BETWEEN 0 AND 99", "high_age"
        ),
    )

    urn: int = Field(primary_key=True, description="Unique Reference Number, 6 digits")
    name: str = Field(max_length=200)
    la_code: int = Field(description="DfE 3-digit LA code")
    establishment_number: int | None = None
    ukprn: int | None = None
    type_code: int = Field(description="GIAS TypeOfEstablishment (code)")
    phase_code: int = Field(description="GIAS PhaseOfEducation (code)")
    kind: str = Field(max_length=30, index=True, description="one of codes.SCHOOL_KINDS")
    status: str = Field(default="Open", max_length=40)
    statutory_low_age: int | None = None
    statutory_high_age: int | None = None
    pupils: int | None = None
    percentage_fsm: float | None = Field(default=None, description="percent")
    postcode: str | None = Field(default=None, max_length=10)
    easting: float | None = Field(default=None, description="British National Grid, metres")
    northing: float | None = Field(default=None, description="British National Grid, metres")
    lat: float | None = None
    lon: float | None = None
    lad_gss: str | None = Field(default=None, max_length=9, index=True)
    la_gss: str | None = Field(default=None, max_length=9, index=True)
    lsoa_code: str | None = Field(default=None, max_length=9, index=True)
    lsoa_vintage: int | None = None
    is_special: bool = Field(default=False, description="special school or special post-16")
    is_ap: bool = Field(default=False, description="alternative provision or PRU")
    has_careers_leader: bool = Field(default=False)
    has_employer_link_governor: bool = Field(default=False)
    predecessor_urn: int | None = None
    trust_code: str | None = Field(default=None, max_length=20)


class HubMembership(SQLModel, table=True):
    """A school's membership of a hub over a period (``end_date`` empty while current)."""

    __tablename__ = "hub_membership"
    __table_args__ = (
        UniqueConstraint("hub_id", "urn", "start_date", name="uq_hub_membership_key"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", "dates"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hub_id: str = Field(foreign_key="hub.id", index=True, max_length=40)
    urn: int = Field(foreign_key="school.urn", index=True)
    start_date: dt.date
    end_date: dt.date | None = None


class BenchmarkAssessment(SQLModel, table=True):
    """One Compass-style evaluation of a school on a date (scores in :class:`BenchmarkScore`)."""

    __tablename__ = "benchmark_assessment"
    __table_args__ = (
        UniqueConstraint("urn", "assessed_on", "evaluation_type", name="uq_assessment_key"),
        CheckConstraint(_in("evaluation_type", codes.EVALUATION_TYPES), "evaluation_type"),
        CheckConstraint(_in("framework", codes.FRAMEWORKS), "framework"),
        CheckConstraint(_in("snapshot", codes.SNAPSHOTS), "snapshot"),
        CheckConstraint("length(academic_year) = 7", "academic_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    urn: int = Field(foreign_key="school.urn", index=True)
    assessed_on: dt.date = Field(index=True)
    academic_year: str = Field(max_length=7, description="e.g. 2024/25")
    snapshot: str = Field(default="other", max_length=6)
    evaluation_type: str = Field(default="schools", max_length=12)
    framework: str = Field(max_length=4, description='"2014" or "2024" Gatsby framework')


class BenchmarkScore(SQLModel, table=True):
    """Percent (0–100) of one benchmark's assessment areas met in one assessment."""

    __tablename__ = "benchmark_score"
    __table_args__ = (
        CheckConstraint("benchmark BETWEEN 1 AND 8", "benchmark"),
        CheckConstraint("percent >= 0 AND percent <= 100", "percent"),
    )

    assessment_id: int = Field(foreign_key="benchmark_assessment.id", primary_key=True)
    benchmark: int = Field(primary_key=True)
    percent: float


class Employer(SQLModel, table=True):
    """An employer that links with hub schools."""

    __tablename__ = "employer"
    __table_args__ = (
        CheckConstraint(_in("size_band", codes.SIZE_BANDS), "size_band"),
        CheckConstraint(
            "companies_house_no IS NULL OR length(companies_house_no) = 8", "companies_house"
        ),
        CheckConstraint("easting IS NULL OR (easting >= 0 AND easting <= 700000)", "easting"),
        CheckConstraint("northing IS NULL OR (northing >= 0 AND northing <= 1300000)", "northing"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=40, unique=True, description="the hub's own employer reference")
    name: str = Field(max_length=200)
    companies_house_no: str | None = Field(default=None, max_length=8)
    sector: str | None = Field(default=None, max_length=60, description="SIC section name")
    size_band: str = Field(default="small", max_length=10)
    postcode: str | None = Field(default=None, max_length=10)
    easting: float | None = Field(default=None, description="British National Grid, metres")
    northing: float | None = Field(default=None, description="British National Grid, metres")
    lat: float | None = None
    lon: float | None = None
    cornerstone: bool = Field(default=False)
    employer_standards_assessed: bool = Field(default=False)


class EmployerLink(SQLModel, table=True):
    """A standing link between an employer and a school."""

    __tablename__ = "employer_link"
    __table_args__ = (
        UniqueConstraint("employer_id", "urn", "role", name="uq_employer_link_key"),
        CheckConstraint(_in("role", codes.LINK_ROLES), "role"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", "dates"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employer_id: int = Field(foreign_key="employer.id", index=True)
    urn: int = Field(foreign_key="school.urn", index=True)
    role: str = Field(max_length=30)
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class EmployerOffer(SQLModel, table=True):
    """Capacity an employer offers in an academic year, and how much of it schools took up."""

    __tablename__ = "employer_offer"
    __table_args__ = (
        UniqueConstraint("employer_id", "academic_year", "kind", name="uq_employer_offer_key"),
        CheckConstraint(_in("kind", codes.OFFER_KINDS), "kind"),
        CheckConstraint("benchmark BETWEEN 1 AND 8", "benchmark"),
        CheckConstraint("capacity >= 0", "capacity"),
        CheckConstraint("taken_up >= 0 AND taken_up <= capacity", "taken_up"),
        CheckConstraint("year_from BETWEEN 7 AND 14 AND year_to BETWEEN year_from AND 14", "years"),
        CheckConstraint("length(academic_year) = 7", "academic_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employer_id: int = Field(foreign_key="employer.id", index=True)
    academic_year: str = Field(max_length=7)
    kind: str = Field(max_length=20)
    benchmark: int = Field(description="benchmark the offer serves (5 or 6 usually)")
    capacity: int = Field(description="pupils or places offered")
    taken_up: int = Field(default=0, description="pupils or places used")
    year_from: int = Field(default=7, description="youngest year group offered")
    year_to: int = Field(default=13, description="oldest year group offered")


class Encounter(SQLModel, table=True):
    """A delivered encounter or experience: who, when, which year groups, how many pupils."""

    __tablename__ = "encounter"
    __table_args__ = (
        CheckConstraint(_one_of("kind", codes.ENCOUNTER_KINDS), "kind"),
        CheckConstraint(_one_of("mode", codes.ENCOUNTER_MODES), "mode"),
        CheckConstraint("benchmark BETWEEN 1 AND 8", "benchmark"),
        CheckConstraint("participants >= 0", "participants"),
        CheckConstraint("year_from BETWEEN 7 AND 14 AND year_to BETWEEN year_from AND 14", "years"),
        CheckConstraint("duration_days IS NULL OR duration_days >= 0", "duration"),
        # No separate (urn, date) index: the natural key's unique index below starts with
        # those columns and serves the same lookups (one index fewer to build per import).
    )

    id: int | None = Field(default=None, primary_key=True)
    urn: int = Field(foreign_key="school.urn")
    employer_id: int | None = Field(default=None, foreign_key="employer.id", index=True)
    provider_urn: int | None = Field(default=None, description="FE/HE/training provider URN")
    provider_name: str | None = Field(default=None, max_length=200)
    kind: str = Field(max_length=20)
    benchmark: int = Field(description="benchmark the encounter serves, 1–8")
    date: dt.date
    academic_year: str = Field(max_length=7, index=True)
    year_from: int = Field(description="youngest year group taking part (7–14)")
    year_to: int = Field(description="oldest year group taking part (7–14)")
    participants: int = Field(description="pupils reached")
    mode: str = Field(default="in_person", max_length=10)
    provider_access: bool = Field(
        default=False, description="counts towards the Provider Access Legislation's encounters"
    )
    duration_days: float | None = Field(default=None, description="days, for placements")


#: An encounter's natural key (what the importer matches on). Three of its columns may be empty,
#: and SQL counts NULLs as distinct in a UNIQUE constraint, so the unique index below compares
#: them through COALESCE: an encounter with no employer is still unique on the rest.
ENCOUNTER_KEY = ["urn", "date", "kind", "benchmark", "year_from", "year_to", "employer_id",
                 "provider_urn", "provider_name"]
_NULLABLE_KEY_STANDIN = {"employer_id": 0, "provider_urn": 0, "provider_name": ""}

Index(
    "uq_encounter_key",
    *[
        func.coalesce(Encounter.__table__.c[name], literal(_NULLABLE_KEY_STANDIN[name]))
        if name in _NULLABLE_KEY_STANDIN else Encounter.__table__.c[name]
        for name in ENCOUNTER_KEY
    ],
    unique=True,
)


class Leaver(SQLModel, table=True):
    """A pseudonymous young person leaving a school. No names: ``key`` is a salted hash."""

    __tablename__ = "leaver"
    __table_args__ = (
        CheckConstraint("length(key) >= 16", "key_length"),
        CheckConstraint("year_group BETWEEN 11 AND 14", "year_group"),
        CheckConstraint(_in("sen", codes.SEN_STATUSES), "sen"),
        CheckConstraint(
            "attendance_pct IS NULL OR (attendance_pct >= 0 AND attendance_pct <= 100)",
            "attendance",
        ),
        CheckConstraint("roni_score IS NULL OR roni_score >= 0", "roni_score"),
        CheckConstraint(_gss("home_lsoa", "E01", "W01", "X01"), "home_lsoa"),
        Index("ix_leaver_urn_cohort", "urn", "cohort"),
    )

    key: str = Field(primary_key=True, max_length=64, description="salted hash of UPN/ULN")
    urn: int = Field(foreign_key="school.urn", description="school or college left")
    cohort: int = Field(description="calendar year of leaving, e.g. 2025 for summer 2025")
    year_group: int = Field(description="11 for Year 11 leavers, 13 for Year 13")
    left_on: dt.date
    home_lsoa: str | None = Field(default=None, max_length=9)
    fsm: bool = False
    sen: str = Field(default="N", max_length=1)
    eal: bool = False
    looked_after: bool = False
    care_leaver: bool = False
    yot: bool = False
    young_carer: bool = False
    parent_or_pregnant: bool = False
    alternative_provision: bool = False
    ever_excluded: bool = False
    attendance_pct: float | None = Field(default=None, description="percent")
    roni_score: int | None = Field(default=None, description="risk-of-NEET score as recorded")
    #: ESA 2008 s14: the young person (16+) or parent opted out of "other information" sharing.
    s14_info_optout: bool = False
    #: Youth-support-services sharing restricted to the basics by parent or pupil.
    ys_restriction: bool = False


_CATEGORY_CASE = (
    "CASE nccis_code "
    + " ".join(f"WHEN {code} THEN '{cat}'" for code, cat in codes.NCCIS_CATEGORY.items())
    + " END"
)


class DestinationRecord(SQLModel, table=True):
    """A leaver's destination as recorded on a date (NCCIS activity code and its category)."""

    __tablename__ = "destination_record"
    __table_args__ = (
        UniqueConstraint("leaver_key", "recorded_on", "kind", name="uq_destination_key"),
        CheckConstraint(_in("nccis_code", codes.NCCIS_CATEGORY), "nccis_code"),
        CheckConstraint(f"category = {_CATEGORY_CASE}", "category"),
        CheckConstraint(_in("kind", codes.DESTINATION_KINDS), "kind"),
        CheckConstraint(_in("source", codes.DESTINATION_SOURCES), "source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    leaver_key: str = Field(foreign_key="leaver.key", index=True, max_length=64)
    recorded_on: dt.date
    kind: str = Field(default="actual", max_length=10)
    nccis_code: int
    category: str = Field(max_length=20, description="derived from nccis_code")
    source: str = Field(default="school", max_length=10)
    provider: str | None = Field(default=None, max_length=200)
    provider_urn: int | None = None


#: Outcomes of a hand-over case; ``status`` follows (:data:`OUTCOME_STATUS`).
HANDOVER_OUTCOMES = ("engaged", "moved_area", "refused", "lost")
OUTCOME_STATUS = {"engaged": "engaged", "lost": "lost", "moved_area": "closed", "refused": "closed"}


class Handover(SQLModel, table=True):
    """A hand-over of a young person from a school to the NCS or LA tracking."""

    __tablename__ = "handover"
    __table_args__ = (
        UniqueConstraint("leaver_key", "to_org_type", "left_on", name="uq_handover_key"),
        CheckConstraint(_in("to_org_type", codes.HANDOVER_TARGETS), "target"),
        CheckConstraint(_in("reason", codes.HANDOVER_REASONS), "reason"),
        CheckConstraint(_in("status", codes.HANDOVER_STATUSES), "status"),
        CheckConstraint(_in("lawful_basis", codes.LAWFUL_BASES), "lawful_basis"),
        CheckConstraint("referred_on IS NULL OR referred_on >= left_on", "referral_after_leaving"),
        CheckConstraint(
            "contacted_on IS NULL OR (referred_on IS NOT NULL AND contacted_on >= referred_on)",
            "contact_after_referral",
        ),
        CheckConstraint(
            "outcome_on IS NULL OR (referred_on IS NOT NULL AND outcome_on >= referred_on)",
            "outcome_after_referral",
        ),
        CheckConstraint(
            "outcome_nccis_code IS NULL OR " + _in("outcome_nccis_code", codes.NCCIS_CATEGORY),
            "outcome_code",
        ),
        CheckConstraint("status = 'pending' OR referred_on IS NOT NULL", "status_needs_referral"),
        CheckConstraint(_gss("ncs_area", "E06", "E08", "E09", "E10", "X06", "X10"), "ncs_area"),
        CheckConstraint("version >= 1", "version"),
        CheckConstraint("attempts >= 0", "attempts"),
        CheckConstraint(
            "last_attempt_on IS NULL OR "
            "(referred_on IS NOT NULL AND last_attempt_on >= referred_on)",
            "attempt_after_referral",
        ),
        CheckConstraint(
            "intended_nccis_code IS NULL OR " + _in("intended_nccis_code", codes.NCCIS_CATEGORY),
            "intended_code",
        ),
        CheckConstraint("outcome IS NULL OR " + _in("outcome", HANDOVER_OUTCOMES), "outcome"),
        CheckConstraint("outcome IS NULL OR outcome_on IS NOT NULL", "outcome_dated"),
    )

    id: int | None = Field(default=None, primary_key=True)
    leaver_key: str = Field(foreign_key="leaver.key", index=True, max_length=64)
    from_urn: int = Field(foreign_key="school.urn", index=True)
    to_org_type: str = Field(default="ncs", max_length=20)
    ncs_area: str | None = Field(default=None, max_length=9, description="upper-tier LA GSS")
    reason: str = Field(max_length=20)
    left_on: dt.date
    referred_on: dt.date | None = None
    contacted_on: dt.date | None = None
    outcome_on: dt.date | None = None
    outcome_nccis_code: int | None = None
    status: str = Field(default="pending", max_length=10)
    lawful_basis: str = Field(default="public_task", max_length=20)
    dsa_ref: str | None = Field(default=None, max_length=40)
    consent_recorded: bool = False
    #: Optimistic-concurrency token: +1 on every change (suite edit, offline or records import).
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    held_by: str | None = Field(default=None, max_length=100, description="user holding the case")
    held_since: dt.date | None = None
    intended_nccis_code: int | None = Field(default=None, description="intended at referral")
    attempts: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"}, description="contact attempts"
    )
    last_attempt_on: dt.date | None = None
    outcome: str | None = Field(default=None, max_length=12, description="HANDOVER_OUTCOMES")
    #: Last change made in the suite (UTC); NULL when the row was only ever imported.
    edited_at: dt.datetime | None = None
    edited_by: str | None = Field(default=None, max_length=100)


#: What a case event records (:class:`CaseEvent`).
CASE_ACTIONS = (
    "refer",
    "contact",
    "outcome",
    "confirm_destination",
    "correct_destination",
    "reassign",
    "revert",
    "offline_import",
    "import_conflict",
)


class CaseEvent(SQLModel, table=True):
    """One change to a hand-over case or a leaver's destination made through the suite, or an
    import conflict: append-only history with the values before and after (JSON text), so a
    mistaken edit can be seen and reverted. Pseudonymous like the records it describes."""

    __tablename__ = "case_event"
    __table_args__ = (
        CheckConstraint(_in("action", CASE_ACTIONS), "action"),
        Index("ix_case_event_urn_at", "urn", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(description="UTC")
    user: str = Field(max_length=100)
    role: str = Field(max_length=30)
    action: str = Field(max_length=30, description="one of CASE_ACTIONS")
    handover_id: int | None = Field(default=None, foreign_key="handover.id", index=True)
    leaver_key: str = Field(max_length=64, index=True, description="pseudonymous key")
    urn: int = Field(description="school the leaver left")
    before: str | None = Field(default=None, description="JSON object of the values before")
    after: str | None = Field(default=None, description="JSON object of the values after")
    reverted_by: int | None = Field(default=None, description="id of the event that reverted it")


class LaNeetStat(SQLModel, table=True):
    """Published NEET / not-known rates for an upper-tier LA (DfE NCCIS management information).

    ``None`` with a ``suppressed`` reason stands for the published symbols ``c``, ``z``, ``x`` and
    ``low``: a suppressed figure is never zero.
    """

    __tablename__ = "la_neet_stat"
    __table_args__ = (
        UniqueConstraint("time_period", "la_gss", "age", name="uq_la_neet_key"),
        CheckConstraint("neet_percent IS NULL OR neet_percent BETWEEN 0 AND 100", "neet"),
        CheckConstraint("nk_percent IS NULL OR nk_percent BETWEEN 0 AND 100", "nk"),
        CheckConstraint("neet_nk_percent IS NULL OR neet_nk_percent BETWEEN 0 AND 100", "neet_nk"),
    )

    id: int | None = Field(default=None, primary_key=True)
    time_period: int = Field(description="calendar year of the Dec–Feb average")
    la_gss: str = Field(max_length=9, index=True, description="E92000001 for England")
    la_code: int | None = Field(default=None, description="DfE 3-digit code")
    la_name: str | None = Field(default=None, max_length=100)
    age: str = Field(default="16-17", max_length=10)
    cohort: int | None = None
    neet_percent: float | None = None
    nk_percent: float | None = None
    neet_nk_percent: float | None = None
    suppressed: str | None = Field(default=None, max_length=60, description="symbols seen")


class SchoolDestinationMeasure(SQLModel, table=True):
    """DfE KS4 or 16–18 destination measure for one school, cohort and breakdown (percent)."""

    __tablename__ = "school_destination_measure"
    __table_args__ = (
        UniqueConstraint(
            "time_period", "urn", "stage", "breakdown", name="uq_school_destination_key"
        ),
        CheckConstraint(_in("stage", ("ks4", "16-18")), "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    time_period: int = Field(description="e.g. 202223 for 2022/23 leavers")
    urn: int = Field(index=True, description="not a foreign key: covers schools outside hubs")
    stage: str = Field(default="ks4", max_length=5)
    breakdown: str = Field(default="Total", max_length=60)
    cohort: int | None = None
    overall: float | None = None
    education: float | None = None
    apprenticeship: float | None = None
    employment: float | None = None
    not_sustained: float | None = None
    unknown: float | None = None
    suppressed: str | None = Field(default=None, max_length=120)


class AuditEvent(SQLModel, table=True):
    """Who viewed or exported pupil-level data, or changed stored data, and when."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    user: str = Field(max_length=100)
    role: str = Field(max_length=30)
    action: str = Field(max_length=30, description="view, export, import, retention, …")
    subject: str = Field(max_length=200)
    rows: int | None = None
    detail: str | None = None


class DataVersion(SQLModel, table=True):
    """One row counting changes to the stored data.

    Every writer (imports, the demo builder, retention, a summary rebuild) adds one to
    ``version`` first thing in its own transaction (:mod:`hubcore.data_version`), so the number
    changes exactly when the data does and page caches keyed by it never serve older figures.
    """

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", "one_row"),)

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, description="changes committed so far")



class SourceProvenance(SQLModel, table=True):
    """Where an official open file stored by ``hubcore fetch`` came from (one row per file
    imported): its address, edition, download time, licence and attribution, SHA-256 and the
    LAs it was fetched for. Maps and briefings name their sources from here."""

    __tablename__ = "source_provenance"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True, description="import kind, e.g. gias, imd")
    source: str = Field(max_length=40, description="settings name, e.g. imd2025")
    address: str = Field(max_length=2000)
    edition: str = Field(max_length=40)
    downloaded_at: dt.datetime
    imported_at: dt.datetime
    licence: str = Field(max_length=200)
    attribution: str | None = Field(default=None, max_length=500)
    sha256: str = Field(max_length=64)
    la_codes: str = Field(max_length=2000, description="comma-separated GSS codes")


#: Kinds of area an LA can belong to through an official lookup (:class:`AreaMembership`).
PARENT_KINDS = ("region", "cauth", "lsip")


class AreaMembership(SQLModel, table=True):
    """An LA district's membership of an English region (E12), combined authority (E47) or
    Local Skills Improvement Plan area (E69), as an official lookup of one edition states it
    (``hubcore import area-lookup``). One row per district, kind and edition; re-importing the
    same lookup changes nothing. Synthetic demo districts (prefix ``X``) may be placed in an
    area too, so the demo can be briefed like a real one."""

    __tablename__ = "area_membership"
    __table_args__ = (
        UniqueConstraint("child_code", "parent_kind", "vintage", name="uq_area_membership_key"),
        CheckConstraint(_in("parent_kind", PARENT_KINDS), "parent_kind"),
        CheckConstraint(_gss("child_code", "E06", "E07", "E08", "E09", "X06", "X07",
                             nullable=False), "child_code"),
        CheckConstraint(
            "(parent_kind = 'region' AND parent_code LIKE 'E12%') OR (parent_kind = 'cauth' "
            "AND parent_code LIKE 'E47%') OR (parent_kind = 'lsip' AND parent_code LIKE 'E69%')",
            "parent_code"),
        CheckConstraint("length(parent_code) = 9", "parent_code_length"),
    )

    id: int | None = Field(default=None, primary_key=True)
    child_code: str = Field(max_length=9, description="LA district GSS code (E06-E09)")
    child_name: str | None = Field(default=None, max_length=200)
    parent_kind: str = Field(max_length=10, description="one of PARENT_KINDS")
    parent_code: str = Field(max_length=9, index=True)
    parent_name: str | None = Field(default=None, max_length=200)
    vintage: int = Field(description="edition year of the lookup, e.g. 2025 for CAUTH25CD")
    source: str | None = Field(default=None, max_length=200, description="file imported")


ALL_TABLES = [
    Hub,
    Area,
    School,
    HubMembership,
    BenchmarkAssessment,
    BenchmarkScore,
    Employer,
    EmployerLink,
    EmployerOffer,
    Encounter,
    Leaver,
    DestinationRecord,
    Handover,
    CaseEvent,
    LaNeetStat,
    SchoolDestinationMeasure,
    AuditEvent,
    AreaMembership,
]
