"""Real tables (dashboards.common.tables), without a browser: titles, formatters, the frozen
name column, server-side paging, number-aware sorting and filtering, and downloads that hold
every row, formula-safe. Expected values are worked out by hand here."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from dashboards.common import tables

EVIL = "<img src=x onerror=alert(1)>"


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "name": [EVIL, "Beta Academy", "Gamma School"],
        "bm5_min_per_pupil": [5.2168021680216805, 1.05, 0.25],
        "neet_nk_pct": pd.Series([12.34, "c", "low"], dtype=object),
        "leavers": pd.Series([161.0, "c", 1204.0], dtype=object),
        "distance_km": [3.097882, 0.05, 12.0],
        "urn": [900001, 900002, 900003],
        "year_from": [7, 10, 11],
        "role": ["enterprise_adviser", "work_experience_partner", "governor"],
    })


def test_titles_are_human_with_units():
    tab = tables.table(_frame(), name_column="name")
    assert tab.titles == {
        "name": "Name", "bm5_min_per_pupil": "BM5 encounters (per pupil)",
        "neet_nk_pct": "NEET or not known (%)", "leavers": "Leavers",
        "distance_km": "Distance (km)", "urn": "URN", "year_from": "From year", "role": "Role"}


def test_a_page_can_override_one_title():
    tab = tables.table(_frame(), titles={"name": "School"})
    assert tab.titles["name"] == "School"
    assert tab.titles["distance_km"] == "Distance (km)"


def test_paging_sorting_filters_and_frozen_name():
    tab = tables.table(_frame(), name_column="name", page_size=25)
    assert tab.pagination == "remote"
    assert tab.page_size == 25
    assert tab.frozen_columns == ["name"]
    assert tab.sortable is True
    assert tab.show_index is False
    assert set(tab.header_filters) == set(_frame().columns)
    assert tab.header_filters["distance_km"]["type"] == "number"
    assert tab.header_filters["name"]["func"] == "like"


def test_no_frozen_column_unless_named():
    assert tables.table(_frame()).frozen_columns == []


def test_formatters_give_decimals_and_units_and_escape_text():
    fm = tables.table(_frame()).formatters
    assert fm["bm5_min_per_pupil"]["type"] == "money"
    assert fm["bm5_min_per_pupil"]["precision"] == 1
    assert fm["neet_nk_pct"]["precision"] == 1 and "%" in fm["neet_nk_pct"]["symbol"]
    assert fm["distance_km"]["precision"] == 1 and "km" in fm["distance_km"]["symbol"]
    assert fm["leavers"]["precision"] == 0 and fm["leavers"]["thousand"] == ","
    assert tables.formatters(pd.DataFrame({"days_waiting": [891], "median_days": [22.5]})) \
        == {"days_waiting": {"type": "money", "precision": 0, "thousand": ",", "symbol": "",
                             "symbolAfter": True},
            "median_days": {"type": "money", "precision": 1, "thousand": ",", "symbol": "",
                            "symbolAfter": True}}
    # Identifiers are not numbers to format (URN 900,001 or year 2,024 would be wrong).
    assert fm["urn"] == {"type": "plaintext"}
    assert fm["year_from"] == {"type": "plaintext"}
    # Text goes through Tabulator's plaintext formatter, which escapes HTML; no column is
    # given an HTML formatter.
    assert fm["name"] == {"type": "plaintext"}
    assert not any(f.get("type") == "html" for f in fm.values())


def test_values_are_words_and_rounded():
    value = tables.table(_frame()).value
    assert value["name"].tolist()[0] == EVIL  # untouched text; escaped when drawn
    assert value["role"].tolist() == ["Enterprise adviser", "Work experience partner",
                                      "Governor"]
    assert value["bm5_min_per_pupil"].tolist() == [5.2, 1.1, 0.2]
    assert value["neet_nk_pct"].tolist() == [12.3, "c", "low"]
    assert value["leavers"].tolist() == [161, "c", 1204]
    assert value["distance_km"].tolist() == [3.1, 0.1, 12.0]


def test_sorting_a_column_with_hidden_cells_sorts_numbers():
    tab = tables.table(_frame())
    tab.sorters = [{"field": "leavers", "dir": "desc"}]
    # 1204 > 161 as numbers ("161" > "1204" as text); the hidden "c" goes last.
    assert tab.current_view["leavers"].tolist() == [1204, 161, "c"]
    tab.sorters = [{"field": "leavers", "dir": "asc"}]
    assert tab.current_view["leavers"].tolist() == [161, 1204, "c"]


def test_number_filter_on_a_column_with_hidden_cells():
    tab = tables.table(_frame())
    tab.filters = [{"field": "leavers", "type": ">=", "value": "200"}]
    assert tab.current_view["name"].tolist() == ["Gamma School"]
    tab.filters = [{"field": "name", "type": "like", "value": "academy"}]
    assert tab.current_view["name"].tolist() == ["Beta Academy"]


def test_show_updates_in_place():
    tab = tables.table(_frame(), name_column="name")
    same = tab
    tables.show(tab, pd.DataFrame({"name": ["X"], "days_waiting": [891]}))
    assert tab is same
    assert tab.value["name"].tolist() == ["X"]
    assert tab.titles == {"name": "Name", "days_waiting": "Waiting (days)"}
    assert tab.frozen_columns == ["name"]


def _big_frame(rows: int = 250) -> pd.DataFrame:
    frame = pd.DataFrame({
        "name": [f"School {i:03d}" for i in range(rows)],
        "pct_education": [i / 3 for i in range(rows)],
        "role": ["enterprise_adviser"] * rows,
    })
    if rows > 7:
        frame.loc[7, "name"] = "=cmd|' /C calc'!A0"
    return frame


def _click(button) -> bytes:
    return button.callback().getvalue()


def test_downloads_hold_every_row_with_titles_and_safe_cells():
    frame = _big_frame()
    row = tables.downloads(lambda: frame, "schools")
    csv_button, xlsx_button = row[0], row[1]
    assert (csv_button.filename, xlsx_button.filename) == ("schools.csv", "schools.xlsx")

    lines = list(csv.reader(io.StringIO(_click(csv_button).decode("utf-8"))))
    assert lines[0] == ["Name", "Education (%)", "Role"]
    assert len(lines) == 1 + 250
    assert lines[8][0] == "'=cmd|' /C calc'!A0"  # row 7 of the frame, neutralised
    assert lines[1 + 4][1] == "1.3"  # 4 / 3 = 1.333… shown to one decimal
    assert lines[1 + 249][1] == "83.0"  # 249 / 3
    assert lines[1][2] == "Enterprise adviser"

    book = openpyxl.load_workbook(io.BytesIO(_click(xlsx_button)))
    sheet = book.active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == ("Name", "Education (%)", "Role")
    assert len(cells) == 1 + 250
    assert cells[8][0] == "'=cmd|' /C calc'!A0"
    assert cells[1 + 4][1] == pytest.approx(1.3)
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)


def test_downloads_read_the_frame_when_clicked():
    state = {"frame": _big_frame(3)}
    row = tables.downloads(lambda: state["frame"], "x")
    state["frame"] = _big_frame(5)
    assert len(_click(row[0]).decode().splitlines()) == 1 + 5


def test_a_frame_already_for_people_is_downloaded_as_it_is():
    from hubcore import vocabulary

    shown = vocabulary.for_display(pd.DataFrame({"pupils": [12], "kind": ["special"]}))
    shown.columns = ["Pupils on roll", "Type of school"]  # a page's own titles
    row = tables.downloads(lambda: shown, "x")
    assert _click(row[0]).decode().splitlines() == [
        "Pupils on roll,Type of school", '12,"Special school"']


def test_missing_numbers_are_empty_cells_and_still_numbers():
    frame = pd.DataFrame({
        "name": ["A", "B", "C"],
        "nearest_supplier_km": [0.4, float("nan"), 1.8],
        "urn": pd.array([900030, pd.NA, 900020], dtype="Int64"),
        "days_waiting": pd.array([891, pd.NA, 30], dtype="Int64"),
    })
    tab = tables.table(frame)
    # NaN would reach Tabulator's number formatter and print "NaN"; None prints nothing.
    assert tab.value["nearest_supplier_km"].tolist() == [0.4, None, 1.8]
    assert tab.value["urn"].tolist() == [900030, None, 900020]
    assert tab.formatters["nearest_supplier_km"]["precision"] == 1
    assert tab.formatters["days_waiting"]["precision"] == 0  # whole days, even beside a gap
    assert tab.formatters["urn"] == {"type": "plaintext"}
    assert tab.header_filters["urn"]["func"] == "="
    assert tab.header_filters["nearest_supplier_km"]["func"] == ">="
    tab.sorters = [{"field": "nearest_supplier_km", "dir": "desc"}]
    assert tab.current_view["name"].tolist() == ["C", "A", "B"]  # the gap last
    tab.sorters = []
    tab.filters = [{"field": "nearest_supplier_km", "type": ">=", "value": "1"}]
    assert tab.current_view["name"].tolist() == ["C"]
    tab.filters = [{"field": "urn", "type": "=", "value": "900020"}]
    assert tab.current_view["name"].tolist() == ["C"]


def test_a_gap_beside_hidden_figures_is_an_empty_cell_not_nan():
    # The profile's funnel: % of referred is "c" (hidden), a figure, or missing where no one
    # was referred; the column is object dtype and the missing cell printed "NaN".
    frame = pd.DataFrame({
        "handed_to": ["la_tracking", "ncs", "ncs"],
        "pct_contacted_of_referred": pd.Series(["c", 81.66, float("nan")], dtype=object),
    })
    tab = tables.table(frame)
    assert tab.value["pct_contacted_of_referred"].tolist() == ["c", 81.7, None]
