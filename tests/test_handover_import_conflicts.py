"""The import-vs-edit rule of ``hubcore import handovers``: a hand-over edited in the suite is
not overwritten by a file row that differs (a conflict is listed and recorded), unless
``--prefer-file``; hand-overs never edited take the file's values and their version goes up."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from hubcore.ingest import import_file
from hubcore.models import CaseEvent, Handover
from tests.ingest_corpus import TODAY, seed_schools, write_csv

A, B, C = "a" * 20, "b" * 20, "c" * 20
T = Handover.__table__
EDITED_AT = dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC)


def run(engine, kind, path, **kw):
    return import_file(engine, kind, path, today=TODAY, **kw)


def handover(key, **kw):
    row = {"leaver_key": key, "reason": "neet", "left_on": "2025-07-18",
           "referred_on": "2025-08-20", "status": "referred"}
    return {**row, **kw}


@pytest.fixture
def hub(engine, tmp_path):
    seed_schools(engine)
    leavers = [{"key": k, "urn": 108055, "cohort": 2025, "year_group": 11,
                "left_on": "2025-07-18"} for k in (A, B, C)]
    run(engine, "leavers", write_csv(tmp_path / "leavers.csv", leavers))
    run(engine, "handovers", write_csv(tmp_path / "first.csv",
                                       [handover(A), handover(B), handover(C)]))
    # An NCS adviser recorded a contact with A in the suite (what the worklist writes do to
    # the row: the values, version + 1, who and when).
    with engine.begin() as conn:
        conn.execute(update(T).where(T.c.leaver_key == A).values(
            contacted_on=dt.date(2025, 9, 1), status="contacted", version=2,
            edited_at=EDITED_AT, edited_by="adviser@ncs.example"))
    return engine


def stored(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {r["leaver_key"]: dict(r) for r in conn.execute(select(T)).mappings()}


def events(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(CaseEvent.__table__).order_by(CaseEvent.__table__.c.id)).mappings()]


def second_file(tmp_path):
    """The school's spreadsheet, re-sent: A still says referred with no contact (it never saw
    the suite's edit), B gained an outcome, C is as before."""
    return write_csv(tmp_path / "second.csv", [
        handover(C),
        handover(A),
        handover(B, outcome_on="2025-10-01", outcome_nccis_code=230, status="closed"),
    ])


def test_edited_row_is_kept_and_listed_as_a_conflict(hub, tmp_path):
    report = run(hub, "handovers", second_file(tmp_path))
    rows = stored(hub)
    # A keeps the suite's edit: nothing lost.
    assert rows[A]["status"] == "contacted"
    assert rows[A]["contacted_on"] == dt.date(2025, 9, 1)
    assert rows[A]["version"] == 2
    # B was never edited in the suite: the file wins and its version goes from 1 to 2.
    assert rows[B]["status"] == "closed" and rows[B]["outcome_nccis_code"] == 230
    assert rows[B]["version"] == 2
    # C unchanged: version stays 1.
    assert rows[C]["version"] == 1
    assert (report.updated, report.unchanged, report.inserted) == (1, 1, 0)
    # A is the file's second data row: spreadsheet row 3 (the header is row 1).
    conflicts = report.conflicts
    assert conflicts["row"].tolist() == [3]
    line = conflicts.iloc[0]
    assert line["leaver_key"] == A and line["edited_by"] == "adviser@ncs.example"
    assert line["columns"] == "contacted_on, status"
    assert line["suite_values"] == {"contacted_on": "2025-09-01", "status": "contacted"}
    assert line["file_values"] == {"contacted_on": None, "status": "referred"}
    assert "conflicts with suite edits 1" in report.summary()
    text = "\n".join(report.notes)
    assert "not overwritten" in text and "--prefer-file" in text
    assert "row 3:" in text and "adviser@ncs.example" in text
    # Recorded in the case history.
    (event,) = events(hub)
    assert event["action"] == "import_conflict" and event["leaver_key"] == A
    assert event["handover_id"] == rows[A]["id"] and event["urn"] == 108055
    assert json.loads(event["before"]) == {"contacted_on": "2025-09-01", "status": "contacted"}
    assert json.loads(event["after"]) == {"contacted_on": None, "status": "referred",
                                          "resolution": "suite_kept"}


def test_prefer_file_overwrites_the_edit_and_records_it(hub, tmp_path):
    report = run(hub, "handovers", second_file(tmp_path), prefer_file=True)
    rows = stored(hub)
    assert rows[A]["status"] == "referred" and rows[A]["contacted_on"] is None
    assert rows[A]["version"] == 3  # 2 (suite edit) + 1 (this import)
    assert rows[B]["version"] == 2 and rows[C]["version"] == 1
    assert (report.updated, report.unchanged) == (2, 1)
    assert report.conflicts["row"].tolist() == [3]
    assert "overwritten by the file" in "\n".join(report.notes)
    (event,) = events(hub)
    # The history keeps the suite's values, so the overwrite can be seen and reverted.
    assert json.loads(event["before"]) == {"contacted_on": "2025-09-01", "status": "contacted"}
    assert json.loads(event["after"])["resolution"] == "file_applied"


