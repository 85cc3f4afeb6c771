"""The served regional view (issue #16 item 1) in Chromium, signed in as each kind of role.

A copy of the demo hub is split into two hubs (the second takes half the schools), its LA is
placed in an English region, the second hub is given a payload name and one of its
highest-priority schools is renamed ``<img src=x onerror=alert(1)>``. Then:

- an administrator's ``/region?region=E12000003`` shows both hubs in the table, a drawn map
  and the payload as text (no dialog, no injected element); the landing page and the
  overview link the view;
- the second hub's lead sees only their own hub's row (not the first hub's name anywhere);
- a careers leader is told the view is not available to their role (no table, no map), and
  neither their landing page nor their overview links it;
- the server logs no error.
"""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from hubcore import db
from hubcore.access import Scope
from hubcore.display import overview as shown
from tests.conftest import TEST_SERVER_URL, _drop, _url
from tests.e2e.conftest import screenshot, serve_signed_in, sign_in, wait_for_canvases
from tests.e2e.test_roles_pages import ALL_TEXT, _errors
from tests.e2e.test_xss_pages import INJECTED

pytestmark = pytest.mark.e2e

PASSWORD = "region test password"
PAYLOAD = "<img src=x onerror=alert(1)>"
SECOND_ID = "SECOND"
SECOND_NAME = "Second & <b>Hub</b>"
REGION = "E12000003"  # Yorkshire and The Humber (a public ONS code)


