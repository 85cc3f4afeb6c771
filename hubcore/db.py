"""Database connection: where the database is, engines, and schema migrations.

The embedded default is a SQLite file in the user's data folder; any SQLAlchemy URL can be given
through ``HUBCORE_DATABASE_URL`` or a ``--db`` option. The schema is created and upgraded only by
the Alembic migrations in ``hubcore/migrations``.

Only :func:`upgrade` (``hubcore db upgrade`` and ``hubcore demo``) creates a database: opening
one never creates a file or a folder, so a mistyped ``--db`` is an error
(:func:`check_exists`) rather than a new, empty database that an import then fills with rejects.

The ``hubcore`` command remembers the database the user last built, served or imported into
(:func:`remember`, a small JSON file in the data folder), so that after ``hubcore demo`` every
other command works on the demo without ``--db``; :func:`choose` says which database a command
uses and why.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url

from hubcore.errors import HubcoreError

ENV_URL = "HUBCORE_DATABASE_URL"
ENV_HOME = "HUBCORE_HOME"
#: The file in :func:`data_dir` naming the database last built, served or imported into.
STATE_FILE = "last-database.json"


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


@dataclass(frozen=True)
class Choice:
    """The database a command uses and why: ``source`` is ``"--db"``, ``"environment"``
    (``HUBCORE_DATABASE_URL``), ``"remembered"`` (the one ``by`` last used, see
    :func:`remember`), ``"embedded"`` (``hubcore.db`` in the data folder) or ``"demo"``
    (``demo.db`` there, built before this version remembered databases)."""

    url: str
    source: str
    by: str | None = None

    def explain(self) -> str:
        """One line for stderr: which database, and why this one."""
        where = describe(self.url)
        if self.source == "environment":
            return f"using {where} (from ${ENV_URL})"
        if self.source == "remembered":
            return (f"using {where}, the database `hubcore {self.by}` last used "
                    "(--db to choose another)")
        if self.source == "demo":
            return f"using the synthetic demo database {where} (--db to choose another)"
        if self.source == "embedded":
            return f"using the embedded database {where} (--db to choose another)"
        return f"using {where}"


def state_path() -> Path:
    """The file that remembers the last database used (in :func:`data_dir`)."""
    return data_dir() / STATE_FILE


def remembered() -> tuple[str, str] | None:
    """``(url, command)`` of the database a ``hubcore`` command last built, served or imported
    into, or ``None`` (nothing remembered, or the file unreadable: it is only a convenience)."""
    try:
        state = json.loads(state_path().read_text(encoding="utf-8"))
        url, by = str(state["url"]), str(state.get("by") or "demo")
        make_url(url)
    except Exception:  # noqa: BLE001 - a missing or damaged file means nothing remembered
        return None
    return url, by


def remember(url: str, by: str) -> bool:
    """Remember ``url`` as the database to use when a command is given none; ``by`` is the
    command that used it (``"demo"``, ``"serve"``, ``"import"``, ``"db upgrade"``). A URL with a
    password is not written down (a secret belongs in the environment): returns whether it was
    remembered. Written atomically, readable by its owner only."""
    parsed = make_url(url)
    if parsed.password is not None:
        return False
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"url": parsed.render_as_string(hide_password=False), "by": by})
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".last-database.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, state_path())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def choose(given: str | None = None) -> Choice:
    """The database a command uses: ``given`` (``--db``); else ``HUBCORE_DATABASE_URL``; else
    the one last built, served or imported into (:func:`remembered`); else ``hubcore.db`` in
    the data folder if it exists; else ``demo.db`` there if it exists (a demo built before
    databases were remembered); else ``hubcore.db`` (which :func:`check_exists` reports as
    missing, with advice)."""
    if given:
        return Choice(resolve_url(given), "--db")
    if os.environ.get(ENV_URL):
        return Choice(os.environ[ENV_URL], "environment")
    last = remembered()
    if last is not None:
        return Choice(last[0], "remembered", last[1])
    own, demo = data_dir() / "hubcore.db", data_dir() / "demo.db"
    if not own.exists() and demo.is_file():
        return Choice(sqlite_url(demo), "demo")
    return Choice(sqlite_url(own), "embedded")


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
    if path is not None and (not path.exists() or _empty_file(path)):
        # Connecting would write a header into an empty file (WAL mode): leave it as it was.
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
        raise _no_schema(engine)
    if current != head_revision():
        raise HubcoreError(
            f"database {describe(engine.url)} is at schema revision {current}, this hubcore "
            f"needs {head_revision()}; run `hubcore db upgrade --db {_for_db(engine.url)}`"
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
        raise _no_schema(engine)


def _no_schema(engine: Engine) -> HubcoreError:
    """The error for a database without a hubcore schema: what it holds, and advice naming it."""
    path = sqlite_file(engine.url)
    tables = [] if path is not None and _empty_file(path) else inspect(engine).get_table_names()
    return HubcoreError(
        f"database {describe(engine.url)} has no hubcore schema"
        + (f" (it holds {len(tables)} other tables)" if tables else " (it is empty)")
        + f"; give it one with `hubcore db upgrade --db {_for_db(engine.url)}`, or build "
        "the synthetic demo with `hubcore demo`"
    )


def describe(url: str | URL) -> str:
    """A URL safe to print: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def _empty_file(path: Path) -> bool:
    """Whether ``path`` is a file of no bytes (a SQLite database with nothing in it yet)."""
    try:
        return path.is_file() and path.stat().st_size == 0
    except OSError:
        return False


def _for_db(url: str | URL) -> str:
    """What to type after ``--db`` for ``url`` in advice: a SQLite file's path, else the URL
    with its password hidden."""
    path = sqlite_file(url)
    return str(path) if path is not None else describe(url)
