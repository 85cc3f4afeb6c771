"""The synthetic demo hub: deterministic, clearly synthetic, and realistic in its ranges and
relations (figures compared with DOMAIN.md §2.3 and §4.3)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from hubcore import db, demo, store
from hubcore.access import Scope
from hubcore.models import ALL_TABLES
from tests.conftest import _url

ADMIN = Scope.admin()


def _fingerprint(engine) -> dict[str, str]:
    digest = {}
    with engine.connect() as conn:
        for model in ALL_TABLES:
            table = model.__tablename__
            if table == "audit_event":  # reads of the shared demo_engine by other tests
                continue
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            digest[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digest


def _build(tmp_path, name, seed):
    # Same backend as demo_engine (SQLite, or PostgreSQL in the suite's second run).
    engine = db.get_engine(_url(tmp_path / name))
    db.upgrade(engine)
    demo.build(engine, seed=seed, progress=False)
    return engine


def test_same_seed_same_database_other_seed_differs(tmp_path, demo_engine):
    again = _build(tmp_path, "again.db", demo.DEFAULT_SEED)
    other = _build(tmp_path, "other.db", demo.DEFAULT_SEED + 1)
    reference = _fingerprint(demo_engine)
    assert _fingerprint(again) == reference
    differs = {t for t, h in _fingerprint(other).items() if h != reference[t]}
    assert {"school", "encounter", "leaver", "handover"} <= differs


def test_refuses_to_write_over_existing_hubs(demo_engine):
    with pytest.raises(demo.HubcoreError, match="already holds hubs"):
        demo.build(demo_engine, progress=False)


def test_one_hub_of_realistic_kinds_and_clearly_synthetic(demo_engine):
    hubs = store.hubs(demo_engine)
    assert len(hubs) == 1 and bool(hubs["synthetic"].iat[0])
    assert "synthetic" in hubs["name"].iat[0].lower()
    schools = store.schools(demo_engine, ADMIN)
    assert 30 <= len(schools) <= 40
    assert set(schools["kind"]) == {
        "mainstream_11_16",
        "mainstream_11_18",
        "all_through",
        "special",
        "ap",
        "utc",
        "fe_college",
        "sixth_form_college",
    }
    assert schools["urn"].min() >= 900000  # far from any real URN
    areas = store.areas(demo_engine, ADMIN)
    assert areas["code"].str.startswith("X01").all()  # ONS never issues an X prefix
    assert areas.geometry.is_valid.all() and set(areas["imd_decile"]) == set(range(1, 11))
    assert 130 <= len(store.employers(demo_engine, ADMIN)) <= 170


def test_benchmarks_near_national_and_rising(demo_engine):
    a = store.assessments(demo_engine, ADMIN)
    by_year = a.groupby(["academic_year", "framework"])["achieved"].mean()
    # National 5.83 (2023/24) and 5.96 (2024/25); hub members run a little above.
    assert 5.3 <= by_year[("2023/24", "2014")] <= 6.5
    assert by_year[("2024/25", "2014")] > by_year[("2023/24", "2014")]
    # The 2024 framework restarts lower, and scores climb through the year.
    assert by_year[("2025/26", "2024")] < by_year[("2024/25", "2014")]
    y26 = a[a["academic_year"] == "2025/26"].groupby("snapshot")["achieved"].mean()
    assert y26["jul31"] > y26["dec31"]
    achieved_share = a[[f"bm{b}" for b in range(1, 9)]].eq(100).mean()
    assert achieved_share.idxmin() == "bm6"  # workplace experience is the hardest
    assert (
        ((a[[f"bm{b}" for b in range(1, 9)]] >= 0) & (a[[f"bm{b}" for b in range(1, 9)]] <= 100))
        .all()
        .all()
    )


def _first_destinations(engine) -> pd.DataFrame:
    d = store.destinations(engine, ADMIN)
    # First activities: intended destinations (offers, plans) come before them.
    d = d[d["kind"].eq("actual")]
    return d.sort_values("recorded_on").drop_duplicates("leaver_key")


def test_destinations_and_neet_rates_plausible(demo_engine):
    first = _first_destinations(demo_engine)
    neg = first["category"].isin(["neet_active", "neet_inactive", "not_known"])
    rate = neg.groupby(first["year_group"]).mean() * 100
    assert 2 <= rate[11] <= 8  # England 16–17 NEET + not known: 5.6 percent
    assert rate[13] > rate[11]  # Year 13 leavers fall through more often
    assert (first["category"] == "education").groupby(first["year_group"]).mean()[11] > 0.8


def test_deprivation_raises_neet_risk(demo_engine):
    leavers = store.leavers(demo_engine, ADMIN)
    areas = store.areas(demo_engine, ADMIN)[["code", "imd_decile"]]
    first = (
        _first_destinations(demo_engine)
        .merge(leavers[["key", "home_lsoa"]], left_on="leaver_key", right_on="key")
        .merge(areas, left_on="home_lsoa", right_on="code")
    )
    neg = first["category"].isin(["neet_active", "neet_inactive", "not_known"])
    most, least = neg[first["imd_decile"] <= 3].mean(), neg[first["imd_decile"] >= 8].mean()
    assert most > 1.5 * least


def test_handovers_include_late_overdue_and_lost(demo_engine):
    h = store.handovers(demo_engine, ADMIN)
    lag = (h["referred_on"] - h["left_on"]).dt.days
    assert (lag > 90).sum() > 10  # referred months later
    as_of = pd.Timestamp(demo.AS_OF)
    overdue = h["referred_on"].isna() & ((as_of - h["left_on"]).dt.days > 30)
    assert overdue.sum() > 10
    assert (h["status"] == "lost").sum() > 10 and (h["status"] == "engaged").sum() > 10
    assert lag[h["year_group"] == 13].median() > lag[h["year_group"] == 11].median()
    # Nothing dated after the demo's "today".
    for col in ("left_on", "referred_on", "contacted_on", "outcome_on"):
        assert (h[col].dropna() <= as_of).all()


@pytest.mark.slow
def test_region_size_hub_members_score_higher(tmp_path):
    engine = db.get_engine(db.sqlite_url(tmp_path / "region.db"))
    db.upgrade(engine)
    counts = demo.build(engine, size="region", progress=False)
    assert 250 <= counts["school"] <= 350 and counts["hub"] == 9
    a = store.assessments(engine, ADMIN, framework="2014")
    members = set(pd.read_sql("select urn from hub_membership", engine)["urn"])
    member = a["urn"].isin(members)
    assert (~member).sum() > 0
    gap = a.loc[member, "achieved"].mean() - a.loc[~member, "achieved"].mean()
    assert gap > 0.8  # nationally 5.98 in hubs against 4.37 outside (2024/25)
    assert np.isfinite(gap)