@pytest.fixture(scope="module")
def region_db(demo_engine, tmp_path_factory):
    """The demo hub split into two hubs in one region, with payload names (see the module
    note). A file copy of the demo database under SQLite; a fresh demo under PostgreSQL."""
    folder = tmp_path_factory.mktemp("region-db")
    if demo_engine.url.get_backend_name() == "sqlite" and not TEST_SERVER_URL:
        url = db.sqlite_url(folder / "region.db")
        shutil.copyfile(demo_engine.url.database, folder / "region.db")
        engine = db.get_engine(url)
    else:
        from hubcore import demo

        url = _url(folder)
        engine = db.get_engine(url)
        db.upgrade(engine)
        demo.build(engine, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    with engine.begin() as conn:
        first_id, first_name = conn.execute(text("SELECT id, name FROM hub")).one()
        urns = sorted(conn.execute(text("SELECT urn FROM hub_membership")).scalars())
        conn.execute(text("INSERT INTO hub (id, name, host_body_type, pupil_data_sharing, "
                          "synthetic) VALUES (:id, :name, 'LA', false, true)"),
                     {"id": SECOND_ID, "name": SECOND_NAME})
        moved = urns[: len(urns) // 2]
        listed = ",".join(str(int(u)) for u in moved)  # integers from the database
        conn.execute(text(f"UPDATE hub_membership SET hub_id = :hub WHERE urn IN ({listed})"),
                     {"hub": SECOND_ID})
        conn.execute(text("UPDATE area SET parent_code = :region WHERE kind = 'lad'"),
                     {"region": REGION})
    # One of the second hub's top-priority schools gets the payload name (its priority
    # comes from the data, not from its name).
    top = shown.region_schools(engine, Scope.admin(user="t"))
    top = top[top["top_priority"] & top["hub_id"].eq(SECOND_ID)]
    urn = int(top["urn"].iat[0])
    with engine.begin() as conn:
        conn.execute(text("UPDATE school SET name = :name WHERE urn = :urn"),
                     {"name": PAYLOAD, "urn": urn})
        lead_school = conn.execute(
            text("SELECT urn FROM hub_membership WHERE hub_id = :hub ORDER BY urn"),
            {"hub": first_id}).scalars().first()
    yield {"url": url, "first_name": first_name, "payload_urn": urn,
           "careers_urn": int(lead_school)}
    engine.dispose()
    _drop(url)


@pytest.fixture(scope="module")
def region_server(region_db, tmp_path_factory):
    server = serve_signed_in(region_db["url"], tmp_path_factory.mktemp("region-serve"), PASSWORD, [
        ("admin@t", "admin", {}), ("lead@t", "hub_lead", {"hub_id": SECOND_ID}),
        ("cl@t", "careers_leader", {"urn": region_db["careers_urn"]})])
    yield server
    server.stop()


def _signed_in(browser, server, user: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, server, user, PASSWORD)
    return context, page, dialogs


def wait_boxes(page) -> list[dict]:
    """Sizes of the page's canvases (Bokeh draws inside shadow roots)."""
    return [b for b in (c.bounding_box() for c in page.locator("canvas").all()) if b]


def _hub_cells(page) -> list[str]:
    """Text of the hubs table's name column (Tabulator cells), as the browser shows it: the
    first table of the page (the priority table below it names hubs too)."""
    first = page.locator(".tabulator").first
    return first.locator(".tabulator-cell[tabulator-field=hub_name]").all_inner_texts()


def _open_region(page, server, query: str = "") -> str:
    page.goto(server.url(f"region{query}"))
    assert "/login" not in page.url
    page.wait_for_load_state("networkidle", timeout=90_000)
    return page.evaluate(ALL_TEXT)


def test_admin_sees_every_hub_and_the_map_with_names_as_text(region_server, region_db,
                                                             browser):
    context, page, dialogs = _signed_in(browser, region_server, "admin@t")
    page.goto(region_server.url(""))
    page.get_by_role("link", name="Region").wait_for(timeout=60_000)
    page.goto(region_server.url("overview"))
    page.get_by_role("link", name="Regional view: hubs side by side").wait_for(timeout=60_000)

    _open_region(page, region_server, f"?region={REGION}")
    page.locator(".tabulator-cell[tabulator-field=hub_name]").first.wait_for(timeout=90_000)
    wait_for_canvases(page, minimum=1)
    page.get_by_text(PAYLOAD).first.wait_for(timeout=30_000)
    body = page.evaluate(ALL_TEXT)
    screenshot(page, "region-admin")

    assert sorted(_hub_cells(page)) == sorted([region_db["first_name"], SECOND_NAME])
    assert "Yorkshire and The Humber" in body  # the region chosen, by name
    assert PAYLOAD in body and SECOND_NAME in body  # shown as text
    assert page.evaluate(INJECTED) == []
    assert dialogs == []
    context.close()


def test_hub_lead_sees_only_their_own_hub(region_server, region_db, browser):
    context, page, dialogs = _signed_in(browser, region_server, "lead@t")
    page.goto(region_server.url(""))
    page.get_by_role("link", name="Region").wait_for(timeout=60_000)
    # A region in the link changes nothing for a hub's own scope.
    _open_region(page, region_server, f"?region={REGION}")
    page.locator(".tabulator-cell[tabulator-field=hub_name]").first.wait_for(timeout=90_000)
    wait_for_canvases(page, minimum=1)
    body = page.evaluate(ALL_TEXT)
    screenshot(page, "region-hub-lead")

    assert _hub_cells(page) == [SECOND_NAME]
    assert region_db["first_name"] not in body
    assert "Your role sees your own hub's row only." in body
    assert dialogs == []
    context.close()


def test_careers_leader_is_refused(region_server, browser):
    context, page, _dialogs = _signed_in(browser, region_server, "cl@t")
    page.goto(region_server.url(""))
    page.get_by_text("Latest Compass assessment").wait_for(timeout=60_000)
    assert page.get_by_role("link", name="Region").count() == 0
    page.goto(region_server.url("overview"))
    page.wait_for_load_state("networkidle", timeout=90_000)
    page.get_by_text("Download briefing").first.wait_for(timeout=60_000)  # filters drawn
    assert page.get_by_role("link", name="Regional view: hubs side by side").count() == 0

    _open_region(page, region_server)
    page.get_by_text("not available to your role").wait_for(timeout=60_000)
    screenshot(page, "region-careers-leader")
    assert page.locator(".tabulator").count() == 0  # no table was ever built
    assert not [c for c in (wait_boxes(page)) if c["width"] > 0]  # nor a map
    context.close()


def test_no_server_error(region_server):
    # Runs last in this module: the pages above have been served.
    errors = _errors(region_server)
    assert not errors, errors
