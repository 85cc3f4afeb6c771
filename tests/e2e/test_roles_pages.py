"""Role × page: each signed-in role opens every served page; the page renders, the server logs
no error, and no pupil key reaches the browser of a role that may not see pupil rows."""

from __future__ import annotations

import re

import pytest

from dashboards.common.server import PAGES
from hubcore import store
from hubcore.access import Scope
from tests.e2e.conftest import SERVER_ERROR, screenshot, serve_signed_in, sign_in

PASSWORD = "roles test password"
#: Text of the page, including Bokeh's shadow roots (Playwright's inner_text does not pierce).
ALL_TEXT = """() => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
    }
    out.push(root.textContent || '');
  };
  walk(document);
  return out.join('\\n');
}"""
PUPIL_KEY = re.compile(r"\b[0-9a-f]{32,64}\b")

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def signed_in_server(demo_engine, tmp_path_factory):
    folder = tmp_path_factory.mktemp("roles")
    schools = store.schools(demo_engine, Scope.admin())
    area = schools["la_gss"].iat[0]
    server = serve_signed_in(demo_engine.url.render_as_string(hide_password=False), folder,
                             PASSWORD, [
        ("analyst@t", "analyst", {"hub_id": "DEMO"}),
        ("cl@t", "careers_leader", {"urn": int(schools["urn"].iat[2])}),
        ("ncs@t", "ncs_adviser", {"ncs_area": area}), ("la@t", "la_tracking", {"ncs_area": area})])
    yield server
    server.stop()


@pytest.mark.parametrize("user", ["analyst@t", "cl@t", "ncs@t", "la@t"])
def test_role_sees_every_page_without_errors_or_leaks(signed_in_server, browser, user):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, signed_in_server, user, PASSWORD)
    for name in PAGES:
        page.goto(signed_in_server.url(name))
        assert "/login" not in page.url
        page.wait_for_load_state("networkidle", timeout=60_000)
        page.wait_for_timeout(1500)
        text = page.evaluate(ALL_TEXT)
        screenshot(page, f"role-{user.split('@')[0]}-{name}")
        if user == "analyst@t":  # the one role that may see no pupil rows at all
            assert not PUPIL_KEY.search(text), f"{user} sees a pupil key on {name}"
    context.close()
    errors = _errors(signed_in_server)
    assert not errors, errors


#: Tornado's report of a websocket closed while a message was on its way (we navigate away from
#: each page as soon as it is checked): noise, not a server error.
_CLOSED = re.compile(
    r"Task exception was never retrieved\n.*?tornado\.websocket\.WebSocketClosedError\n", re.S
)


def _errors(server) -> list[str]:
    text = _CLOSED.sub("", server.log.read_text())
    return [line for line in text.splitlines() if SERVER_ERROR.search(line)]
