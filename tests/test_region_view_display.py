"""The served regional view's display sources (hubcore.display.overview): who sees which hubs,
the map's schools and priority marks, the hubs table as people read it, the regions on offer;
and the landing page's freshness sources. Hand-made data, expected values worked out here."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from hubcore import display, models
from hubcore.access import Role, Scope
from hubcore.display import overview as shown
from hubcore.display.region import RegionFrames
from hubcore.errors import HubcoreError


def _insert(engine, model, rows):
    with engine.begin() as conn:
        conn.execute(sa.insert(model.__table__), rows)


# --- who sees which hubs ------------------------------------------------------------------------


@pytest.fixture
def asked(monkeypatch):
    """The hub ids region_view asks region_frames for (no figures are computed)."""
    calls: list[list[str]] = []

    def fake_frames(engine, hub_ids, as_of=None, benchmark=5, label="", title=""):
        calls.append(list(hub_ids))
        return "frames"

    import hubcore.display.region as region

    monkeypatch.setattr(region, "region_frames", fake_frames)
    monkeypatch.setattr(region, "area_hub_ids", lambda engine, code: [f"in-{code}"])
    monkeypatch.setattr(shown.store, "hubs",
                        lambda engine: pd.DataFrame({"id": ["H2", "H1", "H3"]}))
    return calls


def test_admin_sees_every_hub_or_a_regions_hubs(asked):
    assert shown.region_view(None, Scope.admin(hub_id="H1")) == "frames"
    shown.region_view(None, Scope.admin(), "all")
    shown.region_view(None, Scope.admin(hub_id="H1"), "E12000004")
    assert asked == [["H2", "H1", "H3"], ["H2", "H1", "H3"], ["in-E12000004"]]


def test_hub_scope_sees_its_own_hub_whatever_the_region(asked):
    shown.region_view(None, Scope(Role.HUB_LEAD, hub_id="H3"), "E12000004")
    shown.region_view(None, Scope(Role.ANALYST, hub_id="H1"))
    assert asked == [["H3"], ["H1"]]


@pytest.mark.parametrize("scope", [Scope(Role.CAREERS_LEADER, urn=100001),
                                   Scope(Role.NCS_ADVISER, ncs_area="E06000001")])
def test_school_and_ncs_roles_are_refused(asked, scope):
    assert not shown.region_allowed(scope)
    with pytest.raises(HubcoreError, match="administrators, hub leads and analysts"):
        shown.region_view(None, scope)
    assert asked == []


# --- the map's schools, the priority table, the hubs table --------------------------------------


def _frames() -> RegionFrames:
    """Two hubs: A with four schools (ranks 2, 1, 4, 3; one without a coverage figure), B with
    one school of rank 1 and one not ranked."""
    hubs = pd.DataFrame({"hub_id": ["A", "B"], "hub_name": ["Hub <A>", "Hub B"],
                         "achieved": [6.25, 4.0], "rank_vs_national": pd.array([2.0, 1.0],
                                                                               dtype="Float64"),
                         "rank_pct_meeting": pd.array([np.nan, np.nan], dtype="Float64")})
    hubs.attrs["display"] = {"title": "Hubs side by side", "units": {}, "note": "caveats"}
    points = [shapely.Point(400000 + 10 * i, 300000 + i) for i in range(6)]
    schools = gpd.GeoDataFrame({
        "urn": [1, 2, 3, 4, 5, 6], "name": ["a2", "a1", "a4", "a3", "b1", "b-"],
        "kind": ["special"] * 6, "hub_id": ["A", "A", "A", "A", "B", "B"],
        "coverage": [50.0, 100.0, np.nan, 0.0, 80.0, 10.0],
        "meets": pd.array([False, True, pd.NA, False, True, False], dtype="boolean"),
        "priority_index": [60.0, 70.0, 10.0, 55.0, 40.0, np.nan],
        "rank": [2, 1, 4, 3, 1, np.nan]}, geometry=points, crs="EPSG:27700")
    empty = gpd.GeoDataFrame({"code": []}, geometry=[], crs="EPSG:27700")
    return RegionFrames("", "", dt.date(2026, 12, 1), "BM5 measure", hubs, schools, empty,
                        empty, empty, {})


def test_region_schools_marks_each_hubs_top_three():
    out = shown.region_schools(None, Scope.admin(), frames=_frames())
    # Sorted by hub, then rank (the unranked school last in its hub).
    assert out["name"].tolist() == ["a1", "a2", "a3", "a4", "b1", "b-"]
    assert out["top_priority"].tolist() == [True, True, True, False, True, False]
    assert out["status"].tolist() == ["meets the measure", "below the measure",
                                      "below the measure", "no figure", "meets the measure",
                                      "below the measure"]
    assert out["hub_name"].tolist() == ["Hub <A>"] * 4 + ["Hub B"] * 2
    assert out["easting"].tolist() == [400010.0, 400000.0, 400030.0, 400020.0, 400040.0,
                                       400050.0]
    assert display.meta(out)["units"]["coverage"] == "BM5 measure"


def test_region_priority_keeps_the_marked_schools_only():
    out = shown.region_priority(shown.region_schools(None, Scope.admin(), frames=_frames()))
    assert list(zip(out["hub_name"], out["name"], out["rank"], strict=True)) == [
        ("Hub <A>", "a1", 1), ("Hub <A>", "a2", 2), ("Hub <A>", "a3", 3), ("Hub B", "b1", 1)]
    assert display.meta(out)["titles"]["rank"] == "Priority rank in its hub"


def test_region_hubs_shows_a_mean_and_whole_ranks():
    out = shown.region_hubs(_frames())
    assert "achieved" not in out and out["mean_achieved"].tolist() == [6.25, 4.0]
    assert out["rank_vs_national"].tolist() == [2, 1]
    assert str(out["rank_vs_national"].dtype) == "Int64"
    assert out["rank_pct_meeting"].isna().all()
    meta = display.meta(out)
    assert meta["note"] == "caveats"  # the briefing's note and caveats kept
    assert meta["titles"]["mean_achieved"] == "Benchmarks achieved (mean of 8, Compass)"


# --- regions on offer, freshness ----------------------------------------------------------------


def test_region_choices_are_the_regions_of_las_in_the_database(engine):
    _insert(engine, models.Area, [
        {"code": "E06000001", "kind": "utla", "name": "LA one", "parent_code": "E12000004"},
        {"code": "E07000001", "kind": "lad", "name": "LA two", "parent_code": "E12000001"},
        {"code": "E07000002", "kind": "lad", "name": "LA three", "parent_code": "E12000004"},
        # A county (not a region) and a small area's LA parent are not regions.
        {"code": "E07000003", "kind": "lad", "name": "LA four", "parent_code": "E10000001"},
        {"code": "E01000001", "kind": "lsoa", "name": "area", "parent_code": "E12000009"},
    ])
    _insert(engine, models.AreaMembership, [
        {"child_code": "E08000001", "parent_kind": "cauth", "parent_code": "E47000001",
         "parent_name": "Greater Manchester", "vintage": 2025},
        {"child_code": "E08000001", "parent_kind": "lsip", "parent_code": "E69000010",
         "parent_name": "Greater Manchester", "vintage": 2025},
        {"child_code": "E08000001", "parent_kind": "region", "parent_code": "E12000002",
         "parent_name": "North West", "vintage": 2025},
        {"child_code": "E06000002", "parent_kind": "cauth", "parent_code": "E47000002",
         "parent_name": "Advanced & <b>CA</b>", "vintage": 2025},
    ])
    choices = shown.region_choices(engine)
    # Regions by name, then combined authorities by name, then LSIP areas.
    assert list(choices.items()) == [
        ("E12000004", "East Midlands"), ("E12000001", "North East"),
        ("E12000002", "North West"),
        ("E47000002", "Advanced & <b>CA</b> (combined authority)"),
        ("E47000001", "Greater Manchester (combined authority)"),
        ("E69000010", "Greater Manchester (LSIP area)")]


def test_no_regions_without_a_lookup(engine):
    assert shown.region_choices(engine) == {}


def test_freshness_of_a_small_hub(engine):
    _insert(engine, models.Hub, [{"id": "H", "name": "Hill", "synthetic": True},
                                 {"id": "G", "name": "Glen", "synthetic": False}])
    _insert(engine, models.School, [
        {"urn": 100001 + i, "name": f"School {i}", "kind": "mainstream_11_16",
         "la_gss": "E06000001", "la_code": 901, "type_code": 28, "phase_code": 4,
         "easting": 400000, "northing": 300000} for i in range(3)])
    _insert(engine, models.HubMembership, [
        {"id": 1 + i, "hub_id": "H" if i < 2 else "G", "urn": 100001 + i,
         "start_date": dt.date(2020, 9, 1)} for i in range(3)])
    row = display.SOURCES["data_freshness"](engine, Scope.admin(hub_id="H")).iloc[0]
    assert row["schools"] == 2 and row["synthetic"] is True
    assert row["latest_assessment"] is None and row["latest_encounter"] is None
    glen = display.data_freshness(engine, Scope(Role.HUB_LEAD, hub_id="G")).iloc[0]
    assert glen["schools"] == 1 and glen["synthetic"] is False
    assert display.meta(display.data_imports(engine, Scope.admin()))["title"].startswith(
        "Provenance")


def test_overview_coverage_without_encounters_is_a_clear_error(engine):
    _insert(engine, models.Hub, [{"id": "H", "name": "Hill"}])
    with pytest.raises(HubcoreError):
        display.overview_coverage(engine, Scope.admin(hub_id="H"))


def test_too_many_hubs_ask_for_an_area_and_read_nothing(demo_engine, monkeypatch):
    """Above REGION_MAX_HUBS hubs (here 0, so the demo's one hub is too many) "All hubs" reads
    no figures and asks for an area instead."""
    from dashboards import region as page_module

    def refuse(*args):
        raise AssertionError("figures read")

    monkeypatch.setattr(shown, "REGION_MAX_HUBS", 0)
    monkeypatch.setattr(shown, "region_view", refuse)
    url = demo_engine.url.render_as_string(hide_password=False)
    view = page_module.RegionView(db_url=url)
    assert view._empty.visible
    assert "There are 1 hubs: choose a region or area" in view._empty.object
