"""`hubcore report KIND` against the synthetic demo hub: every family exports, counts of
people 1–5 never appear, percentages have at most one decimal, and the aggregate store reads
give the same numbers as the pupil-level ones."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest

from hubcore import disclosure, store
from hubcore.access import Scope
from hubcore.errors import HubcoreError
from hubcore.metrics import cli, report
from hubcore.metrics import coverage as cov
from hubcore.metrics import transitions as tr


def _run(demo_engine, tmp_path, *argv: str) -> str:
    parser = argparse.ArgumentParser(prog="hubcore")
    cli.register(parser.add_subparsers(dest="command"))
    out = tmp_path / "out.txt"
    url = demo_engine.url.render_as_string(hide_password=False)
    args = parser.parse_args(["report", *argv, "--db", url, "--out", str(out)])
    assert args.func(args) == 0
    return out.read_text(encoding="utf-8")


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


@pytest.mark.parametrize("kind", report.KINDS)
def test_report_csv_is_disclosure_safe(demo_engine, tmp_path, kind):
    text = _run(demo_engine, tmp_path, kind, "--format", "csv")
    from io import StringIO

    table = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    assert len(table) > 0, f"{kind} report is empty on the demo hub"
    assert (table["synthetic"] == "True").all()
    spec = report.SPECS[kind]
    for col in spec.counts:
        if col not in table:
            continue
        values = pd.to_numeric(table[col].replace({"c": None, "": None}), errors="coerce")
        assert not values.between(1, disclosure.THRESHOLD - 1).any(), f"{kind}.{col}"
    for col, base in spec.percents.items():
        if col not in table:
            continue
        shown = table[col][~table[col].isin(["", "c"])]
        assert all(_decimals(v) <= 1 for v in shown), f"{kind}.{col} has more than one decimal"
        if base in table:
            bases = pd.to_numeric(table[base].replace({"c": None, "": None}), errors="coerce")
            small = bases.notna() & (bases < disclosure.THRESHOLD)
            assert table.loc[small, col].isin(["c", ""]).all(), f"{kind}.{col} small base"


def test_report_json_has_meta_and_rows(demo_engine, tmp_path):
    data = json.loads(_run(demo_engine, tmp_path, "benchmarks", "--format", "json"))
    assert data["meta"]["report"] == "benchmarks"
    assert data["meta"]["synthetic"] is True
    levels = {row["level"] for row in data["rows"]}
    # hub_national / la_national: the like-for-like national comparison at each school's
    # latest assessment that has a national figure (the demo's latest are 2024-framework)
    assert levels == {"school", "la", "hub", "la_national", "hub_national"}
    hub_rows = [r for r in data["rows"] if r["level"] == "hub"]
    # never mixing frameworks: one hub row per framework and academic year
    keys = [(r["framework"], r["academic_year"]) for r in hub_rows]
    assert len(keys) == len(set(keys))


def test_transitions_keep_year_11_and_13_apart(demo_engine, tmp_path):
    from io import StringIO

    text = _run(demo_engine, tmp_path, "transitions", "--as-of", "2026-09-30")
    table = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    funnel = table[table["section"] == "funnel_hub"]
    assert set(funnel["year_group"]) <= {"11", "12", "13", "14"}
    # one row per cohort, year group and receiving organisation: Year 11 and Year 13, and the
    # NCS and LA tracking, are never added together
    assert not funnel.duplicated(["cohort", "year_group", "handed_to"]).any()
    assert {"11", "13"} <= set(funnel["year_group"])
    assert set(funnel["handed_to"]) == {"ncs", "la_tracking"}
    assert {"destination_mix", "neet_school", "neet_hub", "lag_hub", "overdue_hub"} <= set(
        table["section"]
    )


def test_unknown_hub_is_one_line_error(demo_engine, tmp_path):
    with pytest.raises(HubcoreError, match="no hub"):
        _run(demo_engine, tmp_path, "benchmarks", "--hub", "nope")


def test_summary_read_matches_raw_encounters(demo_engine):
    scope = Scope.admin(hub_id=store.default_hub_id(demo_engine))
    schools = pd.DataFrame(store.schools(demo_engine, scope).drop(columns="geometry"))
    raw = store.encounters(demo_engine, scope)
    summary = store.encounter_summary(demo_engine, scope)
    year = cov.latest_academic_year(raw)
    left = cov.school_coverage(raw, schools, year)
    right = cov.school_coverage(summary, schools, year)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    assert left["meets_bm5"].any() or left["bm5_min_per_pupil"].notna().any()


def test_aggregate_handover_read_matches_pupil_rows(demo_engine):
    scope = Scope.admin(hub_id=store.default_hub_id(demo_engine))
    pupils = store.handovers(demo_engine, scope)
    agg = store.handover_dates(demo_engine, scope)
    assert agg["handovers"].sum() == len(pupils)
    keys = ("urn", "year_group")
    as_of = pd.Timestamp("2026-10-01")
    pupils = pupils.rename(columns={"from_urn": "urn"})
    pd.testing.assert_frame_equal(tr.handover_funnel(pupils, None, keys),
                                  tr.handover_funnel(agg, None, keys))
    keys = ("urn", "year_group", "to_org_type")
    pd.testing.assert_frame_equal(tr.referral_lag(pupils, keys), tr.referral_lag(agg, keys))
    pd.testing.assert_frame_equal(
        tr.overdue_handovers(pupils, as_of, 30, keys), tr.overdue_handovers(agg, as_of, 30, keys)
    )
