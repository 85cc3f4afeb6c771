"""Input limits: over-long lines and fields, NUL bytes anywhere, XLSX bombs (declared size,
declared dimension, padded cells) and coordinates contradicting the declared CRS are refused
with one clear line, quickly and without reading the whole file; each limit can be raised with a
flag of ``hubcore import``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from hubcore import cli
from hubcore.errors import HubcoreError
from hubcore.ingest import import_file, reader
from hubcore.ingest.reader import read_table
from tests.ingest_corpus import encounter_rows, seed_employers, seed_schools

HEADER = "urn,date,kind,benchmark,year_from,year_to,participants,employer_ref\n"
ROW = "108055,2025-03-14,talk,5,10,11,120,EMP-1\n"


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def import_cli(engine, path: Path, *flags: str) -> int:
    return cli.main(["import", "encounters", str(path), "--db", url_of(engine), "--no-progress",
                     *flags])


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hubcore: error: "), err
    return err[0]


# --- CSV: lines, fields, NUL bytes -------------------------------------------------------------


def test_long_line_refused_and_the_flag_raises_the_limit(engine, tmp_path, capsys):
    seed_schools(engine)
    seed_employers(engine)
    path = tmp_path / "enc.csv"
    # Line 3 is 2,001 bytes (its provider column is long) and the limit is set to 2,000.
    long_row = ROW.rstrip("\n") + "," + "x" * (2_001 - len(ROW)) + "\n"
    path.write_text(HEADER.rstrip("\n") + ",provider_name\n" + ROW.rstrip("\n") + ",\n"
                    + long_row)
    assert len(long_row.rstrip("\n").encode()) == 2_001
    assert import_cli(engine, path, "--max-line-bytes", "2000") == 1
    line = error_line(capsys)
    assert "enc.csv: line 3 is longer than 2,000 bytes" in line and "--max-line-bytes" in line
    # One byte more of allowance and the file is read (its rows are then validated as usual).
    assert import_cli(engine, path, "--max-line-bytes", "2001", "--max-field-bytes", "3K") == 0
    assert "enc.csv: read 2" in capsys.readouterr().out


def test_field_spanning_many_short_lines_is_a_long_field(tmp_path):
    path = tmp_path / "open_quote.csv"
    # A quote left open: every line is short, but the field runs to the end of the file.
    path.write_text(HEADER + '108055,"' + "abc\n" * 500 + "\n")
    with reader.limits(max_field_bytes=1_000), pytest.raises(HubcoreError) as err:
        read_table(path)
    assert "a field starting on line 2 is longer than 1,000 bytes" in str(err.value)
    assert "--max-field-bytes" in str(err.value)
    # Quoted separators and doubled quotes do not end or start a field.
    ok = tmp_path / "ok.csv"
    field = '"x,""y"",z"'  # 11 bytes with its quotes
    ok.write_text(f"a,b\n{field},2\n")
    with reader.limits(max_field_bytes=len(field)):
        assert read_table(ok).frame.iloc[0, 0] == 'x,"y",z'
    with reader.limits(max_field_bytes=len(field) - 1), pytest.raises(HubcoreError,
                                                                      match="line 2"):
        read_table(ok)


def test_nul_byte_far_into_the_file_is_refused(tmp_path):
    path = tmp_path / "nul.csv"
    body = HEADER + ROW * 200  # about 8 KB, past the first 4 KB checked before
    at = len(body) - 10
    path.write_bytes(body[:at].encode() + b"\x00" + body[at:].encode())
    line_no = body[:at].count("\n") + 1
    with pytest.raises(HubcoreError) as err:
        read_table(path)
    assert f"contains a NUL byte (line {line_no:,}, byte {at:,})" in str(err.value)


def test_utf16_file_with_its_nul_bytes_is_still_read(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes((HEADER + ROW).encode("utf-16"))
    assert read_table(path).frame["urn"].tolist() == ["108055"]


def test_size_flags_take_units():
    args = cli.build_parser().parse_args(
        ["import", "encounters", "x.csv", "--max-line-bytes", "4M", "--max-cells", "1500000",
         "--max-xlsx-bytes", "1G", "--max-field-bytes", "512K"])
    assert (args.max_line_bytes, args.max_cells, args.max_xlsx_bytes, args.max_field_bytes) == (
        4 * 1024 * 1024, 1_500_000, 1024 ** 3, 512 * 1024)


PROBE = textwrap.dedent("""
    import resource, sys, time
    from pathlib import Path
    from hubcore.errors import HubcoreError
    from hubcore.ingest.reader import read_table
    read_table(Path(sys.argv[2]))  # warm up: imports and a small file
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        read_table(Path(sys.argv[1]))
        outcome = "read"
    except HubcoreError as exc:
        outcome = str(exc)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(took, (peak - base) / 1024, outcome, sep="\\n")
