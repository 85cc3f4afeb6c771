"""The shared shape of every import: read → validate → report → write in one transaction.

Importers build typed rows with a :class:`~hubcore.ingest.validate.Checker`, then hand a
``write(conn) -> (inserted, updated, unchanged)`` callable to :func:`finish`, which writes the
rejects CSV, runs the writer inside one ``engine.begin()`` transaction (so a failure writes
nothing and stored rows are never lost), records an audit event and fills the report.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from hubcore import data_version, rollups
from hubcore.errors import HubcoreError
from hubcore.ingest.report import ImportReport, default_rejects_path
from hubcore.ingest.upsert import UpsertResult
from hubcore.ingest.validate import Checker
from hubcore.models import AuditEvent, School

#: Files with more rows than this show a progress bar on stderr (when progress is on).
PROGRESS_ROWS = 100_000
#: How long a SQLite import waits for another writer to finish (``busy_timeout`` in
#: :func:`hubcore.db.get_engine`), seconds. PostgreSQL imports wait as long as it takes.
SQLITE_WAIT_S = 30

Writer = Callable[[Connection], UpsertResult]


def academic_year(dates: pd.Series) -> pd.Series:
    """``"2024/25"`` for dates from 1 September 2024 to 31 August 2025 (``None`` stays)."""
    if pd.api.types.is_datetime64_any_dtype(dates.dtype):
        ts = dates
    else:
        ts = pd.to_datetime(dates.astype(object).where(dates.notna(), None))
    start = (ts.dt.year - (ts.dt.month < 9)).to_numpy(dtype="float64", na_value=np.nan)
    # Few distinct years: label each once rather than formatting a million strings.
    labels = {y: f"{int(y)}/{(int(y) + 1) % 100:02d}" for y in np.unique(start[~np.isnan(start)])}
    return pd.Series(start, index=dates.index).map(labels).astype(object).where(
        ~np.isnan(start), None
    )


def stored_values(engine_or_conn, column) -> set:
    """The set of values of one column (for reference checks such as known URNs)."""
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return set(conn.execute(select(column)).scalars())
    return set(engine_or_conn.execute(select(column)).scalars())


def known_urns(engine: Engine) -> set[int]:
    """URNs of stored schools."""
    return stored_values(engine, School.__table__.c.urn)


def finish(
    engine: Engine,
    report: ImportReport,
    checker: Checker | None,
    write: Writer | None,
    rejects_path: Path | None,
    dry_run: bool = False,
    extra_rejects: pd.DataFrame | None = None,
) -> ImportReport:
    """Complete ``report`` from ``checker``, write rejects, then (unless ``dry_run``) run
    ``write`` in one transaction."""
    source = Path(report.file)
    if checker is not None:
        # Importers that validate a subset (GIAS in-scope rows) set ``read`` themselves.
        report.read = report.read or checker.n
        rejects = checker.rejects()
        if extra_rejects is not None and not extra_rejects.empty:
            rejects = pd.concat([rejects, extra_rejects], ignore_index=True)
        report.rejects = rejects.sort_values(["row", "column"], kind="stable").reset_index(
            drop=True
        )
        report.rejected = int(checker.bad.sum())
    path = rejects_path if rejects_path is not None else default_rejects_path(source)
    try:
        report.write_rejects(path)
    except OSError as exc:
        raise HubcoreError(f"cannot write the rejects file {path}: {exc.strerror}") from None
    report.accepted = report.read - report.rejected - report.skipped
    report.dry_run = dry_run
    if dry_run or write is None:
        return report
    try:
        with engine.begin() as conn:
            # First: the writer's turn (no other import can change what is compared) and the
            # new data version, committed with the rows (page caches key by it).
            data_version.bump(conn)
            result = write(conn)
            if result.rows is not None and result.touched:
                # Summary tables of the schools touched, in the same transaction.
                rollups.after_import(
                    conn, result.table, result.rows.loc[result.touched], result.updated
                )
            conn.execute(
                AuditEvent.__table__.insert(),
                {
                    "at": dt.datetime.now(dt.UTC),
                    "user": _user(),
                    "role": "importer",
                    "action": "import",
                    "subject": f"{report.kind}:{source.name}"[:200],
                    "rows": result.inserted + result.updated,
                    "detail": report.summary(),
                },
            )
    except IntegrityError as exc:
        raise HubcoreError(
            f"{source.name}: the database refused the rows ({_first_line(exc)}); nothing was "
            "written"
        ) from None
    except OperationalError as exc:
        if "database is locked" not in str(exc.orig):
            raise HubcoreError(
                f"{source.name}: database error ({_first_line(exc)}); nothing was written"
            ) from None
        # SQLite: another writer (an import, the demo build, retention) kept the database's
        # write lock for longer than the busy timeout while this import queued behind it.
        raise HubcoreError(
            f"{source.name}: another import or writer held the database for over "
            f"{SQLITE_WAIT_S} s; nothing was written. Run the import again when it has finished"
        ) from None
    except SQLAlchemyError as exc:
        raise HubcoreError(
            f"{source.name}: database error ({_first_line(exc)}); nothing was written"
        ) from None
    report.inserted, report.updated, report.unchanged = (
        result.inserted, result.updated, result.unchanged,
    )
    return report


def _user() -> str:
    try:
        return getpass.getuser()[:100]
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__
