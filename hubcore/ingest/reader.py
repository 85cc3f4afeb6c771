"""Reading a user's file into a frame of strings, or stopping with one clear line.

Files come from spreadsheets and official downloads, so the reader copes with: UTF-8 with or
without a byte-order mark, Windows-1252 (GIAS), UTF-16 from Excel's "Unicode text", comment lines
starting with ``#`` (our templates), title rows above the header in XLSX or CSV, and headers in
any case or spacing. Every value is read as text; the validators decide what it means, so a URN
such as ``0123`` or a code such as ``z`` is never silently turned into a number or a blank.

Plain UTF-8 CSV files (nearly all big ones) are parsed by pyarrow's multi-threaded reader; any
file it might read differently from pandas (see :func:`_read_csv_arrow`) goes to pandas'
C parser with the rules above, so both paths give the same frame.

Files are untrusted, so before anything is parsed the reader enforces :class:`Limits`, each
with a clear error naming the flag of ``hubcore import`` that raises it: a CSV is scanned in
fixed-size chunks (memory does not grow with a line's length) for NUL bytes anywhere, over-long
lines and over-long fields; an XLSX's declared uncompressed size and its sheet's declared
dimension are checked before its sheet is read, and its cells are counted while they are read.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class Limits:
    """What an input file may hold; each is raised with a flag of ``hubcore import``.

    ``max_line_bytes``: longest line of a CSV, in bytes as stored (``--max-line-bytes``;
    default 1 MiB: a GIAS line is about 2 KB). ``max_field_bytes``: longest CSV field, quotes
    included, even one spanning lines (``--max-field-bytes``; default 128 KiB, the most an
    Excel cell can hold in UTF-8). ``max_xlsx_bytes``: an XLSX's total uncompressed size as its
    zip directory declares it (``--max-xlsx-bytes``; default 256 MiB). ``max_cells``: cells of
    the XLSX sheet read, counting the empty ones up to each row's last (``--max-cells``;
    default 2,000,000, about 140,000 rows of 14 columns; bigger files are faster as CSV).
    """

    max_line_bytes: int = 1 << 20
    max_field_bytes: int = 128 << 10
    max_xlsx_bytes: int = 256 << 20
    max_cells: int = 2_000_000


_LIMITS: contextvars.ContextVar[Limits] = contextvars.ContextVar("hubcore_limits",
                                                                 default=Limits())  # noqa: B039 - frozen


def current_limits() -> Limits:
    """The limits in force (see :func:`limits`)."""
    return _LIMITS.get()


@contextlib.contextmanager
def limits(**changes: int | None) -> Iterator[Limits]:
    """Use other :class:`Limits` for the files read inside the ``with`` block, e.g.
    ``with limits(max_cells=5_000_000): import_file(...)`` (``None`` keeps a default)."""
    token = _LIMITS.set(replace(_LIMITS.get(), **{k: v for k, v in changes.items()
                                                  if v is not None}))
    try:
        yield _LIMITS.get()
    finally:
        _LIMITS.reset(token)


#: Bytes read at a time when scanning a CSV (memory stays at a few times this).
SCAN_CHUNK = 4 << 20
_NL, _CR, _QUOTE = 10, 13, 34


def _size(n: int) -> str:
    """``1 MiB`` for a whole number of units, ``20.3 MiB`` for a large size, else bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift:,} {unit}"
    if n >= 1 << 20:
        return f"{n / (1 << 20):,.1f} MiB"
    return f"{n:,} bytes"


