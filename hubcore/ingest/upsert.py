"""Idempotent bulk writes on natural keys, the same on SQLite and PostgreSQL.

Incoming rows are compared with the stored rows that share their natural key (the primary key
or a ``UniqueConstraint`` of :mod:`hubcore.models`): new keys are inserted with one DB-API
``executemany`` per batch, rows whose compared columns differ are updated (by primary key), and
the rest are counted as unchanged. Comparing in pandas rather than with ``INSERT … ON
CONFLICT`` keeps the code dialect-neutral and lets the report say how many rows actually
changed: each column of both frames is factorised together (values normalised by column type,
once per distinct value) and the codes folded into one exact integer per row.

On SQLite the whole upsert runs in one real transaction (Python's driver would otherwise run
the stored-row read and the index drops outside it), so a failure leaves nothing behind.

On PostgreSQL rows travel by ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``, text format,
each value escaped by psycopg's own dumpers): new rows straight into the table, changed rows
into a temporary staging table joined once by ``UPDATE … FROM``. One statement per batch
instead of one per row, and still inside the caller's transaction, so a refused row (a check,
a unique key, a foreign key) rolls the whole import back. No ``ON CONFLICT`` is needed: the
comparison above already split new from stored keys under the writers' lock, and were that
ever wrong the unique index would refuse the row and the transaction with it. A big load into
an empty table (a first import) drops the table's secondary indexes and foreign keys first and
puts them back after the COPY, in the same transaction (see :func:`_pg_set_aside`).

Concurrent writers: the comparison is only true if no other writer changes the table between
the read and the writes. Imports call :func:`hubcore.data_version.bump` before anything else,
which makes writers take turns; :func:`upsert` also guards itself for direct callers, with
``BEGIN IMMEDIATE`` on SQLite (the write lock before the read) and, on PostgreSQL, a ``SHARE ROW
EXCLUSIVE`` lock on the table (writers queue, readers do not). The schema's unique keys (see
:mod:`hubcore.models`) refuse a duplicate even if a writer bypasses both.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    and_,
    bindparam,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from tqdm import tqdm

from hubcore.data_version import begin_write

#: Rows per ``executemany`` batch (keeps memory flat and drives the progress bar).
CHUNK = 50_000
#: SQLite inserts of at least this many rows rebuild the table's indexes afterwards.
REBUILD_INDEXES_FROM = 100_000
#: Rows per multi-row INSERT on SQLite, and SQLite's bound-parameter limit (3.32+).
MULTI_ROW = 500
SQLITE_MAX_VARIABLES = 32_766


@dataclass
class UpsertResult:
    """What one upsert did; ``missing`` holds keys absent from the table when inserts are off."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Index labels (of the incoming frame) of rows updated, then of rows inserted.
    touched: list = field(default_factory=list)
    #: The incoming frame: :mod:`hubcore.rollups` reads the written rows as
    #: ``rows.loc[touched]`` (the first ``updated`` of them updates, the rest inserts).
    rows: pd.DataFrame | None = None
    #: The table written, so :mod:`hubcore.rollups` knows which summaries count it.
    table: str = ""


def normalise(series: pd.Series, sql_type) -> pd.Series:
    """Values of one column in a dtype fixed by its SQL type, so file rows and stored rows
    compare equal when they hold the same values (``5``/``5.0``/``"5"``, date/``"2025-01-01"``)."""
    if isinstance(sql_type, Boolean):
        mapped = series.astype(object).map({True: 1, False: 0})
        return pd.to_numeric(mapped, errors="coerce").astype("Int64")
    if isinstance(sql_type, Integer):
        return pd.to_numeric(series, errors="coerce").astype("Float64").round().astype("Int64")
    if isinstance(sql_type, Float):
        return pd.to_numeric(series, errors="coerce").astype("Float64")
    if isinstance(sql_type, Date | DateTime):
        return pd.to_datetime(series.astype(object), errors="coerce")
    obj = series.astype(object)
    return obj.where(obj.notna(), None)


