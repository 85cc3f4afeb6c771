"""An import while the dashboards are served (issue 13 item 5): the overview, whose data is
cached per server process, shows the imported figure after a reload, without a restart.

The served database is a copy of the session's demo (SQLite), so the shared demo stays
untouched. The import is ``hubcore import gias`` in its own process, as an admin would run it,
and it carries only the required GIAS columns and ``NumberOfPupils``: the school's other stored
values (LSOA, LA codes, location) must survive it too (item 8).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import select

from hubcore import data_version, db
from hubcore.models import HubMembership, School
from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

#: A pupil count no demo school has, and unlike any other number on the page.
NEW_PUPILS = 4321


def _copy_demo(demo_engine, target) -> str:
    if demo_engine.dialect.name != "sqlite":
        pytest.skip("the served copy is a SQLite file")
    source = sqlite3.connect(demo_engine.url.database)
    copy = sqlite3.connect(target)
    source.backup(copy)
    copy.close()
    source.close()
    return db.sqlite_url(target)


def _a_member_school(engine) -> dict:
    s, m = School.__table__, HubMembership.__table__
    with engine.connect() as conn:
        row = conn.execute(
            select(s).join(m, m.c.urn == s.c.urn).where(m.c.hub_id == "DEMO").order_by(s.c.urn)
        ).first()
    return dict(row._mapping)


def _shown(page, number: int) -> bool:
    """Whether a cell of the schools table (a Tabulator, inside the panes' shadow roots, which
    locators pierce) shows ``number``, with or without a thousands separator."""
    cell = ".tabulator-cell"
    cells = page.locator(cell, has_text=str(number)).or_(
        page.locator(cell, has_text=f"{number:,}"))
    return cells.count() > 0


def test_overview_shows_imported_pupils_after_reload(demo_engine, page, tmp_path):
    url = _copy_demo(demo_engine, tmp_path / "served.db")
    engine = db.get_engine(url)
    school = _a_member_school(engine)
    assert school["pupils"] != NEW_PUPILS
    server = Server(url, tmp_path / "server.log")
    try:
        page.goto(server.url("overview"), wait_until="networkidle")
        page.get_by_text("Mean benchmarks fully achieved").first.wait_for(timeout=60_000)
        page.locator(".tabulator-cell", has_text=school["name"]).first.wait_for(timeout=30_000)
        assert _shown(page, school["pupils"])  # the figure is there to be replaced
        assert not _shown(page, NEW_PUPILS)

        gias = pd.DataFrame([{
            "URN": school["urn"], "LA (code)": school["la_code"],
            "EstablishmentName": school["name"],
            "TypeOfEstablishment (code)": school["type_code"],
            "PhaseOfEducation (code)": school["phase_code"],
            "EstablishmentStatus (name)": school["status"], "NumberOfPupils": NEW_PUPILS,
        }])
        path = tmp_path / "edubasealldata.csv"
        gias.to_csv(path, index=False)
        before = data_version.current(engine)
        done = subprocess.run(
            [sys.executable, "-m", "hubcore.cli", "import", "gias", str(path), "--db", url,
             "--no-progress"],
            capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "updated 1" in done.stdout + done.stderr
        assert data_version.current(engine) == before + 1

        page.reload(wait_until="networkidle")
        page.get_by_text("Mean benchmarks fully achieved").first.wait_for(timeout=60_000)
        page.locator(".tabulator-cell", has_text=school["name"]).first.wait_for(timeout=30_000)
        assert _shown(page, NEW_PUPILS)
        assert not server.errors(), server.errors()
    finally:
        server.stop()
    after = _a_member_school(engine)
    assert after["pupils"] == NEW_PUPILS
    kept = ("lsoa_code", "la_gss", "lad_gss", "easting", "northing", "lat", "lon", "kind")
    assert {k: after[k] for k in kept} == {k: school[k] for k in kept}
    engine.dispose()
