"""The standalone HTML briefing opens in headless Chromium from a file:// URL with no console
errors, every image decoded, and no request leaving the file."""

from __future__ import annotations

import datetime as dt

import pytest

from hubcore import briefing
from hubcore.access import Scope

pytestmark = pytest.mark.e2e


def test_html_briefing_opens_offline(demo_engine, tmp_path, page):
    (path,) = briefing.write_pack(
        demo_engine, Scope.admin(hub_id="DEMO"), tmp_path, ("html",), dt.date(2026, 11, 1)
    )
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: requests.append(req.url))

    page.goto(path.as_uri())
    page.wait_for_load_state("load")

    assert page.locator("h1").inner_text().startswith("Careers Hub briefing")
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
    )
    assert len(images) == 4  # three maps and the funnel chart
    assert all(done and w > 0 and h > 0 for done, w, h in images)
    assert errors == []
    # Only the document itself (data: images are not network requests).
    assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
    assert page.get_by_text("SYNTHETIC DATA").first.is_visible()