def python_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values, ``None`` for missing (what DB-API drivers want)."""
    columns = _python_columns(frame, None)
    names = list(columns)
    lists = [values.tolist() for values in columns.values()]
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]


def _python_columns(frame: pd.DataFrame, table: Table | None, sqlite: bool = False) -> dict:
    """Each column as an object array of plain Python values (``None`` for missing)."""
    out = {}
    for name in frame.columns:
        sql_type = table.c[name].type if table is not None and name in table.c else None
        out[name] = _python_values(frame[name], sql_type, sqlite)
    return out


def _python_values(col: pd.Series, sql_type, sqlite: bool) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col.dtype) and not col.hasnans:
        values = col.to_numpy(dtype=bool)
        # Object conversion of a numpy array yields Python ints/bools, which drivers bind.
        return (values.astype(np.int64) if sqlite else values).astype(object)
    values = col.to_numpy(dtype=object, na_value=None)  # copies where it fills in None
    if col.dtype.kind in "mM":  # a fresh array of Timestamps, where NaT is not yet None
        values[pd.isna(values)] = None
    if sqlite and isinstance(sql_type, Date | Boolean):
        # Few distinct values: convert each once. SQLAlchemy stores SQLite dates as ISO text;
        # doing the same here lets the fast path skip per-value type processing.
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if isinstance(sql_type, Date):
            done = [v.isoformat() if isinstance(v, dt.date) else v for v in uniques]
        else:
            done = [int(v) for v in uniques]
        values = np.array(done + [None], dtype=object)[codes]
    return values


def bulk_insert(conn: Connection, table: Table, rows: pd.DataFrame, progress: bool = False,
                desc: str | None = None) -> int:
    """Insert ``rows``; returns how many.

    On SQLite: plain Python values, multi-row ``INSERT`` statements through the driver's
    ``executemany`` and, for big loads, secondary indexes rebuilt once at the end. Elsewhere
    (PostgreSQL): SQLAlchemy Core ``executemany`` (``insertmanyvalues``). Never one ORM object
    per row.
    """
    if rows.empty:
        return 0
    if conn.dialect.name == "postgresql" and _copyable(table, rows):
        _begin(conn)
        restore = (
            _pg_set_aside(conn, table)
            if len(rows) >= REBUILD_INDEXES_FROM and _pg_empty(conn, table) else []
        )
        _copy_rows(conn, conn.dialect.identifier_preparer.format_table(table), table, rows,
                   desc or f"insert {table.name}", progress)
        for sql in restore:
            # A repeated key fails the unique index's build, a missing school or employer
            # the foreign key's check: IntegrityError either way, and the transaction (the
            # dropped indexes and constraints with it) rolls back.
            conn.exec_driver_sql(sql)
        return len(rows)
    if conn.dialect.name != "sqlite":
        # Other drivers get Core's executemany, which applies each type's bind processing.
        columns = _python_columns(rows, table)
        names = list(columns)
        records = [
            dict(zip(names, r, strict=True))
            for r in zip(*[v.tolist() for v in columns.values()], strict=True)
        ]
        for start in _progress(len(records), desc or f"insert {table.name}", progress):
            conn.execute(table.insert(), records[start : start + CHUNK])
        return len(records)
    _begin(conn)
    order = _sqlite_order(conn, table, rows)
    rebuild = _drop_indexes(conn, table) if len(rows) >= REBUILD_INDEXES_FROM else []
    # Many rows per INSERT statement: SQLite runs one statement program per row group rather
    # than per row, about 1.5x faster than plain executemany.
    per = max(1, min(MULTI_ROW, SQLITE_MAX_VARIABLES // len(order)))
    row_sql = "(" + ", ".join("?" * len(order)) + ")"
    head = f'INSERT INTO "{table.name}" (' + ", ".join(f'"{c}"' for c in order) + ") VALUES "
    multi = head + ", ".join([row_sql] * per)

    def run(block: np.ndarray) -> None:
        full = len(block) // per * per
        if full:
            # Row-major flattening of the (rows, columns) block is exactly the parameter order
            # of a multi-row INSERT, so each group is one row of a reshaped view.
            groups = block[:full].reshape(-1, per * len(order))
            conn.exec_driver_sql(multi, list(map(tuple, groups)))
        if full < len(block):
            conn.exec_driver_sql(head + row_sql, list(map(tuple, block[full:])))

    # SQLite releases the GIL while it inserts, so one worker runs each batch's statements
    # while this thread converts the next batch (the connection is only ever used by one
    # thread at a time, and it is the same connection, so still one transaction).
    with ThreadPoolExecutor(max_workers=1) as worker:
        threaded = len(rows) > CHUNK and _shareable(conn, worker)
        pending = None
        for start in _progress(len(rows), desc or f"insert {table.name}", progress):
            block = _sqlite_block(table, order, rows.iloc[start : start + CHUNK])
            if pending is not None:
                pending.result()
            pending = worker.submit(run, block) if threaded else None
            if not threaded:
                run(block)
        if pending is not None:
            pending.result()
    for sql in rebuild:
        conn.exec_driver_sql(sql)
    return len(rows)


def _copyable(table: Table, rows: pd.DataFrame) -> bool:
    """Whether COPY can write ``rows``: every column is the table's, and every column left out
    has no default or a constant one (COPY does not run SQLAlchemy's Python-side defaults, so
    :func:`_copy_rows` fills constants in; none of the schema's defaults is a function)."""
    if not set(rows.columns) <= set(table.c.keys()):
        return False
    return all(
        c.default is None or c.default.is_scalar for c in table.columns if c.name not in rows
    )


def _copy_rows(conn: Connection, target: str, table: Table, rows: pd.DataFrame, desc: str,
               progress: bool, columns: Sequence[str] | None = None) -> None:
    """``COPY`` ``rows`` into ``target`` (the table itself, or a staging table with the same
    column names and types) on ``conn``'s connection, so inside its transaction.

    Each batch is formatted column by column into COPY's text format by :func:`_copy_text`
    (pyarrow compute kernels, no Python work per row) and sent as one buffer; a batch it does
    not format (a type it does not know, text holding a NUL) goes through psycopg's
    ``Copy.write_row`` instead, row by row, with psycopg's own escaping. ``columns`` defaults
    to those of ``rows`` plus the table's columns with a constant default that ``rows`` leaves
    out (filled with that constant, as an ``INSERT`` through SQLAlchemy would).
    """
    names = list(columns if columns is not None else rows.columns)
    constants = {}
    if columns is None:
        for column in table.columns:
            if column.name not in rows and column.default is not None:
                constants[column.name] = column.default.arg
                names.append(column.name)
    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {target} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    processors = {
        n: table.c[n].type.bind_processor(conn.dialect) for n in names if n in table.c
    }
    driver = conn.connection.driver_connection
    # The column-wise payload is UTF-8; any other client encoding takes the row-by-row path.
    columnar = driver.info.encoding == "utf-8"
    cursor = driver.cursor()

    def formatted(start: int) -> pa.Buffer | None:
        if not columnar:
            return None
        try:
            return _copy_text(rows.iloc[start : start + CHUNK], names, constants, table,
                              processors)
        except _NotColumnar:
            return None

    try:
        # One worker formats the next batch while this thread sends the last one and waits for
        # the server to take it (pyarrow's kernels and the socket wait release the GIL).
        with ThreadPoolExecutor(max_workers=1) as worker, cursor.copy(statement) as copy:
            pending = worker.submit(formatted, 0)
            for start in _progress(len(rows), desc, progress):
                payload = pending.result()
                if start + CHUNK < len(rows):
                    pending = worker.submit(formatted, start + CHUNK)
                if payload is not None:
                    copy.write(payload)
                    continue
                part = rows.iloc[start : start + CHUNK]
                # Row by row through psycopg's own dumpers: values the column-wise writer
                # does not format (other types, text with a NUL, which psycopg refuses).
                lists = []
                for name in names:
                    if name in constants:
                        lists.append([constants[name]] * len(part))
                        continue
                    sql_type = table.c[name].type if name in table.c else None
                    values = _pg_values(part[name], sql_type).tolist()
                    process = processors.get(name)
                    if process is not None:
                        values = [None if v is None else process(v) for v in values]
                    lists.append(values)
                write = copy.write_row
                for row in zip(*lists, strict=True):
                    write(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        # Raised by the driver, not through SQLAlchemy: wrap it as SQLAlchemy would (a refused
        # row becomes an IntegrityError), so importers report it like any other refusal.
        raise DBAPIError.instance(statement, None, exc, conn.dialect.loaded_dbapi.Error,
                                  dialect=conn.dialect) from exc
    finally:
        cursor.close()


class _NotColumnar(Exception):
    """A batch :func:`_copy_text` does not format; it is written row by row instead."""


#: COPY text format escapes (PostgreSQL's COPY documentation, "Text Format"): the backslash
#: first, so the backslashes the others add are not doubled again. With every backslash
#: doubled, no text can read as the NULL marker ``\N`` or the end-of-data line ``\.``.
_TEXT_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
_NULL = "\\N"


def _copy_text(part: pd.DataFrame, names: list[str], constants: dict, table: Table,
               processors: dict) -> pa.Buffer:
    """``part``'s ``names`` columns as one COPY text-format payload (UTF-8; fields joined by
    tabs, each row ended by a newline, missing values as ``\\N``), built column by column.

    Raises :class:`_NotColumnar` for a column this does not format exactly as psycopg's
    ``write_row`` would have: a column type other than text, integer, float, boolean or date,
    a bind processor other than the boolean check, values not of the column's kind, text
    holding a NUL (PostgreSQL's text cannot store one; psycopg raises its own error).
    """
    n = len(part)
    fields = []
    for name in names:
        sql_type = table.c[name].type if name in table.c else None
        if processors.get(name) is not None and not _plain_processor(sql_type):
            raise _NotColumnar(name)  # e.g. a TypeDecorator that changes values on the way in
        col = pd.Series([constants[name]] * n) if name in constants else part[name]
        # One string type for all (the join needs it; pandas' own strings are large ones).
        fields.append(pc.cast(_field_text(col, sql_type), pa.large_string()).fill_null(_NULL))
    tab, nothing, newline = (pa.scalar(t, pa.large_string()) for t in ("\t", "", "\n"))
    line = pc.binary_join_element_wise(*fields, tab)
    line = pc.binary_join_element_wise(line, nothing, newline)  # each row ends with a newline
    # The rows' text is the string array's data buffer between its first and last offsets.
    offsets = np.frombuffer(line.buffers()[1], dtype=np.int64)[
        line.offset : line.offset + len(line) + 1]
    return line.buffers()[2][int(offsets[0]) : int(offsets[-1])]


def _plain_processor(sql_type) -> bool:
    """Whether the type's bind processor is one :func:`_field_text` stands in for: the boolean
    check (values must be booleans or missing; others take the row path) and a binary float's
    ``float()`` (its values are written as doubles here)."""
    return isinstance(sql_type, Boolean) or (
        isinstance(sql_type, Float) and not sql_type.asdecimal)


def _field_text(col: pd.Series, sql_type) -> pa.Array:
    """One column's COPY text fields, a pyarrow string array with nulls for missing values
    (NaN of a float column included); text values escaped, other kinds need no escaping
    (digits, signs, ``e``, ``inf``, ``true``/``false``, ISO dates)."""
    if isinstance(sql_type, Boolean):
        if not (pd.api.types.is_bool_dtype(col.dtype)
                or pd.api.types.infer_dtype(col, skipna=True) in ("boolean", "empty")):
            raise _NotColumnar(col.name)  # the row path's bind check refuses such values
        values = _arrow(col)
        if not (pa.types.is_boolean(values.type) or pa.types.is_null(values.type)):
            raise _NotColumnar(col.name)
        return pc.cast(values, pa.string())
    if isinstance(sql_type, Integer):
        if not pd.api.types.is_integer_dtype(col.dtype):
            col = normalise(col, sql_type)  # whole floats become integers, as the row path
        values = _arrow(col)
        if not (pa.types.is_integer(values.type) or pa.types.is_null(values.type)):
            raise _NotColumnar(col.name)
        return pc.cast(values, pa.string())
    if isinstance(sql_type, Float):
        values = _arrow(col)
        if pa.types.is_floating(values.type):
            # float32 widened exactly; NaN is a missing value, as everywhere in the importer.
            values = pc.cast(values, pa.float64())
            values = pc.if_else(pc.is_nan(values), pa.scalar(None, pa.float64()), values)
        elif not (pa.types.is_integer(values.type) or pa.types.is_null(values.type)):
            raise _NotColumnar(col.name)
        # Arrow writes the shortest text that reads back as the same double ("0.1", "1e+20",
        # "inf"); PostgreSQL's float8 input reads it back exactly.
        return pc.cast(values, pa.string())
    if isinstance(sql_type, Date) and not isinstance(sql_type, DateTime):
        # Few distinct dates: format each once (a timestamp's date, as the row path).
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        done = []
        for v in uniques:
            if isinstance(v, dt.datetime):
                v = v.date()
            if not isinstance(v, dt.date):
                raise _NotColumnar(col.name)
            done.append(v.isoformat())
        codes = np.where(codes < 0, len(done), codes)  # missing: the null after the dates
        return pa.array(done + [None], type=pa.string()).take(pa.array(codes, pa.int64()))
    if _is_text(sql_type):
        values = _arrow(col)
        if pa.types.is_null(values.type):
            return pc.cast(values, pa.string())
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            raise _NotColumnar(col.name)  # e.g. numbers in a text column: psycopg's dumpers
        if pc.any(pc.match_substring(values, "\x00")).as_py():
            raise _NotColumnar(col.name)
        for plain, escaped in _TEXT_ESCAPES:
            values = pc.replace_substring(values, plain, escaped)
        return values
    raise _NotColumnar(col.name)


def _is_text(sql_type) -> bool:
    """A plain text column (``String`` and its subclasses, or a ``TypeDecorator`` over one such
    as SQLModel's ``AutoString``), but not an ``Enum`` (its values may be Python enums)."""
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    return isinstance(sql_type, String) and not isinstance(sql_type, Enum)


def _arrow(col: pd.Series) -> pa.Array:
    """``col`` as one pyarrow array (NaN, None, NA and NaT as nulls); a mixture of kinds raises
    :class:`_NotColumnar`."""
    try:
        values = pa.array(col, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise _NotColumnar(col.name) from exc
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values


def _pg_values(col: pd.Series, sql_type) -> np.ndarray:
    """Plain Python values of one column for ``COPY`` (``None`` for missing); integer columns
    as integers, date columns as ``datetime.date`` (pandas hands them over as timestamps,
    which would be written with a time of day)."""
    if isinstance(sql_type, Integer) and not isinstance(sql_type, Boolean) and (
        not pd.api.types.is_integer_dtype(col.dtype)
    ):
        # COPY's text for an integer column must be an integer ("2021", not "2021.0" as a
        # float column would write; an INSERT would have cast the float itself).
        col = normalise(col, sql_type)
    values = _python_values(col, sql_type, sqlite=False)
    if isinstance(sql_type, Date) and not isinstance(sql_type, DateTime):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        done = [v.date() if isinstance(v, dt.datetime) else v for v in uniques]
        values = np.array(done + [None], dtype=object)[codes]
    return values


def _copy_update(conn: Connection, table: Table, payload: pd.DataFrame, compare: list[str],
                 match: dict[str, str], progress: bool) -> None:
    """PostgreSQL: update ``table`` from ``payload`` (its ``compare`` columns, and the columns
    naming each row: ``match`` maps a column of ``table`` to its name in ``payload``, e.g. the
    primary key to ``_pk``) by COPY into a temporary staging table and one ``UPDATE … FROM``
    join, instead of one statement per row.

    The staging table is made from ``table``'s own column types (``CREATE TEMP TABLE … AS
    SELECT … WITH NO DATA``) and dropped at the end (and by PostgreSQL at commit or rollback).
    """
    quote = conn.dialect.identifier_preparer.quote
    target = conn.dialect.identifier_preparer.format_table(table)
    stage = quote(f"_hubcore_stage_{table.name}")
    select_list = ", ".join(f"{quote(col)} AS {quote(alias)}" for col, alias in match.items())
    select_list += "".join(f", {quote(c)}" for c in compare if c not in match.values())
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage}")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {select_list} FROM {target} "
        "WITH NO DATA"
    )
    order = list(dict.fromkeys([*match.values(), *compare]))
    # Types for the values' conversion: each alias has its table column's type.
    types = Table(stage, MetaData(), *[Column(a, table.c[c].type) for c, a in match.items()],
                  *[Column(c, table.c[c].type) for c in compare if c not in match.values()])
    _copy_rows(conn, stage, types, payload[order], f"update {table.name}", progress,
               columns=order)
    # Fresh statistics so the planner joins the staging rows through the key's index (or a
    # hash join for many rows) rather than guessing the empty table's size.
    conn.exec_driver_sql(f"ANALYZE {stage}")
    assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in compare)
    on = " AND ".join(f"t.{quote(col)} = s.{quote(alias)}" for col, alias in match.items())
    conn.exec_driver_sql(f"UPDATE {target} AS t SET {assignments} FROM {stage} AS s WHERE {on}")
    conn.exec_driver_sql(f"DROP TABLE {stage}")