def scan_csv(path: Path, sep: str, lim: Limits | None = None) -> None:
    """Raise :class:`HubcoreError` if ``path`` holds a NUL byte (outside a UTF-16 file), a
    line longer than ``max_line_bytes`` or a field longer than ``max_field_bytes``. Reads
    the file in :data:`SCAN_CHUNK` pieces and stops at the first problem, so a 200 MB line
    costs one chunk of memory and time, not the whole line."""
    lim = lim or current_limits()
    state = _ScanState(path, lim, sep.encode("ascii", "replace")[0] if sep else 44)
    carry = b""  # the unfinished last line of the previous chunk
    with path.open("rb") as handle:
        utf16 = handle.read(2) in (b"\xff\xfe", b"\xfe\xff")
        handle.seek(0)
        while chunk := handle.read(SCAN_CHUNK):
            if not utf16 and (nul := chunk.find(b"\x00")) >= 0:
                state.nul(carry + chunk[:nul])
            data = carry + chunk if carry else chunk
            cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
            if len(data) - cut > lim.max_line_bytes:
                state.long_line(data[:cut].count(b"\n"))
            state.block(data[:cut])
            carry = data[cut:]
    state.block(carry)


class _ScanState:
    """What :func:`scan_csv` carries from one block of whole lines to the next."""

    def __init__(self, path: Path, lim: Limits, sep: int) -> None:
        self.path, self.lim, self.sep = path, lim, sep
        self.line_no = 1  # line number of the block's first line
        self.offset = 0  # bytes before the block
        self.inside = False  # within quotes at the block's start
        self.field_len = 0  # bytes of a field still open at the block's start

    def nul(self, before: bytes) -> None:
        line = self.line_no + before.count(b"\n")
        raise HubcoreError(
            f"{self.path.name}: this is not a text file: it contains a NUL byte (line "
            f"{line:,}, byte {self.offset + len(before):,}); save it as CSV (UTF-8) or XLSX"
        )

    def long_line(self, lines_before: int) -> None:
        raise HubcoreError(
            f"{self.path.name}: line {self.line_no + lines_before:,} is longer than "
            f"{_size(self.lim.max_line_bytes)} (the limit for one line); is this really a CSV "
            "file? Raise the limit with --max-line-bytes if it is"
        )

    def long_field(self, lines_before: int) -> None:
        raise HubcoreError(
            f"{self.path.name}: a field starting on line {self.line_no + lines_before:,} is "
            f"longer than {_size(self.lim.max_field_bytes)} (the limit for one value; a quote "
            "left open?); raise the limit with --max-field-bytes if it is right"
        )

    def block(self, data: bytes) -> None:
        """Check whole lines ``data`` (the file's last block may lack its line end)."""
        if not data:
            return
        arr = np.frombuffer(data, dtype=np.uint8)
        breaks = arr == _NL
        if b"\r" in data:  # a lone carriage return ends a line too (old Mac files)
            breaks |= arr == _CR
        ends = np.flatnonzero(breaks)
        starts = np.concatenate(([0], ends + 1))
        lengths = np.concatenate((ends, [len(arr)])) - starts
        if lengths.max() > self.lim.max_line_bytes:
            self.long_line(data[: starts[int(np.argmax(lengths))]].count(b"\n"))
        quotes = np.flatnonzero(arr == _QUOTE) if b'"' in data else np.empty(0, np.int64)
        # Quotes before each line end: odd (with the block's start state) = a quoted newline.
        quoted_break = (np.searchsorted(quotes, ends) + self.inside) % 2 == 1
        if self.inside or self.field_len or quoted_break.any():
            self._fields(arr, 0, len(arr))  # values spanning lines: every field measured
        else:
            # Fields end at each line end, so only a line longer than the field limit can
            # hold a field that long.
            for i in np.flatnonzero(lengths > self.lim.max_field_bytes):
                self._fields(arr, int(starts[i]), int(starts[i] + lengths[i]))
                self.inside, self.field_len = False, 0
        self.line_no += data.count(b"\n")
        self.offset += len(data)

    def _fields(self, arr: np.ndarray, lo: int, hi: int) -> None:
        """Measure every field of ``arr[lo:hi]`` (quotes, separators and line ends), carrying
        an open quote or field on to the next block."""
        part = arr[lo:hi]
        quotes = np.flatnonzero(part == _QUOTE)
        candidates = np.flatnonzero((part == self.sep) | (part == _NL) | (part == _CR))
        # A separator or line end is inside quotes after an odd number of quote characters
        # (doubled quotes inside a value count twice, so they change nothing).
        quoted = (np.searchsorted(quotes, candidates) + self.inside) % 2 == 1
        bounds = candidates[~quoted]
        ends = np.concatenate(([-1], bounds, [len(part)]))
        lengths = np.diff(ends) - 1
        lengths[0] += self.field_len
        worst = int(np.argmax(lengths))
        if lengths[worst] > self.lim.max_field_bytes:
            start = lo + max(0, int(ends[worst]) + 1)
            if worst == 0 and self.field_len:
                start = lo  # the field began in an earlier block; name this block's line
            self.long_field(arr[:start].tobytes().count(b"\n"))
        self.field_len = int(lengths[-1])
        self.inside = (len(quotes) + self.inside) % 2 == 1


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


