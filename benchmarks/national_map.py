"""How fast the national map is: the overview with every hub of an England-sized synthetic
database (``hubcore demo --size england``: 150 LAs, about 33,000 small areas), its small areas
drawn as a Datashader raster until zoomed in (``dashboards.common.area_map``).

Measured in one run, so the figures share the machine's load:

1. the floor: ``benchmarks/blank_page.py``'s blank Panel page with one plot, first render in
   Debian Chromium (median of ``--runs``);
2. server side, no browser: rasterising the small areas into the pixel table (the first time in
   the process includes Numba's compilation of Datashader's code), a layer change from the
   table, and the two alternatives it was chosen against: Datashader rasterising the polygons
   again on every change, and HoloViews ``rasterize`` of ``hv.Polygons`` rendered to Bokeh;
3. in the browser: ``hubcore serve`` over the database, the overview at ``?hub=*`` from
   navigation to the raster drawn (every run a fresh browser context, after the server's
   warming), then a filter change (map layer, then benchmark) to the redrawn map; each
   first render also as a ratio to the floor.

    python benchmarks/national_map.py --england /path/england.db [--runs 3] [--skip-holoviews]
    python benchmarks/national_map.py --geography-only    # step 2 only, on England-sized
                                                          # generated boundaries (no database)

Aims (issue 14): first render ≤ 3 s and a filter change ≤ 500 ms on England-sized data.
Only loopback traffic; nothing is written to the database except audit rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.blank_page import APPS, CANVAS_DRAWN, free_port, wait_for_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--disable-gpu", "--disable-background-networking", "--no-first-run"]
MODELS = "Bokeh.documents.flatMap(d => Array.from(d.all_models))"
#: True once the raster is drawn: a visible Image glyph with data and a canvas over 400 px.
RASTER_DRAWN = """() => {
  if (!window.Bokeh || !Bokeh.documents.length) return false;
  const shown = MODELS.some(m => m.type == 'GlyphRenderer' && m.visible && m.glyph.type == 'Image'
                                && m.data_source.get_length() > 0);
  if (!shown) return false;
  const big = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === 'CANVAS') {
        const r = el.getBoundingClientRect();
        if (r.width > 400 && r.height > 400) return true;
      }
      if (el.shadowRoot && big(el.shadowRoot)) return true;
    }
    return false;
  };
  return big(document);
}""".replace("MODELS", MODELS)
#: A fingerprint of what the map shows: its colour bars' titles and the sum of the raster's
#: finite pixels (changes when a filter change has redrawn the map).
FINGERPRINT = """() => {
  let total = 0;
  for (const m of MODELS) {
    if (m.type == 'GlyphRenderer' && m.visible && m.glyph.type == 'Image') {
      for (const v of m.data_source.data.image[0]) if (Number.isFinite(v)) total += v;
    }
  }
  const titles = MODELS.filter(m => m.type == 'ColorBar').map(m => m.title).join('|');
  return titles + '#' + total.toFixed(3);
}""".replace("MODELS", MODELS)


def floor(runs: int) -> float:
    """Median first render of the blank Panel page (benchmarks/blank_page.py), ms."""
    folder = Path(tempfile.mkdtemp())
    (folder / "blank.py").write_text(textwrap.dedent(APPS["blank"]))
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and a file we just wrote
        [sys.executable, "-m", "panel", "serve", str(folder / "blank.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = []
    try:
        wait_for_server(port)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(runs + 1):
                context = browser.new_context()
                page = context.new_page()
                started = time.perf_counter()
                page.goto(f"http://localhost:{port}/blank")
                page.wait_for_function(CANVAS_DRAWN, polling=10)
                times.append((time.perf_counter() - started) * 1000)
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait()
    return statistics.median(times[1:])  # the first is the server's cold start


def _ms(seconds: float) -> float:
    return seconds * 1000


def server_side(url: str, holoviews: bool) -> dict[str, str]:
    import datashader as ds

    from dashboards.common import area_map, data
    from dashboards.common.context import ALL_HUBS
    from hubcore import db

    out: dict[str, str] = {}
    engine = db.get_engine(url)
    url = engine.url.render_as_string(hide_password=False)
    key = data.scope_key(url, ALL_HUBS)
    started = time.perf_counter()
    areas = data.boundaries(url, key, "lsoa")
    out["small areas read and simplified (25 m)"] = (
        f"{_ms(time.perf_counter() - started):8.0f} ms  ({len(areas):,} areas)")
    width, height, xr, yr = area_map.raster_shape(areas.total_bounds)
    for label in ("pixel table, first in process (with Numba compile)", "pixel table, again"):
        started = time.perf_counter()
        index = area_map.PixelIndex(areas, xr, yr, width, height)
        out[label] = (f"{_ms(time.perf_counter() - started):8.0f} ms  ({width} × {height} px, "
                      f"{len(index.pixel):,} pixel-area pairs)")
    layers = {}
    for name in ("deprivation", "neet"):
        started = time.perf_counter()
        layers[name] = data.area_layer(url, key, name, 5)
        out[f"layer '{name}' as a GeoDataFrame (first read)"] = (
            f"{_ms(time.perf_counter() - started):8.0f} ms")
    values = layers["neet"]["value"].reindex(areas["code"]).to_numpy(float)
    runs = []
    for _ in range(20):
        started = time.perf_counter()
        index.aggregate(values)
        runs.append(time.perf_counter() - started)
    out["layer change from the pixel table (median of 20)"] = (
        f"{_ms(statistics.median(runs)):8.1f} ms")
    frame = areas[["geometry"]].assign(value=values)
    canvas = ds.Canvas(plot_width=width, plot_height=height, x_range=xr, y_range=yr)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        canvas.polygons(frame, geometry="geometry", agg=ds.mean("value"))
        runs.append(time.perf_counter() - started)
    out["alternative: Datashader rasterises again per change (median of 3)"] = (
        f"{_ms(statistics.median(runs)):8.0f} ms")
    amap = area_map.AreaMap(areas, data.boundaries(url, key, "lad"), ALL_HUBS, raster=True)
    amap.show_layer(layers["deprivation"])
    out.update(_served_changes(amap, layers))
    if holoviews:
        out.update(_holoviews(areas, values, width, height))
    return out


def _served_changes(amap, layers: dict) -> dict[str, str]:
    """Layer changes NEET → deprivation → NEET → deprivation on a map in a Bokeh document, as
    served: the server's time for each, and the bytes of the document patch each sends to the
    browser (Bokeh's PATCH-DOC message: header, JSON content and binary buffers). The first
    two work out their rasters; the last two find them kept (as after the server's warm-up)."""
    from bokeh.document import Document
    from bokeh.protocol import Protocol

    doc = Document()
    doc.add_root(amap.figure)
    events: list = []
    doc.on_change(events.append)
    times, sizes = [], []
    for name in ("neet", "deprivation", "neet", "deprivation"):
        events.clear()
        started = time.perf_counter()
        amap.show_layer(layers[name])
        times.append(time.perf_counter() - started)
        message = Protocol().create("PATCH-DOC", list(events))
        sizes.append(len(message.header_json) + len(message.metadata_json)
                     + len(message.content_json)
                     + sum(memoryview(b.data).nbytes for b in message.buffers))
    new, kept = (_ms(statistics.median(t)) for t in (times[:2], times[2:]))
    return {
        "AreaMap: layer change, server side (raster new / kept)":
            f"{new:8.1f} ms / {kept:.1f} ms",
        "AreaMap: bytes sent per layer change (→ NEET, → deprivation)":
            f"{sizes[2] / 1e6:8.3f} MB, {sizes[3] / 1e6:.3f} MB",
    }


def geography_only(holoviews: bool) -> dict[str, str]:
    """Step 2 without a database: England-sized small areas as the demo generates them
    (150 LAs of 220 areas, simplified at 25 m like the pages'), deprivation as the layer."""
    import numpy as np
    import pandas as pd

    from dashboards.common import area_map
    from hubcore import geo, palettes
    from hubcore.demo.geography import make_geography
    from hubcore.demo.names import place_names

    rng = np.random.default_rng(2026)
    areas = geo.simplify(make_geography(rng, 150, 220, ["Eastmere", *place_names(rng, 149)])
                         .areas, 25.0)
    out = {"small areas generated": f"{len(areas):8,} areas"}
    width, height, xr, yr = area_map.raster_shape(areas.total_bounds)
    for label in ("pixel table, first in process (with Numba compile)", "pixel table, again"):
        # The second build leaves out one area: another cache key, so it is built again
        # (Datashader's code now compiled), not found in the process's cache.
        started = time.perf_counter()
        index = area_map.pixel_index(areas.iloc[: len(areas) - ("again" in label)], width,
                                     height, xr, yr)
        out[label] = (f"{_ms(time.perf_counter() - started):8.0f} ms  ({width} × {height} px, "
                      f"{len(index.pixel):,} pixel-area pairs)")
    values = areas["imd_decile"].astype("float64").to_numpy()
    layer = pd.DataFrame({"value": values, "shown": [f"{v:g}" for v in values]},
                         index=pd.Index(areas["code"], name="code"))
    layer.attrs["display"] = {"title": "IMD decile", "colours": palettes.DEPRIVATION,
                              "low": 0.5, "high": 10.5, "tooltips": {}, "kind": "continuous"}
    started = time.perf_counter()
    amap = area_map.AreaMap(areas, areas.iloc[0:0], "*", raster=True)
    out["AreaMap built (pixel table cached)"] = f"{_ms(time.perf_counter() - started):8.0f} ms"
    runs = []
    for shift in range(5):
        started = time.perf_counter()
        amap.show_layer(layer.assign(value=np.roll(values, shift + 1)))
        runs.append(time.perf_counter() - started)
    out["AreaMap: layer change, server side (median of 5)"] = (
        f"{_ms(statistics.median(runs)):8.1f} ms")
    started = time.perf_counter()
    amap.zoom_to(400_000, 440_000, 300_000, 330_000)
    out["AreaMap: zoom in to 40 km, polygons built"] = (
        f"{_ms(time.perf_counter() - started):8.0f} ms  ({len(amap.area_source.data['xs'])} "
        "areas)")
    canvas_s = _datashader_again(areas, values, width, height, xr, yr)
    out["alternative: Datashader rasterises again per change (median of 3)"] = (
        f"{_ms(canvas_s):8.0f} ms")
    if holoviews:
        out.update(_holoviews(areas, values, width, height))
    return out


def _datashader_again(areas, values, width, height, xr, yr) -> float:
    import datashader as ds

    frame = areas[["geometry"]].assign(value=values)
    canvas = ds.Canvas(plot_width=width, plot_height=height, x_range=xr, y_range=yr)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        canvas.polygons(frame, geometry="geometry", agg=ds.mean("value"))
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def _holoviews(areas, values, width: int, height: int) -> dict[str, str]:
    """HoloViews' way: ``rasterize(hv.Polygons(...))`` rendered to a Bokeh document (a new
    plot per change: the page's figure could not be updated in place)."""
    try:
        import geoviews  # noqa: F401 - registers GeoDataFrames as HoloViews data
        import holoviews as hv
        from bokeh.embed import json_item
        from holoviews.operation.datashader import rasterize

        hv.extension("bokeh", logo=False)
        frame = areas[["geometry"]].assign(value=values)
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            element = rasterize(hv.Polygons(frame, vdims=["value"]), aggregator="mean",
                                width=width, height=height, dynamic=False)
            json_item(hv.render(element.opts(tools=["hover"]), backend="bokeh"))
            runs.append(time.perf_counter() - started)
        return {"alternative: HoloViews rasterize(hv.Polygons) to Bokeh, first / again":
                f"{_ms(runs[0]):8.0f} ms / {_ms(runs[1]):.0f} ms"}
    except Exception as exc:  # noqa: BLE001 - a comparison only; say why it did not run
        return {"alternative: HoloViews rasterize(hv.Polygons)":
                f"not measured ({type(exc).__name__}: {str(exc)[:80]})"}


def browser(url: str, runs: int, blank_ms: float) -> dict[str, str]:
    from dashboards.common.server import WARM_DONE

    port = free_port()
    log = Path(tempfile.mkdtemp()) / "server.log"
    server = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "hubcore.cli", "serve", "--db", url, "--port", str(port)],
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    results: dict[str, list[float]] = {}
    sizes: dict[str, list[int]] = {}
    try:
        # Timed from a steady server: started, listening and done warming (a server that
        # exits, e.g. on an old schema, ends the run with its log).
        deadline = time.monotonic() + 1800
        while WARM_DONE not in log.read_text() and time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()}")
            time.sleep(0.5)
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for attempt in range(runs + 1):
                context = chromium.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                received = _count_frames(page)
                started = time.perf_counter()
                page.goto(f"http://localhost:{port}/overview?hub=*", timeout=300_000)
                page.wait_for_function(RASTER_DRAWN, polling=10, timeout=300_000)
                first = "first render" + (" (first session)" if attempt == 0 else "")
                results.setdefault(first, []).append(time.perf_counter() - started)
                # Deprivation → NEET → deprivation: the first NEET read may be cold (once per
                # process); the way back is a change between cached layers.
                for label, select, option in (
                        ("layer change", "Map layer", "NEET + not known one year after leaving"),
                        ("layer change back", "Map layer", "Deprivation (IMD decile)"),
                        ("benchmark", "Benchmark", "BM6 Experiences of workplaces")):
                    label = f"filter change: {label}" + (" (first session)" if attempt == 0
                                                         else "")
                    seconds, sent = _change(page, select, option, received)
                    results.setdefault(label, []).append(seconds)
                    sizes.setdefault(label, []).append(sent)
                context.close()
            chromium.close()
        errors = [line for line in log.read_text().splitlines()
                  if "Traceback" in line or "ERROR" in line]
        if errors:
            raise RuntimeError(f"server errors during the run: {errors[:3]}")
    finally:
        server.terminate()
        server.wait(30)
    out = {}
    for label, times in results.items():
        ms = _ms(statistics.median(times))
        ratio = f"  ({ms / blank_ms:.1f} × the floor)" if label.startswith("first") else ""
        sent = (f", {statistics.median(sizes[label]) / 1e6:.3f} MB received"
                if label in sizes else "")
        out[f"browser: {label}"] = f"{ms:8.0f} ms{ratio}{sent}"
    return out


