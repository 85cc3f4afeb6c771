"""Summary tables (hubcore.rollups): always equal to a fresh GROUP BY of the records they count,
after the demo build, imports (inserts and updates), retention and migration; and the reads
and RONI from profiles give the same answers as the records do."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from hubcore import db, frames, retention, rollups, store
from hubcore.access import Scope
from hubcore.ingest import import_file
from hubcore.metrics import risk
from tests.ingest_corpus import (
    TODAY,
    encounter_rows,
    seed_employers,
    seed_schools,
    write_csv,
)

KEYS = [f"{i:02d}" + "ab" * 9 for i in range(8)]


def assert_current(engine) -> None:
    """Every rollup as stored equals its fresh GROUP BY, and none is trivially empty."""
    with engine.connect() as conn:
        for name in rollups.ROLLUPS:
            fresh = rollups.fresh(conn, name)
            stored = rollups.stored(conn, name)
            pd.testing.assert_frame_equal(stored, fresh, check_dtype=False, obj=name)


def rollup_rows(engine, name: str) -> int:
    """Rows of rollup ``name`` over all its packs."""
    packs = rollups.PACKS
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.sum(packs.c.rows)).where(packs.c.name == name))
        return int(total.scalar_one() or 0)


@pytest.fixture
def hub(engine):
    seed_schools(engine)
    seed_employers(engine)
    return engine


def run(engine, kind, path):
    report = import_file(engine, kind, path, today=TODAY)
    assert report.rejected == 0, report.rejects
    return report


def test_demo_build_fills_every_rollup(demo_engine):
    assert_current(demo_engine)
    for name in rollups.ROLLUPS:
        assert rollup_rows(demo_engine, name) > 0, name


def test_imports_keep_rollups_current_through_inserts_and_updates(hub, tmp_path):
    run(hub, "encounters", write_csv(tmp_path / "e.csv", encounter_rows(4)))
    assert_current(hub)
    with hub.connect() as conn:
        summary = rollups.stored(conn, "encounters")
    # Four talks on 10–13 March 2025 for Years 10–11: one group, 100+101+102+103 pupils.
    assert summary[["encounters", "participants"]].values.tolist() == [[4, 406]]

    rows = encounter_rows(4)
    rows[0]["participants"] = 500  # an update
    rows.append({**rows[1], "urn": 108076, "date": "2025-04-02"})  # an insert elsewhere
    run(hub, "encounters", write_csv(tmp_path / "e2.csv", rows))
    assert_current(hub)
    # Inserts only, added to the stored counts: provider encounters keep their month.
    provider = {"provider_access": "yes", "kind": "provider_encounter", "benchmark": 7}
    pal = [{**rows[1], "date": f"2025-{m:02d}-03", **provider} for m in (1, 2, 6)]
    pal.append({**rows[1], "date": "2025-01-20"})
    run(hub, "encounters", write_csv(tmp_path / "e3.csv", pal))
    assert_current(hub)
    summary = store.encounter_summary(hub, Scope.admin())
    months = summary.loc[summary["provider_access"], "month"].tolist()
    assert months == [1, 2, 6] and summary.loc[~summary["provider_access"], "month"].eq(0).all()

    leavers = [{"key": k, "urn": 108055 if i < 5 else 108076, "cohort": 2025,
                "year_group": 11, "left_on": "2025-07-18", "fsm": i % 2 == 0,
                "attendance_pct": 80 + i}
               for i, k in enumerate(KEYS)]  # fmt: skip
    run(hub, "leavers", write_csv(tmp_path / "l.csv", leavers))
    dests = [{"leaver_key": k, "recorded_on": "2025-11-01", "nccis_code": 230 if i else 540}
             for i, k in enumerate(KEYS)]  # fmt: skip
    run(hub, "destinations", write_csv(tmp_path / "d.csv", dests))
    hand = [{"leaver_key": KEYS[0], "reason": "neet", "left_on": "2025-07-18",
             "referred_on": "2025-08-20", "status": "referred"}]  # fmt: skip
    run(hub, "handovers", write_csv(tmp_path / "h.csv", hand))
    assert_current(hub)

    counts = store.destination_counts(hub, Scope.admin())
    mine = counts[counts["urn"].eq(108055)].set_index("category")["leavers"].to_dict()
    assert mine == {"education": 4, "neet_active": 1}  # 540 is NEET seeking work

    # A destination corrected from education to employment moves one count.
    dests[1]["nccis_code"] = 320
    run(hub, "destinations", write_csv(tmp_path / "d2.csv", dests))
    assert_current(hub)
    hand[0]["contacted_on"] = "2025-08-27"
    hand[0]["status"] = "contacted"
    run(hub, "handovers", write_csv(tmp_path / "h2.csv", hand))
    assert_current(hub)
    dates = store.handover_dates(hub, Scope.admin())
    assert dates[["urn", "contacted", "handovers"]].values.tolist() == [[108055, True, 1]]


def test_compass_imports_keep_the_assessment_rollup_current(hub, tmp_path):
    scores = dict(zip([f"BM{n}" for n in range(1, 9)], (100, 88, 75, 100, 67, 50, 100, 80),
                      strict=True))  # fmt: skip
    rows = [{"URN": 108055, "Assessed On": "2025-03-31", **scores},
            {"URN": 137704, "Assessed On": "2025-12-31", **scores}]  # fmt: skip
    run(hub, "compass", write_csv(tmp_path / "c.csv", rows))
    assert_current(hub)
    rows[0]["BM8"] = 100  # an update: now four benchmarks fully achieved
    run(hub, "compass", write_csv(tmp_path / "c2.csv", rows))
    assert_current(hub)
    got = store.assessments(hub, Scope.admin())
    assert got[["urn", "bm8", "achieved"]].values.tolist() == [[108055, 100, 4],
                                                               [137704, 80, 3]]  # fmt: skip


def test_retention_refreshes_the_rollups_it_empties(engine):
    from hubcore import demo

    demo.build(engine, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    before = rollup_rows(engine, "leaver_profiles")
    # Leavers who left before 1 January 2025: the 2024 cohort only.
    result = retention.run(engine, Scope.admin(), years=1, as_of=dt.date(2026, 1, 1), apply=True)
    assert set(result.by_cohort["cohort"]) == {2024}
    assert 0 < rollup_rows(engine, "leaver_profiles") < before
    assert_current(engine)


def test_refresh_rebuilds_emptied_rollups(tmp_path, monkeypatch):
    # On a database of its own: the session demo database is shared and read-only.
    from hubcore import demo

    url = db.sqlite_url(tmp_path / "copy.db")
    engine = db.get_engine(url)
    db.upgrade(engine)
    demo.build(engine, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    # In one piece (36 schools), then 7 schools at a time as England-sized databases are
    # rebuilt (36 = 5 x 7 + 1: the last, short batch must be written too).
    for chunk in (rollups.URN_CHUNK, 7):
        monkeypatch.setattr(rollups, "URN_CHUNK", chunk)
        with engine.begin() as conn:
            conn.execute(rollups.PACKS.delete())
        assert rollup_rows(engine, "encounters") == 0
        with engine.begin() as conn:
            rollups.refresh(conn)
        assert_current(engine)
        with engine.connect() as conn:
            schools = conn.execute(sa.select(sa.func.count(sa.distinct(rollups.T_LEAVER.c.urn))))
            packed = conn.execute(
                sa.select(sa.func.count()).where(rollups.PACKS.c.name == "neet_points")
            )
            assert packed.scalar_one() == schools.scalar_one() == 36


def test_migration_0002_fills_rollups_from_stored_records(tmp_path):
    from hubcore import demo

    engine = db.get_engine(db.sqlite_url(tmp_path / "m.db"))
    db.upgrade(engine)
    demo.build(engine, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    db.downgrade(engine, "0001")  # drops the summary tables, keeps the records
    assert "rollup_pack" not in sa.inspect(engine).get_table_names()
    db.upgrade(engine)
    assert rollup_rows(engine, "destinations") > 0
    assert_current(engine)


def test_reads_match_the_records(demo_engine):
    """Rollup-backed reads give what counting the pupil and encounter rows gives."""
    scope = Scope.admin()
    leavers = store.leavers(demo_engine, scope)
    dest = store.destinations(demo_engine, scope)
    actual = dest[dest["kind"].eq("actual")].copy()
    recorded = actual["recorded_on"]
    actual["years_after"] = recorded.dt.year - actual["cohort"] + (recorded.dt.month >= 9)
    keys = ["urn", "cohort", "year_group", "years_after", "category"]
    expected = actual.groupby(keys).size().rename("leavers").reset_index()
    got = store.destination_counts(demo_engine, scope)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)

    encounters = store.encounters(demo_engine, scope)
    totals = encounters.groupby(["urn", "academic_year"])["participants"].sum()
    summary = store.encounter_summary(demo_engine, scope)
    pd.testing.assert_series_equal(
        summary.groupby(["urn", "academic_year"])["participants"].sum(), totals,
        check_dtype=False,
    )
    pal = encounters[encounters["provider_access"]]
    by_month = pal.groupby(pal["date"].dt.month.astype("int64"))["participants"].sum()
    pal_summary = summary[summary["provider_access"]]
    pd.testing.assert_series_equal(
        pal_summary.groupby("month")["participants"].sum(), by_month,
        check_dtype=False, check_names=False,
    )
    assert summary.loc[~summary["provider_access"], "month"].eq(0).all()
    assert len(leavers) == store.leaver_profiles(demo_engine, scope)["leavers"].sum()


def test_roni_from_profiles_equals_roni_per_leaver(demo_engine):
    scope = Scope.admin()
    weights = {**risk.DEFAULT_WEIGHTS, "fsm": 3, "attendance_85": 4}
    per_leaver = risk.roni_summary(
        risk.roni_table(store.leavers(demo_engine, scope, cohort=2025), weights),
        by=("urn", "year_group"),
    )
    profiles = store.leaver_profiles(demo_engine, scope, cohort=2025)
    assert len(profiles) < per_leaver["leavers"].sum() / 3  # the point of profiles
    from_profiles = risk.roni_summary(risk.roni_table(profiles, weights),
                                      by=("urn", "year_group"))  # fmt: skip
    pd.testing.assert_frame_equal(from_profiles, per_leaver, check_dtype=False)


def test_roni_summary_weights_profiles_by_their_leavers():
    # Two profiles: 3 leavers scoring 0 and 1 leaver on FSM with 84 % attendance scoring
    # 2 (fsm) + 1 (≤ 90) + 1 (≤ 85) = 4, "substantial": mean (0×3 + 4×1) ÷ 4 = 1.0 points,
    # high risk 1 of 4 = 25 %.
    profiles = pd.DataFrame({
        "urn": [1, 1], "cohort": [2025, 2025], "year_group": [11, 11], "sen": ["N", "N"],
        **{flag: [False, flag == "fsm"] for flag in rollups.PROFILE_FLAGS},
        "attendance_pct": [100.0, 85.0], "leavers": [3, 1],
    })  # fmt: skip
    out = risk.roni_summary(risk.roni_table(profiles)).iloc[0]
    assert (out["leavers"], out["mean_score"], out["high_risk"]) == (4, 1.0, 1)
    assert (out["band_none"], out["band_substantial"], out["pct_high_risk"]) == (3, 1, 25.0)


def test_fast_reads_infer_types_from_every_row(tmp_path):
    # 3,000 NULLs then text: a reader inferring types from a first batch would fail.
    path = tmp_path / "nulls.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    t = sa.Table("t", sa.MetaData(), sa.Column("n", sa.Float), sa.Column("s", sa.String),
                 sa.Column("b", sa.Boolean))  # fmt: skip
    t.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"n": None, "s": None, "b": True}] * 3000
                     + [{"n": 1.5, "s": "x", "b": False}])  # fmt: skip
    frame = frames.read(engine, sa.select(t))
    assert frame["s"].iloc[-1] == "x" and frame["n"].iloc[-1] == 1.5
    assert frame["b"].dtype == bool and frame["b"].sum() == 3000


def test_unreadable_packs_say_how_to_rebuild_them(tmp_path):
    from hubcore import demo
    from hubcore.errors import HubcoreError

    engine = db.get_engine(db.sqlite_url(tmp_path / "old.db"))
    db.upgrade(engine)
    demo.build(engine, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    with engine.begin() as conn:  # as if written by a hubcore with another pack layout
        conn.execute(rollups.PACKS.update().values(payload=b"not an arrow message"))
    with pytest.raises(HubcoreError, match="hubcore db refresh-rollups"):
        store.destination_counts(engine, Scope.admin())
    with engine.begin() as conn:
        rollups.refresh(conn)
    assert store.destination_counts(engine, Scope.admin())["leavers"].sum() > 0
