"""The national map in a real browser (Debian Chromium): with every hub of a synthetic database
spanning more LAs than a hub map draws as polygons (14 LAs, a fast stand-in for England's 150),
the overview shows the small areas as a raster image with a drawn canvas and a hover reporting
the pixel's mean; zooming in swaps the raster for polygons; a yes/no layer gets a legend of
swatches, not a colour bar; the server log stays clean."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.conftest import Server, _free_port, screenshot, wait_for_canvases

pytestmark = pytest.mark.e2e

#: More LAs than dashboards.common.data.MAX_DETAILED_LAS (12): national zoom.
LAS = 14
#: Every visible glyph of the page's Bokeh document, as [glyph type, points or images].
GLYPHS_JS = (
    "() => Bokeh.documents.flatMap(d => Array.from(d.all_models))"
    ".filter(m => m.type == 'GlyphRenderer' && m.visible)"
    ".map(m => [m.glyph.type, m.data_source.get_length()])"
)


@pytest.fixture(scope="module")
def national_server(tmp_path_factory):
    from hubcore import db, demo
    from hubcore.demo import DemoSize

    folder = tmp_path_factory.mktemp("national")
    url = db.sqlite_url(str(folder / "national.db"))
    engine = db.get_engine(url)
    db.upgrade(engine)
    # Few schools and areas per LA, light encounters: built in about a minute.
    demo.SIZES["national_test"] = DemoSize(LAS, 4, 30, 20, 0.2)
    try:
        demo.build(engine, size="national_test", progress=False)
    finally:
        del demo.SIZES["national_test"]
    engine.dispose()
    srv = SlowStartServer(url, folder / "server.log")
    srv.db_url = url
    yield srv
    srv.stop()


class SlowStartServer(Server):
    """``hubcore serve`` as in conftest, allowed longer to start: it warms its caches (here
    every hub's, 14 of them) before it listens, which takes over a minute on a loaded machine."""

    def __init__(self, db_url: str, log: Path, seconds: float = 400):
        self.port = _free_port()
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hubcore.cli", "serve", "--db", db_url, "--port",
             str(self.port)],
            stdout=self._out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"server did not start:\n{log.read_text()}")


def _wheel_until(page, x: float, y: float, delta: float, glyph: str, steps: int = 60) -> bool:
    """Turn the mouse wheel over (x, y) a step at a time until a visible ``glyph`` with data
    is drawn (the server swaps raster and polygons after each zoom)."""
    for _ in range(steps):
        page.mouse.move(x, y)
        page.mouse.wheel(0, delta)
        page.wait_for_timeout(400)
        if _glyphs(page).get(glyph):
            return True
    return False


def _glyphs(page) -> dict[str, int]:
    return {kind: n for kind, n in page.evaluate(GLYPHS_JS) if kind in ("Image", "Patches")}


