"""Real tables for the pages: Panel's Tabulator with sorting, header filters, server-side
pagination, a frozen name column, human column titles and numbers formatted with units; and
download buttons that hold every row.

A page builds a table once with :func:`table` and updates it in place with :func:`show`;
:func:`downloads` gives the CSV and XLSX buttons for the same data. Titles, words for codes and
display rounding come from :mod:`hubcore.vocabulary`, so the table, its downloads and the
briefing say the same thing.

Data text (school, employer and provider names) is untrusted: text columns use Tabulator's
``plaintext`` formatter, which escapes ``& < > " ' / ` =`` before the cell is drawn, and numeric
columns its ``money`` formatter, which escapes any cell that is not a number (``"c"``,
``"low"``). No column is given an HTML formatter.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from io import BytesIO
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
from bokeh.models import CellEditor, StringFormatter, TableColumn

from hubcore import spreadsheet, vocabulary

#: Kinds of column whose cells are numbers (with "c"/"low" where a figure is hidden).
NUMERIC_KINDS = frozenset({vocabulary.PERCENT, vocabulary.RATE, vocabulary.DISTANCE,
                           vocabulary.DURATION, vocabulary.COUNT})
#: Units written after the number in the cell (the column title carries every unit; these
#: two also read well in the cell: "92.1 %", "3.1 km").
CELL_UNITS = {"%": "\u202f%", "km": "\u202fkm"}
#: Widest a column is drawn, pixels: a long title wraps instead of pushing the table wide.
MAX_COLUMN_WIDTH = 220
#: Widest the frozen name column is drawn, pixels (a long name wraps within it).
NAME_COLUMN_WIDTH = 240

_CSS = """
.tabulator .tabulator-header .tabulator-col .tabulator-col-title { white-space: normal; }
.tabulator .tabulator-row .tabulator-cell { white-space: normal; overflow-wrap: anywhere; }
"""


class HubTable(pn.widgets.Tabulator):
    """A Tabulator that sorts and filters a column of numbers with "c"/"low" among them as
    numbers (hidden cells last): Panel would sort such a column as text and fail to compare
    a number filter with it."""

    #: Columns holding numbers and disclosure markers (set by :func:`show`).
    numeric_columns: tuple[str, ...] = ()

    def _get_column_definitions(self, col_names: list[str], df: pd.DataFrame) -> list:
        # Panel gives every column its own Bokeh formatter and editor model: three models a
        # column, each built, themed and sent with every new session (a profile page's three
        # tables made 81). These tables are read-only (``disabled``) and every column has a
        # Tabulator formatter in the configuration (:func:`formatters`), which the browser
        # uses instead of the Bokeh one; so one plain formatter and one plain editor serve
        # every column of a table (one model each, referenced by all of them), and the
        # columns are made here directly: Panel's own method builds a formatter and an editor
        # per column first (about a tenth of an overview session's server CPU, for models
        # that were then dropped).
        plain = [str(c) for c in col_names]
        if (not self.disabled or self.show_index or list(col_names) != plain
                or not all(c in df.columns and c in self.formatters for c in plain)):
            return super()._get_column_definitions(col_names, df)
        formatter, editor = StringFormatter(), CellEditor()
        widths = self.widths
        return [TableColumn(field=c, title=self.titles.get(c, c), formatter=formatter,
                            editor=editor,
                            width=widths if isinstance(widths, int)
                            else widths.get(c) if isinstance(widths.get(c), int) else 0)
                for c in plain]

    def _as_numbers(self, df: pd.DataFrame) -> pd.DataFrame:
        mixed = [c for c in self.numeric_columns
                 if c in df.columns and df[c].dtype.kind == "O"]
        if not mixed:
            return df
        # Sorting and the header filters both ask for the frame on show: converted once.
        memo = getattr(self, "_numbers_memo", None)
        if memo is not None and memo[0] is df and memo[1] == mixed:
            return memo[2]
        out = df.copy()
        for column in mixed:
            out[column] = pd.to_numeric(out[column], errors="coerce")
        self._numbers_memo = (df, mixed, out)
        return out

    def _sort_df(self, df: pd.DataFrame) -> pd.DataFrame:
        numbers = self._as_numbers(df)
        if numbers is df:
            return super()._sort_df(df)
        numbers = numbers.set_axis(pd.RangeIndex(len(numbers)))
        order = super()._sort_df(numbers).index.to_numpy()
        return df.iloc[order]

    def _get_header_filters(self, df: pd.DataFrame) -> list[pd.Series | np.ndarray]:
        return super()._get_header_filters(self._as_numbers(df))


def _is_numeric(frame: pd.DataFrame, column: str) -> bool:
    kind = vocabulary.kind(column)
    if kind in NUMERIC_KINDS:
        return True
    # An unknown column of floats is a measure (for_display gives it one decimal).
    return kind == vocabulary.TEXT and pd.api.types.is_float_dtype(frame[column].dtype)


def _decimals(column: str) -> int:
    places = vocabulary.decimals(column)
    return 1 if places is None else places


#: ``frame.attrs`` key where :func:`prepare` notes what each column holds.
ROLES = "table_roles"


def _roles(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Which columns hold figures (``numbers``: formatted, "at least" filter), numeric
    identifiers (``ids``: URN, year group; "is" filter) and whole numbers (``whole``): noted
    by :func:`prepare` before missing numbers became ``None``, else judged from ``frame``."""
    if ROLES in frame.attrs:
        return frame.attrs[ROLES]
    columns = list(map(str, frame.columns))
    numbers = [c for c in columns if _is_numeric(frame, c)]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
               and not pd.api.types.is_bool_dtype(frame[c].dtype)]
    return {"numbers": numbers, "ids": [c for c in numeric if c not in numbers],
            "whole": [c for c in numeric if pd.api.types.is_integer_dtype(frame[c].dtype)]}


