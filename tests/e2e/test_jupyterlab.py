"""JupyterLab as a real client, offline: a notebook with a HoloViews map and a dashboard component
is run through JupyterLab's own menu in Chromium, with every request to anything but this
machine refused. The map and the component must draw (Bokeh canvases, inside shadow roots,
with a size), the component must show its own filters beside a map of usable width, and
choosing another map layer in the cell's output must redraw the map (the kernel's answer has
to reach the browser through the notebook's comm). No request may leave this machine."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import _free_port, screenshot

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "04_holoviews_and_dashboards.ipynb"
JUPYTER = Path(sys.executable).with_name("jupyter")
#: Code cells of the notebook the test runs (the setup, the map, the dashboard component):
#: the linked selection and the charts are left out to keep the test within CI's time.
CELLS = ("db.get_engine", "inline=True)", "neet_map =", "AreaOverview")
#: Seconds for the cells to run through the UI (kernel start, imports, the demo's map).
RUN_TIMEOUT_S = 90


def _local(url: str) -> bool:
    return urlparse(url).hostname in ("127.0.0.1", "localhost", "::1") or url.startswith(
        ("data:", "blob:", "about:"))


@pytest.fixture(scope="module")
def lab(demo_engine, tmp_path_factory):
    """JupyterLab serving a temp folder that holds a copy of the notebook's cells, over the
    demo database (given to the kernel as ``HUBCORE_DATABASE_URL``), with a temp
    ``HUBCORE_HOME`` and Jupyter's own folders in temp dirs."""
    if not JUPYTER.exists():
        pytest.skip(f"jupyter not installed beside {sys.executable}")
    base = tmp_path_factory.mktemp("jupyterlab")
    work = base / "work"
    work.mkdir()
    book = nbformat.read(NOTEBOOK, as_version=4)
    book.cells = [c for c in book.cells
                  if c.cell_type == "code" and any(mark in c.source for mark in CELLS)]
    assert len(book.cells) == len(CELLS), "the notebook's cells changed: update CELLS"
    nbformat.write(book, work / "lab.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "HUBCORE_DATABASE_URL": demo_engine.url.render_as_string(hide_password=False),
        "HUBCORE_HOME": str(base / "home"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "IPYTHONDIR": str(base / "ipython"),
        "PYTHONUNBUFFERED": "1",
    }
    log = (base / "lab.log").open("w")
    process = subprocess.Popen(
        [str(JUPYTER), "lab", "--allow-root", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
         f"--LabApp.user_settings_dir={base / 'settings'}",
         f"--LabApp.workspaces_dir={base / 'workspaces'}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited:\n{(base / 'lab.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):  # noqa: S310
                break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not start:\n{(base / 'lab.log').read_text()}"
                                   ) from None
            time.sleep(0.3)
    yield {"url": url, "token": token, "log": base / "lab.log"}
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    shutil.rmtree(base / "runtime", ignore_errors=True)


def _largest_canvas(cell):
    """The biggest drawn canvas in a cell's output (Bokeh draws a plot on one canvas)."""
    boxes = [(c, c.bounding_box()) for c in cell.locator("canvas").all()]
    boxes = [(c, b) for c, b in boxes if b and b["width"] > 0 and b["height"] > 0]
    return max(boxes, key=lambda cb: cb[1]["width"] * cb[1]["height"], default=(None, None))


def _wait_canvas(page, cell, min_width: float, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        # JupyterLab only lays out the cells in view (windowed notebook): bring it there.
        cell.scroll_into_view_if_needed()
        canvas, box = _largest_canvas(cell)
        if canvas is not None and box["width"] >= min_width and box["height"] >= 150:
            return canvas, box
        page.wait_for_timeout(300)
    screenshot(page, "jupyterlab-no-canvas")
    raise AssertionError(f"no drawn canvas of {min_width}+ px in the cell: {_largest_canvas(cell)}")


def test_notebook_runs_offline_in_jupyterlab(lab, page):
    blocked: list[str] = []

    def offline(route):
        if _local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    page.context.route("**/*", offline)
    page.set_viewport_size({"width": 1600, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{lab['url']}/lab/tree/lab.ipynb?token={lab['token']}", timeout=60_000)
    page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
    # JupyterLab may ask which kernel to start (a fresh settings folder): take the default.
    choose = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        choose.wait_for(timeout=8_000)
        choose.click()
    except PlaywrightTimeout:
        pass
    # Wait for the kernel, then run every cell through JupyterLab's Run menu.
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
        state="attached", timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    cells = page.locator(".jp-Notebook .jp-CodeCell")
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt")
    started = time.monotonic()
    while True:
        texts = [t.strip() for t in prompts.all_inner_texts()]
        if len(texts) == len(CELLS) and all(t[1:-2].isdigit() for t in texts):
            break
        if time.monotonic() - started > RUN_TIMEOUT_S:
            screenshot(page, "jupyterlab-timeout")
            raise AssertionError(f"cells did not finish in {RUN_TIMEOUT_S} s: {texts}")
        page.wait_for_timeout(500)
    ran_s = time.monotonic() - started
    print(f"cells ran in {ran_s:.1f} s")
    tracebacks = page.locator("[data-mime-type='application/vnd.jupyter.error']")
    assert tracebacks.count() == 0, tracebacks.all_inner_texts()

    # The HoloViews map (small areas as polygons in BNG) draws.
    map_cell = cells.nth(CELLS.index("neet_map ="))
    _wait_canvas(page, map_cell, min_width=300)

    # The dashboard component draws, with its own filters beside a map of usable width.
    component = cells.nth(CELLS.index("AreaOverview"))
    canvas, box = _wait_canvas(page, component, min_width=500)
    layer = next((s for s in component.locator("select").all()
                  if "Cold spots" in s.inner_text()), None)
    assert layer is not None and layer.is_visible(), "the component shows no map-layer filter"
    select = layer.bounding_box()
    assert select["x"] + select["width"] / 2 < box["x"], "the filters should sit left of the map"
    screenshot(page, "jupyterlab-component")

    # Choosing another layer in the output redraws the map in place.
    before = canvas.screenshot()
    layer.select_option(label=next(o for o in layer.locator("option").all_inner_texts()
                                   if "Cold spots" in o))
    deadline = time.monotonic() + 30
    while canvas.screenshot() == before:
        if time.monotonic() > deadline:
            screenshot(page, "jupyterlab-no-redraw")
            raise AssertionError("the map did not redraw after the layer changed")
        page.wait_for_timeout(300)
    screenshot(page, "jupyterlab-cold-spots")

    assert errors == [], errors
    # Everything drew without the internet, and nothing was even asked of it: scripts are inline
    # (pn/hv.extension(inline=True)) and so are Panel's stylesheets (the notebook's
    # inline_stylesheets(); HoloViews' renderer links four of them to Panel's CDN otherwise).
    refused = sorted(set(blocked))
    print(f"cells ran in {ran_s:.1f} s; requests refused (offline): {refused}")
    assert refused == [], refused
