"""Every dashboard page in a real browser (Debian Chromium): it loads, each plot's canvas has a
non-zero size, a filter change redraws, a click on a school opens its profile, and the server
log stays free of errors. Screenshots go to test-artifacts/screenshots/ for review."""

from __future__ import annotations

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
    assert "BM6 %" in colorbar_titles(page)


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
    page.get_by_text("To reach 90%").wait_for(timeout=30_000)
    page.goto(server.url("employers") + "?target=70.0")
    page.get_by_text("To reach 70%").wait_for(timeout=30_000)
    page.goto(server.url("transitions"))
    page.get_by_text("Leavers of summer 2026").wait_for(timeout=30_000)
    page.get_by_role("combobox", name="Cohort (summer of leaving)").select_option("2025")
    page.get_by_text("Leavers of summer 2025").wait_for(timeout=30_000)
    wait_for_canvases(page, minimum=5)
    assert server.errors() == []


def test_download_buttons_give_files(server, page, tmp_path):
    page.goto(server.url("overview"))
    wait_for_canvases(page)
    with page.expect_download(timeout=60_000) as csv:
        page.get_by_text("Download CSV").click()
    text = (tmp_path / "schools.csv")
    csv.value.save_as(text)
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
        ".some(m => m.type == 'ColorBar' && m.title == 'BM6 %')",
        timeout=15_000,
    )
    page.wait_for_timeout(1000)
    assert 0 < sum(received) < 20_000, received
    assert len(received) < 60, f"{len(received)} websocket frames for one filter change"
    assert server.errors() == []
