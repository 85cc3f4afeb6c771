"""The pages work under their Content-Security-Policy (no inline script allowed): sign-in, the
overview and a school's profile draw their charts in Chromium with no policy violation and no
console error, and markup slipped into the page cannot run an event handler."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import serve_signed_in, wait_for_canvases

PASSWORD = "csp test password"
#: Collects every policy violation the browser reports, from the first byte of each page.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(
  e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def signed_in_server(demo_engine, tmp_path_factory):
    server = serve_signed_in(demo_engine.url.render_as_string(hide_password=False),
                             tmp_path_factory.mktemp("csp"), PASSWORD,
                             [("lead@t", "hub_lead", {"hub_id": "DEMO"})])
    yield server
    server.stop()


def test_pages_render_under_the_policy(signed_in_server, browser):
    context = browser.new_context()
    context.add_init_script(LISTEN)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.goto(signed_in_server.url("overview"))
    page.wait_for_url(re.compile(r".*/login.*"))
    assert page.evaluate("window.__violations") == []  # the login page too
    page.fill("input[name=username]", "lead@t")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(re.compile(r".*/overview.*"), timeout=60_000)
    policy = page.evaluate("""() => fetch(location.href).then(
        r => r.headers.get('content-security-policy'))""")
    assert "script-src 'self';" in policy
    for name in ("overview", "profile"):
        if name != "overview":
            page.goto(signed_in_server.url(name))
        sizes = wait_for_canvases(page, minimum=1, timeout_s=90)
        assert any(box["width"] > 50 and box["height"] > 50 for box in sizes), (name, sizes)
        page.wait_for_timeout(1500)  # let late requests (styles, icons) arrive
        assert page.evaluate("window.__violations") == [], name
    problems = [line for line in console
                if line.startswith(("error", "pageerror")) or "Content Security Policy" in line]
    assert not problems, problems

    # Markup that escaped escaping still cannot run script: the handler is refused.
    page.evaluate("""() => document.body.insertAdjacentHTML('beforeend',
        '<img src="/no-such-image" onerror="window.__ran = 1">')""")
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__ran") is None
    assert any(v.startswith("script-src") for v in page.evaluate("window.__violations"))
    context.close()
    assert not signed_in_server.errors(), signed_in_server.errors()