def _shareable(conn: Connection, worker: ThreadPoolExecutor) -> bool:
    """Whether the SQLite connection may be used from the worker thread (engines made by
    :func:`hubcore.db.get_engine`, and SQLAlchemy's for files, allow it; a connection opened
    with ``check_same_thread`` on does not, and then everything runs in this thread)."""
    driver = conn.connection.driver_connection
    try:
        worker.submit(lambda: driver.cursor().close()).result()  # checks the thread
    except sqlite3.ProgrammingError:
        return False
    return True


def _sqlite_order(conn: Connection, table: Table, rows: pd.DataFrame) -> list[str]:
    """The columns an INSERT of ``rows`` binds, in the compiler's order.

    A nullable column that is empty in every row, with no default, is left to SQLite (it stores
    NULL just the same) rather than bound a million times. Columns left out of ``rows`` that
    have a Python-side default (e.g. booleans defaulting to false) are rendered as parameters
    by the compiler, so they are included.
    """
    names = [name for name in rows.columns if not _all_null_default(table, name, rows[name])]
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=names)
    return list(compiled.positiontup)


def _sqlite_block(table: Table, order: list[str], rows: pd.DataFrame) -> np.ndarray:
    """An ``(rows, order)`` object array of plain Python values to bind."""
    block = np.empty((len(rows), len(order)), dtype=object)
    for j, name in enumerate(order):
        if name in rows.columns:
            block[:, j] = _python_values(rows[name], table.c[name].type, sqlite=True)
        else:
            default = table.c[name].default
            value = default.arg if default is not None and default.is_scalar else None
            block[:, j] = int(value) if isinstance(value, bool) else value
    return block


