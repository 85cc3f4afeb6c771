"""The schema itself refuses bad rows: each CHECK, UNIQUE and FOREIGN KEY rule is exercised."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, inspect
from sqlalchemy.exc import IntegrityError

from hubcore import db
from hubcore.models import (
    BenchmarkAssessment,
    BenchmarkScore,
    DestinationRecord,
    Encounter,
    Handover,
    Leaver,
    School,
    metadata,
)

SCHOOL = dict(
    urn=100001, name="Test School", la_code=383, type_code=34, phase_code=4, kind="mainstream_11_16"
)
KEY = "a" * 32
LEAVER = dict(key=KEY, urn=100001, cohort=2025, year_group=11, left_on=dt.date(2025, 6, 27))


def _insert(engine, model, **row):
    with engine.begin() as conn:
        conn.execute(insert(model.__table__).values(**row))


@pytest.fixture
def seeded(engine):
    _insert(engine, School, **SCHOOL)
    _insert(engine, Leaver, **LEAVER)
    _insert(
        engine,
        BenchmarkAssessment,
        id=1,
        urn=100001,
        assessed_on=dt.date(2025, 12, 31),
        academic_year="2025/26",
        snapshot="dec31",
        evaluation_type="schools",
        framework="2024",
    )
    return engine


def test_good_rows_are_accepted(seeded):
    _insert(seeded, BenchmarkScore, assessment_id=1, benchmark=8, percent=100.0)
    _insert(
        seeded,
        DestinationRecord,
        leaver_key=KEY,
        recorded_on=dt.date(2025, 11, 1),
        nccis_code=619,
        category="neet_active",
    )
    _insert(
        seeded,
        Handover,
        leaver_key=KEY,
        from_urn=100001,
        reason="neet",
        left_on=dt.date(2025, 6, 27),
        referred_on=dt.date(2025, 7, 10),
        status="referred",
    )
    with seeded.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from handover").scalar() == 1


#: A valid encounter (tests change one field to break one rule).
ENCOUNTER = {
    "urn": 100001, "kind": "talk", "benchmark": 5, "date": dt.date(2025, 10, 1),
    "academic_year": "2025/26", "year_from": 9, "year_to": 9, "participants": 30,
}  # fmt: skip


@pytest.mark.parametrize(
    ("model", "row", "constraint"),
    [
        (School, {**SCHOOL}, "pk_school"),  # the same URN twice
        (School, {**SCHOOL, "urn": 99999}, "urn_range"),
        (School, {**SCHOOL, "urn": 100002, "type_code": 99}, "type_code"),
        (School, {**SCHOOL, "urn": 100002, "phase_code": 9}, "phase_code"),
        (School, {**SCHOOL, "urn": 100002, "percentage_fsm": 101.0}, "fsm"),
        (School, {**SCHOOL, "urn": 100002, "lsoa_code": "E0212345"}, "lsoa_code"),
        (BenchmarkScore, {"assessment_id": 1, "benchmark": 1, "percent": 140.0}, "percent"),
        (BenchmarkScore, {"assessment_id": 1, "benchmark": 9, "percent": 50.0}, "benchmark"),
        (BenchmarkScore, {"assessment_id": 99, "benchmark": 1, "percent": 50.0}, "fk_"),
        (
            BenchmarkAssessment,
            {
                "urn": 100001,
                "assessed_on": dt.date(2025, 12, 31),
                "academic_year": "2025/26",
                "framework": "2024",
            },
            "uq_assessment",
        ),
        (
            BenchmarkAssessment,
            {
                "urn": 100001,
                "assessed_on": dt.date(2026, 3, 31),
                "academic_year": "2025/26",
                "framework": "2019",
            },
            "framework",
        ),
        (Encounter, {**ENCOUNTER, "kind": "juggling"}, "ck_encounter_kind"),
        (Encounter, {**ENCOUNTER, "mode": "telepathy"}, "ck_encounter_mode"),
        (
            Encounter,
            {
                "urn": 100001,
                "kind": "talk",
                "benchmark": 0,
                "date": dt.date(2025, 10, 1),
                "academic_year": "2025/26",
                "year_from": 9,
                "year_to": 9,
                "participants": 30,
            },
            "benchmark",
        ),
        (
            Encounter,
            {
                "urn": 100001,
                "kind": "talk",
                "benchmark": 5,
                "date": dt.date(2025, 10, 1),
                "academic_year": "2025/26",
                "year_from": 11,
                "year_to": 9,
                "participants": 30,
            },
            "years",
        ),
        (
            Encounter,
            {
                "urn": 123456,
                "kind": "talk",
                "benchmark": 5,
                "date": dt.date(2025, 10, 1),
                "academic_year": "2025/26",
                "year_from": 9,
                "year_to": 9,
                "participants": 30,
            },
            "fk_",
        ),
        (Leaver, {**LEAVER, "key": "tooshort"}, "key_length"),
        (Leaver, {**LEAVER, "key": "b" * 32, "sen": "X"}, "sen"),
        (
            DestinationRecord,
            {
                "leaver_key": KEY,
                "recorded_on": dt.date(2025, 11, 1),
                "nccis_code": 999,
                "category": "not_known",
            },
            "nccis_code",
        ),
        (
            DestinationRecord,
            {
                "leaver_key": KEY,
                "recorded_on": dt.date(2025, 11, 1),
                "nccis_code": 619,
                "category": "education",
            },
            "category",
        ),
        (
            Handover,
            {
                "leaver_key": KEY,
                "from_urn": 100001,
                "reason": "neet",
                "left_on": dt.date(2025, 6, 27),
                "referred_on": dt.date(2025, 6, 1),
                "status": "referred",
            },
            "referral_after_leaving",
        ),
        (
            Handover,
            {
                "leaver_key": KEY,
                "from_urn": 100001,
                "reason": "neet",
                "left_on": dt.date(2025, 6, 27),
                "status": "engaged",
            },
            "status_needs_referral",
        ),
        (
            Handover,
            {
                "leaver_key": KEY,
                "from_urn": 100001,
                "reason": "neet",
                "left_on": dt.date(2025, 6, 27),
                "referred_on": dt.date(2025, 7, 1),
                "contacted_on": dt.date(2025, 6, 30),
                "status": "contacted",
            },
            "contact_after_referral",
        ),
        (
            Handover,
            {
                "leaver_key": KEY,
                "from_urn": 100001,
                "reason": "bored",
                "left_on": dt.date(2025, 6, 27),
            },
            "reason",
        ),
    ],
)
def test_schema_refuses(seeded, model, row, constraint):
    with pytest.raises(IntegrityError) as caught:
        _insert(seeded, model, **row)
    message = str(caught.value.orig).lower()
    # SQLite names CHECK constraints in its message; UNIQUE/FK failures name the kind of rule.
    expected = {"pk_": "unique", "uq_": "unique", "fk_": "foreign key"}
    assert expected.get(constraint[:3], constraint) in message


def test_refused_row_leaves_stored_rows_alone(seeded):
    with pytest.raises(IntegrityError):
        with seeded.begin() as conn:
            conn.execute(
                insert(BenchmarkScore.__table__).values(assessment_id=1, benchmark=2, percent=50.0)
            )
            conn.execute(
                insert(BenchmarkScore.__table__).values(assessment_id=1, benchmark=3, percent=140.0)
            )
    with seeded.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from benchmark_score").scalar() == 0
        assert conn.exec_driver_sql("select count(*) from school").scalar() == 1


def test_pupil_tables_hold_no_identifying_columns(engine):
    identifying = {
        "name",
        "first_name",
        "surname",
        "dob",
        "date_of_birth",
        "upn",
        "uln",
        "address",
        "postcode",
        "email",
    }
    inspector = inspect(engine)
    for table in ("leaver", "destination_record", "handover"):
        columns = {c["name"] for c in inspector.get_columns(table)}
        assert not columns & identifying, table


def test_migrations_build_exactly_the_model(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert db.current_revision(engine) == db.head_revision()
