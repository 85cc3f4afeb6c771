"""How fast the dashboards are in a real browser (Debian Chromium through Playwright).

For each database (the demo hub; optionally an England-sized synthetic database) it serves the
pages with ``hubcore serve`` and measures, per page:

- first complete render: from navigation to the page's data text shown and every expected plot
  drawn with a non-zero canvas, checked inside the page every 10 ms (cold = first session of a
  fresh server; warm = a later one);
- filter change: from changing a filter to the redrawn plot (its colour bar title changed).

It also draws the small-area map three ways and reports each against the suite's, server-side
(build and serialise) and in the browser (from navigation to the drawn map, each map alone on a
page served by one process):

- naive: every small area as a GeoViews polygon at full resolution in longitude/latitude,
  reprojected at render (needs the ``bench`` extra: geoviews, cartopy);
- fair: ``hv.Polygons`` (HoloViews, no GeoViews) on the same simplified, pre-projected (BNG)
  geometry the suite draws, with the same colour mapping and hover column;
- suite: the pages' map (one Bokeh ``patches`` glyph on that geometry, LA outlines).

The fair / suite ratio is the cost of drawing through HoloViews rather than Bokeh directly;
naive / fair is what simplifying and pre-projecting buy.

With ``--floor`` it measures instead, in one run and alternating page by page (so the other
load on the machine falls on all alike), each page's first render against the blank-page floor
of ``benchmarks/blank_page.py`` (a blank Panel page with one plot, and the suite's page template
with one plot, served by ``panel serve``), and the overview's filter changes (a benchmark, a
school type, the map layer), each timed inside the page from the widget's change to the first
paint of the plot's canvas after the server's last change to it (issue 14 item 7's aims:
first render ≤ 1.5 × the blank page, a hub filter change ≤ 200 ms); it prints each page's
ratio to the floor and the changes against 200 ms.

    python benchmarks/dashboard_speed.py                       # demo hub (built if missing)
    python benchmarks/dashboard_speed.py --england DB_FILE     # and an England-sized database
                                                               # (one hub, then every hub)
    python benchmarks/dashboard_speed.py --floor --runs 5      # pages against the blank floor

Each page is opened in a fresh browser context (no HTTP cache), as a first visit.

Only loopback traffic; nothing is written to the databases except audit rows.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from dashboards.common.server import WARM_DONE
from hubcore import db, demo, store

CHROMIUM = "/usr/bin/chromium"
PAGES = {  # page: (text proving the data arrived, plots expected)
    "overview": ("Mean benchmarks fully achieved", 1),
    "profile": ("Benchmarks against the hub", 4),
    "employers": ("Offers not taken up", 1),
    "transitions": ("Where leavers went", 4),  # 3 charts + the flow map
}
#: What a filter change redraws, as one string: colour bar and plot titles and legend labels
#: (a layer shown with a legend instead of a colour bar still changes it).
TITLES_JS = (
    "() => Bokeh.documents.flatMap(d => Array.from(d.all_models))"
    ".filter(m => ['ColorBar', 'Title', 'LegendItem'].includes(m.type))"
    ".map(m => JSON.stringify(m.title ?? m.text ?? m.label)).join('|')"
)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: True once the page shows ``text`` and at least ``plots`` charts with a canvas over 150 px
#: each way. Checked inside the page (Bokeh and Panel render inside shadow roots), polled every
#: 10 ms: one call rather than a round trip per canvas. A chart holds two stacked canvases, so
#: canvases are counted once per position.
COMPLETE_JS = """([text, plots]) => {
  let found = false;
  const places = new Set();
  const walk = (root) => {
    const shown = root === document ? document.body.textContent : root.textContent;
    if (!found && shown && shown.includes(text)) found = true;
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === 'CANVAS') {
        const r = el.getBoundingClientRect();
        if (r.width > 150 && r.height > 150) places.add(`${r.left | 0},${r.top | 0}`);
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return found && places.size >= plots;
}"""


def _render(page, url: str, text: str, plots: int, timeout: float = 120) -> float:
    start = time.perf_counter()
    page.goto(url, timeout=timeout * 1000)
    page.wait_for_function(COMPLETE_JS, arg=[text, plots], polling=10, timeout=timeout * 1000)
    return time.perf_counter() - start


def _change(page, label: str, option: str, timeout: float = 60) -> float:
    before = page.evaluate(TITLES_JS)
    start = time.perf_counter()
    page.get_by_role("combobox", name=label).select_option(label=option)
    page.wait_for_function(f"() => ({TITLES_JS})() != {before!r}", timeout=timeout * 1000)
    return time.perf_counter() - start


#: Installed once per page: times a filter change inside the page, from the widget's change
#: (the first change the browser itself makes to a model: the widget's value) to the first
#: paint of a plot's canvas after the last change the server sent to a plot's models (data,
#: colour mapper, colour bar, titles, ranges, legend), with Bokeh's own hooks: every plot
#: view's ``_actual_paint`` (PlotView, found through the Plot model's default view) and each
#: document's change events. ``window.__hub_change`` holds the times (``performance.now()``).
PAINT_HOOK_JS = """() => {
  if (window.__hub_change) return true;
  const s = window.__hub_change = {armed: false, start: 0, change: 0, painted: 0, paintedFor: -1};
  const proto = Bokeh.Models.get('Plot').prototype.default_view.prototype;
  const paint = proto._actual_paint;
  proto._actual_paint = function (...args) {
    const out = paint.apply(this, args);
    if (s.change > s.start && s.paintedFor !== s.change) {
      s.paintedFor = s.change;
      s.painted = performance.now();
    }
    return out;
  };
  const plotted = new RegExp('ColumnDataSource|Mapper|Range|Legend|Title|ColorBar|Axis|'
    + 'Ticker|GlyphRenderer|CDSView|Patches|Scatter|MultiLine|Image|Segment|Bar|Quad|Line|'
    + 'Plot|figure');
  for (const doc of Bokeh.documents) {
    doc.on_change((ev) => {
      const now = performance.now();
      if (!s.armed || !ev.model) return;
      if (ev.sync !== false) {  // made in the browser: the widget's own change
        if (!s.start) s.start = now;
      } else if (s.start && plotted.test(ev.model.type)) {
        s.change = now;
      }
    });
  }
  return true;
}"""
#: Arms the hook for one change (clears the last one's times).
ARM_JS = """() => Object.assign(window.__hub_change,
  {armed: true, start: 0, change: 0, painted: 0, paintedFor: -1})"""
#: Settled: a plot was painted after the server's last change to it, and nothing has changed
#: for 300 ms since (a change sent in several messages is waited for to its end).
SETTLED_JS = """() => {
  const s = window.__hub_change;
  return s.start > 0 && s.change > s.start && s.paintedFor === s.change
    && performance.now() - s.change > 300;
}"""


def _change_to_canvas(page, act, timeout: float = 60) -> float:
    """Seconds from the widget's change made by ``act(page)`` to the redrawn canvas, timed
    in the page (:data:`PAINT_HOOK_JS`)."""
    page.evaluate(PAINT_HOOK_JS)
    page.evaluate(ARM_JS)
    act(page)
    page.wait_for_function(SETTLED_JS, polling=20, timeout=timeout * 1000)
    took = page.evaluate("() => (window.__hub_change.painted - window.__hub_change.start)")
    page.evaluate("() => { window.__hub_change.armed = false; }")
    return took / 1000


#: The overview's filter changes timed by ``--floor`` (label, what it does, the action).
FLOOR_CHANGES = (
    ("benchmark", lambda page: page.get_by_role("combobox", name="Benchmark").select_option(
        label="BM6 Experiences of workplaces")),
    ("school type", lambda page: page.get_by_role("checkbox", name="Special school").click()),
    ("layer", lambda page: page.get_by_role("combobox", name="Map layer").select_option(
        label="Cold spots on the chosen benchmark")),
)


def measure_browser(url: str, hub: str, runs: int) -> dict[str, float]:
    results: dict[str, list[float]] = {}
    port = _port()
    log = Path(tempfile.mkdtemp()) / "server.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "hubcore.cli", "serve", "--db", url, "--port", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, server, log)
        # Timed from a steady server: once its background warming (every benchmark's map
        # layers) has finished, which would otherwise share the CPUs with the first pages.
        deadline = time.monotonic() + 600
        while WARM_DONE not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--disable-gpu", "--disable-background-networking", "--no-first-run"],
            )
            # Only the overview offers every hub at once (the other pages are per hub).
            pages = {"overview": PAGES["overview"]} if hub == "*" else PAGES
            for name, (text, plots) in pages.items():
                for attempt in range(runs + 1):
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    seconds = _render(
                        page, f"http://localhost:{port}/{name}?hub={hub}", text, plots
                    )
                    key = f"{name}: first render ({'cold' if attempt == 0 else 'warm'})"
                    results.setdefault(key, []).append(seconds)
                    print(f"  {key} {seconds * 1000:.0f} ms", file=sys.stderr, flush=True)
                    # At national zoom (every hub) there is no small-area layer to change.
                    if name == "overview" and attempt > 0 and hub != "*":
                        results.setdefault("overview: filter change (layer)", []).append(
                            _change(page, "Map layer", "Cold spots on the chosen benchmark")
                        )
                    if name == "overview" and attempt > 0:
                        results.setdefault("overview: filter change (benchmark)", []).append(
                            _change(page, "Benchmark", "BM6 Experiences of workplaces")
                        )
                    page.close()
            browser.close()
        errors = [
            line for line in log.read_text().splitlines() if "Traceback" in line or "ERROR" in line
        ]
        if errors:
            raise RuntimeError(f"server errors during the run: {errors[:3]}")
    finally:
        server.terminate()
        server.wait(10)
    return {k: statistics.median(v) for k, v in results.items()}


def measure_naive(url: str, hub: str | None, repeat: int = 3) -> dict[str, float]:
    """Server-side build and serialisation (``json_item``) of the small-area map three ways:
    naive GeoViews, fair HoloViews and the suite's Bokeh map (see the module docstring); the
    median of ``repeat`` alternating runs after one untimed build of each."""
    import holoviews as hv
    from bokeh.embed import json_item

    from dashboards.common.context import default_scope

    engine = db.get_engine(url)
    url = engine.url.render_as_string(hide_password=False)
    started = time.perf_counter()
    areas = store.areas(engine, default_scope(engine, hub))
    load = time.perf_counter() - started
    hv.extension("bokeh")
    out = {f"small areas in scope ({len(areas):,}), read from the database": load}
    builds = {"naive": lambda: hv.render(_naive_element(areas), backend="bokeh"),
              "fair": lambda: hv.render(_fair_element(url, hub), backend="bokeh"),
              "suite": lambda: _suite_map(url, hub, areas).figure}
    # One untimed build each first: imports, first-use set-up, and the simplified boundaries
    # that fair and suite share from the per-process cache (as every page after the first).
    for build in builds.values():
        json_item(build())
    runs: dict[str, list[float]] = {name: [] for name in builds}
    for _ in range(repeat):  # alternating, so load from elsewhere falls on all three alike
        for name, build in builds.items():
            started = time.perf_counter()
            json_item(build())
            runs[name].append(time.perf_counter() - started)
    times = {name: statistics.median(values) for name, values in runs.items()}
    out.update({
        "map render, naive GeoViews polygons": times["naive"],
        "map render, fair hv.Polygons (simplified, BNG)": times["fair"],
        "map render, suite Bokeh (simplified, BNG)": times["suite"],
        "ratio naive / suite": times["naive"] / times["suite"],
        "ratio fair / suite": times["fair"] / times["suite"],
    })
    return out


#: Above this many polygons the naive map is not drawn in the browser (it would take minutes
#: and gigabytes; the server-side timing still runs).
NAIVE_BROWSER_MAX = 5000


def _naive_element(areas):
    import geoviews as gv

    from dashboards.common import maps

    return gv.Polygons(areas.to_crs(4326), vdims=["imd_decile"]).opts(
        color="imd_decile", cmap=maps.DEPRIVATION_COLOURS, tools=["hover"], responsive=True,
        height=620, colorbar=True)


def _shown_areas(url: str, hub: str | None):
    """The small areas the suite's map draws: simplified once per process, in BNG (none at
    national zoom, where the suite draws LA outlines instead)."""
    from dashboards.common import data

    key = data.scope_key(url, hub)
    if data.national_zoom(url, key):
        return data.boundaries(url, key, "lsoa").iloc[0:0]
    return data.boundaries(url, key, "lsoa")


def _fair_element(url: str, hub: str | None):
    """``hv.Polygons`` on the suite's geometry, with the naive map's colour mapping and hover
    column: the drawing path is the only difference from the suite's map."""
    import holoviews as hv

    from dashboards.common import maps
    from hubcore import geo

    shown = _shown_areas(url, hub)
    paths = geo.polygon_paths(shown, ["imd_decile"])
    return hv.Polygons(paths, vdims=["imd_decile"]).opts(
        color="imd_decile", cmap=maps.DEPRIVATION_COLOURS, tools=["hover"], responsive=True,
        height=620, colorbar=True)


