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


# Importing hubcore loads no Panel: tests/test_import_isolation.py.


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


# --- metadata, words and the briefing's frames ------------------------------------------------


def test_plural_agrees_with_its_count_at_zero_one_and_many():
    plural = display.plural
    assert plural(0, "school") == "0 schools"
    assert plural(1, "school") == "1 school"
    assert plural(2, "school") == "2 schools"
    assert plural(1234, "school") == "1,234 schools"
    assert plural(1, "child", "children") == "1 child"
    assert plural(3, "child", "children") == "3 children"
    # A verb agrees without its number: "1 school needs", "2 schools need".
    assert plural(1, "needs", "need", number=False) == "needs"
    assert plural(0, "needs", "need", number=False) == "need"
    # Only exactly one is singular: an average of 1.5 is plural, shown to one decimal.
    assert plural(1.5, "pupil") == "1.5 pupils"


def test_meta_reads_a_frames_metadata_as_a_copy_and_refuses_a_plain_frame(small_hub):
    frame = display.transitions_lag(small_hub, ANALYST)
    got = display.meta(frame)
    assert got["title"] == "Days from leaving to referral"
    assert got["units"]["median_days"] == "days"
    got["title"] = "changed"
    assert display.meta(frame)["title"] == "Days from leaving to referral"
    with pytest.raises(KeyError, match="no display metadata"):
        display.meta(pd.DataFrame({"a": [1]}))
    half = pd.DataFrame({"a": [1]})
    half.attrs["display"] = {"title": "A"}
    with pytest.raises(KeyError, match="units"):
        display.meta(half)


def test_every_source_has_a_title_and_units_naming_its_columns(demo_engine):
    """Each SOURCES entry, on the demo, has a title and a units mapping whose keys are columns
    of the frame (a unit for a column that is not there is a stale unit)."""
    from hubcore.errors import HubcoreError

    problems = {}
    for name, source in display.SOURCES.items():
        try:
            frame = source(demo_engine, Scope.admin())
        except HubcoreError:
            continue
        try:
            meta = display.meta(frame)
        except KeyError as exc:
            problems[name] = str(exc)
            continue
        if not (isinstance(meta["title"], str) and meta["title"].strip()):
            problems[name] = f"title {meta['title']!r}"
        elif not isinstance(meta["units"], dict):
            problems[name] = f"units {meta['units']!r}"
        elif stale := sorted(set(meta["units"]) - {str(c) for c in frame.columns}):
            problems[name] = f"units for missing columns {stale}"
    assert problems == {}


def _documented(doc: str) -> set[str]:
    """Names in double backticks, with ``x1``…``x8`` ranges expanded."""
    import re

    names = set(re.findall(r"``([a-z_0-9]+)``", doc))
    for stem, lo, hi in re.findall(r"``([a-z_]+)(\d)``…``\1(\d)``", doc):
        names |= {f"{stem}{i}" for i in range(int(lo), int(hi) + 1)}
    return names


BRIEFING_SOURCES = [n for n in display.SOURCES if n.startswith("briefing_")]


def test_briefing_sources_document_every_column(demo_engine):
    import inspect

    assert len(BRIEFING_SOURCES) == 9
    for name in ["schools", *BRIEFING_SOURCES]:
        source = display.SOURCES[name]
        frame = source(demo_engine, Scope.admin())
        columns = {str(c) for c in frame.columns} - {"geometry"}
        missing = columns - _documented(inspect.getdoc(source) or "")
        assert not missing, (name, sorted(missing))


def test_documented_columns_check_can_fail():
    assert _documented("``a``, ``pct_bm1``…``pct_bm3``") == {"a", "pct_bm1", "pct_bm2",
                                                              "pct_bm3"}
    assert "b" not in _documented("``a`` and b")


def test_briefing_frames_on_the_small_hub(small_hub):
    """Worked by hand from the fixture (module note):

    - two schools, neither meeting BM5 in 2024/25: A reached Years 9 and 10 only, B none;
    - Year 13, 2024: A's 7 leavers, no hand-overs: "7 / to LA tracking: 0; to National Careers
      Service: 0";
    - Year 11, 2024: A's 12 leavers include one in custody, so the NEET base is 11; shown
      beside 11, the 12 would give back the one in custody: the funnel hides it ("c"). Of
      the 10 NCS hand-overs 7 were referred and 3 not: the 3 is hidden, and with the 10
      shown so is the 7;
    - Year 11, 2023 (B): 8 leavers, 7 NEET: the rate is hidden; 2024 Year 13: 0.0 %."""
    frames = display.briefing_frames(small_hub, HUB, dt.date(2026, 11, 1))
    keys = dict(zip(frames.key_figures["measure"], frames.key_figures["value"], strict=True))
    assert keys["Schools and colleges in scope"] == "2"
    assert keys["Meeting BM5, from the hub's encounter log (2024/25)"] == "0 of 2 schools"
    y13 = "Year 13, 2024 cohort: leavers (everyone in the cohort) / referred"
    assert keys[y13] == "7 / to LA tracking: 0; to National Careers Service: 0"
    y11 = "Year 11, 2024 cohort: leavers (everyone in the cohort) / referred"
    assert keys[y11] == "c / to LA tracking: 0; to National Careers Service: c"

    funnel = frames.funnel.set_index(["cohort", "year_group", "handed_to"])
    ncs = funnel.loc[(2024, 11, "ncs")]
    assert (ncs["leavers"], ncs["handovers"], ncs["referred"], ncs["not_referred"]) == (
        C, 10, C, C)
    assert funnel.loc[(2024, 13, "ncs"), "leavers"] == 7

    neet = frames.neet.set_index(["cohort", "year_group"])
    assert neet.loc[(2024, 11), "denominator"] == 11
    # B's 8 leavers: 7 NEET beside a base of 8 would give back the one who is not (87.5 % of
    # 8 = 7, 8 - 7 = 1): the rate, its difference from England and one of base or NEET + not
    # known are hidden.
    b23 = neet.loc[(2023, 11)]
    assert b23["neet_pct"] == C and b23["vs_england_neet"] == C
    assert C in (b23["denominator"], b23["neet_nk_pct"])
    assert neet.loc[(2024, 13), "neet_pct"] == 0.0
    # One LA, nothing published for it: the empty comparator says why.
    assert neet["la_neet_nk_pct"].isna().all()
    assert frames.neet.attrs["display"]["la_note"] == (
        "LA rate column empty: no published NEET rate for E06000001 is in the data (import "
        "DfE's NEET and not known statistics by LA to fill it)")
    # Both schools below the threshold, in words; no small areas, so no cold spots.
    assert frames.coverage_gaps["kind_label"].tolist() == ["Mainstream 11–18"] * 2
    assert frames.coverage_gaps.attrs["display"]["below"] == 2
    assert frames.cold_spots.empty and frames.cold_spots.attrs["display"]["areas"] == 0
