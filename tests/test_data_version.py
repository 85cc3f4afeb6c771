"""The data version (issue 13 item 5): every writer changes it in its own transaction, and the
pages' caches are keyed by it, so a page built after an import shows the imported data."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from hubcore import data_version, demo, retention
from hubcore.access import Scope
from hubcore.cli import main as hubcore_main
from hubcore.errors import HubcoreError
from hubcore.ingest import import_file
from hubcore.ingest.base import finish
from hubcore.ingest.report import ImportReport
from hubcore.models import Hub, HubMembership, Leaver
from tests.ingest_corpus import TODAY, encounter_rows, seed_employers, seed_schools, write_csv


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_every_writer_moves_the_version_once(engine, tmp_path):
    seed_schools(engine)
    seed_employers(engine)
    start = data_version.current(engine)
    assert start == 1  # seeded by migration 0004

    import_file(engine, "encounters", write_csv(tmp_path / "e.csv", encounter_rows(3)),
                today=TODAY)
    assert data_version.current(engine) == start + 1

    # A dry run and a retention check write nothing, so the version stays.
    import_file(engine, "encounters", tmp_path / "e.csv", today=TODAY, dry_run=True)
    with engine.begin() as conn:
        conn.execute(insert(Leaver.__table__), {
            "key": "k" * 20, "urn": 108055, "cohort": 2019, "year_group": 11,
            "left_on": dt.date(2019, 7, 19)})
    retention.run(engine, Scope.admin(), as_of=dt.date(2026, 6, 30))
    assert data_version.current(engine) == start + 1
    result = retention.run(engine, Scope.admin(), as_of=dt.date(2026, 6, 30), apply=True)
    assert result.leavers == 1
    assert data_version.current(engine) == start + 2

    assert hubcore_main(["db", "refresh-rollups", "--db", _url(engine)]) == 0
    assert data_version.current(engine) == start + 3


def test_demo_build_moves_the_version(engine):
    demo.build(engine, size="hub", progress=False)
    assert data_version.current(engine) == 2


def test_a_refused_write_leaves_the_version(engine, tmp_path):
    """The bump commits with the data or not at all."""
    path = write_csv(tmp_path / "x.csv", encounter_rows(1))
    before = data_version.current(engine)

    def refused(conn):
        raise IntegrityError("INSERT …", {}, Exception("duplicate key"))

    with pytest.raises(HubcoreError, match="nothing was written"):
        finish(engine, ImportReport(kind="encounters", file=str(path)), None, refused, None)
    assert data_version.current(engine) == before


def test_page_caches_read_again_after_an_import(engine, tmp_path, monkeypatch):
    """The overview's school frame (``pn.cache``d) before and after a GIAS re-import changing
    one school's pupil count: the same page call gives the new figure once the data changed."""
    pytest.importorskip("panel")
    from dashboards.common import data

    monkeypatch.delenv("HUBCORE_USERS_FILE", raising=False)
    monkeypatch.setenv("HUBCORE_HOME", str(tmp_path / "home"))  # no users file there
    gias = {"URN": "140001", "LA (code)": "383", "EstablishmentName": "Hill Top",
            "TypeOfEstablishment (code)": "1", "PhaseOfEducation (code)": "4",
            "EstablishmentStatus (name)": "Open", "NumberOfPupils": "1203"}
    import_file(engine, "gias", write_csv(tmp_path / "a.csv", [gias]))
    with engine.begin() as conn:
        conn.execute(insert(Hub.__table__), {"id": "H1", "name": "Hub one"})
        conn.execute(insert(HubMembership.__table__),
                     {"hub_id": "H1", "urn": 140001, "start_date": dt.date(2024, 9, 1)})
    url = _url(engine)
    key = data.scope_key(url, "H1")
    assert data.schools(url, key)["pupils"].tolist() == [1203]
    assert data.scope_key(url, "H1") == key  # nothing written: the cached frame is reused
    assert data.schools(url, data.scope_key(url, "H1")) is data.schools(url, key)

    import_file(engine, "gias", write_csv(tmp_path / "b.csv", [{**gias, "NumberOfPupils": "987"}]))
    fresh = data.scope_key(url, "H1")
    assert fresh != key
    assert data.schools(url, fresh)["pupils"].tolist() == [987]
    # A key built without a version (the server's warm-up for signed-in users) gets today's.
    assert data._versioned(url, key[:4]) == fresh
    with engine.connect() as conn:
        assert conn.execute(select(HubMembership.__table__.c.urn)).scalars().all() == [140001]
    assert isinstance(data.schools(url, fresh), pd.DataFrame)
