"""The installed ``hubcore`` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from hubcore import db


def run(*args: str, home=None, timeout: int = 300, cwd=None,
        env_url: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HUBCORE_HOME": str(home)} if home else dict(os.environ)
    env.pop("HUBCORE_DATABASE_URL", None)
    if env_url:
        env["HUBCORE_DATABASE_URL"] = env_url
    return subprocess.run(
        [sys.executable, "-m", "hubcore.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
    )


def files_in(folder: Path) -> list[str]:
    """Every file under ``folder`` (relative paths), or [] when it does not exist."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


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


def test_readme_sequence_works_without_db_after_the_demo(tmp_path):
    """Issue 17, item 1: after the demo (scripts/demo.sh runs `hubcore demo`), the README's
    commands work as written, with no --db, and say which database they used."""
    home = tmp_path / "home"
    built = run("demo", "--no-serve", home=home)
    assert built.returncode == 0, built.stderr
    demo_url = db.sqlite_url(home / "demo.db")
    state = json.loads((home / db.STATE_FILE).read_text())
    assert state == {"url": demo_url, "by": "demo"}

    report = run("report", "benchmarks", "--hub", "DEMO", "--format", "json", home=home)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["meta"]["hub"] == "DEMO"
    assert report.stderr.strip() == (
        f"hubcore: using {demo_url}, the database `hubcore demo` last used "
        "(--db to choose another)")
    takes = run("report", "what-it-takes", home=home)
    assert takes.returncode == 0, takes.stderr
    assert "hubcore.db" not in takes.stderr

    brief = run("brief", "--hub", "DEMO", "--out", "briefings/", "--format", "html",
                home=home, cwd=tmp_path)
    assert brief.returncode == 0, brief.stderr
    assert [p.suffix for p in (tmp_path / "briefings").iterdir()] == [".html"]
    current = run("db", "current", home=home)
    assert current.returncode == 0 and db.head_revision() in current.stdout
    # Nothing but the demo and the remembered choice in the folder: no empty hubcore.db.
    assert [f for f in files_in(home) if not f.startswith("demo.db")] == [db.STATE_FILE]

    # A demo built before this version remembered databases is still found, and named.
    (home / db.STATE_FILE).unlink()
    older = run("report", "coverage", home=home)
    assert older.returncode == 0, older.stderr
    assert older.stderr.strip() == (
        f"hubcore: using the synthetic demo database {demo_url} (--db to choose another)")


def test_explicit_db_and_environment_win_over_the_remembered_one(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    remembered = tmp_path / "remembered.db"
    assert run("db", "upgrade", "--db", str(remembered), home=home).returncode == 0
    assert json.loads((home / db.STATE_FILE).read_text())["url"] == db.sqlite_url(remembered)
    other = tmp_path / "other.db"
    assert run("db", "upgrade", "--db", str(other), home=home).returncode == 0
    (home / db.STATE_FILE).write_text(json.dumps({"url": db.sqlite_url(remembered),
                                                  "by": "serve"}))
    given = run("db", "current", "--db", str(other), home=home)
    assert given.returncode == 0 and str(other) in given.stdout and given.stderr == ""
    from_env = run("db", "current", home=home, env_url=db.sqlite_url(other))
    assert str(other) in from_env.stdout
    assert "from $HUBCORE_DATABASE_URL" in from_env.stderr
    by_memory = run("db", "current", home=home)
    assert str(remembered) in by_memory.stdout
    assert "the database `hubcore serve` last used" in by_memory.stderr


@pytest.mark.parametrize("argv", [
    ("report", "benchmarks"),
    ("brief", "--hub", "DEMO", "--out", "out"),
    ("serve",),
    ("db", "current"),
    ("db", "refresh-rollups"),
    ("audit",),
])
def test_a_fresh_home_gets_true_advice_and_keeps_no_file(tmp_path, argv):
    home = tmp_path / "home"
    result = run(*argv, home=home, cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("hubcore: error: no database yet in ")
    assert "`hubcore demo`" in last and "`hubcore db upgrade`" in last
    assert not home.exists()  # not even the folder
    assert files_in(tmp_path) == []


def test_a_remembered_database_that_is_gone_is_named_not_recreated(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    gone = tmp_path / "gone.db"
    (home / db.STATE_FILE).write_text(json.dumps({"url": db.sqlite_url(gone), "by": "demo"}))
    result = run("report", "benchmarks", home=home)
    assert result.returncode == 1
    assert (f"hubcore: error: database {gone}, which `hubcore demo` last used, is no longer "
            "there") in result.stderr
    assert not gone.exists() and files_in(home) == [db.STATE_FILE]


def test_empty_file_gets_advice_naming_it_and_stays_empty(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    empty = home / "hubcore.db"
    empty.touch()
    result = run("report", "benchmarks", home=home)
    assert result.returncode == 1
    assert f"`hubcore db upgrade --db {empty}`" in result.stderr
    assert empty.stat().st_size == 0
    assert files_in(home) == ["hubcore.db"]  # no -wal/-shm left either


def test_a_url_with_a_password_is_not_written_down(tmp_path, monkeypatch):
    monkeypatch.setenv(db.ENV_HOME, str(tmp_path))
    assert db.remember("postgresql+psycopg://hub:s3cret@localhost/hub", "serve") is False
    assert not (tmp_path / db.STATE_FILE).exists()
    assert db.remember("postgresql+psycopg://hub@localhost/hub", "serve") is True
    assert db.remembered() == ("postgresql+psycopg://hub@localhost/hub", "serve")
    (tmp_path / db.STATE_FILE).write_text("{not json")
    assert db.remembered() is None  # a damaged file means nothing remembered


def test_commands_other_than_serve_load_no_panel_bokeh_or_dashboards(tmp_path):
    """Issue 14, item 1: `hubcore/cli.py` loads the served app only when serving."""
    target = tmp_path / "t.db"
    assert run("db", "upgrade", "--db", str(target)).returncode == 0
    code = (
        "import sys; from hubcore import cli\n"
        "for argv in (['--help'], ['report', 'benchmarks', '--db', sys.argv[1]],\n"
        "             ['template', 'employers', '--out', sys.argv[2]]):\n"
        "    try: cli.main(argv)\n"
        "    except SystemExit: pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'panel', 'bokeh', 'dashboards', 'holoviews', 'tornado'}))"
    )
    result = subprocess.run([sys.executable, "-c", code, str(target),
                             str(tmp_path / "t.xlsx")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
