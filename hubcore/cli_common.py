"""Pieces every ``hubcore`` sub-command shares: the ``--db`` option, opening the database, and
``--version``. Sub-command modules (``hubcore.ingest.cli``, ``hubcore.metrics.cli``, …) expose
``register(subparsers)`` and set ``func=handler`` where ``handler(args) -> int``; the handler
raises :class:`~hubcore.errors.HubcoreError` for anything the user should read as one line.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import Engine

import hubcore
from hubcore import db
from hubcore.errors import HubcoreError

DB_HELP = (
    "SQLAlchemy URL or SQLite file (default: $HUBCORE_DATABASE_URL, else the database last "
    "built, served or imported into, else the embedded SQLite file hubcore.db in $HUBCORE_HOME "
    "or ~/.local/share/hubcore; the one used is named on stderr)"
)


def say(message: str) -> None:
    """One line for the user on stderr (stdout is kept for a command's output)."""
    print(message, file=sys.stderr, flush=True)


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


def choose_database(args: argparse.Namespace) -> db.Choice:
    """The database for ``args.db`` (see :func:`hubcore.db.choose`); unless ``--db`` named it,
    say on stderr which one is used and why. A chosen SQLite file that is not there is refused
    here with advice that fits how it was chosen; nothing is created."""
    choice = db.choose(getattr(args, "db", None))
    if choice.source != "--db":
        say(f"hubcore: {choice.explain()}")
    path = db.sqlite_file(choice.url)
    if path is None or path.exists():
        return choice
    if choice.source == "remembered":
        raise HubcoreError(
            f"database {path}, which `hubcore {choice.by}` last used, is no longer there; "
            "build the synthetic demo again with `hubcore demo`, or name a database with --db"
        )
    if choice.source == "embedded":
        raise HubcoreError(
            f"no database yet in {path.parent}: nothing was built, served or imported into "
            "here. Build the synthetic demo with `hubcore demo`, create a hub's own with "
            "`hubcore db upgrade` (then `hubcore import …`), or name one with --db"
        )
    return choice


def remember(url: str, by: str) -> None:
    """Remember ``url`` for the next command given no ``--db`` (:func:`hubcore.db.remember`);
    a URL holding a password is not written down, and the user is told how to name it."""
    try:
        remembered = db.remember(url, by)
    except OSError as exc:  # a convenience only: a read-only home must not fail the command
        say(f"hubcore: could not remember {db.describe(url)} for later commands ({exc}); "
            "give them --db")
        return
    if not remembered:
        say(f"hubcore: not remembering {db.describe(url)} (it holds a password); set "
            f"${db.ENV_URL} to use it without --db")


def open_engine(args: argparse.Namespace, upgrade: bool = False) -> Engine:
    """The engine for the chosen database (:func:`choose_database`), which must exist (see
    :func:`hubcore.db.check_exists`: only ``hubcore db upgrade`` and ``hubcore demo`` create
    databases). With ``upgrade`` an older hubcore schema is migrated first; otherwise it must
    already be current."""
    engine = db.get_engine(choose_database(args).url)
    if upgrade:
        db.ensure_schema(engine)
        db.upgrade(engine)
    else:
        db.ensure_current(engine)
    return engine
