"""Every CSV and XLSX the suite writes neutralises formula cells (OWASP's CSV-injection rule)
while numbers stay numbers, and all of them go through one writer (hubcore.spreadsheet)."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hubcore import spreadsheet, store
from hubcore.access import Role, Scope
from hubcore.ingest import import_file
from tests.ingest_corpus import encounter_rows, seed_employers, seed_schools, write_csv

ROOT = Path(__file__).resolve().parents[1]
LINK = '=HYPERLINK("http://x","y")'


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\rx", "'\rx"),
        ("  =1", "'  =1"),  # spaces before the sign
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals
        ("-3.5", "-3.5"),  # a number written as text stays as it is
        ("+44", "+44"),
        ("1e-3", "1e-3"),
        ("a=b", "a=b"),
        ("St Mary's", "St Mary's"),
        ("", ""),
        (-3.5, -3.5),
        (None, None),
    ],
)
def test_neutralise_cell(value, expected):
    assert spreadsheet.neutralise(value) == expected


def test_csv_text_cells_prefixed_numbers_untouched():
    frame = pd.DataFrame({
        "name": [LINK, "Plain", None],
        "score": [-3.5, 2.0, None],
        "mixed": pd.Series([12, "c", "@x"], dtype=object),
    })
    text = spreadsheet.to_csv(frame)
    lines = text.splitlines()
    assert lines[0] == "name,score,mixed"
    # The negative number is written bare (a number), the text quoted and prefixed.
    assert lines[1] == '"\'=HYPERLINK(""http://x"",""y"")",-3.5,12'
    assert lines[2] == '"Plain",2.0,"c"'
    assert lines[3] == ',,"\'@x"'  # missing values are empty fields, not ""
    assert rows_of(text)[1][0] == "'" + LINK


def test_csv_cell_with_semicolon_stays_one_quoted_cell():
    # Opened in a locale whose list separator is ";", an unquoted a;=1+1 would split into a
    # formula cell; quoted, it stays one text cell.
    assert spreadsheet.to_csv(pd.DataFrame({"x": ["a;=1+1"]})).splitlines()[1] == '"a;=1+1"'


def test_categorical_text_is_neutralised():
    frame = pd.DataFrame({"kind": pd.Categorical(["=x", "ok"])})
    assert rows_of(spreadsheet.to_csv(frame))[1:] == [["'=x"], ["ok"]]


def test_header_from_data_is_neutralised():
    assert spreadsheet.to_csv(pd.DataFrame({"=cmd": [1]})).splitlines()[0] == "'=cmd"


def test_xlsx_cells_are_text_not_formulas_and_numbers_numbers():
    frame = pd.DataFrame({"name": [LINK, "bad\x01char"], "score": [-3.5, 4]})
    sheet = openpyxl.load_workbook(io.BytesIO(spreadsheet.to_xlsx(frame, "S"))).active
    name, score = sheet["A2"], sheet["B2"]
    assert name.data_type == "s" and name.value == "'" + LINK
    assert score.data_type == "n" and score.value == -3.5
    assert sheet["A3"].value == "bad\ufffdchar"  # XML cannot hold \x01; no crash


def test_write_csv_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = spreadsheet.write_csv(pd.DataFrame({"a": ["=1"]}), tmp_path / "out.csv")
    assert path.read_text() == "a\n\"'=1\"\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


# --- every place the suite writes a table ---------------------------------------------------


def test_overview_xlsx_and_csv_downloads(demo_engine, monkeypatch):
    pytest.importorskip("panel")
    from dashboards.common import tables
    from dashboards.overview import AreaOverview

    view = AreaOverview(db_url=demo_engine.url.render_as_string(hide_password=False))
    table = view.schools_table().head(2).copy()
    table["name"] = [LINK, "@evil"]
    table["achieved"] = [-3.5, 2]  # a negative number must stay a number
    monkeypatch.setattr(view, "schools_table", lambda: table)
    # The buttons the page shows: tables.downloads over the page's export.
    csv_button, xlsx_button = tables.downloads(view.export, "schools").objects
    sheet = openpyxl.load_workbook(xlsx_button.callback()).active
    headers = [c.value for c in sheet[1]]
    name = sheet.cell(row=2, column=headers.index("School or college") + 1)
    assert name.data_type == "s" and name.value.startswith("'") and name.value[1:] == LINK
    achieved = sheet.cell(row=2, column=next(i for i, h in enumerate(headers)
                                             if h.startswith("Benchmarks achieved")) + 1)
    assert achieved.data_type == "n" and achieved.value < 0
    rows = rows_of(csv_button.callback().getvalue().decode("utf-8-sig"))
    assert rows[1][0] == "'" + LINK and rows[2][0] == "'@evil"


def test_table_downloads_neutralise_formulas():
    """The employers page's (and every table's) CSV: tables.downloads over its frame."""
    pytest.importorskip("panel")
    from dashboards.common import tables

    frame = pd.DataFrame({"employer": ["+cmd", "Acme"], "links": [-1, 3]})
    csv_button, _ = tables.downloads(lambda: frame, "x").objects
    text = csv_button.callback().getvalue().decode("utf-8-sig")
    assert rows_of(text) == [["Employer", "Links"], ["'+cmd", "-1"], ["Acme", "3"]]
    assert text.splitlines()[1] == "\"'+cmd\",-1"


def test_report_csv_is_neutralised():
    from hubcore.metrics import report

    table = pd.DataFrame({"employer": ["-1+cmd"], "schools": [3]})
    assert rows_of(report.to_csv(table))[1] == ["'-1+cmd", "3"]


def test_rejects_file_neutralises_the_rejected_value(engine, tmp_path):
    seed_schools(engine)
    seed_employers(engine)
    rows = encounter_rows(2)
    rows[1]["kind"] = LINK
    path = write_csv(tmp_path / "enc.csv", rows)
    result = import_file(engine, "encounters", path)
    assert result.rejected == 1
    rejects = rows_of(result.rejects_path.read_text())
    assert rejects[0] == ["file", "row", "column", "value", "rule", "message"]
    assert rejects[1][2:4] == ["kind", "'" + LINK]


def test_audit_csv_is_neutralised(engine, capsys):
    from hubcore import cli

    store.record_audit(engine, Scope(Role.ADMIN, user="=cmd|' /C calc'!A0"), "view", "leavers",
                       rows=-2)
    url = engine.url.render_as_string(hide_password=False)
    assert cli.main(["audit", "--db", url, "--format", "csv"]) == 0
    rows = rows_of(capsys.readouterr().out)
    assert rows[0] == ["at", "user", "role", "action", "subject", "rows", "detail"]
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][5] == "-2"


def test_templates_still_import_and_open(tmp_path):
    from hubcore.ingest.templates import write_template

    xlsx = write_template("encounters", tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["encounters", "Columns", "About"]
    assert all(c.data_type != "f" for row in book["Columns"].iter_rows() for c in row)
    text = write_template("encounters", tmp_path / "t.csv").read_text()
    assert text.splitlines()[-1].startswith("urn,date,kind,")


# --- one writer -------------------------------------------------------------------------------

#: Calls that write a table; only hubcore/spreadsheet.py may make them.
WRITERS = {"to_csv", "to_excel", "ExcelWriter", "writer", "DictWriter", "Workbook"}
#: ``X.to_csv(...)`` is allowed for these modules (they are, or wrap, the one writer).
WRAPPERS = {"spreadsheet", "report"}


def writer_calls(source: str) -> list[tuple[int, str]]:
    """``(line, call)`` for every table-writing call in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in WRITERS:
            continue
        owner = func.value if isinstance(func, ast.Attribute) else None
        owner_name = getattr(owner, "id", "")
        if name == "writer" and owner_name != "csv":
            continue  # e.g. a Panel widget called "writer"
        if name in {"to_csv"} and owner_name in WRAPPERS:
            continue
        found.append((node.lineno, ast.unparse(func)))
    return found


def test_writer_guard_finds_direct_writes():
    sample = (
        "frame.to_csv(p)\nframe.to_excel(b)\ncsv.writer(f)\npd.ExcelWriter(p)\n"
        "openpyxl.Workbook()\nspreadsheet.to_csv(f)\nreport.to_csv(t)\n"
    )
    assert [line for line, _ in writer_calls(sample)] == [1, 2, 3, 4, 5]


def test_no_table_is_written_outside_the_one_writer():
    offenders = []
    for folder in ("hubcore", "dashboards"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "hubcore" / "spreadsheet.py":
                continue
            for line, call in writer_calls(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {call}")
    assert offenders == [], "write tables with hubcore.spreadsheet instead:\n" + "\n".join(
        offenders)