def _sniff_file(path: Path) -> str:
    """The separator, sniffed from the whole lines of the first 64 KiB (``,`` if none)."""
    with path.open("rb") as handle:
        head = handle.read(64 << 10)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
        except UnicodeDecodeError:
            return ","
    else:
        text = head.decode("latin-1")
    text = text[: text.rfind("\n") + 1]
    _skip, head_lines = _head(text)
    return _sniff(head_lines)[0] if head_lines else ","


def _read_csv(path: Path, known: set[str] | None) -> tuple[pd.DataFrame, int, str, bool]:
    scan_csv(path, _sniff_file(path))
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


def check_xlsx_size(path: Path, lim: Limits | None = None) -> None:
    """Raise :class:`HubcoreError` when the workbook's parts, uncompressed, would exceed
    ``max_xlsx_bytes``. The sizes are those the zip directory declares, which the reader
    (Python's :mod:`zipfile`) never reads past, so a small "zip bomb" is refused unread."""
    lim = lim or current_limits()
    try:
        with zipfile.ZipFile(path) as book:
            total = sum(info.file_size for info in book.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise HubcoreError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    if total > lim.max_xlsx_bytes:
        raise HubcoreError(
            f"{path.name}: the workbook unpacks to {_size(total)}, more than the limit of "
            f"{_size(lim.max_xlsx_bytes)}; save the sheet as CSV, or raise the limit with "
            "--max-xlsx-bytes"
        )


def _cell_text(value) -> str:
    """A cell value as text, as ``pandas.read_excel(dtype=str)`` gives it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return str(pd.Timestamp(value))
    return str(value)


def _too_many_cells(path: Path, cells: int, lim: Limits) -> HubcoreError:
    return HubcoreError(
        f"{path.name}: the sheet has more than {lim.max_cells:,} cells ({cells:,} counted, "
        "empty ones up to each row's last included); save it as CSV, or raise the limit with "
        "--max-cells"
    )


def _sheet_rows(path: Path, sheet: str | int | None, lim: Limits) -> list[list[str]]:
    """The cells of one sheet as text, refusing a sheet beyond ``max_cells`` before reading
    (by its declared dimension) and while reading (by count)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad workbook
        raise HubcoreError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:
        if sheet is None or isinstance(sheet, int):
            index = sheet or 0
            if index >= len(book.worksheets):
                raise HubcoreError(f"{path.name}: the workbook has no sheet {index}")
            ws = book.worksheets[index]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise HubcoreError(f"{path.name}: no sheet {sheet!r}; sheets: "
                               + ", ".join(book.sheetnames))
        declared = (ws.max_row or 0) * (ws.max_column or 0)
        if declared > lim.max_cells:
            raise _too_many_cells(path, declared, lim)
        ws.reset_dimensions()  # a declared dimension may also be too small: count instead
        rows, cells = [], 0
        for row in ws.iter_rows(values_only=True):
            cells += len(row)
            if cells > lim.max_cells:
                raise _too_many_cells(path, cells, lim)
            rows.append([_cell_text(v) for v in row])
        return rows
    except HubcoreError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise HubcoreError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    finally:
        book.close()


def _read_excel(
    path: Path, known: set[str] | None, sheet: str | int | None
) -> tuple[pd.DataFrame, int]:
    lim = current_limits()
    check_xlsx_size(path, lim)
    rows = _sheet_rows(path, sheet, lim)
    width = max((len(r) for r in rows), default=0)
    raw = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
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
