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
    assert columns[0].width == tables.NAME_COLUMN_WIDTH and columns[1].width == 0
    assert len({id(c.formatter) for c in columns}) == 1
    assert len({id(c.editor) for c in columns}) == 1


def test_an_editable_table_keeps_panel_s_own_columns():
    frame = pd.DataFrame({"name": ["Ash"], "pupils": [3]})
    tab = tables.table(frame, disabled=False)
    columns = tab._get_columns()
    assert len({id(c.editor) for c in columns}) == 2  # a string and an integer editor
    assert type(columns[1].editor).__name__ == "IntEditor"
