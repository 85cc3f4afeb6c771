"""Display-layer pieces the profile and transitions pages draw (flow-map lines, NEET comparator
bars with the reason an empty one is empty), on small frames worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hubcore import display
from hubcore.display import transitions as shown


def _schools() -> pd.DataFrame:
    # Three schools on a line, 10 km apart; one with no location.
    return pd.DataFrame({"urn": [1, 2, 3, 4], "easting": [400_000.0, 410_000.0, 420_000.0,
                                                          np.nan],
                         "northing": [300_000.0, 300_000.0, 306_000.0, np.nan]})


def test_flow_nodes_sit_beside_the_schools():
    nodes = display.flow_nodes(_schools()).set_index("label")
    # NCS: 6 km east of the easternmost school, 4 km above the mean northing (302 km).
    assert tuple(nodes.loc["NCS", ["easting", "northing"]]) == (426_000.0, 306_000.0)
    # LA tracking: 6 km west of the westernmost, at the mean northing.
    assert tuple(nodes.loc["LA tracking", ["easting", "northing"]]) == (394_000.0, 302_000.0)


def test_flow_segments_draw_only_published_flows_with_square_root_widths():
    flows = pd.DataFrame({
        "urn": [1, 1, 1, 2, 2, 4],
        "year_group": [11, 11, 11, 13, 11, 11],
        "category": ["education", "education", "employment", "handed over: ncs",
                     "education", "education"],
        "provider_urn": [2.0, 1.0, np.nan, np.nan, 3.0, 1.0],
        "leavers": [36, 50, "c", 9, 9, 40],
        "value": [36.0, 50.0, np.nan, 9.0, 9.0, 40.0],
    })
    seg = display.flow_segments(flows, _schools())
    # Kept: 1→2 (36), 2→NCS (9), 2→3 (9). Dropped: 1→1 (itself), the suppressed one, and
    # the school with no location.
    assert seg[["year_group", "x0", "x1", "y1", "leavers"]].values.tolist() == [
        [11, 400_000.0, 410_000.0, 300_000.0, 36.0],
        [13, 410_000.0, 426_000.0, 306_000.0, 9.0],
        [11, 410_000.0, 420_000.0, 306_000.0, 9.0],
    ]
    # 1 + 6 * sqrt(leavers / 36): 7 px for the largest, 1 + 6 * 0.5 = 4 px for 9.
    assert seg["width"].tolist() == pytest.approx([7.0, 4.0, 4.0])
    assert seg["to"].tolist() == ["Education", "Handed over to National Careers Service",
                                  "Education"]


def _neet(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["cohort", "year_group", "who", "neet_nk_pct"])


def test_neet_bars_say_why_the_la_bar_is_empty_for_year_13():
    neet = _neet([(2026, 11, "this hub", 4.5), (2026, 13, "this hub", "c"),
                  (2026, 11, "LA E1 (published 2025)", 3.04),
                  (2026, 11, "England 16-17, Dec-Feb 2025", 5.6),
                  (2026, 13, "England 16-18 NEET 2023 (no not-known figure)", np.nan)])
    y11 = display.neet_bars(neet, 11)
    assert y11["label"].tolist() == ["this hub", "LA E1", "England"]
    assert y11["text"].tolist() == ["4.5%", "3.0%", "5.6%"]  # one decimal, trailing zero kept
    y13 = display.neet_bars(neet, 13)
    # No LA publishes a Year 13 rate: the row is there, empty, with the reason.
    assert y13["label"].tolist() == ["this hub", "LA (published)", "England"]
    assert y13["value"].isna().all()
    assert y13["text"].tolist() == ["c", "no figure", "no figure"]
    assert y13["note"].iat[1] == "LA (published): " + shown.NO_LA_RATE_Y13
    assert "fewer than 6" in y13["note"].iat[0]


def test_neet_bars_for_year_11_without_any_la_rate_say_so():
    neet = _neet([(2026, 11, "this hub", 4.5), (2026, 11, "England 16-17", 5.6)])
    bars = display.neet_bars(neet, 11)
    assert bars["label"].tolist() == ["this hub", "LA (published)", "England"]
    assert math.isnan(bars["value"].iat[1])
    assert bars["note"].iat[1] == "LA (published): " + shown.NO_LA_RATE


def test_funnel_bars_name_their_steps_in_words():
    funnel = pd.DataFrame({"year_group": [11], "handed_to_label": ["LA tracking"],
                           "handovers": [12], "referred": [8], "contacted": ["c"],
                           "engaged": ["c"], "lost": [0]})
    bars = display.funnel_bars(funnel, 11)
    assert bars["step_label"].tolist() == ["Hand-overs", "Referred", "Contacted", "Engaged",
                                           "Lost"]
    assert bars["value"].tolist()[:2] == [12.0, 8.0] and np.isnan(bars["value"].iat[2])


def test_profile_links_dates_are_dates_and_heading_in_words(demo_engine):
    from hubcore import store
    from hubcore.access import Scope

    links = display.profile_links(demo_engine, Scope.admin())
    # A datetime column, which tables show as 2018-09-01 (Python dates came out as numbers).
    assert pd.api.types.is_datetime64_any_dtype(links["start_date"])
    school = store.schools(demo_engine, Scope.admin()).iloc[0]
    heading = display.profile_heading(demo_engine, Scope.admin(), int(school["urn"])).iloc[0]
    assert heading["name"] == school["name"]
    assert heading["type"] != school["kind"]  # words, not the code
    assert heading["careers_leader"] in ("yes", "no")
