"""The column-wise COPY payload (``hubcore.ingest.upsert._copy_text``): exact text-format bytes
worked out by hand, and, on PostgreSQL, untrusted text and every value kind the importer
writes read back exactly as sent. Text holding a NUL is refused, as psycopg refuses it.

The PostgreSQL tests run with ``HUBCORE_TEST_DATABASE_URL`` set (see scripts/_postgres.sh).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.exc import DBAPIError

from hubcore.ingest import upsert

META = MetaData()
T = Table(
    "copy_probe", META,
    Column("id", Integer, primary_key=True),
    Column("t", Text),  # text from an object column (None for missing)
    Column("s", String(200)),  # text from pandas' string dtype (NaN for missing)
    Column("i", BigInteger),
    Column("f", Float),
    Column("b", Boolean),
    Column("d", Date),
)

#: Untrusted text: COPY's delimiters and escapes, its NULL marker and end-of-data line, CSV's
#: quotes and commas, spreadsheet formula starts, non-ASCII, an empty string (not missing).
TEXTS = [
    "tab\there", "line\nbreak", "cr\rand crlf\r\n", "back\\slash", "trailing\\", "\\",
    "\\\\t (backslashes then t)", "\\N", "NULL", "\\.", "\\.\nafter", 'quote "q" and \'s\'',
    "comma, here", "=1+2", "+44", "-3", "@sum(A1)", "Café – naïve ☕ 日本 😀", "",
    "  spaces kept  ", "None", "nan", "\x01\x7f control", None,
]


def _frame() -> pd.DataFrame:
    n = len(TEXTS)
    ints = [0, -1, 2**62, None, 7, -(2**63)] * 4
    floats = [0.1, 1 / 3, -0.0, 1e300, 5e-324, float("nan"), float("inf"), float("-inf"),
              2.5, 1e-7, 123456789.12345679, -1.7976931348623157e308] * 2
    bools = [True, False, None] * 8
    dates = [dt.date(2025, 3, 1), None, dt.date(1, 1, 1), dt.date(9999, 12, 31)] * 6
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "t": pd.Series(TEXTS, dtype=object),
        "s": pd.Series(TEXTS[::-1], dtype="str"),
        "i": pd.array(ints[:n], dtype="Int64"),
        "f": np.array(floats[:n], dtype=float),
        "b": pd.Series(bools[:n], dtype=object),
        "d": pd.Series(dates[:n], dtype=object),
    })


def _payload(rows: pd.DataFrame, names: list[str], table: Table = T) -> bytes:
    return bytes(upsert._copy_text(rows, names, {}, table, {}))


def test_text_format_bytes_worked_by_hand():
    rows = pd.DataFrame({
        "id": [1, 2, 3],
        "t": pd.Series(["a\tb\\c\nd\re", "", None], dtype=object),
        "i": pd.array([None, 5, -12], dtype="Int64"),
        "f": [0.1, float("nan"), 1e20],
        "b": [True, None, False],
        "d": [dt.date(2025, 3, 1), None, dt.date(2024, 12, 31)],
    })
    # Every backslash doubled first; tab, newline, return as \t \n \r; missing as \N; the
    # empty string stays an empty field; fields joined by tabs, each row ends with a newline.
    assert _payload(rows, ["id", "t", "i", "f", "b", "d"]) == (
        b"1\ta\\tb\\\\c\\nd\\re\t\\N\t0.1\ttrue\t2025-03-01\n"
        b"2\t\t5\t\\N\t\\N\t\\N\n"
        b"3\t\\N\t-12\t1e+20\tfalse\t2024-12-31\n"
    )
    marker = pd.DataFrame({"t": ["\\N", "\\.", "NULL"]})
    assert _payload(marker, ["t"]) == b"\\\\N\n\\\\.\nNULL\n"
    # A NaN that pandas does not count as missing (Arrow-backed floats) is still missing.
    arrow_nan = pd.Series(pa.array([float("nan"), 1.5]), dtype=pd.ArrowDtype(pa.float64()))
    assert _payload(pd.DataFrame({"f": arrow_nan}), ["f"]) == b"\\N\n1.5\n"


def test_other_values_go_row_by_row():
    """Numbers in a text column, words in a boolean column, a NUL: not formatted here (the row
    path's own dumpers decide what they become, or refuse them)."""
    for column, values in [("t", [1, 2]), ("t", ["ok", "nul\x00byte"]), ("b", ["yes", "no"])]:
        with pytest.raises(upsert._NotColumnar):
            _payload(pd.DataFrame({column: values}), [column])


@pytest.fixture
def probe(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    META.create_all(engine)
    return engine


def _copy(engine, rows: pd.DataFrame, monkeypatch=None) -> None:
    if monkeypatch is not None:  # fail if any batch went row by row (its values' helper)
        monkeypatch.setattr(upsert, "_pg_values", lambda *a: pytest.fail("row path used"))
    with engine.begin() as conn:
        upsert._copy_rows(conn, '"copy_probe"', T, rows, "probe", False)


def test_awkward_rows_read_back_exactly(probe, monkeypatch):
    rows = _frame()
    _copy(probe, rows, monkeypatch)  # all through the column-wise payload
    with probe.connect() as conn:
        got = [tuple(r) for r in conn.execute(select(T).order_by(T.c.id))]
    assert len(got) == len(TEXTS)
    for k, (id_, t, s, i, f, b, d) in enumerate(got):
        want = rows.iloc[k]
        assert id_ == k + 1
        assert t == TEXTS[k]  # None stays NULL, "" stays "", "\\N" and "NULL" stay text
        assert s == TEXTS[::-1][k]
        assert i == (None if pd.isna(want["i"]) else int(want["i"]))
        wf = float(want["f"])
        if math.isnan(wf):
            assert f is None  # NaN is a missing value
        else:
            assert f == wf and math.copysign(1, f) == math.copysign(1, wf)  # -0.0 kept
        assert b is want["b"]
        assert d == want["d"]
    nulls = sum(1 for r in got if r[1] is None)
    assert nulls == 1 and sum(1 for r in got if r[1] == "") == 1


def test_text_with_a_nul_is_refused_and_nothing_is_written(probe):
    rows = _frame().iloc[:3].assign(t=["fine", "nul\x00inside", "fine"])
    with pytest.raises(DBAPIError, match="NUL"):
        _copy(probe, rows)
    with probe.connect() as conn:
        assert conn.execute(select(T.c.id)).all() == []
