"""``hubcore worklist`` as people script it: a careers leader refers a leaver, the LA tracking
officer sees and works the case, a stale edit and an edit outside the user's scope are refused
with status 2 and one sentence (no traceback, nothing saved), and tables print in words.

The hub is hand-made: two schools of one LA in one hub, three Year 11 leavers of summer 2025.
Runs on SQLite and, with ``HUBCORE_TEST_DATABASE_URL``, on PostgreSQL (the ``engine``
fixture).
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from hubcore import cli, rollups, users
from hubcore.models import (
    CaseEvent,
    DestinationRecord,
    Handover,
    Hub,
    HubMembership,
    Leaver,
    School,
)
from hubcore.worklists import leaver_versions

LEEDS = "E08000035"
A, B = 100001, 100002
#: A school name that is a spreadsheet formula and carries a terminal escape: untrusted text.
NASTY = '=HYPERLINK("http://x.test","y")\x1b[31m'
AS_OF = "2026-01-15"


def _key(name: str) -> str:
    return f"{name:q<20}"


K1, K2, K3 = _key("K1"), _key("K2"), _key("K3")


@pytest.fixture
def hub(engine, tmp_path, monkeypatch):
    schools = [
        {"urn": A, "name": "Aire Valley Academy", "la_code": 383, "type_code": 1,
         "phase_code": 4, "kind": "mainstream_11_18", "status": "Open", "la_gss": LEEDS},
        {"urn": B, "name": NASTY, "la_code": 383, "type_code": 1, "phase_code": 4,
         "kind": "mainstream_11_18", "status": "Open", "la_gss": LEEDS},
    ]  # fmt: skip
    leavers = [
        {"key": k, "urn": urn, "cohort": 2025, "year_group": 11, "left_on": dt.date(2025, 7, 18),
         "roni_score": score}
        for k, urn, score in ((K1, A, 5), (K2, A, 0), (K3, B, 2))
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(School.__table__.insert(), schools)
        conn.execute(Hub.__table__.insert(), [{"id": "H1", "name": "Hub one",
                                               "pupil_data_sharing": True}])
        conn.execute(HubMembership.__table__.insert(), [
            {"hub_id": "H1", "urn": u, "start_date": dt.date(2020, 9, 1)} for u in (A, B)])
        conn.execute(Leaver.__table__.insert(), leavers)
        # K2 has a current destination: not on the list to confirm.
        conn.execute(DestinationRecord.__table__.insert(), [
            {"leaver_key": K2, "recorded_on": dt.date(2025, 11, 1), "kind": "actual",
             "nccis_code": 230, "category": "education"}])
        rollups.refresh(conn)
    path = tmp_path / "users.json"
    monkeypatch.setenv(users.ENV_USERS_FILE, str(path))
    for name, role, extra in (
        ("cl-a@t", "careers_leader", {"urn": A}),
        ("cl-b@t", "careers_leader", {"urn": B}),
        ("la@t", "la_tracking", {"ncs_area": LEEDS}),
        ("ncs@t", "ncs_adviser", {"ncs_area": LEEDS}),
        ("lead@t", "hub_lead", {"hub_id": "H1"}),
    ):
        users.add_user(name, role, None, path=path, **extra)
    return engine


def run(engine, capsys, *argv: str) -> tuple[int, str, str]:
    url = engine.url.render_as_string(hide_password=False)
    code = cli.main(["worklist", *argv, "--db", url])
    out, err = capsys.readouterr()
    return code, out, err


def _cases(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(Handover.__table__).order_by(Handover.id)).mappings()]


def test_refer_then_show_and_work_the_case(hub, capsys):
    code, out, _ = run(hub, capsys, "show", "leavers", "--as", "cl-a@t", "--as-of", AS_OF)
    assert code == 0
    # K1 (no destination) is listed with its state and RONI band in words; K2 has a current
    # destination, K3 is another school's.
    assert K1 in out and K2 not in out and K3 not in out
    assert "No destination recorded" in out and "High risk" in out  # 5 points: 4+ is high
    assert "missing" not in out

    code, out, _ = run(hub, capsys, "refer", K1, "--to", "la_tracking", "--reason", "neet",
                       "--intended", "230", "--on", "2025-08-01", "--as", "cl-a@t")
    assert code == 0
    (case,) = _cases(hub)
    assert (case["to_org_type"], case["ncs_area"], case["referred_on"], case["version"]) == (
        "la_tracking", LEEDS, dt.date(2025, 8, 1), 1)
    assert f"case {case['id']}" in out and "LA tracking" in out

    # The LA tracking officer sees it, in words; the NCS adviser of the same area does not.
    code, out, _ = run(hub, capsys, "show", "cases", "--as", "la@t", "--as-of", AS_OF)
    assert code == 0 and K1 in out
    row = next(r for r in out.splitlines() if K1 in r)
    assert "LA tracking" in row and "NEET" in row and "Referred" in row
    assert "la_tracking" not in out and "referred " not in row  # words, not codes
    # 2025-08-01 to 2026-01-15: 31−1 + 30 + 31 + 30 + 31 + 15 = 167 days open.
    assert " 167 " in out
    code, out, _ = run(hub, capsys, "show", "cases", "--as", "ncs@t")
    assert code == 0 and K1 not in out and "No cases" in out

    code, out, _ = run(hub, capsys, "contact", str(case["id"]), "--version", "1", "--on",
                       "2025-08-05", "--not-reached", "--as", "la@t")
    assert code == 0 and "version now 2" in out
    code, out, _ = run(hub, capsys, "contact", str(case["id"]), "--version", "2", "--on",
                       "2025-08-07", "--as", "la@t")
    assert code == 0 and "version now 3" in out
    (case,) = _cases(hub)
    assert (case["attempts"], case["contacted_on"], case["status"], case["held_by"]) == (
        2, dt.date(2025, 8, 7), "contacted", "la@t")

    code, out, _ = run(hub, capsys, "outcome", str(case["id"]), "--version", "3", "--outcome",
                       "engaged", "--on", "2025-08-20", "--code", "230", "--as", "la@t")
    assert code == 0 and "Engaged" in out and "version now 4" in out
    assert _cases(hub)[0]["status"] == "engaged"

    # The history, in words, as the hub lead sees it.
    code, out, _ = run(hub, capsys, "show", "history", "--case", str(case["id"]), "--as",
                       "lead@t")
    assert code == 0
    assert "Referred" in out and "Contact attempt" in out and "Outcome recorded" in out
    assert out.count("la@t") >= 3
    assert "Contact attempts: 0 → 1" in out and "Status: Contacted → Engaged" in out
    assert "Outcome destination: – → FT education" in out  # NCCIS 230 in words


def test_stale_version_is_refused_with_status_2(hub, capsys):
    run(hub, capsys, "refer", K1, "--to", "la_tracking", "--reason", "neet", "--on",
        "2025-08-01", "--as", "cl-a@t")
    case_id = str(_cases(hub)[0]["id"])
    assert run(hub, capsys, "contact", case_id, "--version", "1", "--on", "2025-08-05",
               "--as", "la@t")[0] == 0
    # A second officer's terminal still holds version 1.
    code, out, err = run(hub, capsys, "contact", case_id, "--version", "1", "--on",
                         "2025-08-06", "--as", "la@t")
    assert code == 2 and out == ""
    assert "was changed by la@t on" in err and "(version 1 → 2)" in err
    assert "nothing was saved" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    case = _cases(hub)[0]
    assert (case["attempts"], case["last_attempt_on"], case["version"]) == (
        1, dt.date(2025, 8, 5), 2)


def test_careers_leader_refused_another_school(hub, capsys):
    with hub.connect() as conn:
        events = conn.execute(select(func.count()).select_from(CaseEvent.__table__)).scalar()
    code, out, err = run(hub, capsys, "refer", K3, "--to", "ncs", "--reason", "neet",
                         "--on", "2025-08-01", "--as", "cl-a@t")
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith("hubcore worklist: refused:") and len(err.strip().splitlines()) == 1
    assert _cases(hub) == []
    with hub.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CaseEvent.__table__)).scalar() \
            == events
    # Nor can they confirm the other school's leaver's destination, or list its leavers.
    code, _, err = run(hub, capsys, "confirm", K3, "--version", "1", "--code", "230", "--on",
                       "2025-11-01", "--as", "cl-a@t")
    assert code == 2 and "refused" in err
    code, out, _ = run(hub, capsys, "show", "leavers", "--as", "cl-b@t", "--as-of", AS_OF)
    assert code == 0 and K3 in out and K1 not in out


def test_la_tracking_officer_cannot_work_an_ncs_case(hub, capsys):
    run(hub, capsys, "refer", K1, "--to", "ncs", "--reason", "neet", "--on", "2025-08-01",
        "--as", "cl-a@t")
    case_id = str(_cases(hub)[0]["id"])
    code, _, err = run(hub, capsys, "contact", case_id, "--version", "1", "--on",
                       "2025-08-05", "--as", "la@t")
    assert code == 2 and "refused" in err
    assert _cases(hub)[0]["attempts"] == 0
    code, out, _ = run(hub, capsys, "contact", case_id, "--version", "1", "--on",
                       "2025-08-05", "--as", "ncs@t")
    assert code == 0 and "version now 2" in out


def test_unknown_user_and_invalid_edit(hub, capsys):
    code, _, err = run(hub, capsys, "show", "--as", "nobody@t")
    assert code == 2 and "not in the users file" in err
    # Contact before the referral: the importers' date-order rule.
    run(hub, capsys, "refer", K1, "--to", "la_tracking", "--reason", "neet", "--on",
        "2025-08-01", "--as", "cl-a@t")
    code, _, err = run(hub, capsys, "contact", str(_cases(hub)[0]["id"]), "--version", "1",
                       "--on", "2025-07-01", "--as", "la@t")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_confirm_then_revert_and_admin_default(hub, capsys):
    # Without --as: the administrator (named by the login name in the history).
    code, out, _ = run(hub, capsys, "show", "leavers", "--as-of", AS_OF)
    assert code == 0 and K1 in out and K3 in out
    line = next(r for r in out.splitlines() if K1 in r)
    version = line.split()[1]  # the second column is the version
    code, out, _ = run(hub, capsys, "confirm", K1, "--version", version, "--code", "320",
                       "--on", "2025-10-01", "--as", "cl-a@t")
    assert code == 0 and "confirmed" in out
    with hub.connect() as conn:
        codes_now = conn.execute(select(DestinationRecord.nccis_code).where(
            DestinationRecord.leaver_key == K1)).scalars().all()
    assert codes_now == [320]
    code, out, _ = run(hub, capsys, "show", "history", "--leaver", K1, "--as", "cl-a@t")
    event = next(r for r in out.splitlines() if "Destination confirmed" in r).split()[0]
    with hub.connect() as conn:  # the leaver's version after the confirmation
        new_version = leaver_versions(conn, [K1])[K1]
    assert str(new_version) != version
    code, out, err = run(hub, capsys, "revert", event, "--version", str(new_version), "--as",
                         "cl-a@t")
    assert code == 0, err
    with hub.connect() as conn:
        assert conn.execute(select(DestinationRecord.nccis_code).where(
            DestinationRecord.leaver_key == K1)).scalars().all() == []


def test_csv_is_formula_safe_and_text_has_no_escapes(hub, capsys, tmp_path):
    run(hub, capsys, "refer", K3, "--to", "la_tracking", "--reason", "neet", "--on",
        "2025-08-01", "--as", "cl-b@t")
    code, out, _ = run(hub, capsys, "show", "cases", "--as", "la@t")
    assert code == 0 and "\x1b" not in out and "=HYPERLINK" in out
    target = tmp_path / "cases.csv"
    code, out, err = run(hub, capsys, "show", "cases", "--as", "la@t", "--csv", str(target))
    assert code == 0 and out == "" and "Wrote 1 case" in err
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    assert rows[0]["School"].startswith("'=HYPERLINK")  # neutralised, not a live formula
    assert rows[0]["Referred to"] == "LA tracking" and rows[0]["Referred on"] == "2025-08-01"


def test_funnel_for_the_hub_lead(hub, capsys):
    run(hub, capsys, "refer", K1, "--to", "la_tracking", "--reason", "neet", "--on",
        "2025-08-01", "--as", "cl-a@t")
    code, out, _ = run(hub, capsys, "show", "funnel", "--as", "lead@t", "--as-of", AS_OF)
    assert code == 0
    lines = {r.rsplit(None, 1)[0].strip(): r.rsplit(None, 1)[1] for r in out.splitlines()[2:]}
    # K1 and K3 have no destination (K2 has a current one); one young person referred, none
    # contacted; nobody overdue (K1 referred 14 days after leaving).
    assert lines["Leavers needing a hand-over"] == "2"
    assert lines["Referred"] == "1" and lines["Contacted"] == "0" and lines["Overdue"] == "0"


def test_refused_edit_from_a_real_process_exits_2(hub, tmp_path):
    url = hub.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-m", "hubcore.cli", "worklist", "refer", K3, "--to", "ncs",
         "--reason", "neet", "--as", "cl-a@t", "--db", url],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "refused" in done.stderr


def test_export_cases_for_offline_work(hub, capsys, tmp_path):
    pytest.importorskip("hubcore.worklists.offline")
    run(hub, capsys, "refer", K1, "--to", "la_tracking", "--reason", "neet", "--on",
        "2025-08-01", "--as", "cl-a@t")
    target = tmp_path / "mine.csv"
    code, _, err = run(hub, capsys, "export", "cases", str(target), "--as", "la@t")
    assert code == 0 and "hubcore import worklist" in err
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["leaver_key"] for r in rows] == [K1] and rows[0]["version"] == "1"
    # An NCS adviser's export holds no LA-tracking case.
    code, _, _ = run(hub, capsys, "export", "cases", str(tmp_path / "ncs.csv"), "--as", "ncs@t")
    with (tmp_path / "ncs.csv").open(encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle)) == []
