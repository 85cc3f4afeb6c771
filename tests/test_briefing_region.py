"""Regional briefing (issue #16 item 1): hubs side by side, fair ranking, region membership
from the database, the regional pack's files."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from PIL import Image

from hubcore import models, notices
from hubcore.briefing import region as brief_region
from hubcore.display import region
from hubcore.errors import HubcoreError

AS_OF = dt.date(2026, 12, 1)


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.attrs["display"] = {"title": "Hubs side by side", "note": "caveats"}
    return frame


def _hubs() -> pd.DataFrame:
    """Four hubs, awkward on purpose: a tie, a hub on another framework year, a hidden NEET
    rate, a NEET snapshot beside Dec-Feb averages, a hub measured in another coverage year and
    one with no coverage at all."""
    return _frame([
        {"hub_id": "A", "hub_name": "Hub A", "framework": "2014", "benchmark_year": "2024/25",
         "vs_national": 0.5, "coverage_year": "2025/26", "pct_meeting": 50.0,
         "cohort": 2025, "neet_cohort": 2025, "neet_measured": "Dec-Feb average",
         "y11_neet_pct": "c", "y11_handed_to": "NCS", "y11_median_days": 30.0,
         "y11_overdue": "c"},
        {"hub_id": "B", "hub_name": "Hub B", "framework": "2014", "benchmark_year": "2024/25",
         "vs_national": 1.2, "coverage_year": "2025/26", "pct_meeting": 75.0,
         "cohort": 2025, "neet_cohort": 2025, "neet_measured": "Dec-Feb average",
         "y11_neet_pct": 4.0, "y11_handed_to": "NCS", "y11_median_days": 12.0,
         "y11_overdue": 9},
        {"hub_id": "C", "hub_name": "Hub C", "framework": "2014", "benchmark_year": "2024/25",
         "vs_national": 0.5, "coverage_year": "2024/25", "pct_meeting": 90.0,
         "cohort": 2025, "neet_cohort": 2025, "neet_measured": "Dec-Feb average",
         "y11_neet_pct": 2.5, "y11_handed_to": "LA tracking",
         "y11_median_days": 5.0, "y11_overdue": 0},
        {"hub_id": "D", "hub_name": "Hub D", "framework": "2014", "benchmark_year": "2023/24",
         "vs_national": 2.0, "coverage_year": None, "pct_meeting": np.nan,
         "cohort": 2025, "neet_cohort": 2025,
         "neet_measured": "snapshot at the end of November 2026",
         "y11_neet_pct": 3.0, "y11_handed_to": "NCS", "y11_median_days": "c",
         "y11_overdue": "c"},
    ])


def _ranks(frame: pd.DataFrame, column: str) -> dict[str, float | None]:
    return {h: (None if pd.isna(r) else float(r)) for h, r in zip(frame["hub_id"], frame[column],
                                                                     strict=True)}


def test_ranked_only_on_the_same_base():
    ranked = region.rank_fairly(_hubs())
    # vs national, higher better: B 1.2 first; A and C tie at 0.5 and share rank 2; D is
    # compared at 2023/24 and is alone on that base, so it is not ranked (although highest).
    assert _ranks(ranked, "rank_vs_national") == {"A": 2.0, "B": 1.0, "C": 2.0, "D": None}
    # Coverage: only A (50) and B (75) share 2025/26; C's year differs; D has none.
    assert _ranks(ranked, "rank_pct_meeting") == {"A": 2.0, "B": 1.0, "C": None, "D": None}
    # NEET, lowest first, Dec-Feb averages only: C 2.5, B 4.0; A's rate is hidden and is not
    # ranked; D's 3.0 is a November snapshot, not ranked against averages.
    assert _ranks(ranked, "rank_y11_neet") == {"A": None, "B": 2.0, "C": 1.0, "D": None}
    # Timeliness, fewest days first, within the receiving organisation: NCS has A 30, B 12
    # (D hidden); C alone for LA tracking.
    assert _ranks(ranked, "rank_y11_median_days") == {"A": 2.0, "B": 1.0, "C": None,
                                                       "D": None}


def test_a_suppressed_cell_stays_suppressed_side_by_side():
    table = brief_region.side_by_side_table(region.rank_fairly(_hubs()))
    assert table.columns == ("Measure", "A", "B", "C", "D")
    rows = {r[0]: r[1:] for r in table.rows}
    assert rows["Year 11 NEET %"] == ("c", "4.0", "2.5", "3.0")
    assert rows["Year 11 overdue hand-overs"] == ("c", "9", "0", "c")
    assert rows["Year 11 median days to referral"] == ("30.0", "12.0", "5.0", "c")
    # A hidden or unfair rank prints as missing, never as a number.
    assert rows["  rank (fair, lowest first)"] == ("–", "2", "1", "–")
    assert "Hub A" in table.note and "caveats" in table.note


# --- region membership from a hand-made two-hub database --------------------------------------


def _insert(engine, model, rows):
    with engine.begin() as conn:
        conn.execute(sa.insert(model.__table__), rows)


@pytest.fixture
def two_hubs(engine):
    """Two hubs: H1 with a school in LA E06000001 (East Midlands, by the area row's parent),
    H2 with schools in E06000002 (East Midlands) and E06000003 (West Midlands)."""
    _insert(engine, models.Hub, [
        {"id": "H1", "name": "Hub one", "synthetic": True},
        {"id": "H2", "name": "Hub two", "synthetic": False},
    ])
    _insert(engine, models.Area, [
        {"code": "E06000001", "kind": "utla", "name": "LA one", "parent_code": "E12000004"},
        {"code": "E06000002", "kind": "utla", "name": "LA two", "parent_code": "E12000004"},
        {"code": "E06000003", "kind": "utla", "name": "LA three", "parent_code": "E12000005"},
    ])
    _insert(engine, models.School, [
        {"urn": 100001 + i, "name": f"School {i}", "kind": "mainstream_11_16", "la_gss": la,
         "la_code": 901 + i, "type_code": 28, "phase_code": 4,
         "easting": 400000 + i * 100, "northing": 300000}
        for i, la in enumerate(["E06000001", "E06000002", "E06000003"])
    ])
    _insert(engine, models.HubMembership, [
        {"id": 1, "hub_id": "H1", "urn": 100001, "start_date": dt.date(2020, 9, 1)},
        {"id": 2, "hub_id": "H2", "urn": 100002, "start_date": dt.date(2020, 9, 1)},
        {"id": 3, "hub_id": "H2", "urn": 100003, "start_date": dt.date(2020, 9, 1)},
    ])
    return engine


def test_region_membership_from_the_database(two_hubs):
    assert region.region_las(two_hubs, "E12000004") == ["E06000001", "E06000002"]
    assert region.region_hub_ids(two_hubs, "e12000004") == ["H1", "H2"]
    # West Midlands: only H2 has a school there.
    assert region.region_hub_ids(two_hubs, "E12000005") == ["H2"]


def test_unknown_region_is_a_clear_error(two_hubs):
    with pytest.raises(HubcoreError, match=r"no local authority .* region E12000007 \(London\)"
                       r".*regions present: E12000004 \(East Midlands\), E12000005"):
        region.region_las(two_hubs, "E12000007")
    with pytest.raises(HubcoreError, match="not an English region code"):
        region.region_las(two_hubs, "E47000001")


# --- the pack on the demo hub -----------------------------------------------------------------


@pytest.fixture(scope="module")
def region_pack(demo_engine) -> dict[str, bytes]:
    b = brief_region.gather_region(demo_engine, ["DEMO"], AS_OF, label="DEMO")
    return brief_region.render_region(b)


def test_region_pack_files_labelled_and_at_print_resolution(region_pack):
    names = sorted(region_pack)
    assert names == ["briefing-region-DEMO-2026-12-01-map_region.png",
                     "briefing-region-DEMO-2026-12-01.pdf"]
    pdf = region_pack[names[1]]
    assert pdf.startswith(b"%PDF") and notices.SYNTHETIC_TAG.encode() in pdf
    image = Image.open(io.BytesIO(region_pack[names[0]]))
    assert image.size == (3507, 2480)
    assert round(image.info["dpi"][0]) == 300


def test_region_pack_same_bytes(demo_engine, region_pack):
    again = brief_region.render_region(
        brief_region.gather_region(demo_engine, ["DEMO"], AS_OF, label="DEMO"))
    assert again == region_pack


def test_hub_side_by_side_keeps_the_hubs_own_hidden_cells(demo_engine):
    from hubcore.access import Scope
    from hubcore.display.briefing import briefing_frames

    side = region.region_frames(demo_engine, ["DEMO"], AS_OF).hubs.iloc[0]
    own = briefing_frames(demo_engine, Scope.admin(hub_id="DEMO"), AS_OF)
    lag = own.lag[own.lag["cohort"].eq(side["cohort"]) & own.lag["year_group"].eq(11)
                  & own.lag["handed_to_label"].eq(side["y11_handed_to"])].iloc[0]
    assert str(side["y11_overdue"]) == str(lag["overdue"])
    assert str(side["y11_median_days"]) == str(lag["median_days"])


def test_unknown_hub_is_a_clear_error(demo_engine):
    with pytest.raises(HubcoreError, match="no hub 'NOPE'"):
        region.region_frames(demo_engine, ["DEMO", "NOPE"], AS_OF)


def test_cli_unknown_region_says_so_in_words(two_hubs, tmp_path, capsys):
    from hubcore.cli import main

    url = two_hubs.url.render_as_string(hide_password=False)
    out = tmp_path / "pack"
    code = main(["brief", "--db", url, "--region", "E12000009", "--out", str(out)])
    assert code != 0
    err = capsys.readouterr().err
    assert "no local authority in the database is in region E12000009 (South West)" in err
    assert not out.exists()


def test_shared_reads_give_each_hub_its_own_briefing_figures(demo_engine):
    """The region's reads made once (boundaries, latest assessments, NEET status, coverage)
    and cut per hub give every frame of the hub's own briefing, unchanged (an optimisation
    must not change a figure or a hidden cell)."""
    import dataclasses

    from hubcore.access import Scope
    from hubcore.display.briefing import BriefingFrames, briefing_frames

    own = briefing_frames(demo_engine, Scope.admin(hub_id="DEMO"), AS_OF)
    in_region = region.region_frames(demo_engine, ["DEMO"], AS_OF).per_hub["DEMO"]
    for f in dataclasses.fields(BriefingFrames):
        mine, theirs = getattr(own, f.name), getattr(in_region, f.name)
        if isinstance(mine, pd.DataFrame):
            pd.testing.assert_frame_equal(mine, theirs, obj=f.name)
            assert mine.attrs == theirs.attrs, f.name
        else:
            assert mine == theirs, f.name


@pytest.fixture(scope="module")
def split_demo(demo_engine, tmp_path_factory):
    """The demo hub split into two hubs (the second takes every other school): a file copy of
    the demo under SQLite, a fresh demo under PostgreSQL (the session demo is read-only)."""
    import shutil

    from hubcore import db
    from tests.conftest import TEST_SERVER_URL, _drop, _url

    folder = tmp_path_factory.mktemp("split-demo")
    if demo_engine.url.get_backend_name() == "sqlite" and not TEST_SERVER_URL:
        shutil.copyfile(demo_engine.url.database, folder / "split.db")
        url = db.sqlite_url(folder / "split.db")
        engine = db.get_engine(url)
    else:
        from hubcore import demo

        url = _url(folder)
        engine = db.get_engine(url)
        db.upgrade(engine)
        demo.build(engine, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    with engine.begin() as conn:
        urns = sorted(conn.execute(sa.text("SELECT urn FROM hub_membership")).scalars())
        conn.execute(sa.insert(models.Hub.__table__),
                     [{"id": "DEMO-B", "name": "Demo hub B", "synthetic": True}])
        conn.execute(sa.update(models.HubMembership.__table__)
                     .where(models.HubMembership.__table__.c.urn.in_(urns[1::2]))
                     .values(hub_id="DEMO-B"))
    yield engine
    engine.dispose()
    _drop(url)


def test_hubs_built_in_parallel_give_the_same_pack(split_demo):
    """Two hubs' figures built in two forked processes give the same figures and the same
    pack, byte for byte, as built one after the other (hub order, every figure and every
    hidden cell kept), and the parent's pooled connections still work afterwards."""
    hubs = ["DEMO", "DEMO-B"]
    one = region.region_frames(split_demo, hubs, AS_OF, workers=1)
    two = region.region_frames(split_demo, hubs, AS_OF, workers=2)
    assert list(two.per_hub) == hubs
    # The two hubs really differ (two copies of one hub would also compare equal).
    assert (set(one.per_hub["DEMO"].schools["urn"])
            .isdisjoint(one.per_hub["DEMO-B"].schools["urn"]))
    for hub in hubs:
        for name in ("benchmarks", "funnel", "lag", "neet", "key_figures", "priority"):
            pd.testing.assert_frame_equal(getattr(two.per_hub[hub], name),
                                          getattr(one.per_hub[hub], name), obj=name)
    pd.testing.assert_frame_equal(two.hubs, one.hubs)
    packs = [brief_region.render_region(brief_region.gather_region(
        split_demo, hubs, AS_OF, label="AB", workers=w)) for w in (1, 2)]
    assert packs[0] == packs[1]
    with split_demo.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM hub")).scalar_one() == 2


def test_a_list_of_hubs_is_named_once_on_each_page(split_demo):
    """`--hubs A,B`: the title lists the hubs, the page heads say how many (not the list a
    second time: nine ids twice ran off an A4 page); the file names keep the list."""
    from pypdf import PdfReader

    b = brief_region.gather_region(split_demo, ["DEMO", "DEMO-B"], AS_OF, label="DEMO-DEMO-B")
    assert (b.title, b.scope_label) == ("Hubs: DEMO, DEMO-B", "2 hubs")
    pack = brief_region.render_region(b, ("pdf",))
    (name,) = pack
    assert name == "briefing-region-DEMO-DEMO-B-2026-12-01.pdf"
    first = " ".join(PdfReader(io.BytesIO(pack[name])).pages[0].extract_text().split())
    assert "Hubs: DEMO, DEMO-B - 2 hubs - as of 2026-12-01" in first
    one = brief_region.gather_region(split_demo, ["DEMO"], AS_OF, label="DEMO")
    assert one.scope_label == "1 hub"