def _suite_map(url: str, hub: str | None, areas):
    from dashboards.common import data, maps
    from dashboards.common.area_map import AreaMap

    key = data.scope_key(url, hub)
    shown = _shown_areas(url, hub)
    ours = AreaMap(shown, data.boundaries(url, key, "lad"), hub)
    ours.show_areas(shown.set_index("code")[["imd_decile"]].rename(
        columns={"imd_decile": "value"}), "IMD decile", maps.DEPRIVATION_COLOURS, 0.5, 10.5)
    return ours


def serve_maps(url: str, hub: str, port: int) -> None:
    """Serve ``/naive``, ``/fair`` and ``/suite``: the small-area map alone, drawn each way (run by
    :func:`measure_maps_browser` in a subprocess)."""
    import holoviews as hv
    import panel as pn

    from dashboards.common.context import default_scope

    hub = None if hub == "-" else hub
    hv.extension("bokeh", logo=False)
    engine = db.get_engine(url)
    url = engine.url.render_as_string(hide_password=False)
    areas = store.areas(engine, default_scope(engine, hub))  # read once: not what is timed

    def naive():
        return pn.Column("naive map", pn.pane.HoloViews(_naive_element(areas),
                                                       sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")

    def fair():
        return pn.Column("fair map", pn.pane.HoloViews(_fair_element(url, hub),
                                                      sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")

    def suite():
        return pn.Column("suite map", pn.pane.Bokeh(_suite_map(url, hub, areas).figure,
                                                   sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")

    pn.serve({"naive": naive, "fair": fair, "suite": suite}, port=port, show=False,
             print_output=False, websocket_origin=[f"localhost:{port}"])


def measure_maps_browser(url: str, hub: str, runs: int) -> dict[str, float]:
    """Median seconds from navigation to the drawn map, naive, fair and suite, and the ratios
    to the suite's."""
    from dashboards.common.context import default_scope

    engine = db.get_engine(url)
    polygons = len(store.areas(engine, default_scope(engine, hub)))
    port = _port()
    log = Path(tempfile.mkdtemp()) / "maps.log"
    server = subprocess.Popen(
        [sys.executable, __file__, "--maps-server", url, hub or "-", str(port)],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    results: dict[str, list[float]] = {}
    try:
        _wait_for(port, server, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--disable-gpu", "--disable-background-networking", "--no-first-run"],
            )
            pages = ["suite", "fair"] + (["naive"] if polygons <= NAIVE_BROWSER_MAX else [])
            for attempt in range(runs + 1):
                for name in pages:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    seconds = _render(page, f"http://localhost:{port}/{name}", f"{name} map", 1,
                                      timeout=600)
                    if attempt:  # the first of each is the process's cold render
                        results.setdefault(name, []).append(seconds)
                    page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    suite = statistics.median(results["suite"])
    fair = statistics.median(results["fair"])
    out = {f"browser map, suite ({polygons:,} areas in scope)": suite,
           "browser map, fair hv.Polygons": fair,
           "browser ratio fair / suite": fair / suite}
    if "naive" in results:
        out["browser map, naive GeoViews polygons"] = statistics.median(results["naive"])
        out["browser ratio naive / suite"] = out["browser map, naive GeoViews polygons"] / suite
    else:
        out[f"browser map, naive: not drawn (over {NAIVE_BROWSER_MAX:,} polygons)"] = float("nan")
    return out


def measure_floor(url: str, hub: str, runs: int, pages: list[str] | None = None
                  ) -> dict[str, list[float]]:
    """Each page's first render against the blank-page floor, in one run: ``hubcore serve``
    for the pages and ``panel serve`` for :mod:`blank_page`'s two apps run side by side, and
    every round opens the blank page, the template page and each dashboard page once, in that
    order, each in a fresh browser context (a new session, no HTTP cache). The first round is
    each server's cold start and is reported apart. Seconds per round, by name."""
    import blank_page  # benchmarks/ is on sys.path when this file is run as a script

    folder = Path(tempfile.mkdtemp())
    for name, source in blank_page.APPS.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
    blank_port, port = _port(), _port()
    log = folder / "server.log"
    blank_log = folder / "blank.log"
    blank = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", *(str(folder / f"{n}.py") for n in
                                                    blank_page.APPS), "--port", str(blank_port)],
        stdout=blank_log.open("w"), stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "hubcore.cli", "serve", "--db", url, "--port", str(port)],
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    results: dict[str, list[float]] = {}
    try:
        _wait_for(blank_port, blank, blank_log)
        _wait_for(port, server, log)
        deadline = time.monotonic() + 600
        while WARM_DONE not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        targets = {  # name: (url, text proving the content arrived, plots expected)
            "blank Panel page": (f"http://localhost:{blank_port}/blank", "blank", 1),
            "page template, one plot": (f"http://localhost:{blank_port}/shell", "blank", 1),
            **{name: (f"http://localhost:{port}/{name}?hub={hub}", text, plots)
               for name, (text, plots) in PAGES.items() if pages is None or name in pages},
        }
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--disable-gpu", "--disable-background-networking", "--no-first-run"],
            )
            for attempt in range(runs + 1):
                for name, (address, text, plots) in targets.items():
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    try:
                        seconds = _render(page, address, text, plots)
                    except Exception as error:  # noqa: BLE001 - reported, the run goes on
                        if name in ("blank Panel page", "page template, one plot"):
                            raise RuntimeError(f"{name} ({address}) did not render") from error
                        print(f"  {name} ({address}) did not render: {error}",
                              file=sys.stderr, flush=True)
                        results.setdefault(f"{name}: did not render", []).append(float("nan"))
                        page.close()
                        continue
                    key = name if attempt else f"{name} (cold)"
                    results.setdefault(key, []).append(seconds)
                    print(f"  {key}: {seconds * 1000:.0f} ms", file=sys.stderr, flush=True)
                    if name == "overview" and attempt:
                        for what, act in FLOOR_CHANGES:
                            try:
                                seconds = _change_to_canvas(page, act)
                            except Exception as error:  # reported, the run goes on
                                print(f"  filter change ({what}) not seen: {error}",
                                      file=sys.stderr, flush=True)
                                continue
                            key = f"overview: filter change ({what}), to the canvas"
                            results.setdefault(key, []).append(seconds)
                            print(f"  {key}: {seconds * 1000:.0f} ms", file=sys.stderr,
                                  flush=True)
                    page.close()
                print(f"  round {attempt} done", file=sys.stderr, flush=True)
            browser.close()
    finally:
        for process in (server, blank):
            process.terminate()
            process.wait(10)
    return results


def print_floor(results: dict[str, list[float]]) -> None:
    """Medians in ms, and each page's ratio to the blank Panel page and to the template."""
    print(f"{'':52s} {'median ms':>9s} {'runs (ms)':>28s} {'/ blank':>8s} {'/ template':>10s}")
    for key, values in results.items():
        median = statistics.median(values)
        runs = ", ".join(f"{v * 1000:.0f}" for v in values)
        # A cold first render is compared with the blank page's cold one, a warm with warm.
        cold = " (cold)" if key.endswith(" (cold)") else ""
        floor = statistics.median(results[f"blank Panel page{cold}"])
        shell = statistics.median(results[f"page template, one plot{cold}"])
        ratios = (f"{'≤ 200 ms' if median <= 0.2 else '> 200 ms':>8s}" if "filter" in key
                  else f"{median / floor:8.2f} {median / shell:10.2f}")
        print(f"{key:52s} {median * 1000:9.0f} {runs:>28s} {ratios}", flush=True)


def _wait_for(port: int, server: subprocess.Popen, log: Path, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server did not start in {seconds} s:\n{log.read_text()}")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--maps-server":
        serve_maps(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", help="demo database file (default: a fresh one in a temp dir)")
    parser.add_argument("--england", help="England-sized database (hubcore demo --size england)")
    parser.add_argument("--runs", type=int, default=3, help="warm runs per page (median shown)")
    parser.add_argument("--floor", action="store_true",
                        help="only the pages against the blank-page floor, in one run")
    parser.add_argument("--pages", nargs="+", choices=list(PAGES),
                        help="with --floor: only these pages (default: all four)")
    parser.add_argument("--maps", action="store_true",
                        help="only the small-area map drawn three ways (naive, fair, suite)")
    parser.add_argument("--region", help="a region-sized database (hubcore demo --size region)")
    parser.add_argument("--only", choices=["demo", "hub", "all"], action="append",
                        help="run only these scenarios: the demo hub, one England hub, every "
                             "England hub (repeatable; default: all that apply)")
    args = parser.parse_args()
    wanted = set(args.only or ["demo", "hub", "all"])

    scenarios = []
    demo_file = args.demo or str(Path(tempfile.mkdtemp()) / "demo.db")
    engine = db.get_engine(db.sqlite_url(demo_file))
    db.upgrade(engine)
    if store.default_hub_id(engine) is None:
        demo.build(engine, progress=False)
    if args.floor:
        url = db.sqlite_url(demo_file)
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"## pages against the blank-page floor, demo hub; load average {load} on "
              f"{os.cpu_count()} CPUs; {args.runs} warm rounds", flush=True)
        print_floor(measure_floor(url, "DEMO", args.runs, args.pages))
        return
    if "demo" in wanted:
        scenarios.append(("demo hub", db.sqlite_url(demo_file), "DEMO"))
    if args.england:
        url = db.sqlite_url(args.england)
        if "hub" in wanted:
            scenarios.append(("England data, one hub", url,
                              store.default_hub_id(db.get_engine(url))))
        if "all" in wanted:
            scenarios.append(("England data, all hubs (overview only)", url, "*"))
    if args.region:
        # Every hub of the region at once: its nine LAs are under the national-zoom limit.
        scenarios.append(("region data, all hubs", db.sqlite_url(args.region), "*"))
    for label, url, hub in scenarios:
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"\n## {label} ({hub}); load average {load} on {os.cpu_count()} CPUs", flush=True)
        if not args.maps:
            for key, seconds in measure_browser(url, hub, args.runs).items():
                print(f"{key:45s} {seconds * 1000:8.0f} ms", flush=True)
        for key, value in {**measure_naive(url, hub, max(args.runs, 3)),
                           **measure_maps_browser(url, hub, args.runs)}.items():
            unit = "×" if "ratio" in key else "ms"
            shown = value if unit == "×" else value * 1000
            print(f"{key:45s} {shown:8.1f} {unit}", flush=True)


if __name__ == "__main__":
    main()
