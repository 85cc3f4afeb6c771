"""``hubcore import`` / ``hubcore template`` through the real command line, and the demo laid
over real Leeds schools and boundaries."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import func, select

from hubcore import db
from hubcore.cli import build_parser, main
from hubcore.models import Area, School
from tests.ingest_corpus import encounter_rows, seed_employers, seed_schools, write_csv

GIAS = "schools/gias_edubase_leeds_20230703.csv"
LSOA = "boundaries/lsoa2011_leeds_E08000035_bgc.geojson"


def hubcore(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubcore.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env)


def test_import_gias_as_a_subprocess(shared_data, tmp_path):
    dbfile = tmp_path / "hub.db"
    assert hubcore("db", "upgrade", "--db", str(dbfile)).returncode == 0  # imports create none
    done = hubcore("import", "gias", str(shared_data / GIAS), "--db", str(dbfile),
                   "--links", str(shared_data / "schools" / "gias_links_leeds_20230817.csv"),
                   "--rejects", str(tmp_path / "gias.rejects.csv"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "gias_edubase_leeds_20230703.csv: read 771, accepted 63, rejected 0, unchanged 0, "
        "new 63, updated 0, skipped 708"
    )
    engine = db.get_engine(db.sqlite_url(dbfile))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(School.__table__)).scalar() == 63


def test_cli_errors_are_one_line_without_traceback(tmp_path, capsys):
    bad = write_csv(tmp_path / "enc.csv", pd.DataFrame({"urn": [1], "colour": ["red"]}))
    db.upgrade(db.get_engine(db.sqlite_url(tmp_path / "x.db")))
    done = hubcore("import", "encounters", str(bad), "--db", str(tmp_path / "x.db"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hubcore: error: enc.csv: wrong header")
    assert "unknown columns: colour" in lines[0]
    assert main(["import", "gias", str(tmp_path / "nope.csv"), "--db",
                 str(tmp_path / "x.db")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"hubcore: error: {tmp_path / 'nope.csv'}: no such file"
    )


def test_import_in_process_with_rejects_and_summary(engine, tmp_path, capsys):
    seed_schools(engine)
    seed_employers(engine)
    rows = encounter_rows(4)
    rows[2]["benchmark"] = 9
    path = write_csv(tmp_path / "encounters.csv", rows)
    url = engine.url.render_as_string(hide_password=False)
    assert main(["import", "encounters", str(path), "--db", url, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "encounters.csv: read 4, accepted 3, rejected 1 (rejects in encounters.rejects.csv), "
        "unchanged 0, new 3, updated 0"
    )
    rejects = pd.read_csv(tmp_path / "encounters.rejects.csv")
    assert rejects[["row", "column", "value", "rule"]].values.tolist() == [
        [4, "benchmark", 9, "out_of_range"]
    ]
    assert main(["import", "encounters", str(path), "--db", url]) == 0
    assert "unchanged 3" in capsys.readouterr().out


def test_template_command(tmp_path, capsys):
    out = tmp_path / "offers.xlsx"
    assert main(["template", "offers", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert list(pd.read_excel(out, sheet_name="Columns")["column"])[:3] == [
        "employer_ref", "academic_year", "kind"
    ]
    args = build_parser().parse_args(["template", "leavers", "--format", "csv"])
    assert args.kind == "leavers" and args.format == "csv"


@pytest.mark.slow
def test_demo_over_real_leeds_schools_and_boundaries(shared_data, tmp_path):
    dbfile = tmp_path / "own-area.db"
    done = hubcore("demo", "--no-serve", "--db", str(dbfile), "--schools",
                   str(shared_data / GIAS), "--boundaries", str(shared_data / LSOA))
    assert done.returncode == 0, done.stderr[-2000:]
    engine = db.get_engine(db.sqlite_url(dbfile))
    with engine.connect() as conn:
        urns = set(conn.execute(select(School.__table__.c.urn)).scalars())
        lsoas = set(conn.execute(select(Area.__table__.c.code)
                                 .where(Area.__table__.c.kind == "lsoa")).scalars())
    assert 108055 in urns  # Lawnswood School, a real Leeds URN
    assert len(urns & set(pd.read_csv(shared_data / GIAS, usecols=["URN"])["URN"])) >= 30
    assert "E01011685" in lsoas
