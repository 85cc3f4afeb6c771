"""The overview's map sends its area layer again only when the layer's data change: a
benchmark change under a layer that does not follow the benchmark (deprivation, NEET)
recolours the schools only; under a coverage layer the areas follow the benchmark."""

from __future__ import annotations

import pytest

pytest.importorskip("panel")

from dashboards.overview import AreaOverview, SchoolMap  # noqa: E402


def _shown_layers(view, monkeypatch) -> list:
    school_map = next(v for v in view._views if isinstance(v, SchoolMap))
    shown: list = []
    original = type(school_map._area_map).show_layer

    def counting(self, frame):
        shown.append(frame)
        return original(self, frame)

    monkeypatch.setattr(type(school_map._area_map), "show_layer", counting)
    return shown


def test_a_benchmark_change_sends_the_areas_only_when_the_layer_follows_it(demo_engine,
                                                                         monkeypatch):
    url = demo_engine.url.render_as_string(hide_password=False)
    view = AreaOverview(db_url=url, layer="deprivation", benchmark=0)
    shown = _shown_layers(view, monkeypatch)
    view.benchmark = 6
    view.benchmark = 5
    assert shown == []  # deprivation: the same areas and colours whatever the benchmark
    view.layer = "gap"
    assert len(shown) == 1
    gap_bm5 = shown[-1]
    view.benchmark = 6
    assert len(shown) == 2 and shown[-1] is not gap_bm5  # the gap on BM6 is another layer
    view.school_types = ["special"]
    assert len(shown) == 2  # a school filter leaves the areas as they are