def prepare(frame: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """What a table holds for ``frame``: :func:`hubcore.vocabulary.display_values` (words for
    codes, rounded numbers, original column names), a fresh 0…n-1 index, text columns as
    text so a header filter can search them, missing numbers as ``None`` (empty cells).
    ``attrs["table_roles"]`` says which columns are figures, identifiers and whole numbers."""
    out = vocabulary.display_values(frame, names).reset_index(drop=True)
    roles = _roles(out)
    for column in out.columns:
        series = out[column]
        if str(column) in roles["numbers"] or str(column) in roles["ids"]:
            if series.isna().any():
                # A missing number reaches the browser as NaN, which Tabulator's number
                # formatter prints as "NaN"; None is an empty cell. Sorting and filters
                # still treat the column as numbers (HubTable). Also in a column of numbers
                # and "c" (object dtype), e.g. the funnel's % of referred where none were.
                out[column] = pd.Series([None if pd.isna(v) else v for v in series.tolist()],
                                        dtype=object)
            continue
        if series.dtype.kind == "O":
            cells = series.dropna()
            # A plain all(): mapping an empty column gives a str-dtype Series, whose .all()
            # pandas refuses (a filter that keeps no rows).
            if all(isinstance(v, str) for v in cells.tolist()):
                out[column] = series.astype("str")
    out.attrs[ROLES] = roles
    return out


def titles(frame: pd.DataFrame) -> dict[str, str]:
    """Human column titles with units, one per column (made unique)."""
    return dict(zip(map(str, frame.columns), vocabulary.unique_titles(frame.columns),
                    strict=True))


def formatters(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Tabulator formatters: numbers with their decimals, a thousands separator and (for %
    and km) the unit; everything else as escaped plain text."""
    roles = _roles(frame)
    out: dict[str, dict[str, Any]] = {}
    for column in map(str, frame.columns):
        if column in roles["numbers"]:
            unit = vocabulary.unit(column)
            # Whole numbers stay whole (891 days waiting, not 891.0).
            places = 0 if column in roles["whole"] else _decimals(column)
            out[column] = {"type": "money", "precision": places, "thousand": ",",
                           "symbol": CELL_UNITS.get(unit or "", ""), "symbolAfter": True}
        else:
            out[column] = {"type": "plaintext"}
    return out


def header_filters(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """A header filter per column: "at least" for numbers, "is" for identifiers (URN, year
    group), "contains" for text."""
    roles = _roles(frame)
    out: dict[str, dict[str, Any]] = {}
    for column in map(str, frame.columns):
        if column in roles["numbers"]:
            out[column] = {"type": "number", "func": ">=", "placeholder": "at least"}
        elif column in roles["ids"]:
            out[column] = {"type": "number", "func": "=", "placeholder": "is"}
        else:
            out[column] = {"type": "input", "func": "like", "placeholder": "contains"}
    return out


def _configure(tab: HubTable, frame: pd.DataFrame, name_column: str | None) -> None:
    roles = _roles(frame)
    numeric = tuple(roles["numbers"])
    frozen: list[str] = []
    widths: dict[str, int] = {}
    if name_column is not None and name_column in frame.columns:
        frozen = [name_column]
        widths[name_column] = NAME_COLUMN_WIDTH
    tab.numeric_columns = (*numeric, *roles["ids"])
    tab.param.update(
        titles={**titles(frame), **tab._own_titles},
        formatters=formatters(frame),
        header_filters=header_filters(frame),
        text_align={c: ("right" if c in numeric else "left") for c in map(str, frame.columns)},
        frozen_columns=frozen,
        widths=widths,
    )


def table(frame: pd.DataFrame | None = None, *, name_column: str | None = None,
          page_size: int = 20, names: Mapping[str, str] | None = None,
          **tabulator_options: Any) -> HubTable:
    """A sortable table with header filters, ``page_size`` rows a page paged on the server,
    ``name_column`` frozen at the left while the rest scrolls sideways, human titles
    (:func:`hubcore.vocabulary.title`; a ``titles=`` option overrides single columns) and
    numbers formatted with units. ``names`` gives words for area codes (``la_gss`` …).
    Other keyword options go to :class:`panel.widgets.Tabulator`."""
    own_titles = dict(tabulator_options.pop("titles", {}) or {})
    options: dict[str, Any] = {
        "pagination": "remote", "page_size": page_size, "show_index": False,
        "disabled": True, "sortable": True, "layout": "fit_data_table",
        "sizing_mode": "stretch_width", "stylesheets": [_CSS],
        # Long titles wrap and no column grows past MAX_COLUMN_WIDTH, so a wide table scrolls
        # sideways (name column frozen) instead of cutting its last columns off.
        "configuration": {"columnDefaults": {"headerWordWrap": True,
                                             "maxWidth": MAX_COLUMN_WIDTH}},
    }
    options.update(tabulator_options)
    tab = HubTable(pd.DataFrame(), **options)
    tab._own_titles = own_titles
    tab._name_column = name_column
    tab._names = dict(names or {})
    show(tab, pd.DataFrame() if frame is None else frame)
    return tab


def show_in(holder: Any, current: HubTable | None, frame: pd.DataFrame, *,
            name_column: str | None = None, page_size: int = 20,
            **tabulator_options: Any) -> HubTable:
    """``frame`` in the table ``current``, updated in place; the first time (``current`` is
    None) the :func:`table` is made from the frame (its titles need its columns) and appended
    to ``holder``. Returns the table to keep for the next update."""
    if current is None:
        current = table(frame, name_column=name_column, page_size=page_size,
                        **tabulator_options)
        holder.append(current)
    else:
        show(current, frame)
    return current


#: Prepared frames of frames still alive: ``id(frame)`` → (a weak reference to the frame, the
#: ``names`` it was prepared with, the prepared frame). See :func:`prepared_for`.
_PREPARED: dict[int, tuple[weakref.ref, tuple, pd.DataFrame]] = {}


def prepared_for(frame: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`prepare` ``(frame, names)``, made once per frame object: the sessions of one
    scope are shown the same cached frames (:mod:`dashboards.common.data`, a page's own
    ``pn.cache``), and preparing them again for every new session was about a tenth of a
    profile page's server time. Keyed by the frame object itself (checked through a weak
    reference, so a new frame at a reused address is prepared afresh), never by its content:
    a prepared frame is only ever reused for the very frame it came from, so nothing passes
    between scopes that did not share that frame already. Treat the result as read-only."""
    wanted, key = tuple(sorted((names or {}).items())), id(frame)
    held = _PREPARED.get(key)
    if held is not None and held[0]() is frame and held[1] == wanted:
        return held[2]
    prepared = prepare(frame, names)
    try:
        ref = weakref.ref(frame, lambda _, key=key: _PREPARED.pop(key, None))
    except TypeError:  # pragma: no cover - a frame that takes no weak reference
        return prepared
    _PREPARED[key] = (ref, wanted, prepared)
    return prepared


def show(tab: HubTable, frame: pd.DataFrame) -> None:
    """Put ``frame`` in a :func:`table` in place (titles and formatters follow its columns),
    sending nothing when neither the data nor the columns changed."""
    prepared = prepared_for(frame, getattr(tab, "_names", None))
    old = tab.value
    if isinstance(old, pd.DataFrame) and old.shape == prepared.shape \
            and list(old.columns) == list(prepared.columns) and old.equals(prepared):
        return
    if not isinstance(old, pd.DataFrame) or list(old.columns) != list(prepared.columns) \
            or [str(t) for t in old.dtypes] != [str(t) for t in prepared.dtypes]:
        _configure(tab, prepared, getattr(tab, "_name_column", None))
    tab.page = 1
    tab.value = prepared


def download_frame(frame: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """What a download holds: every row of ``frame`` as people read it (words for codes,
    rounded numbers, human titles; :func:`hubcore.vocabulary.for_display`). A frame already
    made for people (``for_display``'s, e.g. a page's own titled table) is taken as it is."""
    if vocabulary.is_for_display(frame):
        return frame
    return vocabulary.for_display(frame, names)


def downloads(get_frame: Callable[[], pd.DataFrame], stem: str, *,
              names: Mapping[str, str] | None = None, sheet_name: str = "Data") -> pn.Row:
    """CSV and XLSX download buttons holding every row of ``get_frame()`` (called when
    clicked) with human titles and display values, written by :mod:`hubcore.spreadsheet`
    (formula-safe). Files are ``{stem}.csv`` and ``{stem}.xlsx``."""

    def csv() -> BytesIO:
        return BytesIO(spreadsheet.to_csv_bytes(download_frame(get_frame(), names)))

    def xlsx() -> BytesIO:
        return BytesIO(spreadsheet.to_xlsx(download_frame(get_frame(), names),
                                           sheet_name=sheet_name))

    return pn.Row(
        pn.widgets.FileDownload(callback=csv, filename=f"{stem}.csv", embed=False,
                                label="Download CSV (every row)"),
        pn.widgets.FileDownload(callback=xlsx, filename=f"{stem}.xlsx", embed=False,
                                label="Download Excel (every row)"),
    )
