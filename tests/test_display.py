"""The display layer (hubcore.display): what the pages draw, disclosed.

A small hand-built hub with awkward shapes: a school whose 12 Year 11 leavers include one in
custody, two NEET and one in work; a Year 13 group of 7 where one took an apprenticeship; an
area where 7 of 8 leavers are NEET (so the one who is not is the small cell); a funnel whose
not-referred count is 3; encounters reaching 4 and 5 pupils; work experience for 3 of a
Year 11 of about 129. Expected values are worked out by
hand below, not by calling the code under test.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import insert

from hubcore import display, models, rollups
from hubcore.access import Role, Scope

C = "c"
A, B = 100001, 100002
HOME_1, HOME_2, HOME_3 = "E01000001", "E01000002", "E01000003"


def _rows(engine, model, rows: list[dict]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(model.__table__), rows)


def _key(label: str) -> str:
    """A pseudonymous key of the stored form (64 hex digits)."""
    import hashlib

    return hashlib.sha256(label.encode()).hexdigest()


def _leavers(prefix: str, urn: int, cohort: int, year_group: int, home: str,
             destinations: dict[int, int]) -> tuple[list[dict], list[dict]]:
    """Leavers of one group with one destination record each a year after leaving:
    ``destinations`` maps an NCCIS code to how many leavers have it."""
    leavers, records = [], []
    n = 0
    for code, count in destinations.items():
        for _ in range(count):
            key = _key(f"{prefix}{n:03d}")
            n += 1
            leavers.append({"key": key, "urn": urn, "cohort": cohort, "year_group": year_group,
                            "left_on": dt.date(cohort, 6, 30), "home_lsoa": home})
            records.append({"leaver_key": key, "recorded_on": dt.date(cohort, 10, 15),
                            "kind": "actual", "nccis_code": code,
                            "category": models_category(code)})
    return leavers, records


def models_category(code: int) -> str:
    from hubcore import codes

    return codes.NCCIS_CATEGORY[code]


@pytest.fixture
def small_hub(engine):
    """Two schools in one hub (see the module note), rollups refreshed."""
    _rows(engine, models.Hub, [{"id": "H1", "name": "Small hub"}])
    school = {"la_code": 800, "type_code": 1, "phase_code": 4, "kind": "mainstream_11_18",
              "pupils": 900, "la_gss": "E06000001", "lad_gss": "E06000001"}
    _rows(engine, models.School, [
        {"urn": A, "name": "Alpha School", "easting": 400000, "northing": 300000, **school},
        {"urn": B, "name": "Beta School", "easting": 405000, "northing": 302000, **school},
    ])
    _rows(engine, models.HubMembership, [
        {"hub_id": "H1", "urn": u, "start_date": dt.date(2020, 9, 1)} for u in (A, B)])
    groups = [
        # 12 Year 11 leavers of A: 8 education, 1 custody, 2 NEET (active), 1 employment.
        _leavers("a11-", A, 2024, 11, HOME_1, {210: 8, 710: 1, 540: 2, 320: 1}),
        # 7 Year 13 leavers of A: 6 education, 1 apprenticeship.
        _leavers("a13-", A, 2024, 13, HOME_2, {210: 6, 310: 1}),
        # 8 Year 11 leavers of B (2023): 7 NEET (inactive), 1 education.
        _leavers("b11-", B, 2023, 11, HOME_3, {620: 7, 210: 1}),
    ]
    _rows(engine, models.Leaver, [row for leavers, _ in groups for row in leavers])
    _rows(engine, models.DestinationRecord, [row for _, recs in groups for row in recs])
    # Hand-overs of A's Year 11 leavers to the NCS: 7 referred (6 engaged, 1 lost), 3 not.
    handovers = []
    for i in range(10):
        referred = i < 7
        handovers.append({
            "leaver_key": _key(f"a11-{i:03d}"), "from_urn": A, "to_org_type": "ncs",
            "reason": "neet", "left_on": dt.date(2024, 6, 30),
            "referred_on": dt.date(2024, 7, 10 + 2 * i) if referred else None,
            "contacted_on": dt.date(2024, 8, 1) if referred else None,
            "status": ("engaged" if i < 6 else "lost") if referred else "pending"})
    _rows(engine, models.Handover, handovers)
    enc = {"urn": A, "benchmark": 5, "date": dt.date(2024, 11, 5), "academic_year": "2024/25"}
    _rows(engine, models.Encounter, [
        {**enc, "kind": "talk", "year_from": 9, "year_to": 9, "participants": 4},
        {**enc, "kind": "talk", "year_from": 10, "year_to": 10, "participants": 30},
        {**enc, "kind": "mentoring", "year_from": 10, "year_to": 10, "participants": 5},
        # BM6 work experience for 3 of Year 11 and BM8 guidance for 40 of them.
        {**enc, "benchmark": 6, "kind": "work_experience", "year_from": 11, "year_to": 11,
         "participants": 3, "duration_days": 5.0},
        {**enc, "benchmark": 8, "kind": "guidance_meeting", "year_from": 11, "year_to": 11,
         "participants": 40},
    ])
    with engine.begin() as conn:
        rollups.refresh(conn)
    return engine


HUB = Scope.admin("H1")
ANALYST = Scope(Role.ANALYST, hub_id="H1")


def test_profile_destinations_hide_small_categories_and_their_complement(small_hub):
    table = display.profile_destinations(small_hub, ANALYST, A).set_index("year_group")
    y11 = table.loc[11]
    # 12 leavers (people): the same 12 as the NEET section's cohort, hidden there since
    # 12 − 11 outside custody would give custody 1 back; so hidden here too, and every
    # percentage over that base with it (custody 1, NEET 2, employment 1 are small anyway).
    assert y11["leavers"] == C
    for cat in ("education", "custody", "neet_active", "employment", "training"):
        assert y11[f"pct_{cat}"] == C, cat
    y13 = table.loc[13]
    # 7 leavers, 1 apprenticeship: alone it would be 100 − 85.7; education (6) goes with it.
    assert y13["leavers"] == 7
    assert y13["pct_apprenticeship"] == C and y13["pct_education"] == C
    bars = display.profile_destination_bars(small_hub, ANALYST, A, table=table.reset_index())
    custody = bars[(bars["year_group"] == 11) & (bars["destination"] == "custody")]
    assert custody["percent"].isna().all()  # drawn as nothing, never 8.3


def test_area_neet_hover_never_gives_a_small_count(small_hub):
    areas = display.area_neet(small_hub, ANALYST).set_index("code")
    # Area 1: 12 leavers, 1 in custody → base 11; 2 NEET → the rate would give 2 back.
    assert areas.loc[HOME_1, "leavers"] == 11
    assert areas.loc[HOME_1, "neet_nk_pct"] == C
    # Area 2: 7 leavers, none NEET: 0.0 % of 7 is a true zero.
    assert areas.loc[HOME_2, "neet_nk_pct"] == 0.0
    # Area 3: 7 of 8 NEET: 87.5 % would say one young person is not NEET.
    assert areas.loc[HOME_3, "leavers"] == 8
    assert areas.loc[HOME_3, "neet_nk_pct"] == C
    assert areas["value"].isna().tolist() == [True, False, True]
    layer = display.area_layer(small_hub, ANALYST, "neet")
    # The hover's text: "c" for a suppressed rate, never the number behind it.
    assert layer["shown"].to_dict() == {HOME_1: C, HOME_2: "0", HOME_3: C}
    assert layer["leavers"].to_dict() == {HOME_1: "11", HOME_2: "7", HOME_3: "8"}
    assert layer.attrs["display"]["tooltips"] == {"leavers": "leavers"}


def test_heat_map_participants_under_six_suppressed(small_hub):
    heat = display.profile_encounters(small_hub, ANALYST, A)
    cells = {(r.kind, r.year_from): r.participants for r in heat.itertuples()}
    assert cells == {("talk", 9): C, ("talk", 10): 30, ("mentoring", 10): C,
                     ("work_experience", 11): C, ("guidance_meeting", 11): 40}
    assert heat.loc[heat["participants"] == C, "value"].isna().all()


def test_profile_funnel_never_leaves_one_hidden_cell(small_hub):
    funnel = display.profile_funnel(small_hub, ANALYST, A)
    ncs = funnel[(funnel["year_group"] == 11) & (funnel["handed_to"] == "ncs")].iloc[0]
    # 10 hand-overs: 7 referred + 3 not. 3 is small, and 10 − 7 would give it back.
    assert ncs["handovers"] == 10
    assert ncs["not_referred"] == C and ncs["referred"] == C
    # 6 engaged, 1 lost: lost is small; engaged is still a count of 6.
    assert ncs["lost"] == C
    for col in funnel.columns:
        if col.startswith("pct_") and col.endswith(("_of_referred", "of_handovers")):
            assert ncs[col] in (C, "low") or pd.isna(ncs[col]) or ncs[col] == 0, col


def test_lag_histogram_hides_bins_in_pairs(small_hub):
    hist = display.lag_histogram(small_hub, ANALYST, cohort=2024, year_group=11)
    # Referrals 10, 12, …, 22 days after 30 June: 2 in 0–14 days, 5 in 14–28: both small,
    # and the funnel hides the referrals they add up to.
    shown = hist["handovers"].tolist()
    assert shown[:2] == [C, C]
    assert (hist.loc[hist["handovers"] == C, "value"] == 0).all()


def _percent_bases() -> dict[str, str]:
    from hubcore import disclosure

    bases = {}
    for spec in (disclosure.SPECS["transitions"], *display.RULES.values()):
        bases.update({p: b for p, b in spec.percents.items() if b is not None})
    return bases


def _assert_no_small_count_from_percentages(frame: pd.DataFrame, name: str) -> None:
    bases = _percent_bases()
    for col in frame.columns:
        if not isinstance(col, str) or not col.startswith("pct_") and not col.endswith("_pct"):
            continue
        if col.startswith("pct_") and "_of_" in col:
            base = col.split("_of_", 1)[1]
            base = {"handed_over": "handovers"}.get(base, base)
        else:
            base = bases.get(col)
        if base is None or base not in frame.columns:
            continue
        pct = pd.to_numeric(frame[col], errors="coerce")
        den = pd.to_numeric(frame[base], errors="coerce")
        implied = (pct * den / 100).round()
        # A rate of one of two groups (NEET or not known, against the rest) also gives the
        # other group back; a category of many only gives the sum of the others.
        shares = (implied, den - implied) if col == "neet_nk_pct" else (implied,)
        for share in shares:
            bad = share.between(1, 5) & pct.notna() & den.notna()
            assert not bad.any(), (name, col, frame[bad])


def test_every_source_shows_c_for_small_counts_and_no_percentage_gives_one_back(small_hub):
    for name, source in display.SOURCES.items():
        try:
            frame = source(small_hub, ANALYST)
        except Exception as exc:  # only "nothing of that kind here" is acceptable
            from hubcore.errors import HubcoreError

            assert isinstance(exc, HubcoreError), (name, exc)
            continue
        assert isinstance(frame, pd.DataFrame), name
        _assert_no_small_count_from_percentages(frame, name)
        spec = display.RULES.get(name)
        for col in (spec.counts if spec else ()):
            if col in frame.columns:
                values = pd.to_numeric(frame[col], errors="coerce")
                assert not values.between(0.5, 5.5, inclusive="neither").any(), (name, col)


def test_today_percent_times_base_leak_is_caught():
    """The check above can fail: the profile's old table (12 leavers, custody 8.3 %)."""
    leaky = pd.DataFrame({"leavers": [12], "pct_custody": [8.3]})
    with pytest.raises(AssertionError):
        _assert_no_small_count_from_percentages(leaky, "old profile table")


