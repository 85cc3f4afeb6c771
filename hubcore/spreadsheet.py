"""The one writer of every CSV and XLSX file the suite hands out (downloads, ``hubcore report``,
``hubcore audit``, rejects files, templates).

Text in those files often comes from data a hub imported (school, employer and provider names,
a rejected value), and a spreadsheet program runs a cell starting with ``=``, ``+``, ``-`` or ``@``
as a formula (``=HYPERLINK(...)`` sends a click to anyone's server, DDE formulas can start
programs). So, following OWASP's "CSV injection" rule, every text cell (and header) that starts
with one of ``= + - @``, a tab, carriage return or line feed, or the full-width forms of the
first four (which some spreadsheet input methods treat the same), or with spaces before one of
them, gets a leading apostrophe ``'``: the spreadsheet then shows it as text. Numbers stay
numbers: a numeric cell is written as a number, and a text cell that is a plain decimal number
(``-3.5``, ``+44``, ``1e3``) is left alone, since a number literal cannot run anything.

CSV text cells are always quoted, so a cell such as ``a;=1+1`` stays one cell even when a
spreadsheet set for ``;``-separated files opens the file. Nothing else in ``hubcore`` or
``dashboards`` calls ``DataFrame.to_csv``/``to_excel`` or :mod:`csv`'s writer for output
(``tests/test_spreadsheet_safety.py`` looks for them).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

#: What makes a text cell a formula in a spreadsheet (OWASP), with full-width forms.
TRIGGERS = "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20"
#: A trigger as the first character, or after leading spaces.
_FORMULA = re.compile(r"^(?:[\t\r\n]|[ \u00a0]*[=+\-@\uff1d\uff0b\uff0d\uff20])")
#: A plain decimal number written as text (left as it is: it cannot be a formula).
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
#: Characters XML 1.0 (so XLSX) cannot hold; openpyxl refuses them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: object) -> object:
    """``value`` made safe for a spreadsheet cell: a text starting like a formula gets a
    leading ``'``; anything else (numbers, dates, missing values, other text) is returned
    unchanged."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def _neutralise_text(series: pd.Series) -> pd.Series:
    """A text column with formula-like cells prefixed (vectorised; missing stays missing)."""
    text = series.astype(str)
    risky = text.str.match(_FORMULA.pattern) & ~text.str.match(_NUMBER.pattern)
    risky = risky.fillna(False).astype(bool) & series.notna()
    if not risky.any():
        return series
    return series.where(~risky, "'" + text)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` in which every text cell and column name is neutralised (see the
    module note); numeric, boolean and date columns are left as they are."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) if isinstance(c, str) else c for c in out.columns]
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
            series.dtype
        ):
            out.isetitem(i, _neutralise_text(series))
        elif pd.api.types.is_object_dtype(series.dtype) or isinstance(
            series.dtype, pd.CategoricalDtype
        ):
            # Mixed columns (a count or "c" after disclosure): only the str cells change.
            out.isetitem(i, series.astype(object).map(neutralise))
    return out


def to_csv(frame: pd.DataFrame) -> str:
    """CSV text of ``frame`` (no index): header first, text cells neutralised and quoted,
    numbers unquoted, missing values empty."""
    safe = safe_frame(frame)
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow([str(c) for c in safe.columns])
    if safe.empty:
        return head.getvalue()
    # QUOTE_NONNUMERIC would write a missing value as "" (quoted text); a one-off token marks
    # missing values so they can become truly empty fields afterwards.
    token = f"NA{uuid.uuid4().hex}"
    body = safe.to_csv(index=False, header=False, quoting=csv.QUOTE_NONNUMERIC,
                       lineterminator="\n", na_rep=token)
    return head.getvalue() + body.replace(f'"{token}"', "")


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """:func:`to_csv` encoded as UTF-8 (for download buttons)."""
    return to_csv(frame).encode("utf-8")


def _for_excel(frame: pd.DataFrame) -> pd.DataFrame:
    out = safe_frame(frame)
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if isinstance(series.dtype, pd.DatetimeTZDtype):  # Excel has no time zones: UTC
            out.isetitem(i, series.dt.tz_convert("UTC").dt.tz_localize(None))
        elif pd.api.types.is_string_dtype(series.dtype):
            out.isetitem(i, series.map(
                lambda v: _XML_ILLEGAL.sub("\ufffd", v) if isinstance(v, str) else v))
    out.columns = [_XML_ILLEGAL.sub("\ufffd", str(c)) for c in out.columns]
    return out


def to_xlsx(sheets: pd.DataFrame | Mapping[str, pd.DataFrame], sheet_name: str = "Sheet1") -> bytes:
    """An XLSX workbook (bytes) with one sheet per frame (``{name: frame}``, or one frame
    named ``sheet_name``): text cells neutralised and stored as text (never as formulas),
    numbers as numbers, characters XML cannot hold replaced by U+FFFD."""
    if isinstance(sheets, pd.DataFrame):
        sheets = {sheet_name: sheets}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            _for_excel(frame).to_excel(writer, sheet_name=str(name)[:31], index=False)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, so a reader (or
    a crash) never sees half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`to_csv` of ``frame`` to ``path`` (UTF-8) atomically; returns the path."""
    path = Path(path)
    _write_atomically(path, to_csv_bytes(frame))
    return path


def write_staging_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` verbatim (UTF-8, atomically) for the suite's own importers to
    read back: a staging file in a private temporary folder (``hubcore fetch`` cuts official
    files to a hub's LAs this way), never handed to a person. Its cells are not neutralised,
    since a ``'`` added to an official value would change the data imported."""
    path = Path(path)
    _write_atomically(path, frame.to_csv(index=False).encode("utf-8"))
    return path


def write_xlsx(
    sheets: pd.DataFrame | Mapping[str, pd.DataFrame], path: str | Path, sheet_name: str = "Sheet1"
) -> Path:
    """Write :func:`to_xlsx` to ``path`` atomically; returns the path."""
    path = Path(path)
    _write_atomically(path, to_xlsx(sheets, sheet_name=sheet_name))
    return path