""")


def test_50_mb_single_line_fails_fast_in_little_memory(tmp_path):
    big = tmp_path / "one_line.csv"
    with big.open("wb") as handle:
        handle.write(b"a,b\n1,")
        block = b"x" * (1 << 20)
        for _ in range(50):
            handle.write(block)
    small = tmp_path / "small.csv"
    small.write_text("a,b\n1,2\n")
    done = subprocess.run([sys.executable, "-c", PROBE, str(big), str(small)],
                          capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    took, grew_mb, outcome = done.stdout.strip().splitlines()
    assert "line 2 is longer than 1 MiB" in outcome
    # Refused after one 4 MiB chunk: nowhere near the 50 MB a whole-line read holds.
    assert float(grew_mb) < 40, grew_mb
    assert float(took) < 5, took


# --- XLSX: declared size, declared dimension, padded cells -------------------------------------


def minimal_xlsx(path: Path, sheet_xml: str, level: int = zipfile.ZIP_DEFLATED) -> Path:
    """An XLSX holding one sheet with the given XML (written by hand, as an attacker would)."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType'
            '="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application'
            '/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override Part'
            'Name="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-office'
            'document.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
            'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxml'
            'formats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
            'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", compression=level) as book:
        for name, text in parts.items():
            book.writestr(name, text)
    return path


def sheet(rows: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxml'
            f'formats.org/spreadsheetml/2006/main">{dim}<sheetData>{rows}</sheetData></worksheet>')


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def test_hand_written_xlsx_reads(tmp_path):
    rows = (f'<row r="1">{inline("A1", "urn")}{inline("B1", "kind")}</row>'
            f'<row r="2"><c r="A2"><v>108055</v></c>{inline("B2", "talk")}</row>')
    table = read_table(minimal_xlsx(tmp_path / "ok.xlsx", sheet(rows, "A1:B2")))
    assert table.frame.to_dict("records") == [{"urn": "108055", "kind": "talk"}]


def test_xlsx_bomb_by_uncompressed_size_refused_unread(engine, tmp_path, capsys):
    # 20 MB of rows compress to a few tens of KB.
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(1, 2))
    padding = "<row/>" * 3_500_000
    path = minimal_xlsx(tmp_path / "bomb.xlsx", sheet(rows + padding))
    assert path.stat().st_size < 200_000
    started = time.perf_counter()
    assert import_cli(engine, path, "--max-xlsx-bytes", "10M") == 1
    line = error_line(capsys)
    assert "bomb.xlsx: the workbook unpacks to 20.0 MiB, more than the limit of 10 MiB" in line
    assert "--max-xlsx-bytes" in line
    assert time.perf_counter() - started < 5


def test_xlsx_declaring_a_huge_sheet_refused_before_reading(tmp_path):
    rows = f'<row r="1">{inline("A1", "urn")}</row>'
    path = minimal_xlsx(tmp_path / "dim.xlsx", sheet(rows, "A1:XFD1048576"))
    with pytest.raises(HubcoreError) as err:
        read_table(path)
    assert f"more than 2,000,000 cells ({16_384 * 1_048_576:,} counted" in str(err.value)


