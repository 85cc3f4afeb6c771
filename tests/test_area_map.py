"""Map layers as plain data (``hubcore.display.maps``) and the area map that draws them
(``dashboards.common.area_map``): GeoDataFrames in British National Grid with the documented
columns and disclosed text, the legend each kind of layer gets, the raster's per-pixel mean
worked out by hand on awkward shapes, and the swap between raster and polygons on zoom.

The NEET figures reuse the small hub of ``tests/test_display.py`` (its hand-worked cases:
12 leavers with one in custody and two NEET; 7 with none NEET; 8 with 7 NEET), here given
boundaries: three boxes in one LA and a fourth area in another LA outside the hub.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from hubcore import display, models, palettes
from tests.test_display import ANALYST, HOME_1, HOME_2, HOME_3, _rows, small_hub  # noqa: F401

C = "c"
BNG = "EPSG:27700"
OUTSIDE = "E01000009"
#: The hub's three areas: 1 km boxes side by side, deciles 3, 7 and 1; one area elsewhere.
BOXES = {HOME_1: box(400000, 300000, 401000, 301000), HOME_2: box(401000, 300000, 402000, 301000),
         HOME_3: box(402000, 300000, 403000, 301000), OUTSIDE: box(500000, 300000, 501000, 301000)}
DECILES = {HOME_1: 3, HOME_2: 7, HOME_3: 1, OUTSIDE: 5}


@pytest.fixture
def mapped_hub(small_hub):  # noqa: F811 - the fixture imported above
    _rows(small_hub, models.Area, [
        {"code": code, "kind": "lsoa", "name": f"Area {code[-1]}",
         "parent_code": "E06000009" if code == OUTSIDE else "E06000001",
         "imd_decile": DECILES[code], "imd_rank": 1000 * DECILES[code],
         "geometry": shapely.to_wkb(geom)} for code, geom in BOXES.items()])
    return small_hub


# --- the display layer ------------------------------------------------------------------------


def test_neet_layer_is_a_geodataframe_in_bng_with_the_disclosed_text(mapped_hub):
    layer = display.area_layer(mapped_hub, ANALYST, "neet")
    assert layer.crs == BNG
    assert layer.index.name == "code"
    assert {"name", "value", "shown", "leavers", "geometry"} <= set(layer.columns)
    assert layer["value"].dtype == "float64"
    # Area 1: base 11 with 2 NEET (rate would give 2 back): "c", NaN. Area 2: 0 of 7, a true
    # zero. Area 3: 7 of 8 NEET: "c" (the one who is not would follow).
    assert layer.loc[HOME_1, "shown"] == C and np.isnan(layer.loc[HOME_1, "value"])
    assert layer.loc[HOME_2, "shown"] == "0" and layer.loc[HOME_2, "value"] == 0.0
    assert layer.loc[HOME_3, "shown"] == C and np.isnan(layer.loc[HOME_3, "value"])
    assert layer.loc[HOME_1, "leavers"] == "11"
    # Each row carries its own boundary and name from the area table.
    assert layer.loc[HOME_2, "geometry"].equals(BOXES[HOME_2])
    assert layer.loc[HOME_3, "name"] == "Area 3"
    meta = layer.attrs["display"]
    assert meta["kind"] == "continuous" and meta["colours"] == palettes.RATE
    assert meta["tooltips"] == {"leavers": "leavers"}
    assert "fewer than 6" in meta["note"]


def test_deprivation_layer_holds_every_area_of_the_hub_and_only_those(mapped_hub):
    layer = display.area_layer(mapped_hub, ANALYST, "deprivation")
    assert layer.crs == BNG
    assert sorted(layer.index) == [HOME_1, HOME_2, HOME_3]  # not the other LA's area
    assert layer["value"].to_dict() == {HOME_1: 3.0, HOME_2: 7.0, HOME_3: 1.0}
    assert layer["shown"].to_dict() == {HOME_1: "3", HOME_2: "7", HOME_3: "1"}
    assert layer.attrs["display"]["kind"] == "continuous"
    assert round(float(layer.geometry.area.sum())) == 3_000_000  # three 1 km² boxes


def _coverage() -> pd.DataFrame:
    # By hand: area 1 has 3 schools near, all below (cold); area 2 has 2, one below; area 3
    # has none (not a cold spot: nothing to be below).
    return pd.DataFrame({"code": [HOME_1, HOME_2, HOME_3], "schools_nearby": [3, 2, 0],
                         "schools_below": [3, 1, 0], "pct_below": [100.0, 50.0, np.nan],
                         "cold_spot": [True, False, False]})


def test_cold_spot_layer_is_categorical_yes_no(mapped_hub):
    layer = display.area_layer(mapped_hub, ANALYST, "cold", coverage=_coverage())
    assert layer.crs == BNG
    assert layer["value"].tolist() == [1.0, 0.0, 0.0]
    assert layer["shown"].tolist() == ["yes", "no", "no"]
    assert layer["schools_nearby"].tolist() == ["3", "2", "0"]
    meta = layer.attrs["display"]
    assert meta["kind"] == "categorical"
    assert [(c["value"], c["label"]) for c in meta["categories"]] == [
        (0.0, "not a cold spot"), (1.0, "cold spot")]
    gap = display.area_layer(mapped_hub, ANALYST, "gap", coverage=_coverage())
    assert gap["shown"].tolist() == ["100", "50", "–"]
    assert np.isnan(gap.loc[HOME_3, "value"])
    assert gap.attrs["display"]["kind"] == "continuous"


def test_school_points_are_points_in_bng(mapped_hub):
    table = pd.DataFrame({"urn": [100001, 100002, 100003], "name": ["Alpha", "Beta", "Gamma"],
                          "type": ["Secondary", "Secondary", None], "pupils": [900, 450, 10],
                          "easting": [400000.0, 405000.0, np.nan],
                          "northing": [300000.0, 302000.0, np.nan],
                          "achieved": [5.0, np.nan, 8.0], "bm5": [100.0, 75.0, np.nan]})
    points = display.school_points(mapped_hub, ANALYST, table=table)
    assert points.crs == BNG
    assert points["urn"].tolist() == [100001, 100002]  # Gamma has no location
    assert points.geometry.iloc[1].equals(shapely.Point(405000, 302000))
    assert points["shown"].tolist() == ["5", "–"]
    assert np.isnan(points["value"].iloc[1])
    bm5 = display.school_points(mapped_hub, ANALYST, 5, table=table)
    assert bm5["value"].tolist() == [100.0, 75.0] and bm5.attrs["display"]["high"] == 100


def test_map_layers_are_page_sources():
    # The attacker test iterates display.SOURCES: the map layers must be there.
    assert display.SOURCES["area_layer"] is display.area_layer
    assert display.SOURCES["school_points"] is display.school_points


# --- the area map -----------------------------------------------------------------------------


def _gdf(codes, geometries, **columns):
    import geopandas as gpd

    return gpd.GeoDataFrame({"code": codes, "name": [f"n{c}" for c in codes], **columns},
                            geometry=geometries, crs=BNG)


@pytest.mark.parametrize("layer", ["deprivation", "neet", "gap", "cold"])
def test_categorical_layers_get_a_legend_and_continuous_ones_a_colour_bar(mapped_hub, layer):
    from dashboards.common.area_map import AreaMap

    frame = display.area_layer(mapped_hub, ANALYST, layer, coverage=_coverage())
    areas = _gdf(list(BOXES)[:3], list(BOXES.values())[:3])
    amap = AreaMap(areas, areas.iloc[0:0], "H1")
    amap.show_layer(frame)
    categorical = layer == "cold"  # yes/no: the only categorical layer
    assert amap.legend.visible is categorical
    assert amap.area_bar.visible is (not categorical)
    if categorical:
        shown = [item.label["value"] for item in amap.legend.items if item.visible]
        assert shown == ["not a cold spot", "cold spot"]
        colours = [s.glyph.fill_color for s in amap._swatches[:2]]
        assert colours == palettes.COLD
        # Bokeh draws a swatch only for a glyph with data: one point, at NaN (not on the map).
        for swatch in amap._swatches[:2]:
            assert np.isnan(swatch.data_source.data["x"]).tolist() == [True]
        # The legend sits outside the plot, never over the data.
        assert amap.legend in amap.figure.below
    # Either way the bar keeps the layer's title (what the page's browser tests read).
    assert amap.area_bar.title == frame.attrs["display"]["title"]


def _pixel_areas():
    # A raster of 2 × 1 pixels of 20 × 10 m over x 0–40, y 0–10; 3 × 3 sub-pixels each, centres
    # at x = 3.3, 10, 16.7 | 23.3, 30, 36.7 and y = 1.7, 5, 8.3.
    # Area 0 (x 0–15): 6 sub-pixel centres in pixel 0, plus its own point: weight 7.
    # Area 1 (x 15–22): 3 sub-pixel centres (x = 16.7) in pixel 0, plus its point (x 18.5): 4.
    # Area 2 (a 0.5 m box at x 30.5): no sub-pixel centre; its point puts it in pixel 1: 1.
    return _gdf(["A0", "A1", "A2"], [box(0, 0, 15, 10), box(15, 0, 22, 10),
                                     box(30.5, 4.5, 31, 5)])


def test_pixel_mean_is_weighted_by_area_and_leaves_suppressed_areas_out():
    from dashboards.common.area_map import PixelIndex

    index = PixelIndex(_pixel_areas(), (0.0, 40.0), (0.0, 10.0), 2, 1)
    agg = index.aggregate(np.array([10.0, 20.0, 50.0]))
    assert agg["image"].shape == (1, 2)
    assert agg["image"][0, 0] == pytest.approx((7 * 10 + 4 * 20) / 11)  # 13.64
    assert agg["image"][0, 1] == pytest.approx(50.0)
    assert agg["areas"].tolist() == [[2, 1]] and agg["shown"].tolist() == [[2, 1]]
    # Area 1 suppressed (NaN): the pixel shows area 0's value alone, never a filled-in one.
    hidden = index.aggregate(np.array([10.0, np.nan, np.nan]))
    assert hidden["image"][0, 0] == pytest.approx(10.0)
    assert np.isnan(hidden["image"][0, 1])  # only a suppressed area: no value, drawn grey
    assert hidden["areas"].tolist() == [[2, 1]] and hidden["shown"].tolist() == [[1, 0]]
    # A yes/no layer: how many areas under each pixel are "yes".
    yes = index.aggregate(np.array([1.0, 0.0, 1.0]), top=1.0)
    assert yes["top"].tolist() == [[1, 1]]


def test_raster_carries_numbers_only_and_zooming_in_swaps_to_polygons(monkeypatch):
    from dashboards.common import area_map

    areas = _pixel_areas()
    layer = pd.DataFrame({"value": [10.0, np.nan, 50.0], "shown": ["10", C, "50"]},
                         index=pd.Index(["A0", "A1", "A2"], name="code"))
    layer.attrs["display"] = {"title": "rate", "colours": ["#fff", "#000"], "low": 0,
                              "high": 100, "tooltips": {}, "kind": "continuous"}
    amap = area_map.AreaMap(areas, areas.iloc[0:0], "H1", raster=True)
    amap.show_layer(layer)
    assert amap.raster_image.visible and amap.land.visible and not amap.areas.visible
    assert amap.area_source.data["code"] == []  # no polygon sent at national zoom
    for name, column in amap.raster_source.data.items():  # no text, so no "c" to leak
        assert all(np.asarray(v).dtype.kind in "fiu" for v in column), name
    hover = dict(amap.raster_hover.tooltips)
    assert hover["small areas under this pixel"] == "@areas"
    # Zoom in on areas 0 and 1: their polygons, with the disclosed text in the hover.
    monkeypatch.setattr(area_map, "POLYGONS_IN_VIEW", 2)
    amap.zoom_to(0, 30, 0, 10)  # all but area 2 in view, but not zoomed in: still the raster
    assert amap.raster_image.visible and not amap.areas.visible
    amap.zoom_to(10, 16, 2, 8)  # a sixth of the 31 m across: zoomed in, areas 0 and 1
    assert amap.areas.visible and not amap.raster_image.visible
    assert amap.area_source.data["code"] == ["A0", "A1"]
    assert amap.area_source.data["shown"] == ["10", C]
    # A filter change while zoomed in recolours the polygons in place.
    amap.show_layer(layer.assign(value=[30.0, np.nan, 40.0], shown=["30", C, "40"]))
    assert amap.area_source.data["shown"] == ["30", C]
    # Zoom out: more areas in view than polygons allowed, so the raster again.
    amap.zoom_to(-100, 100, -50, 50)
    assert amap.raster_image.visible and not amap.areas.visible
    # The new values, area 1's pixels (only suppressed) without one: 30 and 40, never 20.
    image = amap.raster_source.data["image"][0]
    assert sorted(np.unique(image[~np.isnan(image)]).tolist()) == [30.0, 40.0]


# --- what a layer change sends, and what the browser then holds --------------------------------


def _four_areas():
    # Bounds 0–30 × 0–10 m at 2 pixels across: pixels of 15 m, x 0–15 and 15–30 (y 0–15).
    # Pixel 0 holds A0 only. Pixel 1 holds A1 (x 15–20) and the mirror images A2 (y 0–5) and
    # A3 (y 5–10), which by symmetry weigh the same in it, whatever the sub-pixel counts.
    return _gdf(["A0", "A1", "A2", "A3"], [box(0, 0, 15, 10), box(15, 0, 20, 10),
                                           box(20, 0, 30, 5), box(20, 5, 30, 10)])


def _rate_layer(values, shown):
    layer = pd.DataFrame({"value": values, "shown": shown},
                         index=pd.Index(["A0", "A1", "A2", "A3"], name="code"))
    layer.attrs["display"] = {"title": "rate", "colours": ["#fff", "#000"], "low": 0,
                              "high": 100, "tooltips": {}, "kind": "continuous"}
    return layer


def test_hover_after_a_layer_change_is_the_mean_of_the_shown_values_under_the_pixel(
        monkeypatch):
    """What the browser holds after a layer change (the served document's patch applied to a
    copy of the document, as BokehJS applies it) is each pixel's mean of the shown values of
    the areas under it, the suppressed area left out."""
    from bokeh.document import Document
    from bokeh.protocol import Protocol

    from dashboards.common import area_map

    monkeypatch.setattr(area_map, "RASTER_PIXELS", 2)
    areas = _four_areas()
    amap = area_map.AreaMap(areas, areas.iloc[0:0], "H1", raster=True)
    amap.show_layer(_rate_layer([3.0, 7.0, 1.0, 9.0], ["3", "7", "1", "9"]))
    served = Document()
    served.add_root(amap.figure)
    browser = Document.from_json(served.to_json())  # what the first render sent
    events: list = []
    served.on_change(events.append)
    # A1 suppressed ("c"): left out of pixel 1's mean, never counted as 0.
    amap.show_layer(_rate_layer([10.0, np.nan, 40.0, 70.0], ["10", C, "40", "70"]))
    message = Protocol().create("PATCH-DOC", list(events))
    browser.apply_json_patch(message.content, setter=None)
    held = browser.get_model_by_id(amap.raster_source.id).data
    assert held["image"][0].tolist() == [[10.0, (40.0 + 70.0) / 2]]
    # The counts, one byte a pixel (unchanged, so not sent again).
    assert amap.raster_source.data["areas"][0].tolist() == [[1, 3]]
    assert held["shown"][0].tolist() == [[1, 2]]
    assert held["shown"][0].dtype == np.uint8
    # The hover reads that image as the mean, with the counts beside it.
    assert dict(amap.raster_hover.tooltips) == {
        "rate, mean of the areas shown": "@image{0.0}",
        "small areas under this pixel": "@areas", "of them with a shown value": "@shown"}


def test_a_change_sends_only_the_bands_that_changed():
    from dashboards.common.area_map import BAND, _band_patches

    assert BAND == 4
    old = np.zeros((10, 8), dtype="float32")
    old[5, 3] = np.nan  # NaN stays NaN: no change
    new = old.copy()
    new[1, 2], new[2, 5] = 1.0, 2.0  # band of rows 0–3: rows 1–2, columns 2–5
    new[9, 0] = np.nan  # band of rows 8–9: row 9, column 0
    patches = _band_patches(old, new)
    assert [where for where, _ in patches] == [[0, slice(1, 3), slice(2, 6)],
                                               [0, slice(9, 10), slice(0, 1)]]
    first = patches[0][1]
    assert first.tolist() == [1, 0, 0, 0, 0, 0, 0, 2]  # flattened rows 1–2 × columns 2–5
    assert np.isnan(patches[1][1]).tolist() == [True]
    assert _band_patches(old, old.copy()) == []


@pytest.fixture
def national_hub(mapped_hub, monkeypatch):
    """The mapped hub as the pages see it, drawn at national zoom (more than 0 LAs)."""
    from dashboards.common import data
    from hubcore import users

    monkeypatch.setattr(users, "has_users", lambda *a, **k: False)
    monkeypatch.setattr(data, "MAX_DETAILED_LAS", 0)
    for cached in (data.boundaries, data.schools, data._area_layer, data.area_neet,
                   data.area_measure):
        cached.clear()
    yield mapped_hub.url.render_as_string(hide_password=False)
    for cached in (data.boundaries, data.schools, data._area_layer, data.area_neet,
                   data.area_measure):
        cached.clear()


def test_warm_up_works_out_the_neet_raster_of_its_scope_and_no_other(national_hub,
                                                                     monkeypatch):
    from dashboards.common import area_map, data

    worked_out = []
    aggregate = area_map.PixelIndex.aggregate
    monkeypatch.setattr(area_map.PixelIndex, "aggregate",
                        lambda self, values, top=None: worked_out.append(top) or
                        aggregate(self, values, top))
    url = national_hub
    key = data.scope_key(url, None)
    assert data.warm_national(url, key)
    assert len(worked_out) >= 2  # deprivation and NEET at least
    worked_out.clear()
    amap = area_map.AreaMap(data.boundaries(url, key, "lsoa"), data.boundaries(url, key, "lad"),
                            "H1", raster=True)
    neet = data.area_layer(url, key, "neet", 5)
    amap.show_layer(neet)
    amap.show_layer(data.area_layer(url, key, "deprivation", 5))
    # The NEET layer at another benchmark is the same frame: its raster is kept too.
    assert data.area_layer(url, key, "neet", 6) is neet
    amap.show_layer(data.area_layer(url, key, "neet", 6))
    assert worked_out == []  # every raster found in the pixel table
    # Area 2 is the hub's only shown NEET value (0 of 7): its pixels show 0, areas 1 and 3
    # (suppressed) none.
    image = amap.raster_source.data["image"][0]
    assert np.unique(image[~np.isnan(image)]).tolist() == [0.0]
    # Another scope of the same areas (an analyst of the hub) gets its own raster, never the
    # administrator's.
    other = ("analyst", "H1", None, None, key[4])
    amap.show_layer(data.area_layer(url, other, "neet", 5))
    assert worked_out == [None]


def test_a_layer_change_recolours_the_raster_with_one_change_of_its_mapper(monkeypatch):
    """BokehJS colours every pixel of the image again after each change of its mapper (≈ 75 ms
    on England's raster): a layer change points the image at its colour scale's mapper (one
    change; a scale shown before is the same model again) instead of setting palette, low and
    high of one mapper (three). The browser then colours the image with the new layer's scale;
    the hover still reads the mean."""
    from bokeh.document import Document
    from bokeh.models import LinearColorMapper
    from bokeh.protocol import Protocol

    from dashboards.common import area_map

    monkeypatch.setattr(area_map, "RASTER_PIXELS", 2)
    areas = _four_areas()
    amap = area_map.AreaMap(areas, areas.iloc[0:0], "H1", raster=True)
    first = _rate_layer([3.0, 7.0, 1.0, 9.0], ["3", "7", "1", "9"])
    amap.show_layer(first)
    served = Document()
    served.add_root(amap.figure)
    browser = Document.from_json(served.to_json())
    events: list = []
    served.on_change(events.append)
    other = _rate_layer([1.0, 2.0, 5.0, 6.0], ["1", "2", "5", "6"])
    other.attrs["display"] = {**other.attrs["display"], "title": "decile", "low": 1, "high": 10,
                              "colours": ["#f00", "#0f0", "#00f"]}
    amap.show_layer(other)
    # No property of a mapper the image uses was set; the image's mapper was, once.
    raster_mappers = {m.id for m in amap._raster_mappers.values()}
    mapper_sets = [e for e in events if getattr(e, "model", None) is not None
                   and e.model.id in raster_mappers and hasattr(e, "attr")]
    assert mapper_sets == []
    swaps = [e for e in events if getattr(e, "attr", None) == "color_mapper"]
    assert len(swaps) == 1 and swaps[0].model is amap.raster_image.glyph
    message = Protocol().create("PATCH-DOC", list(events))
    browser.apply_json_patch(message.content, setter=None)
    glyph = browser.get_model_by_id(amap.raster_image.glyph.id)
    shown = glyph.color_mapper
    assert isinstance(shown, LinearColorMapper)
    assert (list(shown.palette), shown.low, shown.high) == (["#f00", "#0f0", "#00f"], 1, 10)
    assert shown.nan_color == "rgba(0, 0, 0, 0)"  # no value: transparent over the grey land
    held = browser.get_model_by_id(amap.raster_source.id).data["image"][0]
    # Pixel 0 holds A0 alone; pixel 1 a weighted mean of A1–A3 (2, 5, 6): the hover's value.
    assert held[0, 0] == 1.0 and 2.0 < held[0, 1] < 6.0
    # Back to the first layer: its scale's mapper again, no new model.
    before = dict(amap._raster_mappers)
    amap.show_layer(first)
    assert amap._raster_mappers == before
    assert amap.raster_image.glyph.color_mapper is before[(("#fff", "#000"), 0.0, 100.0)]