def _all_null_default(table: Table, name: str, values: pd.Series) -> bool:
    column = table.c[name] if name in table.c else None
    return (
        column is not None and column.nullable and column.default is None
        and column.server_default is None and not column.primary_key
        and bool(values.isna().all())
    )


def _drop_indexes(conn: Connection, table: Table) -> list[str]:
    """Drop ``table``'s secondary indexes (SQLite); returns the statements that rebuild them.

    SQLite maintains every index row by row; for a big load it is faster to drop them and
    rebuild each once (same transaction, so it is all or nothing).
    """
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL", (table.name,)
    ).all()
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def _pg_empty(conn: Connection, table: Table) -> bool:
    """Whether ``table`` holds no row (seen by this transaction, after the writers' lock) and
    this role owns it (dropping its indexes needs that; otherwise the plain COPY is used)."""
    target = conn.dialect.identifier_preparer.format_table(table)
    return bool(conn.exec_driver_sql(
        f"SELECT NOT EXISTS (SELECT 1 FROM {target}) AND pg_has_role(relowner, 'USAGE') "
        "FROM pg_class WHERE oid = %(t)s::regclass", {"t": target}).scalar())


def _pg_set_aside(conn: Connection, table: Table) -> list[str]:
    """PostgreSQL, a big load into an empty table: drop the table's secondary indexes (those
    backing no constraint, e.g. the encounter natural key's unique expression index) and its
    foreign keys; returns the statements that put each back, exactly as it was.

    Why: PostgreSQL maintains every index row by row (random key order, a million times), and
    checks each foreign key row by row in an after-trigger queued per row and run when the
    COPY ends (about 14 µs per row per key here: for a million encounters with two foreign
    keys, most of the time the import spent waiting after its last row was sent). Rebuilding
    an index sorts once; adding a foreign key back checks all rows with one join. All in the
    caller's transaction, so a refusal (a repeated key, an unknown school) rolls everything
    back. The cost: ``DROP INDEX`` holds an ``ACCESS EXCLUSIVE`` lock until commit, so readers
    of this table wait for the import instead of seeing it empty; that is why this is only
    done when the table is empty (a first import), never when readers have rows to read.
    """
    found = conn.exec_driver_sql(
        "SELECT format('DROP INDEX %%s', i.indexrelid::regclass), "
        "pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %(t)s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "UNION ALL "
        "SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname), "
        "format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname, "
        "pg_get_constraintdef(c.oid)) FROM pg_constraint c "
        "WHERE c.conrelid = %(t)s::regclass AND c.contype = 'f'",
        # %% is a literal % for the driver's parameter style (format's own placeholders).
        {"t": conn.dialect.identifier_preparer.format_table(table)},
    ).all()
    for drop, _create in found:
        conn.exec_driver_sql(drop)
    return [create for _drop, create in found]