def test_overview_summary_mean_of_assessed_schools_only():
    table = pd.DataFrame({"achieved": [8.0, 3.0, None, 2.0], "framework": ["2014"] * 4,
                          "national_note": [None, "no national figure", None, None]})
    row = display.overview_summary(table).iloc[0]
    # (8 + 3 + 2) / 3 = 4.33; the unassessed school is shown but not averaged.
    assert row["schools"] == 4 and row["assessed"] == 3
    assert row["mean_achieved"] == pytest.approx(4.33)
    assert row["national_note"] == "no national figure"


def test_importing_hubcore_loads_no_panel_bokeh_server_or_dashboards():
    code = (
        "import sys\n"
        "import hubcore, hubcore.store, hubcore.metrics, hubcore.display, hubcore.briefing\n"
        "import hubcore.metrics.report, hubcore.cli  # the CLI loads the app only to serve\n"
        "bad = sorted(m for m in sys.modules if m == 'panel' or m.startswith('panel.')\n"
        "             or m.startswith('bokeh.server') or m == 'dashboards'\n"
        "             or m.startswith('dashboards.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def test_area_map_hover_shows_the_disclosed_text():
    """The overview map's hover draws from the layer's ``shown`` text: "c", not NaN or a %."""
    pytest.importorskip("bokeh")
    import geopandas as gpd
    from shapely.geometry import box

    from dashboards.common.area_map import AreaMap

    areas = gpd.GeoDataFrame({"code": [HOME_1, HOME_2], "name": ["One", "Two"]},
                             geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
                             crs="EPSG:27700")
    layer = pd.DataFrame({"value": [float("nan"), 0.0], "shown": [C, "0"],
                          "leavers": ["11", "7"]}, index=pd.Index([HOME_1, HOME_2], name="code"))
    amap = AreaMap(areas, areas.iloc[0:0], "H1")
    amap.show_areas(layer, "NEET + not known %", ["#fff", "#000"], 0, 15, {"leavers": "leavers"})
    assert amap.area_source.data["shown"] == [C, "0"]
    assert amap.area_source.data["a"] == ["11", "7"]
    assert ("NEET + not known %", "@shown") in amap.area_hover.tooltips


def test_lag_histogram_hides_a_bin_when_the_funnel_hides_the_referrals(monkeypatch):
    """Bins of 7 and 8 are not small, but they add up to referrals the funnel hides (say, by
    complementary suppression): shown whole, they would give that count back."""
    rows = pd.DataFrame({
        "cohort": 2024, "year_group": 11, "handovers": [7, 8],
        "left_on": pd.to_datetime(["2024-06-30", "2024-06-30"]),
        "referred_on": pd.to_datetime(["2024-07-05", "2024-07-20"])})  # 5 and 20 days
    monkeypatch.setattr(display.transitions.store, "handover_dates", lambda engine, scope: rows)
    lag = pd.DataFrame({"cohort": [2024], "year_group": [11], "referred": [C]})
    hist = display.lag_histogram(None, ANALYST, cohort=2024, year_group=11, lag=lag)
    assert hist["handovers"].tolist() == [C, 8, 0]  # the smaller bin goes with the total
    shown = display.lag_histogram(None, ANALYST, cohort=2024, year_group=11,
                                  lag=lag.assign(referred=[15]))
    assert shown["handovers"].tolist() == [7, 8, 0]


def test_overdue_list_is_pupil_rows_for_allowed_roles_only(small_hub):
    from hubcore.errors import AccessDenied

    late = display.overdue_list(small_hub, HUB, cohort=2024, year_group=11, days=30)
    # Three of A's hand-overs were never referred; all left on 30 June 2024.
    waited = (dt.date.today() - dt.date(2024, 6, 30)).days
    assert late["days_waiting"].tolist() == [waited] * 3
    assert display.overdue_list(small_hub, HUB, cohort=2024, year_group=13).empty
    with pytest.raises(AccessDenied):
        display.overdue_list(small_hub, ANALYST, cohort=2024, year_group=11)


def test_overview_reach_percentages_hide_a_few_pupils(small_hub):
    table = display.overview_schools(small_hub, ANALYST).set_index("urn")
    # 900 pupils over Years 7–13: a Year 11 of 900 / 7 = 128.6. Work experience for 3 of them
    # (2.3 %) would give 3 back; guidance for 40 is 40 / 128.6 = 31.1 %.
    assert table.loc[A, "bm6_by16_pct"] == C
    assert table.loc[A, "bm8_by16_pct"] == pytest.approx(31.1)
    assert pd.isna(table.loc[A, "bm6_by16_pct_value"])
    assert not any(c.startswith("_") for c in table.columns)  # helper columns dropped


def test_flow_map_never_leaves_one_flow_of_a_school_hidden(small_hub):
    flows = display.transitions_flows(small_hub, ANALYST)
    shown = {(r.urn, r.year_group, r.category): r.leavers for r in flows.itertuples()}
    # A's Year 13: 6 education + 1 apprenticeship = the 7 leavers the profile shows, so the
    # education flow is hidden with the apprenticeship one.
    assert shown[(A, 13, "apprenticeship")] == C and shown[(A, 13, "education")] == C
    # B's Year 11: 7 NEET + 1 education = 8.
    assert shown[(B, 11, "education")] == C and shown[(B, 11, "neet_inactive")] == C
    # A's Year 11: three small flows hide each other; education (8) is drawn.
    assert shown[(A, 11, "education")] == 8
    assert [shown[(A, 11, c)] for c in ("custody", "employment", "neet_active")] == [C, C, C]
    # Hand-overs to the NCS are 10: drawn.
    assert shown[(A, 11, "handed over: ncs")] == 10
