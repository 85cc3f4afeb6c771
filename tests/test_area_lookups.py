"""LA-district lookups (issue #16 item 1): ``hubcore import area-lookup``, ``hubcore.areas``
and the combined-authority / LSIP briefing packs.

Hand-made files carry the real files' quirks on purpose (a byte-order mark and an ObjectId
column as ONS writes them, names padded with spaces and an extra column as DfE's LSIP sheet
has them) plus bad codes; one test reads the real lookups in ../shared/data/lookups in place.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from hubcore import areas, data_version, models
from hubcore.display import region
from hubcore.errors import HubcoreError
from hubcore.ingest import import_file

CA_HEADER = "LAD25CD,LAD25NM,CAUTH25CD,CAUTH25NM,ObjectId"
LSIP_HEADER = "LAD23CD,LAD23NM,LSIP23CD,LSIP23NM,NEW LSIP GEOGRAPHY (4 london areas)"


def _write(path: Path, header: str, rows: list[str], bom: bool = False) -> Path:
    text = "\n".join([header, *rows]) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _ca(tmp_path: Path, wakefield: str = "E47000003,West Yorkshire") -> Path:
    """ONS-style: BOM, ObjectId. Barnsley under its 2025 code E08000038."""
    return _write(tmp_path / "ca.csv", CA_HEADER, [
        "E08000035,Leeds,E47000003,West Yorkshire,1",
        f"E08000036,Wakefield,{wakefield},2",
        "E08000038,Barnsley,E47000002,South Yorkshire,3",
    ], bom=True)


def _lsip(tmp_path: Path) -> Path:
    """DfE-style: padded names, an extra column; Leeds is also in the CA file."""
    return _write(tmp_path / "lsip.csv", LSIP_HEADER, [
        "E08000035,Leeds,E69000037,  West   Yorkshire ,West Yorkshire",
        "E07000163,Craven,E69000029, North Yorkshire ,North Yorkshire ",
    ])


def _stored(engine) -> list[tuple]:
    t = models.AreaMembership.__table__
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(t.c.child_code, t.c.parent_kind, t.c.parent_code, t.c.parent_name,
                      t.c.vintage).order_by(t.c.parent_kind, t.c.child_code))]


def test_a_district_in_two_lookups_bom_and_padding(engine, tmp_path):
    ca = import_file(engine, "area-lookup", _ca(tmp_path))
    lsip = import_file(engine, "area-lookup", _lsip(tmp_path))
    assert (ca.inserted, ca.rejected, lsip.inserted, lsip.rejected) == (3, 0, 2, 0)
    assert _stored(engine) == [
        ("E08000035", "cauth", "E47000003", "West Yorkshire", 2025),
        ("E08000036", "cauth", "E47000003", "West Yorkshire", 2025),
        ("E08000038", "cauth", "E47000002", "South Yorkshire", 2025),
        ("E07000163", "lsip", "E69000029", "North Yorkshire", 2023),
        ("E08000035", "lsip", "E69000037", "West Yorkshire", 2023),
    ]
    # Leeds is in both areas; each area has only its own districts.
    assert areas.las_in(engine, "E47000003") == ["E08000035", "E08000036"]
    assert areas.las_in(engine, " e69000037 ") == ["E08000035"]
    # Barnsley's old code (GIAS, 2024 boundaries) comes with its new one.
    assert areas.las_in(engine, "E47000002") == ["E08000016", "E08000038"]
    assert areas.area_name(engine, "E69000037") == "West Yorkshire"
    assert areas.area_name(engine, "E47000002") == "South Yorkshire"


def test_bad_codes_are_rejected_with_their_row_numbers(engine, tmp_path):
    path = _write(tmp_path / "bad.csv", LSIP_HEADER, [
        "E08000035,Leeds,E69000037,West Yorkshire,",        # row 2: good
        "E10000023,North Yorkshire,E69000029,North Yorkshire,",  # row 3: a county, not a district
        "E08000036,Wakefield,E47000003,West Yorkshire,",    # row 4: a CA code in the LSIP column
        "W06000015,Cardiff,E69000099,Nowhere,",             # row 5: Welsh district
        "E08000035,Leeds again,E69000001,Elsewhere,",       # row 6: Leeds twice
        "E07000163,Craven,,,",                              # row 7: no LSIP: skipped
    ], bom=True)
    report = import_file(engine, "area-lookup", path)
    rejects = report.rejects
    assert list(zip(rejects["row"], rejects["column"], rejects["rule"], strict=True)) == [
        (3, "LAD23CD", "bad_code"), (4, "LSIP23CD", "bad_code"), (5, "LAD23CD", "bad_code"),
        (6, "LAD23CD", "duplicate"),
    ]
    assert "row 2" in rejects["message"].iloc[-1]
    assert (report.read, report.rejected, report.skipped, report.inserted) == (6, 4, 1, 1)
    assert _stored(engine) == [("E08000035", "lsip", "E69000037", "West Yorkshire", 2023)]


def test_a_file_without_the_columns_is_refused_whole(engine, tmp_path):
    path = _write(tmp_path / "x.csv", "LAD25CD,LAD25NM,CTY25CD", ["E08000035,Leeds,E10000023"])
    with pytest.raises(HubcoreError, match="parent code column: RGNyyCD, CAUTHyyCD or LSIPyyCD"):
        import_file(engine, "area-lookup", path)
    assert _stored(engine) == []


def test_reimport_changes_nothing_and_a_changed_lookup_updates(engine, tmp_path):
    before = data_version.current(engine)
    import_file(engine, "area-lookup", _ca(tmp_path))
    assert data_version.current(engine) == before + 1  # page caches read afresh
    again = import_file(engine, "area-lookup", _ca(tmp_path))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    # Wakefield moves (a new edition of the same year, say): one row updated, none added.
    moved = import_file(engine, "area-lookup",
                        _ca(tmp_path, wakefield="E47000002,South Yorkshire"))
    assert (moved.inserted, moved.updated, moved.unchanged) == (0, 1, 2)
    assert areas.las_in(engine, "E47000003") == ["E08000035"]
    assert areas.las_in(engine, "E47000002") == ["E08000016", "E08000036", "E08000038"]



def test_a_district_the_file_now_leaves_out_of_any_area_loses_its_membership(engine, tmp_path):
    """Wakefield is in West Yorkshire, then a corrected file of the same edition leaves its
    combined authority blank: the old membership goes (one change), Leeds's and Barnsley's
    stay; a district absent from the file (Craven, from another lookup) keeps its own."""
    import_file(engine, "area-lookup", _ca(tmp_path))
    import_file(engine, "area-lookup", _lsip(tmp_path))
    blank = import_file(engine, "area-lookup", _ca(tmp_path, wakefield=","))
    assert (blank.inserted, blank.updated, blank.unchanged) == (0, 1, 2)
    assert any("1 stored membership removed" in n for n in blank.notes)
    assert areas.las_in(engine, "E47000003") == ["E08000035"]
    assert [r[:3] for r in _stored(engine) if r[1] == "cauth"] == [
        ("E08000035", "cauth", "E47000003"), ("E08000038", "cauth", "E47000002")]
    assert [r[0] for r in _stored(engine) if r[1] == "lsip"] == ["E07000163", "E08000035"]
    again = import_file(engine, "area-lookup", _ca(tmp_path, wakefield=","))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_newest_edition_of_an_area_wins(engine, tmp_path):
    import_file(engine, "area-lookup", _ca(tmp_path))
    # A 2026 edition of West Yorkshire without Wakefield: the 2025 rows are not mixed in.
    _write(tmp_path / "ca26.csv", "LAD26CD,LAD26NM,CAUTH26CD,CAUTH26NM",
           ["E08000035,Leeds,E47000003,West Yorkshire CA"])
    import_file(engine, "area-lookup", tmp_path / "ca26.csv")
    assert areas.las_in(engine, "E47000003") == ["E08000035"]
    assert areas.area_name(engine, "E47000003") == "West Yorkshire CA"


def test_unknown_or_misshapen_codes_are_clear_errors(engine, tmp_path):
    with pytest.raises(HubcoreError, match=r"in LSIP area E69000037; LSIP areas present: none "
                       r"\(import the DfE 'LA Districts to LSIPs' lookup with `hubcore import "
                       r"area-lookup FILE`\)"):
        areas.las_in(engine, "E69000037")
    import_file(engine, "area-lookup", _ca(tmp_path))
    with pytest.raises(HubcoreError, match=r"no local authority in the database is in combined "
                       r"authority E47000099; combined authorities present: E47000002 \(South "
                       r"Yorkshire\), E47000003 \(West Yorkshire\)$"):
        areas.las_in(engine, "E47000099")
    with pytest.raises(HubcoreError, match="not an English region .* combined authority .* LSIP"):
        areas.las_in(engine, "E10000023")
    with pytest.raises(HubcoreError, match="no hub has schools in combined authority E47000003 "
                       r"\(West Yorkshire\)"):
        region.area_hub_ids(engine, "E47000003")


def _insert(engine, model, rows):
    with engine.begin() as conn:
        conn.execute(sa.insert(model.__table__), rows)


def test_hubs_match_on_district_or_upper_tier_and_regions_combine(engine, tmp_path):
    """H1's school is in county E10000023 with district E07000163 (only the district is in the
    LSIP lookup); H2's school has Leeds as upper tier and no district; H3's school carries
    Barnsley's old code, the CA lookup its new one."""
    import_file(engine, "area-lookup", _ca(tmp_path))
    import_file(engine, "area-lookup", _lsip(tmp_path))
    _insert(engine, models.Hub, [{"id": h, "name": f"Hub {h}"} for h in ("H1", "H2", "H3")])
    _insert(engine, models.School, [
        {"urn": 100001, "name": "S1", "kind": "mainstream_11_16", "la_gss": "E10000023",
         "lad_gss": "E07000163", "la_code": 815, "type_code": 28, "phase_code": 4},
        {"urn": 100002, "name": "S2", "kind": "mainstream_11_16", "la_gss": "E08000035",
         "lad_gss": None, "la_code": 383, "type_code": 28, "phase_code": 4},
        {"urn": 100003, "name": "S3", "kind": "mainstream_11_16", "la_gss": "E08000016",
         "lad_gss": "E08000016", "la_code": 370, "type_code": 28, "phase_code": 4},
    ])
    _insert(engine, models.HubMembership, [
        {"id": i, "hub_id": f"H{i}", "urn": 100000 + i, "start_date": dt.date(2020, 9, 1)}
        for i in (1, 2, 3)
    ])
    assert region.area_hub_ids(engine, "E69000029") == ["H1"]
    assert region.area_hub_ids(engine, "E69000037") == ["H2"]
    assert region.area_hub_ids(engine, "E47000003") == ["H2"]
    assert region.area_hub_ids(engine, "E47000002") == ["H3"]
    # A region from an LA row's parent_code (Leeds, upper tier) and from a lookup (Barnsley).
    _insert(engine, models.Area, [{"code": "E08000035", "kind": "utla", "name": "Leeds",
                                   "parent_code": "E12000003"}])
    _write(tmp_path / "rgn.csv", "LAD24CD,LAD24NM,RGN24CD,RGN24NM",
           ["E08000016,Barnsley,E12000003,Yorkshire and The Humber"])
    import_file(engine, "area-lookup", tmp_path / "rgn.csv")
    assert region.region_las(engine, "E12000003") == ["E08000016", "E08000035", "E08000038"]
    assert region.region_hub_ids(engine, "E12000003") == ["H2", "H3"]
    with pytest.raises(HubcoreError, match="not an English region code"):
        region.region_las(engine, "E47000003")