def _begin(conn: Connection) -> None:
    """Open a real SQLite transaction if the driver has not yet (it only does so before
    INSERT/UPDATE/DELETE, so reads and DDL before them would otherwise run outside it), holding
    the write lock from the start (see the module text)."""
    begin_write(conn)


def _lock(conn: Connection, table: Table) -> None:
    """On PostgreSQL, queue behind any other writer of ``table`` until this transaction ends
    (``SHARE ROW EXCLUSIVE`` conflicts with itself and with writes, not with reads)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f'LOCK TABLE "{table.name}" IN SHARE ROW EXCLUSIVE MODE'))


def _progress(total: int, desc: str, progress: bool):
    bar = tqdm(total=total, desc=desc, unit="row", disable=not progress, leave=False)
    for start in range(0, total, CHUNK):
        yield start
        bar.update(min(CHUNK, total - start))
    bar.close()


def _read_stored(
    conn: Connection, table: Table, columns: list[str]
) -> tuple[dict[str, np.ndarray], int]:
    """The stored values of ``columns``, one array per column, and how many rows.

    Read through the driver's own cursor: SQLAlchemy's result rows and per-value type
    processing cost more than the read itself for a million rows; :func:`normalise` evens
    out what the driver returns (e.g. SQLite's ISO date text).
    """
    sql = str(select(*[table.c[c] for c in columns]).compile(dialect=conn.dialect))
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        fetched = cursor.fetchall()
    finally:
        cursor.close()
    if not fetched:
        return {}, 0
    block = _object_block(fetched, len(columns))
    out = {}
    for j, name in enumerate(columns):
        values = np.ascontiguousarray(block[:, j])
        if isinstance(table.c[name].type, Integer):
            try:  # whole columns of integers factorise far faster as int64
                values = values.astype(np.int64)
            except (TypeError, OverflowError):
                pass
        out[name] = values
    return out, len(fetched)


def _object_block(fetched: list, width: int) -> np.ndarray:
    """The fetched rows as an ``(rows, width)`` object array (numpy fills it in C, several
    times faster than transposing in Python)."""
    try:
        block = np.array(fetched, dtype=object)
    except ValueError:
        block = None
    if block is None or block.shape != (len(fetched), width):
        # Sequence values (e.g. JSON lists) would be taken apart by numpy: fill by column.
        block = np.empty((len(fetched), width), dtype=object)
        for j, values in enumerate(zip(*fetched, strict=True)):
            block[:, j] = values
    return block


def _row_codes(
    rows: pd.DataFrame, stored: dict[str, np.ndarray], columns: Sequence[str], table: Table
) -> tuple[np.ndarray, np.ndarray]:
    """One integer per incoming and per stored row, equal exactly when the rows' ``columns``
    hold equal values (after :func:`normalise`): per-column codes of both sides together,
    folded as the digits of a mixed-radix number (re-numbered before it could overflow)."""
    n_in, n_st = len(rows), len(next(iter(stored.values())))
    key_in, key_st = np.zeros(n_in, dtype=np.int64), np.zeros(n_st, dtype=np.int64)
    bound = 1
    for name in columns:
        code_in, code_st, k = _joint_codes(rows[name], stored[name], table.c[name].type)
        radix = k + 1
        if bound * radix >= 2**62:
            both, seen = pd.factorize(np.concatenate([key_in, key_st]))
            both, bound = both.astype(np.int64), len(seen)
            key_in, key_st = both[:n_in], both[n_in:]
        key_in = key_in * radix + (code_in + 1)
        key_st = key_st * radix + (code_st + 1)
        bound *= radix
    return key_in, key_st


def _joint_codes(incoming: pd.Series, stored: np.ndarray, sql_type) -> tuple:
    """Codes of one column's incoming and stored values on a shared numbering (``-1`` for
    missing), and how many codes there are. Values are normalised once per distinct value."""
    if not isinstance(sql_type, Boolean | Integer | Float | Date | DateTime):
        # Text and other types compare as text, as values of any type would be stored.
        both = np.concatenate([incoming.to_numpy(dtype=object, na_value=None),
                               stored.astype(object)])
        codes, uniques = pd.factorize(both, use_na_sentinel=True)
        if pd.api.types.infer_dtype(uniques, skipna=True) not in ("string", "empty"):
            again, uniques = pd.factorize(np.array([str(v) for v in uniques], dtype=object))
            codes = np.append(again, -1)[codes]
        return codes[: len(incoming)], codes[len(incoming) :], len(uniques)
    code_in, uniq_in = pd.factorize(incoming, use_na_sentinel=True)
    code_st, uniq_st = pd.factorize(stored, use_na_sentinel=True)
    norm = pd.concat(
        [normalise(_as_series(uniq_in), sql_type), normalise(_as_series(uniq_st), sql_type)],
        ignore_index=True,
    )
    joint, uniques = pd.factorize(norm, use_na_sentinel=True)
    at_in = np.append(joint[: len(uniq_in)], -1)  # code -1 (missing) indexes the last entry
    at_st = np.append(joint[len(uniq_in) :], -1)
    return at_in[code_in], at_st[code_st], len(uniques)


def _as_series(values) -> pd.Series:
    # Object arrays stay object (pandas would infer its string dtype, slowly).
    dtype = object if pd.api.types.is_object_dtype(getattr(values, "dtype", None)) else None
    return pd.Series(values, dtype=dtype)


def upsert(
    conn: Connection,
    table: Table,
    rows: pd.DataFrame,
    key: Sequence[str],
    compare: Sequence[str] | None = None,
    insert: bool = True,
    progress: bool = False,
) -> UpsertResult:
    """Insert new rows, update changed ones, count unchanged ones.

    ``rows`` holds columns of ``table``; ``key`` names its natural key, ``compare`` the columns
    whose change makes an update (default: every other column in ``rows``). With ``insert``
    false, rows whose key is not stored are left out and returned in ``missing``.
    Keys must be unique within ``rows`` (validators reject repeats first).
    """
    key = list(key)
    compare = [c for c in (compare or rows.columns) if c not in key and c in rows.columns]
    pk_cols = [c.name for c in table.primary_key.columns]
    pk = pk_cols[0] if len(pk_cols) == 1 else None
    result = UpsertResult(rows=rows, table=table.name)
    if rows.empty:
        return result
    _begin(conn)
    _lock(conn, table)
    wanted = list(dict.fromkeys(key + compare + ([pk] if pk else [])))
    stored, n_stored = _read_stored(conn, table, wanted)
    if not n_stored:
        new_mask = np.ones(len(rows), dtype=bool)
        matched = rows.iloc[0:0]
    else:
        key_in, key_st = _row_codes(rows, stored, key, table)
        first = np.flatnonzero(~pd.Series(key_st).duplicated().to_numpy())
        position = pd.Index(key_st[first]).get_indexer(key_in)
        new_mask = position < 0
        hit = first[position[~new_mask]]  # stored row of each matched incoming row
        cmp_in, cmp_st = _row_codes(rows, stored, compare, table)
        changed = cmp_in[~new_mask] != cmp_st[hit]
        result.unchanged = int((~changed).sum())
        matched = rows.loc[~new_mask].loc[changed]
        if pk is not None and len(matched):
            matched = matched.assign(_pk=stored[pk][hit[changed]])
    if len(matched) and compare:
        if pk is not None:
            where_clause = table.c[pk] == bindparam("_pk")
            payload = matched[compare + ["_pk"]]
        else:
            # Composite primary key (e.g. benchmark_score): the key columns are not null.
            where_clause = and_(*[table.c[k] == bindparam(f"_k_{k}") for k in key])
            payload = matched[compare + key].rename(columns={k: f"_k_{k}" for k in key})
        if conn.dialect.name == "postgresql":
            # One COPY and one joined UPDATE, not a statement per row.
            match = {pk: "_pk"} if pk is not None else {k: k for k in key}
            _copy_update(conn, table, matched, compare, match, progress)
        else:
            statement = update(table).where(where_clause).values(
                {c: bindparam(f"_v_{c}") for c in compare}
            )
            records = python_records(payload.rename(columns={c: f"_v_{c}" for c in compare}))
            for start in _progress(len(records), f"update {table.name}", progress):
                conn.execute(statement, records[start : start + CHUNK])
        result.updated = len(matched)
        result.touched.extend(matched.index.tolist())
    new_rows = rows if new_mask.all() else rows.loc[new_mask]
    if not insert:
        result.missing = new_rows
        return result
    if len(new_rows):
        if conn.dialect.name == "sqlite":
            # A bigger page cache keeps index inserts in memory for large imports.
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        result.inserted = bulk_insert(conn, table, new_rows, progress)
        result.touched.extend(new_rows.index.tolist())
    return result
