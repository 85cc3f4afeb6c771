"""A read-only table's columns are made directly (no formatter and editor per column built
and dropped), with the titles, widths and fields the table is configured with."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("panel")

from dashboards.common import tables  # noqa: E402


def test_read_only_columns_carry_titles_widths_and_one_shared_formatter_and_editor():
    frame = pd.DataFrame({"name": ["<b>Ash</b> & Co", "Birch"], "pupils": [120, 7],
                          "bm5_pct": [51.26, None]})
    tab = tables.table(frame, name_column="name", titles={"pupils": "Pupils on roll"})
    columns = tab._get_columns()
    assert [c.field for c in columns] == ["name", "pupils", "bm5_pct"]
    assert columns[1].title == "Pupils on roll"
    # "Pupils on roll": its longest word "Pupils" is 6 x 8 + 34 = 82 px; its longest cell
    # "120" only 3 x 8 + 16 = 40 (the 80 px floor), so the title sets the width.
    assert columns[0].width == tables.NAME_COLUMN_WIDTH and columns[1].width == 82
    assert all(c.width > 0 for c in columns)  # nothing left for the browser to measure
    assert tab.frozen_columns == ["name"]
    assert len({id(c.formatter) for c in columns}) == 1
    assert len({id(c.editor) for c in columns}) == 1


def test_an_editable_table_keeps_panel_s_own_columns():
    frame = pd.DataFrame({"name": ["Ash"], "pupils": [3]})
    tab = tables.table(frame, disabled=False)
    columns = tab._get_columns()
    assert len({id(c.editor) for c in columns}) == 2  # a string and an integer editor
    assert type(columns[1].editor).__name__ == "IntEditor"


def test_every_column_gets_a_width_from_its_title_words_and_longest_formatted_cell():
    frame = pd.DataFrame({"name": ["Ash", "Birch"], "note": ["x" * 40, None],
                          "pupils": [1234567, -5], "rate": ["c", None]})
    column_titles = {"name": "Establishment", "note": "Note", "pupils": "Pupils",
                     "rate": "Disadvantaged-pupil-destinations rate"}
    money = {"type": "money", "precision": 1, "thousand": ",", "symbol": "\u202f%"}
    column_formatters = {"name": {"type": "plaintext"}, "note": {"type": "plaintext"},
                         "pupils": money, "rate": money}
    widths = tables.column_widths(frame, column_titles, column_formatters, "name")
    assert widths == {
        "name": 240,     # NAME_COLUMN_WIDTH; "Establishment" needs only 13 x 8 + 34 = 138
        "note": 220,     # 40 x 8 + 16 = 336, capped at MAX_COLUMN_WIDTH (the text wraps)
        "pupils": 120,   # "1,234,567.0 %" is 13 characters: 13 x 8 + 16
        "rate": 290,     # "Disadvantaged-pupil-destinations" 32 x 8 + 34: a title word is
    }                    # never cut, even past MAX_COLUMN_WIDTH


def test_a_long_name_column_title_widens_the_frozen_column():
    frame = pd.DataFrame({"name": ["Ash"]})
    widths = tables.column_widths(frame, {"name": "Establishmentsandcollegesandproviders"},
                                  {"name": {"type": "plaintext"}}, "name")
    assert widths == {"name": 37 * 8 + 34}  # 330 > NAME_COLUMN_WIDTH