def test_xlsx_with_far_away_cells_refused_while_reading(tmp_path):
    # No dimension; every row has one cell in the last column, so each row is 16,384 cells
    # wide once read: 130 rows of a 10 KB file make 2.1 million cells.
    rows = "".join(f'<row r="{i}"><c r="XFD{i}"><v>1</v></c></row>' for i in range(1, 131))
    path = minimal_xlsx(tmp_path / "wide.xlsx", sheet(rows))
    assert path.stat().st_size < 20_000
    started = time.perf_counter()
    with pytest.raises(HubcoreError, match="more than 2,000,000 cells"):
        read_table(path)
    assert time.perf_counter() - started < 30
    with reader.limits(max_cells=100_000), pytest.raises(HubcoreError, match="--max-cells"):
        read_table(path)


def test_xlsx_written_by_openpyxl_still_reads_with_numbers_and_dates(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["urn", "date", "participants", "ratio"])
    ws.append([108055, pd.Timestamp("2025-03-14").to_pydatetime(), 120.0, 0.25])
    book.save(tmp_path / "n.xlsx")
    assert read_table(tmp_path / "n.xlsx").frame.to_dict("records") == [
        {"urn": "108055", "date": "2025-03-14 00:00:00", "participants": "120", "ratio": "0.25"}
    ]


# --- boundaries: coordinates against the declared CRS ------------------------------------------


def squares(xy: list[tuple[float, float]], size: float) -> list:
    return [box(x, y, x + size, y + size) for x, y in xy]


def lsoas(geoms) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame({"LSOA11CD": [f"E0100{i:04d}" for i in range(n)],
                             "LSOA11NM": [f"Leeds {i:03d}A" for i in range(n)]},
                            geometry=geoms)


def write_geojson(path: Path, gdf: gpd.GeoDataFrame, crs_name: str | None) -> Path:
    """GeoJSON with (or without) an explicit "crs" member, coordinates as given."""
    obj = json.loads(gdf.to_json())
    obj.pop("crs", None)
    if crs_name:
        obj["crs"] = {"type": "name", "properties": {"name": crs_name}}
    path.write_text(json.dumps(obj))
    return path


LEEDS_DEGREES = [(-1.55, 53.80), (-1.50, 53.79)]
LEEDS_METRES = [(430_000.0, 433_000.0), (433_500.0, 432_000.0)]


def test_bng_declared_but_degrees_is_refused(engine, tmp_path):
    path = write_geojson(tmp_path / "deg.geojson", lsoas(squares(LEEDS_DEGREES, 0.01)),
                         "urn:ogc:def:crs:EPSG::27700")
    with pytest.raises(HubcoreError) as err:
        import_file(engine, "boundaries", path)
    text = str(err.value)
    assert "contradict the declared coordinate system" in text
    assert "EPSG:27700 is in metres" in text and "look like degrees" in text


def test_lonlat_declared_but_metres_is_refused(engine, tmp_path):
    for crs_name in ("urn:ogc:def:crs:OGC:1.3:CRS84", None):  # None: GeoJSON's default
        path = write_geojson(tmp_path / "m.geojson", lsoas(squares(LEEDS_METRES, 500)),
                             crs_name)
        with pytest.raises(HubcoreError, match=r"beyond ±180/±90"):
            import_file(engine, "boundaries", path)


def test_one_degrees_feature_in_a_bng_file_is_rejected_the_rest_kept(engine, tmp_path):
    geoms = squares(LEEDS_METRES, 500) + squares(LEEDS_DEGREES[:1], 0.01)
    path = write_geojson(tmp_path / "mixed.geojson", lsoas(geoms),
                         "urn:ogc:def:crs:EPSG::27700")
    report = import_file(engine, "boundaries", path)
    assert (report.accepted, report.rejected) == (2, 1)
    assert report.rejects[["row", "rule"]].values.tolist() == [[4, "outside_great_britain"]]
    assert "look like degrees" in report.rejects["message"].iloc[0]


def test_every_limit_is_documented_with_its_flag():
    doc = reader.Limits.__doc__
    for flag in ("--max-line-bytes", "--max-field-bytes", "--max-xlsx-bytes", "--max-cells"):
        assert flag in doc
    encounter_rows(1)  # (the corpus helpers stay importable for the CLI tests above)
