"""GIAS re-imports (issue 13 item 8): a column the file does not have never erases what is
stored; a column that is there with an empty cell clears the stored value (GIAS's word)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from hubcore.ingest import import_file
from hubcore.models import School
from tests.ingest_corpus import write_csv

REQUIRED = {"URN": "", "LA (code)": "383", "EstablishmentName": "",
            "TypeOfEstablishment (code)": "1", "PhaseOfEducation (code)": "4",
            "EstablishmentStatus (name)": "Open"}


def _full(urn: int, name: str, **changes) -> dict:
    row = {**REQUIRED, "URN": str(urn), "EstablishmentName": name,
           "StatutoryLowAge": "11", "StatutoryHighAge": "18", "NumberOfPupils": "1203",
           "PercentageFSM": "23.4", "Postcode": "LS1 4AP", "Easting": "429800",
           "Northing": "433600", "DistrictAdministrative (code)": "E08000035",
           "GSSLACode (name)": "E08000035", "LSOA (code)": "E01011234",
           "Trusts (code)": "TR01234", "UKPRN": "10012345", "EstablishmentNumber": "4001",
           "LastChangedDate": "01-05-2025"}
    return {**row, **changes}


def _stored(engine, urn: int) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(School.__table__).where(School.__table__.c.urn == urn)).one()
    return dict(row._mapping)


def test_reimport_without_optional_columns_keeps_stored_values(engine, tmp_path):
    first = write_csv(tmp_path / "full.csv", [_full(140001, "Hill Top Academy"),
                                              _full(140002, "Vale School")])
    assert import_file(engine, "gias", first).inserted == 2
    before = _stored(engine, 140001)
    assert (before["la_gss"], before["lad_gss"], before["lsoa_code"]) == (
        "E08000035", "E08000035", "E01011234")
    assert before["kind"] == "mainstream_11_18" and before["lsoa_vintage"] == 2021
    # Only the required columns and a new pupil count (a hand-made or partial extract).
    partial = pd.DataFrame([{**REQUIRED, "URN": "140001", "EstablishmentName": "Hill Top Academy",
                             "NumberOfPupils": "1250"}])
    report = import_file(engine, "gias", write_csv(tmp_path / "partial.csv", partial))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    assert any("left as stored" in note and "LSOA (code)" in note for note in report.notes)
    after = _stored(engine, 140001)
    assert after["pupils"] == 1250
    unchanged = {k: v for k, v in before.items() if k != "pupils"}
    assert {k: after[k] for k in unchanged} == unchanged  # la_gss, lsoa, kind, lat/lon, …


def test_present_but_empty_cells_clear_the_stored_value(engine, tmp_path):
    import_file(engine, "gias", write_csv(tmp_path / "a.csv", [_full(140001, "Hill Top")]))
    emptied = _full(140001, "Hill Top", **{"LSOA (code)": "", "Trusts (code)": "",
                                           "NumberOfPupils": ""})
    import_file(engine, "gias", write_csv(tmp_path / "b.csv", [emptied]))
    after = _stored(engine, 140001)
    assert (after["lsoa_code"], after["lsoa_vintage"], after["trust_code"], after["pupils"]) == (
        None, None, None, None)
    assert after["la_gss"] == "E08000035"  # still in the file, unchanged


def test_half_a_location_leaves_the_stored_location(engine, tmp_path):
    import_file(engine, "gias", write_csv(tmp_path / "a.csv", [_full(140001, "Hill Top")]))
    before = _stored(engine, 140001)
    row = _full(140001, "Hill Top", Easting="430000")
    del row["Northing"]
    import_file(engine, "gias", write_csv(tmp_path / "b.csv", [row]))
    after = _stored(engine, 140001)
    assert [after[c] for c in ("easting", "northing", "lat", "lon")] == [
        before[c] for c in ("easting", "northing", "lat", "lon")]


def test_district_without_la_column_fills_only_a_blank_la(engine, tmp_path):
    # 140001 stored with an upper-tier code; 140002 stored without one.
    blank = {"GSSLACode (name)": "", "DistrictAdministrative (code)": ""}
    rows = [_full(140001, "Hill Top"), _full(140002, "Vale", **blank)]
    import_file(engine, "gias", write_csv(tmp_path / "a.csv", rows))
    assert _stored(engine, 140002)["la_gss"] is None
    again = []
    for row in (_full(140001, "Hill Top", **{"DistrictAdministrative (code)": "E08000036"}),
                _full(140002, "Vale", **{"DistrictAdministrative (code)": "E08000036"})):
        del row["GSSLACode (name)"]
        again.append(row)
    import_file(engine, "gias", write_csv(tmp_path / "b.csv", again))
    assert _stored(engine, 140001)["la_gss"] == "E08000035"  # kept: no GSSLACode column
    assert _stored(engine, 140002)["la_gss"] == "E08000036"  # filled from its district
    assert _stored(engine, 140002)["lad_gss"] == "E08000036"