def test_prefer_file_keeps_an_edit_the_file_cannot_replace(hub, tmp_path):
    # The adviser also recorded the outcome "lost" (suite-only column outcome, status lost).
    with hub.begin() as conn:
        conn.execute(update(T).where(T.c.leaver_key == A).values(
            outcome="lost", outcome_on=dt.date(2025, 10, 2), status="lost", version=3))
    # The file says A is still only referred, with no outcome date: with outcome "lost" kept
    # (the file has no outcome column) the row would break the rule that an outcome has a
    # date (and the database's CHECK would refuse the whole import).
    report = run(hub, "handovers", second_file(tmp_path), prefer_file=True)
    rows = stored(hub)
    assert (rows[A]["status"], rows[A]["outcome"], rows[A]["version"]) == ("lost", "lost", 3)
    assert rows[B]["status"] == "closed" and rows[B]["version"] == 2  # the rest applied
    (line,) = report.conflicts.to_dict("records")
    assert line["row"] == 3 and line["problem"] == "an outcome needs its date"
    assert "kept: the file's values with the suite's would break a rule" in "\n".join(
        report.notes)
    (event,) = events(hub)
    assert json.loads(event["after"])["resolution"] == "suite_kept"


def test_edited_row_the_file_repeats_is_no_conflict(hub, tmp_path):
    same = write_csv(tmp_path / "same.csv", [
        handover(A, contacted_on="2025-09-01", status="contacted"), handover(B), handover(C)])
    report = run(hub, "handovers", same)
    assert report.conflicts.empty and events(hub) == []
    assert (report.updated, report.unchanged) == (0, 3)
    assert {k: r["version"] for k, r in stored(hub).items()} == {A: 2, B: 1, C: 1}


def test_dry_run_lists_conflicts_and_writes_nothing(hub, tmp_path):
    before = stored(hub)
    report = run(hub, "handovers", second_file(tmp_path), dry_run=True)
    assert report.conflicts["row"].tolist() == [3]
    assert stored(hub) == before and events(hub) == []


def test_reimporting_unchanged_file_keeps_versions(hub, tmp_path):
    path = write_csv(tmp_path / "b.csv", [handover(B, referred_on="2025-08-21")])
    run(hub, "handovers", path)
    run(hub, "handovers", path)
    assert stored(hub)[B]["version"] == 2  # one change, one bump; the repeat changes nothing


def test_cli_prefer_file(hub, tmp_path, capsys):
    from hubcore.cli import main

    url = hub.url.render_as_string(hide_password=False)
    path = second_file(tmp_path)
    assert main(["import", "handovers", str(path), "--db", url, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "conflicts with suite edits 1" in out and "Rule:" in out
    assert stored(hub)[A]["status"] == "contacted"
    assert main(["import", "handovers", str(path), "--db", url, "--no-progress",
                 "--prefer-file"]) == 0
    assert stored(hub)[A]["status"] == "referred"


def test_a_hand_over_with_no_area_is_worked_by_the_schools_la(engine, tmp_path):
    """A hand-over row with no ncs_area takes the upper-tier LA of the school handing over
    (E08000035 for the seeded schools), so the LA tracking officer there sees the case; a row
    naming an area keeps it; re-importing the file changes nothing."""
    from hubcore import worklists
    from hubcore.access import Role, Scope

    seed_schools(engine)
    leavers = [{"key": k, "urn": 108055, "cohort": 2025, "year_group": 11,
                "left_on": "2025-07-18"} for k in (A, B)]
    run(engine, "leavers", write_csv(tmp_path / "leavers.csv", leavers))
    path = write_csv(tmp_path / "la.csv", [
        handover(A, to_org_type="la_tracking", ncs_area=None),
        handover(B, to_org_type="la_tracking", ncs_area="E08000036")])
    report = run(engine, "handovers", path)
    assert any("1 hand-over with no ncs_area" in note for note in report.notes)
    rows = stored(engine)
    assert (rows[A]["ncs_area"], rows[B]["ncs_area"]) == ("E08000035", "E08000036")
    officer = Scope(Role("la_tracking"), ncs_area="E08000035", user="la.leeds")
    assert worklists.cases(engine, officer)["leaver_key"].tolist() == [A]
    again = run(engine, "handovers", path)
    assert (again.inserted, again.updated) == (0, 0)
