"""Shared fixtures: fresh databases, the demo hub, and the real public files in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hubcore import db

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HUBCORE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _url(path: Path) -> str:
    """A test database URL: a SQLite file in ``path``, or a fresh schema on the server named by
    ``HUBCORE_TEST_DATABASE_URL`` when that is set (the PostgreSQL run of the suite)."""
    return db.sqlite_url(path / "test.db")


@pytest.fixture
def engine(tmp_path):
    """An empty database at the newest schema revision."""
    eng = db.get_engine(_url(tmp_path))
    db.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory):
    """The synthetic demo hub, built once for the whole session. Treat it as read-only."""
    from hubcore import demo

    path = tmp_path_factory.mktemp("demo")
    eng = db.get_engine(_url(path))
    db.upgrade(eng)
    demo.build(eng, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    return eng


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public files; tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public data not found at {SHARED_DATA} (../shared/data beside the repo)")
    return SHARED_DATA