def test_the_real_lookups(engine, shared_data):
    folder = shared_data / "lookups"
    ca = import_file(engine, "area-lookup", folder / "lad25_to_cauth25_may2025_en.csv")
    lsip = import_file(engine, "area-lookup", folder / "lad23_to_lsip23_dfe.csv")
    # README: 106 LADs in 15 CAs; 296 LADs in 38 LSIP areas.
    assert (ca.inserted, ca.rejected, lsip.inserted, lsip.rejected) == (106, 0, 296, 0)
    # Greater Manchester: the ten metropolitan boroughs, Bolton E08000001 to Wigan E08000010.
    assert areas.las_in(engine, "E47000001") == [f"E080000{n:02d}" for n in range(1, 11)]
    assert areas.area_name(engine, "E47000001") == "Greater Manchester"
    # The same ten boroughs make up the Greater Manchester LSIP area.
    assert areas.las_in(engine, "E69000014") == [f"E080000{n:02d}" for n in range(1, 11)]
    # ' Buckinghamshire ' in the file, stored without its padding.
    assert areas.area_name(engine, "E69000002") == "Buckinghamshire"
    # Leeds is in West Yorkshire in both lookups.
    assert "E08000035" in areas.las_in(engine, "E47000003")
    assert "E08000035" in areas.las_in(engine, "E69000037")
    again = import_file(engine, "area-lookup", folder / "lad23_to_lsip23_dfe.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 296)


# --- the pack, from the command line -----------------------------------------------------------


@pytest.fixture(scope="module")
def demo_ca(tmp_path_factory):
    """A fresh demo hub (its LA X06000001) placed in combined authority E47000099 by a
    hand-made lookup imported from the command line."""
    from hubcore import db, demo
    from hubcore.cli import main
    from tests.conftest import _drop, _url

    path = tmp_path_factory.mktemp("demo_ca")
    url = _url(path)
    eng = db.get_engine(url)
    db.upgrade(eng)
    demo.build(eng, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    lookup = _write(path / "ca.csv", CA_HEADER,
                    ["X06000001,Eastmere,E47000099,  Fenland  Combined Authority ,1"], bom=True)
    rendered = eng.url.render_as_string(hide_password=False)
    assert main(["import", "area-lookup", str(lookup), "--db", rendered, "--no-progress"]) == 0
    yield rendered
    eng.dispose()
    _drop(url)


def test_cli_brief_combined_authority_names_it(demo_ca, tmp_path, capsys):
    from hubcore.cli import main

    out = tmp_path / "pack"
    code = main(["brief", "--db", demo_ca, "--combined-authority", "e47000099", "--out",
                 str(out), "--format", "pdf", "--as-of", "2026-12-01"])
    assert code == 0, capsys.readouterr().err
    pdf = out / "briefing-region-E47000099-2026-12-01.pdf"
    assert str(pdf) in capsys.readouterr().out
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"Fenland Combined Authority \\(E47000099\\)" in data  # title, padding removed


def test_cli_brief_wrong_kind_or_unknown_area_in_words(demo_ca, tmp_path, capsys):
    from hubcore.cli import main

    out = tmp_path / "pack"
    assert main(["brief", "--db", demo_ca, "--lsip", "E47000099", "--out", str(out)]) != 0
    assert "--lsip takes a E69... code" in capsys.readouterr().err
    assert main(["brief", "--db", demo_ca, "--combined-authority", "E47000001", "--out",
                 str(out)]) != 0
    err = capsys.readouterr().err
    assert ("no local authority in the database is in combined authority E47000001; combined "
            "authorities present: E47000099 (Fenland Combined Authority)") in err
    assert not out.exists()
