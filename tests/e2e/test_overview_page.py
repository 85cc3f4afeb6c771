"""The hub overview page in a real browser: loads, draws the map, and the server stays clean."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, wait_for_canvases

pytestmark = pytest.mark.e2e


def test_overview_map_draws_without_server_errors(server, page):
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(server.url("overview"))
    page.get_by_role("heading", name="Eastmere Careers Hub (synthetic demo)").wait_for(
        timeout=30_000
    )
    sizes = wait_for_canvases(page)
    biggest = max(sizes, key=lambda b: b["width"] * b["height"])
    assert biggest["width"] > 400 and biggest["height"] > 300
    assert page.get_by_text("Synthetic demonstration data").is_visible()
    screenshot(page, "overview")
    assert server.errors() == []
    assert console_errors == []


def test_framework_change_redraws_and_lands_in_url(server, page):
    page.goto(server.url("overview"))
    wait_for_canvases(page)
    page.get_by_text("Mean benchmarks fully achieved").wait_for()
    page.locator("select").nth(1).select_option(label="2014 framework (Compass until July 2025)")
    page.get_by_text("National mean 2024/25").wait_for(timeout=15_000)
    page.wait_for_function("() => window.location.search.includes('framework=2014')")
    wait_for_canvases(page)
    assert server.errors() == []
