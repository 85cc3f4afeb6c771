"""Database connection: where the database is, engines, and schema migrations.

The embedded default is a SQLite file in the user's data folder; any SQLAlchemy URL can be given
through ``HUBCORE_DATABASE_URL`` or a ``--db`` option. The schema is created and upgraded only by
the Alembic migrations in ``hubcore/migrations``.

Only :func:`upgrade` (``hubcore db upgrade`` and ``hubcore demo``) creates a database: opening
one never creates a file or a folder, so a mistyped ``--db`` is an error
(:func:`check_exists`) rather than a new, empty database that an import then fills with rejects.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url

from hubcore.errors import HubcoreError

ENV_URL = "HUBCORE_DATABASE_URL"
ENV_HOME = "HUBCORE_HOME"


def data_dir() -> Path:
    """Folder for the embedded databases and caches: ``$HUBCORE_HOME`` or
    ``$XDG_DATA_HOME/hubcore`` (``~/.local/share/hubcore``)."""
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "hubcore"


def default_url() -> str:
    """``HUBCORE_DATABASE_URL`` if set, else the embedded SQLite file ``hubcore.db``."""
    return os.environ.get(ENV_URL) or sqlite_url(data_dir() / "hubcore.db")


def demo_url() -> str:
    """The embedded demo database (kept apart so a hub's own data is never overwritten)."""
    return sqlite_url(data_dir() / "demo.db")


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def resolve_url(db: str | None) -> str:
    """Turn a ``--db`` value into a SQLAlchemy URL: a URL as given, a file path as SQLite."""
    if not db:
        return default_url()
    if "://" in db:
        try:
            make_url(db)
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several kinds here
            raise HubcoreError(f"not a database URL: {db!r} ({exc})") from None
        return db
    return sqlite_url(db)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets dashboards read while an import writes; SQLite ignores foreign keys unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk loads and aggregates stay in memory
    cursor.close()


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL, or ``None`` (in-memory SQLite, other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def check_exists(url: str | URL) -> None:
    """Raise :class:`HubcoreError` unless the SQLite file of ``url`` exists (other databases
    are checked when connecting). Creates nothing: a folder that does not exist usually means
    a typing mistake in ``--db``."""
    path = sqlite_file(url)
    if path is None:
        return
    if not path.parent.is_dir():
        raise HubcoreError(
            f"the folder {path.parent} does not exist (is the --db path right?); nothing was "
            "created: only `hubcore db upgrade` and `hubcore demo` create databases"
        )
    if path.is_dir():
        raise HubcoreError(f"database {path} is a folder, not a SQLite file")
    if not path.exists():
        raise HubcoreError(
            f"database {path} does not exist; create it with `hubcore db upgrade --db {path}` "
            "(or build the synthetic demo with `hubcore demo`)"
        )


@functools.cache
def get_engine(url: str) -> Engine:
    """One engine per URL per process (built lazily, so forked server workers get their own).
    Creates nothing until a connection is made; see :func:`check_exists`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration revision in this version of hubcore."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(Path(__file__).parent / "migrations"))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty or missing database (a
    missing SQLite file is not created)."""
    from alembic.runtime.migration import MigrationContext

    path = sqlite_file(engine.url)
    if path is not None and not path.exists():
        return None
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` with the Alembic migrations (the one place
    a database, and for SQLite its folder, is created)."""
    from alembic import command

    path = sqlite_file(engine.url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (the migrations' downgrade steps)."""
    from alembic import command

    command.downgrade(_alembic_config(engine), revision)


def ensure_current(engine: Engine) -> None:
    """Raise a clear error unless the database exists and is at the newest revision (a
    missing SQLite file is reported, not created)."""
    check_exists(engine.url)
    try:
        current = current_revision(engine)
    except Exception as exc:  # noqa: BLE001 - connection errors differ per driver
        raise HubcoreError(f"cannot open database {engine.url!r}: {exc}") from None
    if current is None:
        tables = inspect(engine).get_table_names()
        raise HubcoreError(
            f"database {engine.url!r} has no hubcore schema"
            + (f" (it holds {len(tables)} other tables)" if tables else " (it is empty)")
            + "; run `hubcore db upgrade` or `hubcore demo` first"
        )
    if current != head_revision():
        raise HubcoreError(
            f"database {engine.url!r} is at schema revision {current}, this hubcore needs "
            f"{head_revision()}; run `hubcore db upgrade --db ...`"
        )


def ensure_schema(engine: Engine) -> None:
    """Raise a clear error unless the database exists and holds a hubcore schema (of any
    revision); for commands that then migrate it, such as an import."""
    check_exists(engine.url)
    try:
        current = current_revision(engine)
    except Exception as exc:  # noqa: BLE001 - connection errors differ per driver
        raise HubcoreError(f"cannot open database {describe(engine.url)}: {exc}") from None
    if current is None:
        raise HubcoreError(
            f"database {describe(engine.url)} has no hubcore schema; run "
            "`hubcore db upgrade --db ...` first (or `hubcore demo` for the synthetic demo)"
        )


def describe(url: str | URL) -> str:
    """A URL safe to print: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)
