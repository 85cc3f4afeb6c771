"""The overview's coverage-gap and cold-spot layers for BM5–BM8 come from one encounter
coverage read per scope (``dashboards.common.data.coverage``), not one read per benchmark, and
give what a fresh read gives."""

from __future__ import annotations

import pandas as pd
import pytest

pn = pytest.importorskip("panel")

from dashboards.common import data  # noqa: E402
from hubcore import display  # noqa: E402
from hubcore.metrics import report  # noqa: E402


def test_benchmarks_five_to_eight_share_one_coverage_read(demo_engine, monkeypatch):
    url = demo_engine.url.render_as_string(hide_password=False)
    key = data.scope_key(url, None)
    reads = []
    real = report.school_coverage_for_scope
    monkeypatch.setattr(report, "school_coverage_for_scope",
                        lambda *a, **k: reads.append(a[1]) or real(*a, **k))
    for cached in (data.coverage, data.area_measure):
        cached.clear()
    got = {b: data.area_measure(url, key, b) for b in (5, 6, 8)}
    assert len(reads) == 1  # one read of the encounters serves three benchmarks
    scope = data._scope(key)
    for b, frame in got.items():
        fresh = display.area_coverage(demo_engine, scope, b,
                                      areas=data.boundaries(url, key, "lsoa"))
        pd.testing.assert_frame_equal(frame, fresh)
        assert frame["measure"].iloc[0] == report.COVERAGE_MEASURES[b][0]
    assert len(reads) == 4  # the three fresh reads above, one each
    # An assessment benchmark reads no encounter coverage at all.
    data.area_measure(url, key, 3)
    assert len(reads) == 4
    for cached in (data.coverage, data.area_measure):
        cached.clear()