def _count_frames(page) -> list[int]:
    """A one-item list holding the bytes the page has received over its websockets so far
    (Bokeh's patches: JSON text frames and binary buffers)."""
    received = [0]

    def frame(payload) -> None:
        received[0] += len(payload.encode() if isinstance(payload, str) else payload)

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    return received


def _change(page, label: str, option: str, received: list[int]) -> tuple[float, int]:
    """Seconds from choosing ``option`` in the ``label`` select to the redrawn map, and the
    bytes received for it (counted until nothing more arrived for 0.5 s)."""
    before = page.evaluate(FINGERPRINT)
    start_bytes = received[0]
    started = time.perf_counter()
    page.get_by_role("combobox", name=label).select_option(label=option)
    try:
        page.wait_for_function(f"() => ({FINGERPRINT})() != {before!r}", polling=10,
                               timeout=300_000)
    except PlaywrightTimeout:  # reported as such; the run goes on with the next change
        print(f"  {label} → {option}: not redrawn within 300 s", flush=True)
        return float("inf"), received[0] - start_bytes
    seconds = time.perf_counter() - started
    settled = -1
    while settled != received[0]:  # the rest of the update (e.g. the schools' colours)
        settled = received[0]
        page.wait_for_timeout(500)
    return seconds, received[0] - start_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geography-only", action="store_true",
                        help="only the server-side figures, on generated England-sized areas")
    parser.add_argument("--england",
                        help="England-sized database file (hubcore demo --size england)")
    parser.add_argument("--runs", type=int, default=3, help="warm runs (median shown)")
    parser.add_argument("--skip-holoviews", action="store_true",
                        help="leave out the HoloViews comparison (imports GeoViews)")
    args = parser.parse_args()
    from hubcore import db

    if args.geography_only:
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"## national map, generated England-sized areas; load average {load}")
        for label, value in geography_only(not args.skip_holoviews).items():
            print(f"{label:62s} {value}", flush=True)
        return
    if not args.england:
        parser.error("--england DB_FILE is required (or --geography-only)")

    url = db.sqlite_url(args.england)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"## national map, {args.england}; load average {load} on {os.cpu_count()} CPUs")
    blank_ms = floor(args.runs)
    print(f"{'floor: blank Panel page, first render':62s} {blank_ms:8.0f} ms", flush=True)
    for label, value in server_side(url, not args.skip_holoviews).items():
        print(f"{label:62s} {value}", flush=True)
    for label, value in browser(url, args.runs, blank_ms).items():
        print(f"{label:62s} {value}", flush=True)


if __name__ == "__main__":
    main()
