"""A mistyped ``--db`` is an error, never a new database: only ``hubcore db upgrade`` and
``hubcore demo`` create one, and refusing leaves nothing behind."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from hubcore import cli, db
from tests.ingest_corpus import encounter_rows, seed_employers, seed_schools, write_csv


@pytest.fixture
def encounters_csv(tmp_path):
    return write_csv(tmp_path / "enc.csv", pd.DataFrame(encounter_rows(2)))


def commands(target: str, tmp_path, encounters_csv) -> list[list[str]]:
    """Every sub-command that opens an existing database, pointed at ``target``."""
    return [
        ["import", "encounters", str(encounters_csv), "--db", target, "--no-progress"],
        ["serve", "--db", target],
        ["report", "benchmarks", "--db", target],
        ["audit", "--db", target],
        ["retention", "--db", target],
        ["brief", "--hub", "X", "--out", str(tmp_path / "brief"), "--db", target],
        ["db", "current", "--db", target],
        ["db", "refresh-rollups", "--db", target],
    ]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hubcore: error: "), err
    return err[0]


def test_db_in_a_missing_folder_is_an_error_for_every_command(tmp_path, encounters_csv, capsys):
    folder = tmp_path / "typo"
    target = folder / "hub.db"
    for argv in commands(str(target), tmp_path, encounters_csv):
        assert cli.main(argv) == 1, argv
        line = one_error_line(capsys)
        assert f"the folder {folder} does not exist" in line, (argv, line)
        assert "hubcore db upgrade" in line
        assert not folder.exists(), argv  # nothing created, not even the folder


def test_missing_sqlite_file_names_db_upgrade_and_is_not_created(
    tmp_path, encounters_csv, capsys
):
    target = tmp_path / "hub.db"
    for argv in commands(str(target), tmp_path, encounters_csv):
        assert cli.main(argv) == 1, argv
        line = one_error_line(capsys)
        assert f"database {target} does not exist" in line, (argv, line)
        assert f"`hubcore db upgrade --db {target}`" in line
        assert not target.exists(), argv  # the old refusal left an empty hub.db behind


def test_environment_url_to_a_missing_file_is_refused(tmp_path, monkeypatch, capsys):
    target = tmp_path / "nowhere" / "hub.db"
    monkeypatch.setenv(db.ENV_URL, db.sqlite_url(target))
    assert cli.main(["audit"]) == 1
    used, error = capsys.readouterr().err.strip().splitlines()
    assert used == f"hubcore: using {db.sqlite_url(target)} (from ${db.ENV_URL})"
    assert error.startswith("hubcore: error: ") and "does not exist" in error
    assert not target.parent.exists()


def test_import_into_an_empty_file_is_refused_not_given_a_schema(tmp_path, encounters_csv,
                                                                capsys):
    target = tmp_path / "empty.db"
    target.touch()
    assert cli.main(["import", "encounters", str(encounters_csv), "--db", str(target)]) == 1
    line = one_error_line(capsys)
    assert "has no hubcore schema (it is empty)" in line
    assert f"`hubcore db upgrade --db {target}`" in line  # advice naming the file, true
    assert target.stat().st_size == 0  # not even a WAL header written into it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "enc.csv"]
    with sqlite3.connect(target) as conn:
        assert conn.execute("select count(*) from sqlite_master").fetchone() == (0,)


def test_a_command_given_no_db_in_an_empty_home_creates_nothing(tmp_path, monkeypatch,
                                                                capsys):
    home = tmp_path / "home"
    monkeypatch.setenv(db.ENV_HOME, str(home))
    monkeypatch.delenv(db.ENV_URL, raising=False)
    for argv in (["report", "benchmarks"], ["db", "current"], ["retention"]):
        assert cli.main(argv) == 1, argv
        used, error = capsys.readouterr().err.strip().splitlines()
        assert used.startswith("hubcore: using the embedded database ")
        assert error.startswith(f"hubcore: error: no database yet in {home}")
    assert not home.exists()


def test_import_remembers_the_database_it_filled(tmp_path, encounters_csv, monkeypatch,
                                                 capsys):
    monkeypatch.setenv(db.ENV_HOME, str(tmp_path / "home"))
    target = tmp_path / "hub.db"
    engine = db.get_engine(db.sqlite_url(target))
    db.upgrade(engine)
    seed_schools(engine)
    seed_employers(engine)
    assert cli.main(["import", "encounters", str(encounters_csv), "--db", str(target),
                     "--dry-run", "--no-progress"]) == 0
    assert db.remembered() is None  # a dry run fills nothing
    assert cli.main(["import", "encounters", str(encounters_csv), "--db", str(target),
                     "--no-progress"]) == 0
    assert db.remembered() == (db.sqlite_url(target), "import")
    capsys.readouterr()
    assert cli.main(["db", "current"]) == 0
    out = capsys.readouterr()
    assert str(target) in out.out and "`hubcore import` last used" in out.err


def test_db_upgrade_creates_folder_and_database_then_import_works(
    tmp_path, encounters_csv, capsys
):
    target = tmp_path / "new" / "place" / "hub.db"
    assert cli.main(["db", "upgrade", "--db", str(target)]) == 0
    assert target.exists()
    assert db.current_revision(db.get_engine(db.sqlite_url(target))) == db.head_revision()
    engine = db.get_engine(db.sqlite_url(target))
    seed_schools(engine)
    seed_employers(engine)
    capsys.readouterr()
    assert cli.main(["import", "encounters", str(encounters_csv), "--db", str(target),
                     "--no-progress"]) == 0
    assert "new 2" in capsys.readouterr().out


def test_current_revision_does_not_create_the_file(tmp_path):
    target = tmp_path / "x.db"
    assert db.current_revision(db.get_engine(db.sqlite_url(target))) is None
    assert not target.exists()


def test_a_home_that_cannot_be_written_does_not_fail_the_command(tmp_path, monkeypatch,
                                                                  capsys):
    target = tmp_path / "hub.db"
    assert cli.main(["db", "upgrade", "--db", str(target)]) == 0
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where HUBCORE_HOME's folder would be")
    monkeypatch.setenv(db.ENV_HOME, str(blocker / "home"))
    capsys.readouterr()
    assert cli.main(["db", "upgrade", "--db", str(target)]) == 0  # remembered nothing, said so
    assert "could not remember" in capsys.readouterr().err
