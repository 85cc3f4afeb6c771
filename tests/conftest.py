"""Shared fixtures: fresh databases, the demo hub, and the real public files in ../shared/data."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool

from hubcore import db

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HUBCORE_SHARED_DATA", ROOT.parent / "shared" / "data"))


#: Admin URL of a PostgreSQL server for the second run of the suite (scripts/test.sh sets it).
TEST_SERVER_URL = os.environ.get("HUBCORE_TEST_DATABASE_URL")


def _url(path: Path) -> str:
    """A test database URL: a SQLite file in ``path``, or a fresh database on the server named by
    ``HUBCORE_TEST_DATABASE_URL`` when that is set (the PostgreSQL run of the suite). Pass the
    URL to :func:`_drop` when done."""
    if not TEST_SERVER_URL:
        return db.sqlite_url(path / "test.db")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hubcore_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(TEST_SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(TEST_SERVER_URL).set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    """Drop a database made by :func:`_url` on the test server (SQLite files go with tmp_path)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not TEST_SERVER_URL or parsed.get_backend_name() == "sqlite":
        return
    from sqlalchemy import create_engine, text

    db.get_engine(url).dispose()
    admin = create_engine(TEST_SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _own_hubcore_home(tmp_path_factory):
    """Commands the tests run remember the database they built, served or imported into, in
    ``$HUBCORE_HOME`` (``hubcore.db.remember``): keep that in the session's own folder, never
    the user's. Tests that need a particular home still set their own."""
    patch = pytest.MonkeyPatch()
    patch.setenv(db.ENV_HOME, str(tmp_path_factory.mktemp("hubcore-home")))
    yield
    patch.undo()


@pytest.fixture
def engine(tmp_path):
    """An empty database at the newest schema revision."""
    url = _url(tmp_path)
    eng = db.get_engine(url)
    db.upgrade(eng)
    yield eng
    eng.dispose()
    _drop(url)


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory):
    """The synthetic demo hub, built once for the whole session. Treat it as read-only."""
    from hubcore import demo

    path = tmp_path_factory.mktemp("demo")
    url = _url(path)
    eng = db.get_engine(url)
    db.upgrade(eng)
    demo.build(eng, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    yield eng
    _drop(url)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public files; tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public data not found at {SHARED_DATA} (../shared/data beside the repo)")
    return SHARED_DATA
