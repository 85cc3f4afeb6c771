"""Migration 0009 on a database holding hand-overs: existing rows get version 1 and 0 attempts,
the new checks refuse bad rows, and the migration goes down and up again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, inspect, text
from sqlalchemy.exc import IntegrityError

from hubcore import db
from hubcore.models import Leaver, School
from tests.conftest import _drop, _url

KEY = "k" * 32


@pytest.fixture
def at_0008(tmp_path):
    url = _url(tmp_path)
    eng = db.get_engine(url)
    db.upgrade(eng, "0008")
    with eng.begin() as conn:
        # school and leaver are unchanged by 0009, so the models' tables fill their defaults
        conn.execute(insert(School.__table__).values(
            urn=100001, name="S", la_code=383, type_code=34, phase_code=4,
            kind="mainstream_11_16"))
        conn.execute(insert(Leaver.__table__).values(
            key=KEY, urn=100001, cohort=2025, year_group=11, left_on=dt.date(2025, 6, 27)))
        # hand-over as 0008 knew it: raw SQL, without the columns 0009 adds
        conn.execute(text(
            "INSERT INTO handover (leaver_key, from_urn, to_org_type, reason, left_on, "
            "referred_on, contacted_on, status, lawful_basis, consent_recorded) VALUES "
            "(:k, 100001, 'ncs', 'neet', '2025-06-27', '2025-07-10', '2025-07-20', "
            "'contacted', 'public_task', false)"), {"k": KEY})
    yield eng
    eng.dispose()
    _drop(url)


def test_existing_handovers_start_at_version_1_with_no_attempts(at_0008):
    db.upgrade(at_0008)
    with at_0008.connect() as conn:
        row = conn.execute(text(
            "SELECT version, attempts, held_by, outcome, edited_at FROM handover")).one()
    assert tuple(row) == (1, 0, None, None, None)
    names = {c["name"] for c in inspect(at_0008).get_check_constraints("handover")}
    # the old rules survive the table copy SQLite needs, and the new ones are there
    assert {"ck_handover_contact_after_referral", "ck_handover_status_needs_referral",
            "ck_handover_version", "ck_handover_attempt_after_referral",
            "ck_handover_outcome", "ck_handover_outcome_dated"} <= names
    uniques = {c["name"] for c in inspect(at_0008).get_unique_constraints("handover")}
    assert "uq_handover_key" in uniques


@pytest.mark.parametrize(
    ("assignment", "constraint"),
    [
        ("version = 0", "version"),
        ("attempts = -1", "attempts"),
        ("last_attempt_on = '2025-07-01'", "attempt_after_referral"),  # before referral
        ("intended_nccis_code = 999", "intended_code"),
        ("outcome = 'vanished', outcome_on = '2025-08-01'", "outcome"),
        ("outcome = 'engaged'", "outcome_dated"),  # an outcome needs its date
    ],
)
def test_new_checks_refuse_bad_values(at_0008, assignment, constraint):
    db.upgrade(at_0008)
    with pytest.raises(IntegrityError) as err, at_0008.begin() as conn:
        conn.execute(text(f"UPDATE handover SET {assignment}"))
    assert constraint in str(err.value)


def test_case_event_refuses_unknown_actions(at_0008):
    db.upgrade(at_0008)
    with pytest.raises(IntegrityError, match="action"), at_0008.begin() as conn:
        conn.execute(text(
            "INSERT INTO case_event (at, \"user\", role, action, leaver_key, urn) VALUES "
            "('2025-08-01 10:00:00', 'u', 'admin', 'delete_everything', :k, 100001)"),
            {"k": KEY})


def test_migration_goes_down_and_up_again(at_0008):
    db.upgrade(at_0008)
    db.downgrade(at_0008, "0008")
    assert "case_event" not in inspect(at_0008).get_table_names()
    assert "version" not in {c["name"] for c in inspect(at_0008).get_columns("handover")}
    db.upgrade(at_0008)
    assert "case_event" in inspect(at_0008).get_table_names()