def test_national_map_rasterises_small_areas_and_swaps_to_polygons_on_zoom(national_server,
                                                                           page):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(national_server.url("overview") + "?hub=*")
    page.get_by_text("Mean benchmarks fully achieved").first.wait_for(timeout=60_000)
    sizes = wait_for_canvases(page)
    assert any(b["width"] > 400 and b["height"] > 400 for b in sizes)
    page.wait_for_function(f"() => ({GLYPHS_JS})().some(g => g[0] == 'Image')",
                           timeout=60_000)
    # National zoom: the raster (images of one picture each), no polygon drawn.
    assert _glyphs(page) == {"Image": 1}
    image = page.evaluate(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models))"
        ".filter(m => m.type == 'GlyphRenderer' && m.glyph.type == 'Image' && m.visible)"
        ".map(m => { const im = m.data_source.data.image[0]; let n = 0;"
        " for (const v of im) if (Number.isFinite(v) && v != 0) n++; return [im.length, n]; })")
    # Two images (land below, the layer above), each with many drawn pixels (land: 1 where
    # an area lies; the layer: deciles 1-10, NaN where none).
    assert len(image) == 2 and all(total > 10_000 and drawn > 1_000 for total, drawn in image)
    # Hover over the middle of the map: the pixel's mean and how many areas lie under it.
    box = max((c.bounding_box() for c in page.locator("canvas").all()),
              key=lambda b: (b or {}).get("width", 0) * (b or {}).get("height", 0))
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.move(x + 2, y + 2)
    page.get_by_text("small areas under this pixel").first.wait_for(timeout=15_000)
    assert page.get_by_text("mean of the areas shown").first.is_visible()
    screenshot(page, "overview-national-raster")
    # Zoom in with the wheel, a step at a time, until the polygons come instead of the raster.
    assert _wheel_until(page, x, y, -200, "Patches"), "zooming in never swapped to polygons"
    glyphs = _glyphs(page)
    assert "Image" not in glyphs and 0 < glyphs["Patches"] <= 2500
    # The polygons' own hover: the area's name and the layer's shown text.
    page.mouse.move(x + 5, y + 5)
    page.mouse.move(x, y)
    page.get_by_text(re.compile(r"^\s*IMD decile \(1 = most deprived\):\s*$")).first.wait_for(
        timeout=15_000)
    screenshot(page, "overview-national-zoomed")
    # And back out: the raster again.
    assert _wheel_until(page, x, y, 400, "Image"), "zooming out never brought the raster back"
    # A yes/no layer: a legend of swatches below the map, no colour bar; the pixel's hover
    # counts the cold spots under it.
    page.get_by_role("combobox", name="Map layer").select_option(
        label="Cold spots on the chosen benchmark")
    page.wait_for_function(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models)).some(m => m.type == "
        "'Legend' && m.visible && m.title.includes('cold spot'))", timeout=60_000)
    bars = page.evaluate(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models))"
        ".filter(m => m.type == 'ColorBar' && m.visible).map(m => m.title)")
    assert not any("cold spot" in title for title in bars)
    # Each swatch's glyph has a row (Bokeh draws no swatch for a glyph without data).
    rows = page.evaluate(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models))"
        ".filter(m => m.type == 'Legend' && m.visible).flatMap(l => l.items)"
        ".filter(i => i.visible).map(i => i.renderers[0].data_source.get_length())")
    assert rows == [1, 1]
    page.mouse.move(x + 3, y)
    page.mouse.move(x, y)
    page.get_by_text(re.compile(r"^\s*\d+ of \d+ areas here\s*$")).first.wait_for(
        timeout=15_000)
    screenshot(page, "overview-national-cold-spots")
    # Back to a continuous layer, NEET (sent as patches of the pixels that changed): the
    # browser's image is the server's per-pixel mean of the shown values, worked out here
    # from the same cached layer (NaN where no area under a pixel has a shown value).
    page.get_by_role("combobox", name="Map layer").select_option(
        label="NEET + not known one year after leaving")
    expected = _neet_raster(national_server.db_url)
    finite = expected[np.isfinite(expected)]
    page.wait_for_function(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models)).some(m => m.type == "
        "'ColorBar' && m.visible && m.title.startsWith('NEET'))", timeout=60_000)
    page.wait_for_function(f"() => ({IMAGE_JS})()[0] == {len(finite)}", timeout=60_000)
    count, total = page.evaluate(IMAGE_JS)
    assert count == len(finite) and total == pytest.approx(float(finite.sum()), rel=1e-5)
    page.mouse.move(x + 3, y)
    page.mouse.move(x, y)
    page.get_by_text("mean of the areas shown").first.wait_for(timeout=15_000)
    assert national_server.errors() == []


#: The layer image's finite pixels in the browser: [how many, their sum].
IMAGE_JS = (
    "() => { let n = 0, total = 0; for (const m of Bokeh.documents.flatMap("
    "d => Array.from(d.all_models))) { if (m.type == 'GlyphRenderer' && m.visible && "
    "m.glyph.type == 'Image' && m.glyph.color_mapper.palette.length > 1) { "
    "for (const v of m.data_source.data.image[0]) if (Number.isFinite(v)) { n++; total += v; }"
    " } } return [n, total]; }")


def _neet_raster(url: str):
    """Every hub's NEET layer as the overview's raster, worked out in this process from the
    page's own cached reads (``dashboards.common.data``)."""
    from dashboards.common import area_map, data
    from dashboards.common.context import ALL_HUBS

    key = data.scope_key(url, ALL_HUBS)
    areas = data.boundaries(url, key, "lsoa")
    layer = data.area_layer(url, key, "neet", 5)
    values = area_map._values_of(layer, areas["code"].tolist())
    return area_map.prepare(areas).aggregate(values)["image"]
