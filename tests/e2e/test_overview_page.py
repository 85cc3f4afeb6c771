"""Every dashboard page in a real browser (Debian Chromium): it loads, each plot's canvas has a
non-zero size, a filter change redraws, a click on a school opens its profile, and the server
log stays free of errors. The overview's filters survive a reload (all of them in the URL), a
link asking for what the page cannot show falls back visibly, and its table sorts, filters,
scrolls rather than cutting columns off, and downloads every row. Screenshots go to
test-artifacts/screenshots/ for review."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from hubcore import store
from hubcore.access import Scope
from tests.e2e.conftest import colorbar_titles, map_pixel, screenshot, wait_for_canvases

pytestmark = pytest.mark.e2e

PAGES = {  # page: (text that proves the data arrived, drawn canvases expected)
    "overview": ("Mean benchmarks fully achieved", 1),
    "profile": ("Benchmarks against the hub", 4),
    "employers": ("Offers not taken up", 1),
    "transitions": ("Days from leaving to referral", 5),
}


@pytest.fixture
def console_errors(page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_and_draws(server, page, console_errors, name):
    text, canvases = PAGES[name]
    page.goto(server.url(name))
    page.get_by_text(text).first.wait_for(timeout=30_000)
    sizes = wait_for_canvases(page, minimum=canvases)
    # Every plot the page holds is drawn at a usable size (toolbar icons are canvases too).
    assert sum(1 for b in sizes if b["width"] > 150 and b["height"] > 150) >= canvases
    assert page.get_by_text("Synthetic demonstration data").is_visible()
    screenshot(page, name)
    assert server.errors() == []
    assert console_errors == []


def test_overview_layer_change_redraws_and_lands_in_url(server, page):
    page.goto(server.url("overview"))
    wait_for_canvases(page)
    assert "IMD decile (1 = most deprived)" in colorbar_titles(page)
    page.get_by_role("combobox", name="Map layer").select_option(
        label="Cold spots on the chosen benchmark"
    )
    page.wait_for_function(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models))"
        ".some(m => m.type == 'ColorBar' && m.title.includes('cold spot'))",
        timeout=15_000,
    )
    page.wait_for_function("() => window.location.search.includes('layer=cold')")
    wait_for_canvases(page)
    screenshot(page, "overview-cold-spots")
    assert server.errors() == []


def test_overview_state_in_url_is_restored(server, page):
    page.goto(server.url("overview") + "?layer=neet&bm=6")
    wait_for_canvases(page)
    page.wait_for_function(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models))"
        ".some(m => m.type == 'ColorBar' && m.title.startsWith('NEET'))",
        timeout=15_000,
    )
    # The legend says where the figure comes from (Compass, not the encounter log).
    assert "BM6 % (Compass self-assessment)" in colorbar_titles(page)


def test_click_on_a_school_opens_its_profile(server, page, demo_engine):
    schools = pd.DataFrame(store.schools(demo_engine, Scope.admin()))
    # The school furthest from any other, so the click cannot land on a neighbour.
    xy = schools[["easting", "northing"]].to_numpy()
    gaps = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1) ** 0.5
    gaps[gaps == 0] = float("inf")
    target = schools.iloc[gaps.min(axis=1).argmax()]
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.goto(server.url("overview"))
    wait_for_canvases(page)
    page.wait_for_timeout(500)  # let Bokeh finish laying out the map before measuring it
    x, y = map_pixel(page, float(target["easting"]), float(target["northing"]))
    page.mouse.click(x, y)
    page.wait_for_url(f"**/profile?*urn={int(target['urn'])}*", timeout=15_000)
    page.get_by_role("heading", name=target["name"]).wait_for(timeout=30_000)
    wait_for_canvases(page, minimum=3)
    screenshot(page, "profile-from-click")
    assert server.errors() == []


def test_other_pages_follow_their_filters(server, page):
    page.goto(server.url("employers"))
    # The shared default target (hubcore.defaults, 80%) is met by the demo's 32 of 36 schools.
    page.get_by_text("already reaches the 80% target").wait_for(timeout=30_000)
    # A lower target in the link is met too, and the answer names it.
    page.goto(server.url("employers") + "?target=70.0")
    page.get_by_text("already reaches the 70% target").wait_for(timeout=30_000)
    page.goto(server.url("employers") + "?target=95.0")
    page.get_by_text("To reach 95%").wait_for(timeout=30_000)
    page.goto(server.url("transitions"))
    page.get_by_text("Leavers of summer 2026").wait_for(timeout=30_000)
    page.get_by_role("combobox", name="Cohort (summer of leaving)").select_option("2025")
    page.get_by_text("Leavers of summer 2025").wait_for(timeout=30_000)
    wait_for_canvases(page, minimum=5)
    assert server.errors() == []


def test_download_buttons_give_files(server, page, tmp_path):
    page.goto(server.url("overview"))
    wait_for_canvases(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_text("Download CSV").click()
    text = (tmp_path / "schools.csv")
    download.value.save_as(text)
    assert text.read_text().startswith("School or college,URN,Type")
    with page.expect_download(timeout=120_000) as pdf:
        page.get_by_text("Download briefing (PDF)").click()
    target = tmp_path / pdf.value.suggested_filename
    pdf.value.save_as(target)
    assert target.suffix == ".pdf" and target.read_bytes()[:5] == b"%PDF-"
    assert server.errors() == []


def test_filter_change_sends_only_what_changed(server, page):
    """A filter change recolours the map in place: the small-area polygons (one binary buffer
    per ring) and the unchanged table are not sent again, only the changed value columns."""
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda frame: received.append(len(frame or b""))))
    page.goto(server.url("overview"))
    wait_for_canvases(page)
    page.wait_for_timeout(1000)  # let the initial document and its follow-ups arrive
    received.clear()
    page.get_by_role("combobox", name="Benchmark").select_option(
        label="BM6 Experiences of workplaces")
    page.wait_for_function(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models))"
        ".some(m => m.type == 'ColorBar' && m.title == 'BM6 % (Compass self-assessment)')",
        timeout=15_000,
    )
    page.wait_for_timeout(1000)
    assert 0 < sum(received) < 20_000, received
    assert len(received) < 60, f"{len(received)} websocket frames for one filter change"
    assert server.errors() == []


#: Every model of the page's documents: id → type (to see what a change made or replaced).
MODELS_JS = ("() => Object.fromEntries(Bokeh.documents.flatMap(d => Array.from(d.all_models))"
             ".map(m => [m.id, m.type]))")


def test_a_school_type_change_patches_the_tables_in_place(server, page, demo_engine):
    """Unticking a school type sends the tables' new rows as data of the same Tabulator
    models (no model made or replaced) and no pane's stylesheets (which made the browser lay
    the whole page out again, ≈ 0.3 s); the summary counts the schools left, worked out here
    from the stored schools."""
    patches: list[dict] = []

    def on_frame(frame) -> None:
        if isinstance(frame, str) and '"events"' in frame:
            patches.append(json.loads(frame))

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    _load_overview(page, server.url("overview"))
    page.wait_for_timeout(1000)  # let the initial document and its follow-ups arrive
    models = page.evaluate(MODELS_JS)
    tables = {i for i, t in models.items() if t.endswith("DataTabulator")}
    assert len(tables) == 2  # the schools and those projected to miss
    patches.clear()
    page.get_by_label("Special school").uncheck()
    schools = pd.DataFrame(store.schools(demo_engine, Scope.admin("DEMO")))
    left = int((schools["kind"] != "special").sum())
    assert 0 < left < len(schools)
    page.get_by_text(f"{left} schools and colleges shown").first.wait_for(timeout=15_000)
    page.wait_for_timeout(1000)
    events = [e for p in patches for e in p["events"]]
    changed = {(models.get(e["model"]["id"]), e.get("attr")) for e in events if "model" in e}
    # The schools table's rows came as new data of its source (of models already there).
    sources = {e["model"]["id"] for e in events if e["kind"] == "ColumnDataChanged"}
    assert sources and sources <= models.keys()
    schools_source = page.evaluate(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models)).find(m =>"
        " m.type.endsWith('DataTabulator') && 'name' in m.source.data).source.id")
    assert schools_source in sources
    assert page.evaluate(MODELS_JS).keys() >= tables
    assert not [e for e in events if e.get("kind") in ("RootAdded", "RootRemoved")]
    assert not [c for c in changed if c[1] in ("stylesheets", "children", "columns",
                                               "configuration")], changed
    # No new model was sent (a new table, column or pane would come as a definition).
    assert '"type":"object"' not in json.dumps(events, separators=(",", ":")), changed
    assert server.errors() == []


# --- the overview's state in its URL, its fallbacks and its table -------------------------------

#: Every Tabulator cell of one field (in Bokeh's shadow roots), in row order, as shown.
CELLS = """(field) => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (el.classList && el.classList.contains('tabulator-cell')
          && el.getAttribute('tabulator-field') === field) out.push(el.textContent);
    }
  };
  walk(document);
  return out;
}"""
#: The table's scroller scrolled to its right end; then where its last header is drawn.
SCROLL_RIGHT = """() => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList && el.classList.contains('tabulator')) return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  const table = find(document);
  const holder = table.querySelector('.tabulator-tableholder');
  holder.scrollLeft = holder.scrollWidth;
  return {scroll: holder.scrollWidth, client: holder.clientWidth};
}"""
LAST_TITLE = """() => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList && el.classList.contains('tabulator')) return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  const cols = find(document).querySelectorAll('.tabulator-col[tabulator-field]');
  const last = cols[cols.length - 1];
  const box = last.getBoundingClientRect();
  return {field: last.getAttribute('tabulator-field'), left: box.left, right: box.right,
          text: last.querySelector('.tabulator-col-title').textContent};
}"""


def _cells(page, field: str) -> list[str]:
    return page.evaluate(CELLS, field)


def _number(text: str) -> float:
    """A formatted cell ("1,234", "92.5 %") as a number."""
    return float(re.sub(r"[^0-9.\-]", "", text))


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def _view(page) -> dict:
    """What the overview shows: each chooser's chosen label, the ticked school types, the
    schools the table lists (its first page) and the summary line."""
    return {
        "selects": [s.evaluate("e => e.options[e.selectedIndex].text")
                    for s in page.locator("select").all()],
        "ticked": [c.is_checked() for c in page.locator("input[type=checkbox]").all()],
        "names": _cells(page, "name"),
        "summary": page.get_by_text(re.compile(r"shown\b")).first.text_content(),
    }


def _load_overview(page, url: str) -> None:
    page.goto(url)
    page.get_by_text(re.compile(r"schools? (and colleges|or college) shown|match these"))\
        .first.wait_for(timeout=30_000)
    wait_for_canvases(page)


def _wait_for_query(page, **wanted: str) -> None:
    """Wait until the URL holds each ``key=value`` (the page writes its state there)."""
    page.wait_for_function(
        "(wanted) => { const q = new URLSearchParams(window.location.search);"
        " return Object.entries(wanted).every(([k, v]) => q.get(k) === v); }",
        arg=wanted, timeout=15_000)


def test_every_overview_filter_survives_a_reload(server, page, console_errors, demo_engine):
    page.set_viewport_size({"width": 1280, "height": 800})
    _load_overview(page, server.url("overview"))
    # The page writes its whole state into the address bar once loaded.
    _wait_for_query(page, hub="DEMO", layer="deprivation", bm="0", la="All local authorities")
    assert _query(page)["types"].split(",")[0] == "mainstream_11_16"

    # Change every filter away from its default.
    page.get_by_role("combobox", name="Map layer").select_option(
        label="Coverage gap on the chosen benchmark")
    page.get_by_role("combobox", name="Benchmark").select_option(
        label="BM6 Experiences of workplaces")
    periods = page.get_by_role("combobox", name="Assessment period")
    labels = periods.locator("option").all_text_contents()
    assert len(labels) >= 2  # the demo has assessments in several periods
    periods.select_option(label=labels[1])
    page.get_by_role("combobox", name="Local authority").select_option(label="Eastmere")
    page.get_by_label("Mainstream 11–16").uncheck()
    page.get_by_label("FE college").uncheck()
    page.get_by_label("Special school").uncheck()
    _wait_for_query(page, layer="gap", bm="6", la="X06000001",
                    types="mainstream_11_18,all_through,ap,utc,sixth_form_college")
    period = _query(page)["period"]
    assert period != "" and "|" in period
    page.wait_for_timeout(1000)  # let the table and map take the last change
    before = _view(page)
    assert before["ticked"] == [False, True, True, False, True, True, False, True]
    kinds = {s.kind for s in pd.DataFrame(store.schools(demo_engine, Scope.admin("DEMO")))
             .itertuples()}
    assert kinds >= {"mainstream_11_16", "fe_college", "special"}

    page.reload()
    _load_overview(page, page.url)
    page.wait_for_timeout(1000)
    after = _view(page)
    assert after == before
    assert _query(page)["period"] == period
    screenshot(page, "overview-filters-after-reload")
    assert server.errors() == []
    assert console_errors == []


def test_a_link_to_an_unknown_hub_falls_back_visibly(server, page, console_errors):
    _load_overview(page, server.url("overview") + "?hub=NOPE&types=special,bogus")
    hub = page.get_by_role("combobox", name="Hub")
    shown = hub.evaluate("e => e.options[e.selectedIndex].text")
    # The chooser names the hub the page shows, and a notice says why it is not NOPE.
    assert shown == "Eastmere Careers Hub (synthetic demo)"
    page.get_by_text(f"You can't see hub NOPE; showing {shown}.").wait_for(timeout=10_000)
    # A list keeps the choices it can and names the one it cannot.
    page.get_by_text("types=special,bogus isn't available").wait_for(timeout=10_000)
    assert [c.is_checked() for c in page.locator("input[type=checkbox]").all()] == \
        [False, False, False, True, False, False, False, False]
    assert set(_cells(page, "kind")) == {"Special school"}
    # The address bar now holds what the page shows, not what the link asked.
    _wait_for_query(page, hub="DEMO", types="special")
    assert page.get_by_text("You can't see hub").count() == 1  # said once
    screenshot(page, "overview-unknown-hub")
    assert server.errors() == []
    assert console_errors == []


def _compass_at(demo_engine, period: str) -> pd.DataFrame:
    """Each DEMO school's Compass assessment at ``period`` (``YYYY-MM-DD|framework``): its
    latest in that framework on or before the date, read straight from the store."""
    date, framework = period.split("|")
    a = store.assessments(demo_engine, Scope.admin("DEMO"))
    a = a[(a["framework"] == framework) & (a["assessed_on"] <= pd.Timestamp(date))]
    return a.sort_values("assessed_on").groupby("urn").tail(1)


def test_the_table_sorts_by_a_benchmark_in_the_browser(server, page, console_errors,
                                                       demo_engine):
    page.set_viewport_size({"width": 1280, "height": 800})
    _load_overview(page, server.url("overview"))
    _wait_for_query(page, hub="DEMO")
    latest = _compass_at(demo_engine, _query(page)["period"])
    bm5 = sorted(round(v, 1) for v in latest["bm5"])
    assert len(set(bm5)) > 2  # the demo's BM5 scores differ, so the order shows
    title = page.locator('.tabulator-col[tabulator-field="bm5"] .tabulator-col-title')
    assert title.text_content() == "BM5 (%, Compass)"
    title.click()  # ascending
    page.wait_for_function(f"() => ({CELLS})('bm5')[0] === {bm5[0]:.1f}.toFixed(1) + "
                           "'\\u202f%'", timeout=15_000)
    shown = [_number(t) for t in _cells(page, "bm5")]
    assert shown == bm5[:len(shown)] and len(shown) == min(20, len(bm5))
    title.click()  # descending
    page.wait_for_function(f"() => ({CELLS})('bm5')[0] === {bm5[-1]:.1f}.toFixed(1) + "
                           "'\\u202f%'", timeout=15_000)
    assert [_number(t) for t in _cells(page, "bm5")] == bm5[::-1][:len(shown)]
    screenshot(page, "overview-sorted-by-bm5")
    assert server.errors() == []
    assert console_errors == []


def test_a_header_filter_keeps_the_matching_schools(server, page, console_errors, demo_engine):
    _load_overview(page, server.url("overview"))
    schools = pd.DataFrame(store.schools(demo_engine, Scope.admin("DEMO")))
    special = sorted(schools.loc[schools["kind"] == "special", "name"])
    assert 0 < len(special) < len(schools)
    # Typed key by key, as a person does: Tabulator filters on key presses.
    page.locator('.tabulator-col[tabulator-field="kind"] input').press_sequentially(
        "Special", delay=30)
    page.wait_for_function(f"() => ({CELLS})('name').length === {len(special)}",
                           timeout=15_000)
    assert sorted(_cells(page, "name")) == special
    assert set(_cells(page, "kind")) == {"Special school"}
    assert server.errors() == []
    assert console_errors == []


def test_downloads_hold_every_row_in_words(server, page, tmp_path, demo_engine):
    schools = pd.DataFrame(store.schools(demo_engine, Scope.admin("DEMO")))
    _load_overview(page, server.url("overview"))
    # A header filter narrows the table; the downloads still hold every school.
    page.locator('.tabulator-col[tabulator-field="kind"] input').press_sequentially(
        "Special", delay=30)
    page.wait_for_function(f"() => ({CELLS})('kind').every(k => k === 'Special school')",
                           timeout=15_000)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_text("Download CSV").click()
    path = tmp_path / "schools.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert sorted(r["URN"] for r in rows) == sorted(str(u) for u in schools["urn"])
    assert {r["Local authority"] for r in rows} == {"Eastmere"}  # a name, not X06000001
    assert "Mainstream 11–16" in {r["Type"] for r in rows}
    # Every number rounded for people: no figure with more than one decimal.
    figures = [v for r in rows for k, v in r.items() if k not in ("School or college", "URN")]
    assert not [v for v in figures if re.fullmatch(r"-?\d+\.\d{2,}", v)]
    assert "BM5 (%, Compass)" in rows[0] and "BM6 reach by 16 (%, encounter log)" in rows[0]

    with page.expect_download(timeout=60_000) as download:
        page.get_by_text("Download Excel").click()
    path = tmp_path / "schools.xlsx"
    download.value.save_as(path)
    import openpyxl

    sheet = openpyxl.load_workbook(path, read_only=True).active
    assert sheet.max_row == len(schools) + 1
    assert server.errors() == []


def test_no_table_column_is_cut_off_at_1280(server, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    _load_overview(page, server.url("overview"))
    page.wait_for_timeout(500)
    sizes = page.evaluate(SCROLL_RIGHT)
    page.wait_for_timeout(300)
    last = page.evaluate(LAST_TITLE)
    # Scrolled to its end, the table shows its last column whole inside the window.
    assert last["field"] == "bm8_by16_pct", last
    assert last["right"] <= 1280 and last["left"] >= 0, (last, sizes)
    assert last["text"] == "BM8 guidance by 16 (%, encounter log)"
    screenshot(page, "overview-table-scrolled-right")
