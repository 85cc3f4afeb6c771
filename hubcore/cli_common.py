"""Pieces every ``hubcore`` sub-command shares: the ``--db`` option, opening the database, and
``--version``. Sub-command modules (``hubcore.ingest.cli``, ``hubcore.metrics.cli``, …) expose
``register(subparsers)`` and set ``func=handler`` where ``handler(args) -> int``; the handler
raises :class:`~hubcore.errors.HubcoreError` for anything the user should read as one line.
"""

from __future__ import annotations

import argparse

from sqlalchemy import Engine

import hubcore
from hubcore import db

DB_HELP = (
    "SQLAlchemy URL or SQLite file (default: $HUBCORE_DATABASE_URL, else the embedded SQLite "
    "file in $HUBCORE_HOME or ~/.local/share/hubcore)"
)


def add_common(
    parser: argparse.ArgumentParser, database: bool = True, db_help: str = DB_HELP
) -> None:
    """Add ``--version`` (and ``--db``) to a parser."""
    parser.add_argument("--version", action="version", version=f"hubcore {hubcore.__version__}")
    if database:
        parser.add_argument(
            "--db",
            metavar="URL_OR_FILE",
            help=db_help,
        )


def open_engine(args: argparse.Namespace, upgrade: bool = False) -> Engine:
    """The engine for ``args.db``, which must exist (see :func:`hubcore.db.check_exists`:
    only ``hubcore db upgrade`` and ``hubcore demo`` create databases). With ``upgrade`` an
    older hubcore schema is migrated first; otherwise it must already be current."""
    engine = db.get_engine(db.resolve_url(getattr(args, "db", None)))
    if upgrade:
        db.ensure_schema(engine)
        db.upgrade(engine)
    else:
        db.ensure_current(engine)
    return engine
