"""Hub-kept records: employers, links, offers, encounters, leavers, destinations, hand-overs."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from hubcore.errors import HubcoreError
from hubcore.ingest import import_file
from hubcore.models import (
    DestinationRecord,
    Employer,
    EmployerLink,
    EmployerOffer,
    Encounter,
    Handover,
    Leaver,
)
from tests.ingest_corpus import (
    TODAY,
    encounter_rows,
    seed_employers,
    seed_schools,
    write_csv,
    write_xlsx_with_title,
)

KEY = "a1b2c3d4e5f6a7b8c9d0"


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()


@pytest.fixture
def hub(engine):
    seed_schools(engine)
    seed_employers(engine)
    return engine


def run(engine, kind, path, **kw):
    return import_file(engine, kind, path, today=TODAY, **kw)


def test_encounters_import_and_reimport_changes_nothing(hub, tmp_path):
    path = write_csv(tmp_path / "enc.csv", encounter_rows(3))
    first = run(hub, "encounters", path)
    assert (first.read, first.accepted, first.rejected, first.inserted) == (3, 3, 0, 3)
    second = run(hub, "encounters", path)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    assert count(hub, Encounter) == 3
    assert "read 3, accepted 3, rejected 0" in second.summary()
    with hub.connect() as conn:
        years = set(conn.execute(select(Encounter.__table__.c.academic_year)).scalars())
    assert years == {"2024/25"}


def test_changed_participants_update_in_place(hub, tmp_path):
    rows = encounter_rows(2)
    run(hub, "encounters", write_csv(tmp_path / "a.csv", rows))
    rows[0]["participants"] = 999
    report = run(hub, "encounters", write_csv(tmp_path / "b.csv", rows))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    with hub.connect() as conn:
        total = conn.execute(select(func.sum(Encounter.__table__.c.participants))).scalar_one()
    assert total == 999 + 101


def test_bad_rows_go_to_rejects_csv_with_row_column_value_rule(hub, tmp_path):
    rows = encounter_rows(8)
    rows[1]["benchmark"] = 9                 # out of range
    rows[2]["date"] = "2027-01-01"           # future (today is 2026-06-30)
    rows[3]["kind"] = "assembly"             # unknown code
    rows[4]["urn"] = 999999                  # unknown school
    rows[5]["employer_ref"] = "EMP-404"      # unknown employer
    rows[6]["year_from"], rows[6]["year_to"] = 12, 9  # reversed
    rows[7] = dict(rows[0])                  # duplicate of row 2
    path = write_csv(tmp_path / "enc.csv", rows)
    report = run(hub, "encounters", path)
    assert (report.read, report.accepted, report.rejected) == (8, 1, 7)
    assert count(hub, Encounter) == 1
    rejects = pd.read_csv(tmp_path / "enc.rejects.csv", dtype=str)
    assert list(rejects.columns[:5]) == ["file", "row", "column", "value", "rule"]
    got = {(int(r.row), r.column, r.rule) for r in rejects.itertuples()}
    assert got == {
        (3, "benchmark", "out_of_range"),
        (4, "date", "future_date"),
        (5, "kind", "unknown_code"),
        (6, "urn", "unknown_school"),
        (7, "employer_ref", "unknown_employer"),
        (8, "year_to", "years_reversed"),
        (9, "urn", "duplicate"),
    }
    duplicate = rejects.loc[rejects["rule"] == "duplicate", "message"].item()
    assert duplicate.endswith("row 2 of the file")
    assert set(rejects["file"]) == {"enc.csv"}
    assert "rejects in enc.rejects.csv" in report.summary()


def test_wrong_header_stops_before_writing(hub, tmp_path):
    run(hub, "encounters", write_csv(tmp_path / "ok.csv", encounter_rows(2)))
    frame = pd.DataFrame(encounter_rows(2)).drop(columns=["participants"]).assign(colour="red")
    with pytest.raises(HubcoreError) as err:
        run(hub, "encounters", write_csv(tmp_path / "bad.csv", frame))
    message = str(err.value)
    assert "missing columns: participants" in message and "unknown columns: colour" in message
    assert "\n" not in message
    assert count(hub, Encounter) == 2  # rows already stored are kept


def test_xlsx_with_title_rows_above_header(hub, tmp_path):
    frame = pd.DataFrame(encounter_rows(3))
    path = write_xlsx_with_title(tmp_path / "log.xlsx", frame, title_rows=2)
    frame.loc[1, "participants"] = -5
    bad = write_xlsx_with_title(tmp_path / "bad.xlsx", frame, title_rows=2)
    report = run(hub, "encounters", path)
    assert (report.accepted, report.rejected) == (3, 0)
    report = run(hub, "encounters", bad)
    # Header on spreadsheet row 3, so the second data row is row 5.
    assert report.rejects[["row", "column", "rule"]].values.tolist() == [
        [5, "participants", "out_of_range"]
    ]


def test_employers_links_offers(hub, tmp_path):
    employers = write_csv(tmp_path / "emp.csv", [
        {"ref": "EMP-9", "name": "Acme", "size_band": "Large", "easting": 430000,
         "northing": 433000, "cornerstone": "yes", "postcode": "LS1 4AP"},
        {"ref": "EMP-10", "name": "Half located", "easting": 430000},
    ])
    report = run(hub, "employers", employers)
    assert (report.accepted, report.rejected) == (1, 1)
    assert report.rejects["rule"].tolist() == ["incomplete_location"]
    with hub.connect() as conn:
        acme = conn.execute(select(Employer.__table__).where(Employer.__table__.c.ref == "EMP-9"))
        acme = acme.mappings().one()
    assert acme["size_band"] == "large" and acme["cornerstone"] is True
    assert 53.7 < acme["lat"] < 53.9 and -1.6 < acme["lon"] < -1.4
    links = write_csv(tmp_path / "links.csv", [
        {"employer_ref": "EMP-9", "urn": 108055, "role": "cornerstone",
         "start_date": "01/09/2024"},
        {"employer_ref": "EMP-9", "urn": 108076, "role": "governor",
         "start_date": "2025-01-01", "end_date": "2024-01-01"},
    ])
    report = run(hub, "links", links)
    assert report.rejects["rule"].tolist() == ["end_before_start"]
    assert count(hub, EmployerLink) == 1
    offers = write_csv(tmp_path / "offers.csv", [
        {"employer_ref": "EMP-9", "academic_year": "2025/26", "kind": "workplace_visit",
         "benchmark": 6, "capacity": 30, "taken_up": 12},
        {"employer_ref": "EMP-9", "academic_year": "2025/27", "kind": "talk",
         "benchmark": 5, "capacity": 10, "taken_up": 11},
    ])
    report = run(hub, "offers", offers)
    assert sorted(report.rejects["rule"]) == ["bad_academic_year", "taken_up_over_capacity"]
    assert count(hub, EmployerOffer) == 1


def leaver(key=KEY, **kw):
    return {"key": key, "urn": 108055, "cohort": 2025, "year_group": 11,
            "left_on": "2025-07-18", **kw}


def test_leavers_refuse_identifying_columns(hub, tmp_path):
    path = write_csv(tmp_path / "leavers.csv", [leaver(first_name="Ann", dob="2009-01-01")])
    with pytest.raises(HubcoreError, match=r"identifying columns \(first_name, dob\).*data "
                       r"protection"):
        run(hub, "leavers", path)
    assert count(hub, Leaver) == 0


def test_leaver_keys_must_be_pseudonymous(hub, tmp_path):
    rows = [leaver(), leaver(key="A123456789012"), leaver(key="1234567890"),
            leaver(key="short"), leaver(key="b" * 20, sen="X")]
    report = run(hub, "leavers", write_csv(tmp_path / "leavers.csv", rows))
    assert report.accepted == 1
    assert sorted(report.rejects["rule"]) == ["key_too_short", "looks_like_uln",
                                              "looks_like_upn", "unknown_code"]


def test_destinations_and_handovers(hub, tmp_path):
    run(hub, "leavers", write_csv(tmp_path / "leavers.csv", [leaver()]))
    dests = write_csv(tmp_path / "dest.csv", [
        {"leaver_key": KEY, "recorded_on": "2025-11-01", "nccis_code": 230},
        {"leaver_key": KEY, "recorded_on": "2025-12-01", "nccis_code": 999},
        {"leaver_key": "c" * 20, "recorded_on": "2025-12-01", "nccis_code": 540},
    ])
    report = run(hub, "destinations", dests)
    assert sorted(report.rejects["rule"]) == ["unknown_code", "unknown_leaver"]
    report = run(hub, "destinations", write_csv(tmp_path / "d2.csv", [
        {"leaver_key": KEY, "recorded_on": "2025-12-01", "nccis_code": 1200}]))
    assert report.rejects["rule"].tolist() == ["out_of_range"]
    with hub.connect() as conn:
        category = conn.execute(select(DestinationRecord.__table__.c.category)).scalar_one()
    assert category == "education"
    handovers = write_csv(tmp_path / "ho.csv", [
        {"leaver_key": KEY, "reason": "neet", "left_on": "2025-07-18",
         "referred_on": "2025-08-20", "contacted_on": "2025-08-27", "status": "contacted"},
        {"leaver_key": KEY, "reason": "neet", "left_on": "2025-07-19",
         "referred_on": "2025-07-01", "status": "referred"},
        {"leaver_key": KEY, "reason": "neet", "left_on": "2025-07-20", "status": "engaged"},
    ])
    report = run(hub, "handovers", handovers)
    # the engaged row has neither a referral nor a contact date: both rules say so
    assert sorted(report.rejects["rule"]) == ["referral_before_leaving", "status_needs_contact",
                                              "status_needs_referral"]
    with hub.connect() as conn:
        stored = conn.execute(select(Handover.__table__)).mappings().one()
    assert stored["from_urn"] == 108055 and stored["to_org_type"] == "ncs"


def test_dry_run_writes_nothing(hub, tmp_path):
    report = run(hub, "encounters", write_csv(tmp_path / "e.csv", encounter_rows(2)),
                 dry_run=True)
    assert report.accepted == 2 and "dry run" in report.summary()
    assert count(hub, Encounter) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary", "not a text file"),
        (b"urn,date\n\x81\x8d,\x8f\x90\n", "neither UTF-8"),
    ],
)
def test_unreadable_files_stop_with_one_line(hub, tmp_path, content, expected):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(HubcoreError, match=expected):
        run(hub, "encounters", path)


def test_bom_cp1252_and_semicolons_are_read(hub, tmp_path):
    frame = pd.DataFrame(encounter_rows(2)).assign(provider_name="Café Ltd")
    bom = tmp_path / "bom.csv"
    frame.to_csv(bom, index=False, encoding="utf-8-sig")
    cp = tmp_path / "cp.csv"
    frame.to_csv(cp, index=False, encoding="cp1252", sep=";")
    assert run(hub, "encounters", bom).inserted == 2
    report = run(hub, "encounters", cp)
    assert (report.unchanged, report.inserted) == (2, 0)


def test_database_refusal_writes_nothing(hub, tmp_path, monkeypatch):
    """A row the validators missed but the schema refuses rolls the whole import back."""
    from hubcore.ingest import hubrecords

    original = hubrecords._encounters

    def sneaky(engine, checker, typed):
        rows, write = original(engine, checker, typed)
        return rows.assign(participants=-1), write

    monkeypatch.setitem(hubrecords._PREPARE, "encounters", sneaky)
    with pytest.raises(HubcoreError, match="database refused the rows.*nothing was written"):
        run(hub, "encounters", write_csv(tmp_path / "e.csv", encounter_rows(3)))
    assert count(hub, Encounter) == 0


def test_excel_date_and_number_cells(hub, tmp_path):
    import datetime as dt

    frame = pd.DataFrame(encounter_rows(2))
    frame["date"] = [dt.datetime(2025, 3, 10), dt.datetime(2025, 3, 11)]
    frame["duration_days"] = [0.5, 2.0]
    path = tmp_path / "typed.xlsx"
    frame.to_excel(path, index=False)
    report = run(hub, "encounters", path)
    assert (report.accepted, report.rejected) == (2, 0)
    with hub.connect() as conn:
        stored = pd.read_sql(select(Encounter.__table__).order_by("date"), conn)
    assert stored["date"].astype(str).tolist() == ["2025-03-10", "2025-03-11"]
    assert stored["duration_days"].tolist() == [0.5, 2.0]


def test_csv_with_title_line_above_header(hub, tmp_path):
    path = tmp_path / "titled.csv"
    body = pd.DataFrame(encounter_rows(2)).assign(benchmark=[5, 0]).to_csv(index=False)
    path.write_text("Encounters exported 2025-07-01,,,\n" + body)
    report = run(hub, "encounters", path)
    assert report.rejects[["row", "column"]].values.tolist() == [[4, "benchmark"]]


def test_unknown_kind_is_a_user_error(hub, tmp_path):
    with pytest.raises(HubcoreError, match="unknown import kind 'pupils'"):
        import_file(hub, "pupils", tmp_path / "x.csv")
