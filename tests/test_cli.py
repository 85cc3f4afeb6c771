"""The installed ``hubcore`` command, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from hubcore import db


def run(*args: str, home=None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "HUBCORE_HOME": str(home)} if home else dict(os.environ)
    env.pop("HUBCORE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "hubcore.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_version_and_help_everywhere():
    top = run("--version")
    assert top.returncode == 0 and top.stdout.startswith("hubcore ")
    for command in ("demo", "serve", "db"):
        assert run(command, "--help").returncode == 0
        assert run(command, "--version").stdout == top.stdout


def test_demo_builds_database_from_nothing(tmp_path):
    first = run("demo", "--no-serve", home=tmp_path)
    assert first.returncode == 0, first.stderr
    url = first.stdout.strip()
    assert url == db.sqlite_url(tmp_path / "demo.db")
    with db.get_engine(url).connect() as conn:
        assert conn.execute(text("select count(*) from school")).scalar() == 36
        assert conn.execute(text("select synthetic from hub")).scalar() == 1
    assert "Built in" in first.stderr
    again = run("demo", "--no-serve", home=tmp_path)
    assert again.returncode == 0 and "existing demo database" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("serve", "--db", "{tmp}/missing.db"), "does not exist; create it with `hubcore db up"),
        (("serve", "--db", "nosuchdriver://x"), "error"),
        (("demo", "--no-serve", "--schools", "x.csv"), "--schools and --boundaries go together"),
    ],
)
def test_errors_are_one_clear_line(tmp_path, args, message):
    result = run(*[a.format(tmp=tmp_path) for a in args], home=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hubcore: error:"), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_db_upgrade_then_current(tmp_path):
    target = tmp_path / "fresh.db"
    up = run("db", "upgrade", "--db", str(target))
    assert up.returncode == 0 and f"→ {db.head_revision()}" in up.stdout
    current = run("db", "current", "--db", str(target))
    assert current.returncode == 0 and db.head_revision() in current.stdout
