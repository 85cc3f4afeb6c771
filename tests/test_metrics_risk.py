"""RONI scores and bands, and the priority index with its components, on hand-made rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hubcore.metrics import priority as prio
from hubcore.metrics import risk

FLAGS = ("fsm", "eal", "looked_after", "yot", "young_carer", "parent_or_pregnant",
         "alternative_provision", "ever_excluded")  # fmt: skip


def _leaver(key, urn, attendance=None, sen="N", **flags):
    row = {"key": key, "urn": urn, "cohort": 2025, "year_group": 11, "sen": sen,
           "attendance_pct": attendance}  # fmt: skip
    row.update({f: flags.get(f, False) for f in FLAGS})
    return row


@pytest.fixture
def leavers() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # attendance 84 (≤90 and ≤85: 1 + 1) + FSM 2 + EHCP 2 = 6 → substantial
            _leaver("a" * 16, 1, 84.0, "E", fsm=True),
            # attendance 89.9 (1) + SEN support 1 = 2 → additional
            _leaver("b" * 16, 1, 89.9, "K"),
            # EAL 1 → offer
            _leaver("c" * 16, 1, 95.0, eal=True),
            # nothing, attendance unknown → 0 → none
            _leaver("d" * 16, 2, None),
            # YOT 2 + young carer 2 = 4 → substantial
            _leaver("e" * 16, 2, 99.0, yot=True, young_carer=True),
        ]
    )


def test_scores_and_bands(leavers):
    scores = risk.roni_scores(leavers)
    assert scores.tolist() == [6, 2, 1, 0, 4]
    assert scores.dtype == "int64"
    bands = risk.roni_band(scores)
    assert bands.tolist() == ["substantial", "additional", "offer", "none", "substantial"]
    table = risk.roni_table(leavers)
    assert table["roni_band"].tolist()[1] == "additional"
    assert table.columns.tolist() == ["key", "urn", "cohort", "year_group", "roni_score",
                                      "roni_band"]  # fmt: skip


def test_custom_weights(leavers):
    assert risk.roni_scores(leavers, {"fsm": 5}).tolist() == [5, 0, 0, 0, 0]
    half = risk.roni_scores(leavers, {"eal": 0.5})
    assert half.tolist() == [0, 0, 0.5, 0, 0]
    with pytest.raises(ValueError, match="unknown"):
        risk.roni_scores(leavers, {"custody": 2})


def test_roni_summary(leavers):
    out = risk.roni_summary(risk.roni_table(leavers)).set_index("urn")
    # school 1: scores 6, 2, 1 → mean 3; one substantial of three → 33.3 %
    assert out.loc[1, "leavers"] == 3 and out.loc[1, "mean_score"] == 3
    assert out.loc[1, "high_risk"] == 1
    assert out.loc[1, "pct_high_risk"] == pytest.approx(100 / 3)
    assert out.loc[2, "band_none"] == 1 and out.loc[2, "band_substantial"] == 1


@pytest.fixture
def priority_inputs():
    schools = pd.DataFrame(
        {"urn": [1, 2, 3], "name": ["S1", "S2", "S3"], "kind": ["ap", "special", "utc"],
         "lsoa_code": ["L1", "L2", "L3"]}
    )  # fmt: skip
    areas = pd.DataFrame({"code": ["L1", "L2", "L3"], "imd_decile": [1, 10, 5]})
    latest = pd.DataFrame({"urn": [1, 2, 3], "achieved": [0, 8, 4], "framework": ["2014"] * 3})
    neet = pd.DataFrame({"urn": [1, 2], "neet_nk_pct": [10.0, 30.0]})
    return schools, latest, neet, areas


def test_priority_index(priority_inputs):
    schools, latest, neet, areas = priority_inputs
    out = prio.priority_index(schools, latest, neet, areas).set_index("urn")
    # S1: deprivation (10-1)/9 = 1, gap (8-0)/8 = 1, NEET 10/20 = 0.5 → 100 × 2.5/3 = 83.33
    assert out.loc[1, ["deprivation", "benchmark_gap", "neet_risk"]].tolist() == [1, 1, 0.5]
    assert out.loc[1, "priority_index"] == pytest.approx(250 / 3)
    # S2: 0, 0, min(1, 30/20) = 1 → 33.33
    assert out.loc[2, "priority_index"] == pytest.approx(100 / 3)
    # S3: 5/9, 0.5, NEET missing → mean of 0.5 and 1 = 0.75 (named in "imputed")
    assert out.loc[3, "neet_risk"] == 0.75 and out.loc[3, "imputed"] == "neet_risk"
    assert out.loc[3, "priority_index"] == pytest.approx(100 * (5 / 9 + 0.5 + 0.75) / 3)
    assert out.loc[[1, 3, 2], "rank"].tolist() == [1, 2, 3]
    # points add up to the index
    points = out[[f"points_{c}" for c in prio.COMPONENTS]].sum(axis=1)
    assert np.allclose(points, out["priority_index"])


def test_priority_weights(priority_inputs):
    schools, latest, neet, areas = priority_inputs
    out = prio.priority_index(
        schools, latest, neet, areas, weights={"deprivation": 2, "benchmark_gap": 1,
                                               "neet_risk": 1}
    ).set_index("urn")  # fmt: skip
    # S1: 100 × (2 × 1 + 1 + 0.5) / 4 = 87.5
    assert out.loc[1, "priority_index"] == pytest.approx(87.5)
    assert out.loc[1, "points_deprivation"] == pytest.approx(50)
    with pytest.raises(ValueError):
        prio.priority_index(schools, latest, neet, areas, weights={"attendance": 1})
