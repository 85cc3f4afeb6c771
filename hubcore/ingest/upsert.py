"""Idempotent bulk writes on natural keys, the same on SQLite and PostgreSQL.

Incoming rows are compared with the stored rows that share their natural key (the primary key
or a ``UniqueConstraint`` of :mod:`hubcore.models`): new keys are inserted with one DB-API
``executemany`` per batch, rows whose compared columns differ are updated (by primary key), and
the rest are counted as unchanged. Comparing in pandas, by 64-bit row hashes of values
normalised by column type, rather than with ``INSERT … ON CONFLICT`` keeps the code
dialect-neutral and lets the report say how many rows actually changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    Table,
    and_,
    bindparam,
    select,
    update,
)
from tqdm import tqdm

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


def row_hash(frame: pd.DataFrame, columns: Sequence[str], table: Table) -> np.ndarray:
    """A 64-bit hash per row of ``columns`` (normalised by ``table``'s column types)."""
    if not columns:
        return np.zeros(len(frame), dtype=np.uint64)
    norm = pd.DataFrame(
        {c: normalise(frame[c], table.c[c].type) for c in columns}, index=frame.index
    )
    return pd.util.hash_pandas_object(norm, index=False).to_numpy()


def python_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values, ``None`` for missing (what DB-API drivers want)."""
    columns = _python_columns(frame, None)
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _python_columns(frame: pd.DataFrame, table: Table | None, sqlite: bool = False) -> dict:
    out = {}
    for name in frame.columns:
        col = frame[name]
        sql_type = table.c[name].type if table is not None and name in table.c else None
        if pd.api.types.is_bool_dtype(col.dtype):
            values = col.astype(object).tolist()
            if sqlite:
                values = [int(v) for v in values]
        else:
            obj = col.astype(object)
            values = obj.where(obj.notna(), None).tolist()
        if sqlite and isinstance(sql_type, Date):
            # SQLAlchemy stores SQLite dates as ISO text; doing the same here lets the fast path
            # skip per-value type processing (and Python 3.12's deprecated date adapter).
            values = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
        elif sqlite and isinstance(sql_type, Boolean):
            values = [None if v is None else int(v) for v in values]
        out[name] = values
    return out


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
    sqlite = conn.dialect.name == "sqlite"
    columns = _python_columns(rows, table, sqlite=sqlite)
    names = list(columns)
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=names)
    positional = compiled.positional
    order = compiled.positiontup if positional else names
    if not sqlite:
        # Other drivers get Core's executemany, which applies each type's bind processing.
        records = [dict(zip(names, r, strict=True)) for r in zip(*columns.values(), strict=True)]
        for start in _progress(len(records), desc or f"insert {table.name}", progress):
            conn.execute(table.insert(), records[start : start + CHUNK])
        return len(records)
    n = len(rows)
    for name in order:
        if name not in columns:
            # Columns left out of ``rows`` that have a Python-side default (e.g. booleans
            # defaulting to false) are rendered as parameters by the compiler: fill them.
            default = table.c[name].default
            value = default.arg if default is not None and default.is_scalar else None
            columns[name] = [int(value) if isinstance(value, bool) else value] * n
    params = list(zip(*[columns[c] for c in order], strict=True))
    # SQLite maintains every index row by row; for a big load it is faster to drop the table's
    # secondary indexes and rebuild them once (same transaction, so it is all or nothing).
    rebuild = []
    if len(params) >= REBUILD_INDEXES_FROM:
        rebuild = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL", (table.name,)
        ).all()
        for name, _sql in rebuild:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    # Many rows per INSERT statement: SQLite runs one statement program per row group rather
    # than per row, about 1.5x faster than plain executemany.
    per = max(1, min(MULTI_ROW, SQLITE_MAX_VARIABLES // len(order)))
    row_sql = "(" + ", ".join("?" * len(order)) + ")"
    head = f'INSERT INTO "{table.name}" (' + ", ".join(f'"{c}"' for c in order) + ") VALUES "
    multi = head + ", ".join([row_sql] * per)
    for start in _progress(len(params), desc or f"insert {table.name}", progress):
        chunk = params[start : start + CHUNK]
        full = len(chunk) // per * per
        if full:
            groups = [
                tuple(chain.from_iterable(chunk[i : i + per])) for i in range(0, full, per)
            ]
            conn.exec_driver_sql(multi, groups)
        if full < len(chunk):
            conn.exec_driver_sql(head + row_sql, chunk[full:])
    for _name, sql in rebuild:
        conn.exec_driver_sql(sql)
    return len(params)


def _progress(total: int, desc: str, progress: bool):
    bar = tqdm(total=total, desc=desc, unit="row", disable=not progress, leave=False)
    for start in range(0, total, CHUNK):
        yield start
        bar.update(min(CHUNK, total - start))
    bar.close()


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
    result = UpsertResult()
    if rows.empty:
        return result
    wanted = list(dict.fromkeys(key + compare + ([pk] if pk else [])))
    stored = pd.read_sql(select(*[table.c[c] for c in wanted]), conn)
    if stored.empty:
        new_mask = np.ones(len(rows), dtype=bool)
        matched = rows.iloc[0:0]
    else:
        stored_key = row_hash(stored, key, table)
        keep = ~pd.Series(stored_key).duplicated().to_numpy()
        stored, stored_key = stored.loc[keep], stored_key[keep]
        position = pd.Series(np.arange(len(stored)), index=stored_key)
        where = pd.Series(row_hash(rows, key, table)).map(position)
        new_mask = where.isna().to_numpy()
        matched_rows = rows.loc[~new_mask]
        matched_stored = stored.iloc[where[~new_mask].astype(int).to_numpy()]
        changed = row_hash(matched_rows, compare, table) != row_hash(
            matched_stored, compare, table
        )
        result.unchanged = int((~changed).sum())
        matched = matched_rows.loc[changed]
        if pk is not None and len(matched):
            matched = matched.assign(_pk=matched_stored[pk].to_numpy()[changed])
    if len(matched) and compare:
        if pk is not None:
            where_clause = table.c[pk] == bindparam("_pk")
            payload = matched[compare + ["_pk"]]
        else:
            # Composite primary key (e.g. benchmark_score): the key columns are not null.
            where_clause = and_(*[table.c[k] == bindparam(f"_k_{k}") for k in key])
            payload = matched[compare + key].rename(columns={k: f"_k_{k}" for k in key})
        statement = update(table).where(where_clause).values(
            {c: bindparam(f"_v_{c}") for c in compare}
        )
        records = python_records(payload.rename(columns={c: f"_v_{c}" for c in compare}))
        for start in _progress(len(records), f"update {table.name}", progress):
            conn.execute(statement, records[start : start + CHUNK])
        result.updated = len(matched)
        result.touched.extend(matched.index.tolist())
    new_rows = rows.loc[new_mask]
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
