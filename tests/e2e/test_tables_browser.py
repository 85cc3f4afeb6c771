"""The real tables in a browser: a school named ``<img src=x onerror=…>`` is shown as text (no
element made, no script run), numbers carry their units and decimals, and a wide table at
1,280 px scrolls sideways with its name column frozen instead of cutting columns off."""

from __future__ import annotations

import socket

import pandas as pd
import panel as pn
import pytest

from dashboards.common import tables
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

EVIL = "<img src=x onerror=alert(1)>"
#: Cell and header texts inside Tabulator (in Bokeh's shadow roots), with their sizes.
CELLS = """() => {
  const out = {cells: [], titles: [], images: 0, holder: null};
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') out.images += 1;
      if (el.classList && el.classList.contains('tabulator-cell'))
        out.cells.push({field: el.getAttribute('tabulator-field'), text: el.textContent,
                        left: el.getBoundingClientRect().left,
                        cut: el.scrollWidth > el.clientWidth + 1});
      if (el.classList && el.classList.contains('tabulator-col-title'))
        out.titles.push({text: el.textContent, cut: el.scrollWidth > el.clientWidth + 1});
      if (el.classList && el.classList.contains('tabulator-tableholder'))
        out.holder = {scroll: el.scrollWidth, client: el.clientWidth};
    }
  };
  walk(document);
  return out;
}"""
SCROLL = """() => {
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList && el.classList.contains('tabulator-tableholder')) {
        el.scrollLeft = el.scrollWidth; return true; }
      if (el.shadowRoot && walk(el.shadowRoot)) return true;
    }
    return false;
  };
  return walk(document);
}"""


def _frame() -> pd.DataFrame:
    rows = 30
    frame = pd.DataFrame({
        "name": [f"School {i}" for i in range(rows)],
        "urn": range(900001, 900001 + rows),
        "kind": ["mainstream_11_16"] * rows,
        "benchmark": [5] * rows,  # "BM5 Encounters with employers and employees": wraps
        **{f"bm{b}": [100.0 * ((i + b) % 7) / 7 for i in range(rows)] for b in range(1, 9)},
        "bm5_min_per_pupil": [5.2168021680216805] * rows,
        "neet_nk_pct": pd.Series(["c"] + [4.26] * (rows - 1), dtype=object),
        "distance_km": [3.097882] * rows,
        "days_waiting": [891] * rows,
        "pct_contacted_of_referred": [74.6] * rows,
        "leavers": [4913] * rows,
    })
    frame.loc[0, "name"] = EVIL
    frame.loc[2, "distance_km"] = float("nan")  # a missing figure: an empty cell
    return frame


@pytest.fixture(scope="module")
def table_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def app():
        return pn.Column(tables.table(_frame(), name_column="name"),
                         sizing_mode="stretch_width")

    server = pn.serve({"t": app}, port=port, address="127.0.0.1", show=False, threaded=True,
                      websocket_origin=[f"127.0.0.1:{port}"], print_output=False)
    yield f"http://127.0.0.1:{port}/t"
    server.stop()


def test_table_escapes_names_formats_numbers_and_scrolls(table_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(table_server)
    page.get_by_text("School 1", exact=True).wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    found = page.evaluate(CELLS)
    screenshot(page, "table-1280x800")

    assert found["images"] == 0 and not dialogs
    names = [c["text"] for c in found["cells"] if c["field"] == "name"]
    assert EVIL in names  # shown as the text it is
    texts = {c["field"]: c["text"] for c in found["cells"] if c["text"] and c["field"]}
    first = {f: [c["text"] for c in found["cells"] if c["field"] == f] for f in texts}
    assert first["bm5_min_per_pupil"][0] == "5.2"
    assert first["distance_km"][0] == "3.1\u202fkm"
    assert first["neet_nk_pct"][:2] == ["c", "4.3\u202f%"]  # 4.26 → 4.3
    assert first["leavers"][0] == "4,913"
    assert first["days_waiting"][0] == "891"  # whole days stay whole
    assert first["distance_km"][2].strip() == ""
    assert not [c for c in found["cells"] if "NaN" in c["text"]]
    assert first["urn"][0] == "900001"  # an identifier, not "900,001"
    assert first["kind"][0] == "Mainstream 11–16"

    titles = [t["text"] for t in found["titles"]]
    assert "Distance (km)" in titles and "Contacted (% of referred)" in titles
    assert not [t["text"] for t in found["titles"] if t["cut"] and t["text"].strip()]
    assert first["benchmark"][0] == "BM5 Encounters with employers and employees"
    assert not [c["text"] for c in found["cells"] if c["cut"] and c["text"].strip()]  # wraps

    # Wider than the window: it scrolls sideways, and the name column stays in view.
    assert found["holder"]["scroll"] > found["holder"]["client"]
    name_left = min(c["left"] for c in found["cells"] if c["field"] == "name")
    assert page.evaluate(SCROLL)
    page.wait_for_timeout(300)
    after = page.evaluate(CELLS)
    assert min(c["left"] for c in after["cells"] if c["field"] == "name") == pytest.approx(
        name_left, abs=2)
    screenshot(page, "table-1280x800-scrolled")
    page.close()
