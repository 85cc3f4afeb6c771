"""The offline round trip of a worklist: export → fill in → ``hubcore import worklist``, with the
same scope, validation, history and version check as an edit in the suite."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select, update

from hubcore import worklists
from hubcore.access import Role, Scope
from hubcore.errors import HubcoreError
from hubcore.ingest import import_file as ingest
from hubcore.ingest import reader
from hubcore.models import AuditEvent, CaseEvent, DestinationRecord, Handover, School
from hubcore.worklists import offline
from tests.ingest_corpus import TODAY, seed_schools, write_csv

A, B, C, E = "a" * 20, "b" * 20, "c" * 20, "e" * 20
AREA = "E08000035"
ADVISER = Scope(Role.NCS_ADVISER, ncs_area=AREA, user="adviser@ncs.example")
OTHER_ADVISER = Scope(Role.NCS_ADVISER, ncs_area=AREA, user="other@ncs.example")
LEADER = Scope(Role.CAREERS_LEADER, urn=108055, user="leader@school.example")
EVIL = '=HYPERLINK("http://evil.example/?x","click")'
H = Handover.__table__


@pytest.fixture
def hub(engine, tmp_path):
    """Three schools in one LA; A, B, C left school 108055, E left 108076; A and E are
    referred to the NCS (cases), B and C are not."""
    seed_schools(engine)
    with engine.begin() as conn:  # a name that a spreadsheet would run as a formula
        conn.execute(update(School.__table__).where(School.__table__.c.urn == 108055)
                     .values(name=EVIL))
    leavers = [{"key": k, "urn": u, "cohort": 2025, "year_group": 11, "left_on": "2025-07-18"}
               for k, u in ((A, 108055), (B, 108055), (C, 108055), (E, 108076))]
    ingest(engine, "leavers", write_csv(tmp_path / "leavers.csv", leavers), today=TODAY)
    cases = [{"leaver_key": k, "reason": "neet", "left_on": "2025-07-18", "ncs_area": AREA,
              "referred_on": "2025-08-20", "status": "referred"} for k in (A, E)]
    ingest(engine, "handovers", write_csv(tmp_path / "cases.csv", cases), today=TODAY)
    # A's activity is not known (810); B intends an apprenticeship.
    plans = [{"leaver_key": A, "recorded_on": "2025-09-30", "kind": "actual",
              "nccis_code": 810},
             {"leaver_key": B, "recorded_on": "2025-06-01", "kind": "intended",
              "nccis_code": 310}]
    ingest(engine, "destinations", write_csv(tmp_path / "plans.csv", plans), today=TODAY)
    return engine


def case_of(engine, key) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(H).where(H.c.leaver_key == key)).mappings().one())


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def read_back(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def fill(frame: pd.DataFrame, id_col: str, ident, **cells) -> int:
    """Fill cells on the row of ``ident``; returns its spreadsheet row number (header = 1)."""
    (position,) = frame.index[frame[id_col].astype(str) == str(ident)]
    for column, value in cells.items():
        frame.loc[position, column] = str(value)
    return int(position) + 2


def test_csv_round_trip_of_cases(hub, tmp_path):
    path = offline.export(hub, ADVISER, "cases", tmp_path / "cases.csv")
    frame = read_back(path)
    a_id = case_of(hub, A)["id"]
    assert frame.columns[:2].tolist() == ["case_id", "version"]
    assert set(offline.FILL["cases"]) <= set(frame.columns)
    assert (frame[list(offline.FILL["cases"])] == "").all().all()  # blank, to fill in
    # Words beside codes.
    row = frame[frame["case_id"] == str(a_id)].iloc[0]
    assert row["handed_to"] == "National Careers Service" and row["reason_words"] == "NEET"
    fill(frame, "case_id", a_id, fill_contact_on="2025-09-01", fill_reached="yes",
         fill_outcome="engaged", fill_outcome_on="10/09/2025", fill_outcome_code=230)
    frame.to_csv(path, index=False)
    report = offline.import_file(hub, ADVISER, path)
    assert (report.applied, report.unchanged, len(report.conflicts), len(report.rejected)) == (
        1, 1, 0, 0)
    case = case_of(hub, A)
    assert case["contacted_on"] == dt.date(2025, 9, 1) and case["attempts"] == 1
    assert case["outcome"] == "engaged" and case["status"] == "engaged"
    assert case["outcome_on"] == dt.date(2025, 9, 10) and case["outcome_nccis_code"] == 230
    assert case["version"] == 3  # two writes: contact, then outcome
    assert case_of(hub, E)["version"] == 1  # its row was left blank
    history = worklists.history(hub, Scope.admin(), case_id=a_id)
    assert history["action"].tolist() == ["contact", "outcome"]
    assert set(history["user"]) == {"adviser@ncs.example"}
    with hub.connect() as conn:
        audit = conn.execute(select(AuditEvent.__table__).where(
            AuditEvent.__table__.c.action == "import")).mappings().all()
    assert [a["subject"] for a in audit if a["user"] == ADVISER.user] == ["worklist:cases.csv"]


def test_xlsx_round_trip_of_leavers(hub, tmp_path):
    path = offline.export(hub, LEADER, "leavers", tmp_path / "leavers.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Worklist", "Notes", "Codes"]
    notes = " ".join(str(c.value) for c in book["Notes"]["A"] if c.value)
    assert "fill_refer_to" in notes and "conflict" in notes
    frame = pd.read_excel(path, sheet_name="Worklist", dtype=str).fillna("")
    assert sorted(frame["leaver_key"]) == [A, B, C]  # own school only, E is 108076's
    fill(frame, "leaver_key", B, fill_refer_to="ncs", fill_reason="neet",
         fill_intended_code=230)
    fill(frame, "leaver_key", C, fill_confirm_code=310, fill_confirm_on="2025-10-01")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="Worklist", index=False)
    report = offline.import_file(hub, LEADER, path)
    assert (report.applied, report.unchanged, len(report.rejected)) == (2, 1, 0), report.notes
    case = case_of(hub, B)
    assert (case["to_org_type"], case["reason"], case["intended_nccis_code"]) == (
        "ncs", "neet", 230)
    assert case["edited_by"] == "leader@school.example"
    with hub.connect() as conn:
        dest = conn.execute(select(DestinationRecord.__table__).where(
            DestinationRecord.__table__.c.leaver_key == C)).mappings().one()
    assert (dest["leaver_key"], dest["nccis_code"], dest["recorded_on"], dest["kind"]) == (
        C, 310, dt.date(2025, 10, 1), "actual")


def test_formula_like_data_comes_out_inert(hub, tmp_path):
    csv_path = offline.export(hub, ADVISER, "cases", tmp_path / "cases.csv")
    text = csv_path.read_text(encoding="utf-8")
    assert '"\'=HYPERLINK(' in text  # quoted, with the apostrophe that makes it text
    assert ",=HYPERLINK" not in text and '"=HYPERLINK' not in text
    readme = offline.readme_path(csv_path).read_text(encoding="utf-8")
    assert "fill_contact_on" in readme and "hubcore import worklist" in readme
    xlsx_path = offline.export(hub, ADVISER, "cases", tmp_path / "cases.xlsx")
    sheet = openpyxl.load_workbook(xlsx_path)["Worklist"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("school") + 1)
    school = [sheet.cell(row=r, column=header.index("school") + 1) for r in (2, 3)]
    evil = [c for c in school if "HYPERLINK" in str(c.value)]
    assert len(evil) == 1 and evil[0].data_type == "s" and evil[0].value.startswith("'=")
    assert cell.data_type == "s"
    # The file imports back with that cell untouched and nothing changed.
    report = offline.import_file(hub, ADVISER, xlsx_path)
    assert (report.applied, report.unchanged) == (0, 2)


def test_stale_row_is_a_conflict_and_changes_nothing(hub, tmp_path):
    path = offline.export(hub, ADVISER, "cases", tmp_path / "cases.csv")
    a_id = case_of(hub, A)["id"]
    # Another adviser records a failed attempt in the suite after the export.
    worklists.record_contact(hub, OTHER_ADVISER, a_id, 1, dt.date(2025, 8, 25), reached=False)
    frame = read_back(path)
    row_no = fill(frame, "case_id", a_id, fill_contact_on="2025-09-01", fill_reached="yes")
    frame.to_csv(path, index=False)
    # A dry run already says so.
    assert offline.import_file(hub, ADVISER, path, dry_run=True).conflicts["row"].tolist() == [
        row_no]
    report = offline.import_file(hub, ADVISER, path)
    assert report.applied == 0 and report.rejected.empty
    (conflict,) = report.conflicts.to_dict("records")
    assert (conflict["row"], conflict["id"], conflict["your_version"],
            conflict["stored_version"]) == (row_no, a_id, 1, 2)
    assert conflict["changed_by"] == "other@ncs.example"
    assert "contact" in conflict["changes"] and "attempts 0 → 1" in conflict["changes"]
    assert f"row {row_no}" in "\n".join(report.notes)
    case = case_of(hub, A)
    assert (case["version"], case["attempts"], case["contacted_on"]) == (2, 1, None)


def test_leaver_changed_since_export_is_a_conflict(hub, tmp_path):
    path = offline.export(hub, LEADER, "leavers", tmp_path / "leavers.csv")
    frame = read_back(path)
    # In the suite after the export: B is referred to LA tracking by a colleague, C's
    # destination is confirmed.
    colleague = Scope(Role.CAREERS_LEADER, urn=108055, user="deputy@school.example")
    seen = dict(zip(frame["leaver_key"], frame["version"].astype(int), strict=True))
    worklists.refer(hub, colleague, B, "la_tracking", "at_risk", version=seen[B])
    # (confirmed ten days ago, so C's destination is current and C leaves the list)
    confirmed_on = dt.date.today() - dt.timedelta(days=10)
    worklists.confirm_destination(hub, colleague, C, seen[C], 230, confirmed_on)
    row_b = fill(frame, "leaver_key", B, fill_refer_to="ncs", fill_reason="neet")
    row_c = fill(frame, "leaver_key", C, fill_confirm_code=310, fill_confirm_on="2025-10-01")
    frame.to_csv(path, index=False)
    report = offline.import_file(hub, LEADER, path)
    assert report.applied == 0 and report.rejected.empty
    got = report.conflicts.set_index("row")
    assert sorted(got.index) == sorted([row_b, row_c])
    assert got.loc[row_b, "changed_by"] == "deputy@school.example"
    assert "refer" in got.loc[row_b, "changes"]
    assert "to_org_type – → la_tracking" in got.loc[row_b, "changes"]
    assert "confirmed destination" in got.loc[row_c, "changes"]
    assert count(hub, H, H.c.leaver_key == B) == 1  # only the colleague's referral
    with hub.connect() as conn:
        codes_c = conn.execute(select(DestinationRecord.__table__.c.nccis_code).where(
            DestinationRecord.__table__.c.leaver_key == C)).scalars().all()
    assert codes_c == [230]


def test_out_of_scope_row_is_rejected(hub, tmp_path):
    path = offline.export(hub, LEADER, "leavers", tmp_path / "leavers.csv")
    frame = read_back(path)
    # A row for another school's leaver, typed in (or pasted from another school's file).
    extra = {c: "" for c in frame.columns} | {"leaver_key": E, "version": "12345",
                                              "fill_refer_to": "la_tracking",
                                              "fill_reason": "neet"}
    frame = pd.concat([frame, pd.DataFrame([extra])], ignore_index=True)
    frame.to_csv(path, index=False)
    report = offline.import_file(hub, LEADER, path)
    (reject,) = report.rejected.to_dict("records")
    assert reject["row"] == len(frame) + 1 and reject["rule"] == "not_in_your_worklist"
    assert "not in your worklist" in reject["reason"]
    assert count(hub, H, H.c.leaver_key == E) == 1  # no new hand-over for E
    assert report.applied == 0


def test_bad_values_are_rejected_with_row_numbers(hub, tmp_path):
    path = offline.export(hub, ADVISER, "cases", tmp_path / "cases.csv")
    frame = read_back(path)
    a_id, e_id = case_of(hub, A)["id"], case_of(hub, E)["id"]
    row_a = fill(frame, "case_id", a_id, fill_outcome="happy", fill_outcome_on="2025-09-10",
                 fill_outcome_code=999)
    # A valid code and date, but before the case was referred (20/08/2025): the API's rule.
    row_e = fill(frame, "case_id", e_id, fill_outcome="lost", fill_outcome_on="2025-08-01")
    frame.to_csv(path, index=False)
    rejects_csv = tmp_path / "cases.rejects.csv"
    report = offline.import_file(hub, ADVISER, path, rejects_path=rejects_csv)
    got = sorted(zip(report.rejected["row"], report.rejected["column"],
                     report.rejected["rule"], strict=True))
    assert got == sorted([(row_a, "fill_outcome", "unknown_code"),
                          (row_a, "fill_outcome_code", "unknown_code"),
                          (row_e, "fill_outcome", "refused")])
    reasons = dict(zip(report.rejected["column"] + report.rejected["row"].astype(str),
                       report.rejected["reason"], strict=True))
    assert "must be one of: engaged, moved_area, refused, lost" in reasons[f"fill_outcome{row_a}"]
    assert "NCCIS" in reasons[f"fill_outcome_code{row_a}"]
    assert "before" in reasons[f"fill_outcome{row_e}"]
    assert report.applied == 0 and report.rejected_rows == 2
    assert case_of(hub, A)["version"] == 1 and case_of(hub, E)["version"] == 1
    assert sorted(read_back(rejects_csv)["row"].astype(int)) == sorted([row_a, row_a, row_e])


def test_dry_run_changes_nothing(hub, tmp_path):
    path = offline.export(hub, ADVISER, "cases", tmp_path / "cases.csv")
    frame = read_back(path)
    fill(frame, "case_id", case_of(hub, A)["id"], fill_contact_on="2025-09-01",
         fill_reached="no")
    frame.to_csv(path, index=False)
    audits = count(hub, AuditEvent.__table__, AuditEvent.__table__.c.action != "view")
    report = offline.import_file(hub, ADVISER, path, dry_run=True)
    assert report.applied == 1 and "would apply 1" in report.summary()
    assert "dry run" in report.summary()
    assert case_of(hub, A)["version"] == 1 and case_of(hub, A)["attempts"] == 0
    assert count(hub, CaseEvent.__table__) == 0
    assert count(hub, AuditEvent.__table__, AuditEvent.__table__.c.action != "view") == audits


def test_cut_short_or_oversized_files_are_refused(hub, tmp_path, monkeypatch):
    xlsx = offline.export(hub, ADVISER, "cases", tmp_path / "cases.xlsx")
    data = xlsx.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(HubcoreError):
        offline.import_file(hub, ADVISER, cut)
    csv_path = offline.export(hub, ADVISER, "cases", tmp_path / "cases.csv")
    frame = read_back(csv_path)
    fill(frame, "case_id", case_of(hub, E)["id"], fill_contact_on="2025-09-01",
         fill_reached="yes")
    full = frame.to_csv(index=False)
    # The download stopped inside the last row: its fill_reached cell is lost.
    short = tmp_path / "short.csv"
    short.write_text(full.rstrip("\n")[:-3], encoding="utf-8")
    with pytest.raises(HubcoreError, match="cut short"):
        offline.import_file(hub, ADVISER, short)
    monkeypatch.setattr(offline, "MAX_ROWS", 1)
    with pytest.raises(HubcoreError, match="more than a worklist can hold"):
        offline.import_file(hub, ADVISER, csv_path)
    monkeypatch.setattr(offline, "MAX_ROWS", 50_000)
    monkeypatch.setattr(offline, "MAX_BYTES", 200)
    with pytest.raises(HubcoreError, match="more than a worklist file can be"):
        offline.import_file(hub, ADVISER, csv_path)
    monkeypatch.setattr(offline, "MAX_BYTES", 32 << 20)
    with reader.limits(max_cells=10), pytest.raises(HubcoreError, match="--max-cells"):
        offline.import_file(hub, ADVISER, xlsx)
    assert zipfile.is_zipfile(xlsx)  # the export itself is whole
    assert case_of(hub, E)["version"] == 1 and count(hub, CaseEvent.__table__) == 0


def test_import_worklist_command_with_as_user(hub, tmp_path, monkeypatch, capsys):
    from hubcore import users
    from hubcore.cli import main

    users_file = tmp_path / "users.json"
    monkeypatch.setenv(users.ENV_USERS_FILE, str(users_file))
    users.add_user("adviser@ncs.example", "ncs_adviser", ncs_area=AREA, path=users_file)
    path = offline.export(hub, ADVISER, "cases", tmp_path / "cases.csv")
    frame = read_back(path)
    fill(frame, "case_id", case_of(hub, A)["id"], fill_contact_on="2025-09-01",
         fill_reached="yes")
    frame.to_csv(path, index=False)
    url = hub.url.render_as_string(hide_password=False)
    args = ["import", "worklist", str(path), "--db", url, "--no-progress",
            "--as", "adviser@ncs.example"]
    assert main([*args, "--dry-run"]) == 0
    assert "would apply 1" in capsys.readouterr().out
    assert case_of(hub, A)["version"] == 1
    assert main(args) == 0
    assert "applied 1" in capsys.readouterr().out
    case = case_of(hub, A)
    assert case["version"] == 2 and case["edited_by"] == "adviser@ncs.example"
    assert main(["import", "worklist", str(path), "--db", url, "--as", "nobody"]) == 1


def test_page_offers_the_worklist_to_fill_in_and_import_back(hub, tmp_path):
    """The served page's "to fill in offline" file is the export: it imports back as is."""
    from dashboards.worklists import LeaversView, Worklists
    from hubcore.models import Hub, HubMembership

    with hub.begin() as conn:
        conn.execute(Hub.__table__.insert().values(id="T", name="Test hub"))
        conn.execute(HubMembership.__table__.insert(),
                     [{"hub_id": "T", "urn": u, "start_date": dt.date(2020, 9, 1)}
                      for u in (108055, 108076)])
    page = Worklists(db_url=hub.url.render_as_string(hide_password=False), hub_id="T")
    (view,) = [v for v in page._views if isinstance(v, LeaversView)]
    page._scope = LEADER  # as the school's careers leader signed in
    path = tmp_path / "from-page.xlsx"
    path.write_bytes(view._fill_in().getvalue())
    frame = pd.read_excel(path, sheet_name="Worklist", dtype=str).fillna("")
    assert sorted(frame["leaver_key"]) == [A, B, C]  # the leader's own school only
    fill(frame, "leaver_key", C, fill_confirm_code=310, fill_confirm_on="2025-10-01")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="Worklist", index=False)
    report = offline.import_file(hub, LEADER, path)
    assert (report.applied, len(report.rejected), len(report.conflicts)) == (1, 0, 0)
    assert count(hub, DestinationRecord.__table__,
                 DestinationRecord.__table__.c.leaver_key == C) == 1
    assert count(hub, AuditEvent.__table__, AuditEvent.__table__.c.action == "export",
                 AuditEvent.__table__.c.user == LEADER.user,
                 AuditEvent.__table__.c.subject == "worklist leavers") == 1
