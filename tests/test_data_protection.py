"""Pseudonymous keys, retention of leavers and the audit trail (`hubcore retention`, `audit`)."""

from __future__ import annotations

import csv
import datetime as dt
import stat

import pytest
from sqlalchemy import func, insert, select

from hubcore import audit, cli, pseudonym, retention, store
from hubcore.access import Role, Scope
from hubcore.errors import HubcoreError
from hubcore.models import DestinationRecord, Handover, Leaver, School

SALT = "0123456789abcdef0123456789abcdef"


def _upn(body: str) -> str:
    return pseudonym.upn_check_letter(body) + body


def _uln(body: str) -> str:
    return body + str(pseudonym.uln_check_digit(body))


def test_pseudonymise_is_keyed_stable_and_validated():
    upn = _upn("383123425001")
    key = pseudonym.pseudonymise(upn, SALT)
    assert len(key) == 64 and int(key, 16) >= 0
    assert pseudonym.pseudonymise(upn.lower(), SALT) == key  # normalised
    assert pseudonym.pseudonymise(" ".join(upn), SALT) == key
    assert pseudonym.pseudonymise(upn, SALT[::-1]) != key  # the salt matters
    uln = _uln("123456789")
    assert pseudonym.pseudonymise(uln, SALT) not in (key, pseudonym.pseudonymise(upn, SALT[::-1]))
    temporary = _upn("38312342500A")
    assert pseudonym.normalise(temporary) == ("upn", temporary)


@pytest.mark.parametrize(
    "bad",
    ["", "12345", "A12345678901", "I383123425001", "1234567891", "ABCDEFGHIJKLM"],
)
def test_bad_identifiers_refused(bad):
    with pytest.raises(HubcoreError):
        pseudonym.pseudonymise(bad, SALT)


def test_wrong_check_character_refused():
    upn = _upn("383123425001")
    wrong = ("B" if upn[0] != "B" else "C") + upn[1:]
    with pytest.raises(HubcoreError, match="check letter"):
        pseudonym.normalise(wrong)
    uln = _uln("123456789")
    with pytest.raises(HubcoreError, match="check digit"):
        pseudonym.normalise(uln[:9] + str((int(uln[9]) + 1) % 10))


def test_salt_comes_from_outside_the_database(tmp_path, monkeypatch):
    monkeypatch.delenv(pseudonym.ENV_SALT, raising=False)
    monkeypatch.setenv(pseudonym.ENV_SALT_FILE, str(tmp_path / "salt"))
    with pytest.raises(HubcoreError, match="no pseudonym salt"):
        pseudonym.load_salt()
    path = pseudonym.init_salt_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(pseudonym.load_salt()) >= 32
    with pytest.raises(HubcoreError, match="exists already"):
        pseudonym.init_salt_file()
    with pytest.raises(HubcoreError, match="at least"):
        pseudonym.pseudonymise(_upn("383123425001"), b"short")
    monkeypatch.setenv(pseudonym.ENV_SALT, SALT)
    assert pseudonym.load_salt() == SALT.encode()


# --- retention -------------------------------------------------------------------------------


SCHOOL = dict(
    urn=100001, name="Test School", la_code=383, type_code=34, phase_code=4, kind="mainstream_11_16"
)


@pytest.fixture
def leavers_db(engine):
    """Leavers who left in 2021 (due for removal in 2025), 2023 and 2024, with records."""
    with engine.begin() as conn:
        conn.execute(insert(School.__table__).values(**SCHOOL))
        for i, year in enumerate([2021, 2021, 2023, 2024]):
            key = pseudonym.pseudonymise(_upn(f"3831234250{i:02d}"), SALT)
            left = dt.date(year, 6, 30)
            conn.execute(insert(Leaver.__table__).values(
                key=key, urn=100001, cohort=year, year_group=11, left_on=left))  # fmt: skip
            conn.execute(insert(DestinationRecord.__table__).values(
                leaver_key=key, recorded_on=dt.date(year, 11, 1), nccis_code=619,
                category="neet_active"))  # fmt: skip
            conn.execute(insert(Handover.__table__).values(
                leaver_key=key, from_urn=100001, reason="neet", left_on=left,
                referred_on=left + dt.timedelta(days=10), status="referred"))  # fmt: skip
    return engine


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()


def test_retention_dry_run_then_apply(leavers_db):
    admin = Scope.admin(user="dpo@test")
    as_of = dt.date(2025, 1, 15)  # cut-off 2022-01-15: the two 2021 leavers are due
    dry = retention.run(leavers_db, admin, as_of=as_of)
    assert (dry.leavers, dry.destinations, dry.handovers, dry.applied) == (2, 2, 2, False)
    assert "Would remove 2 leavers" in dry.describe()
    assert _count(leavers_db, Leaver) == 4

    done = retention.run(leavers_db, admin, as_of=as_of, apply=True)
    assert "Removed 2 leavers" in done.describe()
    assert (_count(leavers_db, Leaver), _count(leavers_db, DestinationRecord),
            _count(leavers_db, Handover)) == (2, 2, 2)  # fmt: skip
    events = audit.events(leavers_db, action="retention")
    assert len(events) == 1 and events.iloc[0]["user"] == "dpo@test"
    assert events.iloc[0]["rows"] == 2 and "2 destination records" in events.iloc[0]["detail"]
    # Nothing more is due.
    assert retention.run(leavers_db, admin, as_of=as_of, apply=True).leavers == 0


def test_retention_is_for_admins_only(leavers_db):
    with pytest.raises(HubcoreError, match="admin"):
        retention.run(leavers_db, Scope(Role.HUB_LEAD, hub_id="X"))


def test_retention_and_audit_cli(leavers_db, capsys):
    url = leavers_db.url.render_as_string(hide_password=False)
    assert cli.main(["retention", "--db", url, "--as-of", "2025-01-15"]) == 0
    out = capsys.readouterr().out
    assert "Would remove 2 leavers" in out and "2021: 2" in out and "--apply" in out
    assert cli.main(["retention", "--db", url, "--as-of", "2025-01-15", "--apply"]) == 0
    assert "Removed 2 leavers" in capsys.readouterr().out
    store.leavers(leavers_db, Scope(Role.CAREERS_LEADER, urn=100001, user="cl@test"))
    assert cli.main(["audit", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "cl@test" in out and "retention" in out and "leavers" in out
    assert cli.main(["audit", "--db", url, "--user", "cl@test", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "at,user,role,action,subject,rows,detail" and len(lines) == 2
    assert next(csv.reader([lines[1]]))[1:6] == ["cl@test", "careers_leader", "view", "leavers",
                                                 "2"]
    assert cli.main(["audit", "--db", url, "--since", "2999-01-01"]) == 0
    assert "No audit events" in capsys.readouterr().out
