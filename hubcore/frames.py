"""Query results as pandas frames, fast where it matters.

``pandas.read_sql`` on a SQLAlchemy connection builds a ``Row`` for every result row and runs
each value through SQLAlchemy's type processors; for the hundreds of thousands of aggregate
rows an England-wide read returns, that is most of the time. :func:`read` runs the compiled
query on the DB-API cursor underneath and builds the frame column by column.

Values arrive as the driver returns them: on SQLite, booleans are integers 0/1 (turned back into
booleans here, from the column types of the query) and dates are ISO text, so callers convert
dates (as :mod:`hubcore.store` does).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Boolean, Connection, Engine
from sqlalchemy.sql import Select


def read(bind: Engine | Connection, query: Select) -> pd.DataFrame:
    """The rows of ``query`` as a DataFrame, columns named as the query labels them; ``bind``
    is an engine, or a connection (to read inside its transaction)."""
    names = [getattr(c, "name", None) for c in query.selected_columns]
    compiled = query.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    if compiled.positiontup is not None:
        params: object = tuple(compiled.params[name] for name in compiled.positiontup)
    else:
        params = compiled.params
    if isinstance(bind, Connection):
        rows = _fetch(bind, str(compiled), params)
    else:
        with bind.connect() as conn:
            rows = _fetch(conn, str(compiled), params)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    # By position: unlabelled expressions can share a name (or have none).
    frame = pd.DataFrame({i: pd.Series(values) for i, values in enumerate(columns)})
    for i, column in enumerate(query.selected_columns):
        if isinstance(column.type, Boolean) and len(frame):
            values = frame[i]
            frame[i] = values.astype("boolean" if values.isna().any() else bool)
    frame.columns = names
    return frame


def _fetch(conn: Connection, sql: str, params: object) -> list[tuple]:
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()
