"""Reading a user's file into a frame of strings, or stopping with one clear line.

Files come from spreadsheets and official downloads, so the reader copes with: UTF-8 with or
without a byte-order mark, Windows-1252 (GIAS), UTF-16 from Excel's "Unicode text", comment lines
starting with ``#`` (our templates), title rows above the header in XLSX or CSV, and headers in
any case or spacing. Every value is read as text; the validators decide what it means, so a URN
such as ``0123`` or a code such as ``z`` is never silently turned into a number or a blank.

Plain UTF-8 CSV files (nearly all big ones) are parsed by pyarrow's multi-threaded reader; any
file it might read differently from pandas (see :func:`_read_csv_arrow`) goes to pandas'
C parser with the rules above, so both paths give the same frame.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from hubcore.errors import HubcoreError

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
#: How many lines above the header we search for it (title rows, notes, blank lines).
HEADER_SEARCH_ROWS = 20


@dataclass
class Table:
    """A file read as strings: ``frame`` has one column per header cell (names as in the file,
    or normalised when asked) and ``first_row`` is the spreadsheet row number of its first data
    row (the header's row plus one)."""

    frame: pd.DataFrame
    first_row: int
    encoding: str
    path: Path
    #: False when no cell can have spaces around it (lets validators skip stripping).
    needs_strip: bool = True

    def row_numbers(self, index: pd.Index | None = None) -> pd.Series:
        """Spreadsheet row numbers (1-based, header counted) for positions in ``frame``."""
        idx = self.frame.index if index is None else index
        return pd.Series(idx.to_numpy() + self.first_row, index=idx)


def normalise(name: str) -> str:
    """``"Assessed On "`` → ``"assessed_on"``: lower case, runs of non-alphanumerics as ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """Text and encoding name of ``data``: UTF-16 (BOM), UTF-8 (BOM optional), else
    Windows-1252. Raises :class:`HubcoreError` for binary or undecodable files."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise HubcoreError(
            f"{path.name}: this is not a text file (it contains NUL bytes); save it as CSV "
            "(UTF-8) or XLSX"
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise HubcoreError(
            f"{path.name}: cannot read the text: it is neither UTF-8 (byte {utf8_error.start:,} "
            "is invalid) nor Windows-1252; save it again as CSV UTF-8"
        ) from None


def _find_header(rows: list[list[str]], known: set[str] | None) -> int:
    """Index of the header among the first rows: the first row holding the most known column
    names (normalised), or, without a list of known names, the first row whose cells are all
    filled and that is at least as wide as the widest row."""
    if known:
        scores = [sum(normalise(c) in known for c in row) for row in rows]
        best = max(scores, default=0)
        if best:
            return scores.index(best)
    width = max((len([c for c in row if str(c).strip()]) for row in rows), default=0)
    for i, row in enumerate(rows):
        if width and len([c for c in row if str(c).strip()]) >= width:
            return i
    return 0


def read_table(
    path: str | Path,
    known_columns: Iterable[str] | None = None,
    sheet: str | int | None = None,
    normalise_headers: bool = True,
) -> Table:
    """Read a CSV or XLSX file as text.

    ``known_columns`` (normalised names) help find the header row below title rows. With
    ``normalise_headers`` the column names are normalised (see :func:`normalise`); official
    files keep their exact names with ``False``.
    """
    path = Path(path)
    if not path.exists():
        raise HubcoreError(f"{path}: no such file")
    if path.is_dir():
        raise HubcoreError(f"{path}: is a folder, not a file")
    known = {normalise(c) for c in known_columns} if known_columns else None
    needs_strip = True
    if path.suffix.lower() in EXCEL_SUFFIXES:
        frame, first_row = _read_excel(path, known, sheet)
        encoding = "xlsx"
    else:
        frame, first_row, encoding, needs_strip = _read_csv(path, known)
    if normalise_headers:
        frame.columns = [normalise(c) for c in frame.columns]
    else:
        frame.columns = [str(c).strip() for c in frame.columns]
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise HubcoreError(f"{path.name}: columns appear more than once: {', '.join(dupes)}")
    return Table(frame=frame, first_row=first_row, encoding=encoding, path=path,
                 needs_strip=needs_strip)


def _read_csv(path: Path, known: set[str] | None) -> tuple[pd.DataFrame, int, str, bool]:
    data = path.read_bytes()
    if not data or data.isspace():  # (``strip`` would copy the whole file)
        raise HubcoreError(f"{path.name}: the file is empty")
    fast = _read_csv_arrow(path, data, known)
    if fast is not None:
        return fast
    text, encoding = decode(path, data)
    skip, head_lines = _head(text)
    if not head_lines:
        raise HubcoreError(f"{path.name}: the file has no header row")
    sep, rows = _sniff(head_lines)
    header_at = skip + _find_header(rows, known)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skiprows=header_at,
            skip_blank_lines=True,
            skipinitialspace=True,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HubcoreError(f"{path.name}: not a readable CSV file ({message})") from None
    frame = frame.loc[:, [not str(c).startswith("Unnamed:") for c in frame.columns]]
    # Leading spaces are dropped by the parser; trailing ones (before a separator, a closing
    # quote or a line end) are looked for once in the whole text, in C.
    trailing = re.search(r"[ \t]\"?(?:[,;|\t\r\n]|$)", text) is not None
    return frame, header_at + 2, encoding, trailing


def _head(text: str) -> tuple[int, list[str]]:
    """How many comment and blank lines open ``text``, and up to
    :data:`HEADER_SEARCH_ROWS` lines after them (where the header is looked for)."""
    skip = 0
    head_lines: list[str] = []
    for line in io.StringIO(text):
        if not head_lines and (line.lstrip().startswith("#") or not line.strip()):
            skip += 1
            continue
        head_lines.append(line)
        if len(head_lines) >= HEADER_SEARCH_ROWS:
            break
    return skip, head_lines


def _sniff(head_lines: list[str]) -> tuple[str, list[list[str]]]:
    """The separator of the first lines, and those lines split into cells."""
    try:
        sep = csv.Sniffer().sniff("".join(head_lines), delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    return sep, list(csv.reader(head_lines, delimiter=sep))


#: Bytes decoded to find the header on the fast path (comment lines, title rows, header).
HEAD_BYTES = 1 << 20


def _read_csv_arrow(
    path: Path, data: bytes, known: set[str] | None
) -> tuple[pd.DataFrame, int, str, bool] | None:
    """Parse a plain UTF-8 CSV with pyarrow's multi-threaded reader (several times faster
    than pandas' for big files, and already in pandas' Arrow-backed string dtype).

    Returns ``None`` for anything unusual (another encoding, quotes or lone carriage returns
    above the header, blank or repeated header cells, ragged rows, values with leading
    spaces), which the pandas path then reads with its exact, established rules.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    base = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # offsets, not slices: no copies
    try:
        head_text = codecs.getincrementaldecoder("utf-8")().decode(data[base : base + HEAD_BYTES])
    except UnicodeDecodeError:
        return None
    if len(data) - base > HEAD_BYTES:
        head_text = head_text[: head_text.rfind("\n") + 1]  # whole lines only
    skip, head_lines = _head(head_text)
    if not head_lines:
        return None
    if len(data) - base > HEAD_BYTES and len(head_lines) < HEADER_SEARCH_ROWS:
        return None  # very long lines: let the careful path look for the header
    sep, rows = _sniff(head_lines)
    at = _find_header(rows, known)
    header_at = skip + at
    header = rows[at]
    if not header or any(not c.strip() for c in header) or len(set(header)) < len(header):
        return None
    start = base
    for _ in range(header_at):
        start = data.find(b"\n", start) + 1
    prefix = data[base:start]
    if b'"' in prefix or prefix.replace(b"\r\n", b"").count(b"\r"):
        return None  # pandas counts such lines differently; keep its reading
    if data.count(b'"', start) % 2:
        return None  # a quote left open: pyarrow reads on to the end, pandas says so
    try:
        table = pacsv.read_csv(
            pa.py_buffer(memoryview(data)[start:]),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header}
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.column_names != header or any(t != pa.string() for t in table.schema.types):
        return None
    columns = table.columns
    if any(_any(pc.starts_with(c, lead)) for c in columns for lead in (" ", "\t")):
        return None  # pandas drops spaces after a separator (and reads quotes after them)
    # Arrow's whitespace is Python's (``str.strip``), so this says whether any cell needs it.
    needs_strip = any(_any(pc.not_equal(pc.utf8_trim_whitespace(c), c)) for c in columns)
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)  # what pandas' dtype=str gives
    frame = table.to_pandas(types_mapper={pa.string(): dtype}.get)
    return frame, header_at + 2, "utf-8", needs_strip


def _any(mask) -> bool:
    return bool(pc.any(mask).as_py())


def _read_excel(
    path: Path, known: set[str] | None, sheet: str | int | None
) -> tuple[pd.DataFrame, int]:
    try:
        raw = pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, header=None, dtype=str,
            engine="openpyxl",
        )
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad workbook
        raise HubcoreError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    raw = raw.fillna("")
    if raw.empty:
        raise HubcoreError(f"{path.name}: the first sheet is empty")
    top = raw.head(HEADER_SEARCH_ROWS).astype(str).to_numpy().tolist()
    header_at = _find_header(top, known)
    header = [str(c).strip() for c in raw.iloc[header_at]]
    frame = raw.iloc[header_at + 1 :].copy()
    frame.columns = header
    frame = frame.loc[:, [bool(c) for c in header]]
    frame = frame.reset_index(drop=True).astype(str)
    # Excel stores whole numbers typed into text cells as floats ("2024.0"); undo that.
    frame = frame.apply(lambda s: s.str.replace(r"^(-?\d+)\.0$", r"\1", regex=True))
    blank = (frame.apply(lambda s: s.str.strip()) == "").all(axis=1)
    frame = frame.loc[~blank]
    return frame, header_at + 2


def check_header(
    table: Table,
    required: Iterable[str],
    optional: Iterable[str] = (),
    allow_unknown: bool = False,
    aliases: dict[str, str] | None = None,
) -> None:
    """Stop before anything is written when required columns are missing or, unless
    ``allow_unknown``, columns are not recognised. ``aliases`` maps accepted alternative names
    to canonical ones (the frame is renamed in place)."""
    if aliases:
        table.frame = table.frame.rename(
            columns={a: c for a, c in aliases.items() if a in table.frame.columns
                     and c not in table.frame.columns}
        )
    columns = list(table.frame.columns)
    required = list(required)
    missing = [c for c in required if c not in columns]
    known = set(required) | set(optional)
    unknown = [] if allow_unknown else [c for c in columns if c not in known]
    problems = []
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    if unknown:
        problems.append("unknown columns: " + ", ".join(unknown))
    if problems:
        raise HubcoreError(
            f"{table.path.name}: wrong header ({'; '.join(problems)}); nothing was imported. "
            f"Expected: {', '.join(required)}"
            + (f" (optional: {', '.join(optional)})" if optional else "")
        )
