"""The browser's floor for any Panel page on this machine: a page holding one small Bokeh line
plot and a heading, served with ``panel serve``, timed in Debian's Chromium from navigation to
a drawn canvas (each run in a fresh browser context, as a new session); and the same plot in
the suite's page template (header, filter column, content), the floor of every dashboard.

    python benchmarks/blank_page.py [--runs 4]

Compare its median with the first-render times of ``benchmarks/dashboard_speed.py``: the part of
a dashboard's first render that the suite's own code could still remove is the difference. On a
shared machine compare in one run: ``dashboard_speed.py --floor`` serves these two apps beside
the suite and opens them alternately with the pages (``APPS`` is read from here).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
APPS = {
    # Panel alone.
    "blank": '''
import panel as pn
from bokeh.plotting import figure

pn.extension()
plot = figure(height=300, width=400)
plot.line([1, 2, 3], [1, 3, 2])
pn.Column("# blank", pn.pane.Bokeh(plot)).servable()
''',
    # The same plot in the suite's page template (header, filter column, content).
    "shell": '''
import panel as pn
from bokeh.plotting import figure

from dashboards.common import layout

pn.extension()
plot = figure(height=300, width=400)
plot.line([1, 2, 3], [1, 3, 2])
layout.page("blank", [pn.pane.Bokeh(plot)], [pn.widgets.Select(name="Hub", options=["a"])]
            ).servable()
''',
}
#: True once a canvas with a non-zero width is drawn (Bokeh renders inside shadow roots).
CANVAS_DRAWN = """() => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === 'CANVAS' && el.width > 0) return true;
      if (el.shadowRoot && find(el.shadowRoot)) return true;
    }
    return false;
  };
  return find(document);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"panel serve did not listen on port {port} within {seconds:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp())
    for name, source in APPS.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and files we just wrote
        [sys.executable, "-m", "panel", "serve", *(str(folder / f"{n}.py") for n in APPS),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in APPS}
    try:
        wait_for_server(port)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM)
            for _ in range(args.runs):
                for name in APPS:
                    context = browser.new_context()
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(f"http://localhost:{port}/{name}")
                    page.wait_for_function(CANVAS_DRAWN, polling=10)
                    times[name].append((time.perf_counter() - started) * 1000)
                    context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait()
    labels = {"blank": "blank Panel page", "shell": "the suite's page template"}
    for name, runs in times.items():
        shown = ", ".join(f"{t:.0f}" for t in runs)
        print(f"{labels[name]}, one plot, first render: {shown} ms; "
              f"median {statistics.median(runs):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
