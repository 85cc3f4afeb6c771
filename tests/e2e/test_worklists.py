"""The served worklists (issue #15 items 1 and 7) in Chromium, as people use them.

On a copy of the demo hub, signed in as each role:

- a careers leader refers one of their leavers to the NCS: the leaver chosen has a hand-over
  recorded but never referred, more than 30 days after leaving (so it is on the hub's overdue
  list), and no other hand-over that was referred, reached or closed;
- the NCS adviser of the school's LA records a contact attempt (reached) and the outcome
  (engaged) of that case;
- the hub lead's funnel then counts one more young person referred, one more contacted, one
  more with an outcome and one fewer overdue (worked out from the chosen leaver's hand-overs,
  not from the page), the case is gone from the overdue list, and the lead hands another
  overdue case to the NCS adviser;
- a careers leader's link naming another school and hub shows only their own school's leavers;
- a stale edit is refused: the same case open in two browser contexts, a contact recorded in
  one, then the other's edit is refused with the API's message and its table is read again;
- the careers leader's school is named ``<img src=x onerror=alert(1)> & Co``: shown as text
  in the tables and sentences, no dialog, no injected element;
- every table drawn has rows, and the server logs no error.
"""

from __future__ import annotations

import re
import shutil
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import text

from hubcore import db, store, worklists
from hubcore.access import Scope
from tests.conftest import TEST_SERVER_URL, _drop, _url
from tests.e2e.conftest import screenshot, serve_signed_in, sign_in
from tests.e2e.test_roles_pages import ALL_TEXT, _errors
from tests.e2e.test_xss_pages import INJECTED

pytestmark = pytest.mark.e2e

PASSWORD = "worklist test password"
PAYLOAD = "<img src=x onerror=alert(1)> & Co"
#: Reading a hub's worklists takes seconds on the demo: generous waits.
WAIT_MS = 120_000


def _admin(hub_id: str) -> Scope:
    return Scope.admin(hub_id=hub_id, user="test")


@pytest.fixture(scope="module")
def wl_db(demo_engine, tmp_path_factory):
    """A copy of the demo (a file copy under SQLite, a fresh demo under PostgreSQL) and the
    cases the tests act on, chosen through the API as an administrator."""
    folder = tmp_path_factory.mktemp("worklists-db")
    if demo_engine.url.get_backend_name() == "sqlite" and not TEST_SERVER_URL:
        url = db.sqlite_url(folder / "worklists.db")
        shutil.copyfile(demo_engine.url.database, folder / "worklists.db")
        engine = db.get_engine(url)
    else:
        from hubcore import demo

        url = _url(folder)
        engine = db.get_engine(url)
        db.upgrade(engine)
        demo.build(engine, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    with engine.begin() as conn:
        hub_id = conn.execute(text("SELECT id FROM hub ORDER BY id")).scalars().first()
        # The hub lead sees pupil rows only where the hub shares them.
        conn.execute(text("UPDATE hub SET pupil_data_sharing = true WHERE id = :h"),
                     {"h": hub_id})
    admin = _admin(hub_id)
    leavers = worklists.leavers_to_confirm(engine, admin)
    every = worklists.cases(engine, admin, open_only=False)
    schools = store.schools(engine, admin).set_index("urn")

    # The leaver to refer: an overdue NCS hand-over never referred, and no other hand-over
    # referred, reached or closed (so the funnel's deltas below are exactly one).
    by_key = every.groupby("leaver_key")
    chosen = None
    for row in leavers[leavers["open_case_to"].eq("ncs")].itertuples():
        mine = by_key.get_group(row.leaver_key)
        case = mine[mine["case_id"] == row.open_case_id]
        if len(case) != 1 or not bool(case["overdue"].iat[0]) \
                or case["status"].iat[0] != "pending":
            continue
        others = mine[mine["case_id"] != row.open_case_id]
        if others["referred_on"].notna().any() or others["contacted_on"].notna().any() \
                or others["status"].isin(["engaged", "lost", "closed"]).any() \
                or others["overdue"].any():
            continue
        if pd.isna(schools.loc[row.urn, "la_gss"]):
            continue
        chosen = row
        break
    assert chosen is not None, "the demo has no overdue, never-referred NCS hand-over"
    area = str(schools.loc[chosen.urn, "la_gss"])
    # Another overdue NCS case the hub lead can hand to the adviser (their area or none).
    overdue = every[every["overdue"] & every["to_org_type"].eq("ncs")
                    & every["leaver_key"].ne(chosen.leaver_key)
                    & (every["ncs_area"].isna() | every["ncs_area"].eq(area))]
    assert len(overdue), "no other overdue NCS case in the area"
    # An open, referred NCS case of the area for the stale-edit test (not the two above).
    referred = every[every["status"].eq("referred") & every["to_org_type"].eq("ncs")
                     & every["ncs_area"].eq(area)
                     & ~every["case_id"].isin([chosen.open_case_id,
                                               int(overdue["case_id"].iat[0])])]
    assert len(referred), "no open referred NCS case in the area"
    other = schools[(schools.index != chosen.urn)
                    & schools.index.isin(leavers["urn"])].index[0]
    # Data text is untrusted: the careers leader's school gets a payload name, which every
    # table and sentence must show as text.
    with engine.begin() as conn:
        conn.execute(text("UPDATE school SET name = :name WHERE urn = :urn"),
                     {"name": PAYLOAD, "urn": int(chosen.urn)})
    yield {
        "url": url, "hub_id": hub_id, "urn": int(chosen.urn), "area": area,
        "leaver_key": chosen.leaver_key, "case_id": int(chosen.open_case_id),
        "school": PAYLOAD,
        "reassign_case": int(overdue["case_id"].iat[0]),
        "stale_case": int(referred["case_id"].iat[0]),
        "stale_attempts": int(referred["attempts"].iat[0]),
        "other_urn": int(other), "other_school": str(schools.loc[other, "name"]),
    }
    engine.dispose()
    _drop(url)


@pytest.fixture(scope="module")
def wl_server(wl_db, tmp_path_factory):
    server = serve_signed_in(wl_db["url"], tmp_path_factory.mktemp("worklists-serve"), PASSWORD, [
        ("lead@t", "hub_lead", {"hub_id": wl_db["hub_id"]}),
        ("cl@t", "careers_leader", {"urn": wl_db["urn"]}),
        ("ncs@t", "ncs_adviser", {"ncs_area": wl_db["area"]})])
    yield server
    server.stop()


def _signed_in(browser, server, user: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, server, user, PASSWORD)
    return context, page, dialogs


def _open(page, server, query: str = "", tables: int = 1) -> None:
    """Open the worklists and wait until ``tables`` tables have drawn rows."""
    page.goto(server.url(f"worklists{query}"))
    assert "/login" not in page.url
    page.locator(".tabulator").nth(tables - 1).locator(".tabulator-row").first.wait_for(
        timeout=WAIT_MS)


def _table(page, index: int):
    return page.locator(".tabulator").nth(index)


def _cells(table, field: str) -> list[str]:
    return [t.strip() for t in
            table.locator(f".tabulator-row .tabulator-cell[tabulator-field={field}]")
            .all_inner_texts()]


def _filter(page, table, field: str, value: str) -> None:
    """Type ``value`` into the header filter of ``field`` and wait for the rows to follow (no
    row at all only once that has lasted ten seconds: the table empties while the server
    filters, which takes seconds on a busy machine)."""
    box = table.locator(f".tabulator-col[tabulator-field={field}] input")
    box.fill(value)
    box.press("Enter")
    empty_for = 0
    for _ in range(480):
        found = _cells(table, field)
        if found and all(value in cell for cell in found):
            return
        empty_for = empty_for + 1 if not found else 0
        if empty_for >= 40:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"filter {field}={value} not applied: {_cells(table, field)}")


def _wait_cells(page, table, field: str, expected: list[str]) -> None:
    """Wait until the cells of ``field`` are ``expected`` (the table is updated in place)."""
    for _ in range(120):
        if _cells(table, field) == expected:
            return
        page.wait_for_timeout(250)
    assert _cells(table, field) == expected


def _choose(page, table, field: str, value: str) -> None:
    """Choose the row whose ``field`` is ``value`` (filtered to it first)."""
    _filter(page, table, field, value)
    rows = table.locator(".tabulator-row")
    assert rows.count() >= 1, f"no row with {field}={value}"
    rows.first.click()
    page.get_by_text("Chosen:").first.wait_for(timeout=30_000)


def _message(page, pattern: str) -> str:
    """Wait for the confirmation or refusal matching ``pattern``; its text."""
    found = page.get_by_text(re.compile(pattern)).first
    found.wait_for(timeout=60_000)
    return found.inner_text()


def _funnel(page) -> dict[str, int]:
    """The hub lead's funnel as the page shows it: stage words → young people."""
    table = _table(page, 0)
    stages, people = _cells(table, "stage"), _cells(table, "people")
    assert stages and len(stages) == len(people), (stages, people)
    return {s: int(p.replace(",", "")) for s, p in zip(stages, people, strict=True)}


def test_hand_over_round_trip(wl_server, wl_db, browser):
    key, case = wl_db["leaver_key"], str(wl_db["case_id"])

    # The hub lead's view before: the funnel, and the case on the overdue list.
    lead, lead_page, lead_dialogs = _signed_in(browser, wl_server, "lead@t")
    lead_page.goto(wl_server.url(""))
    lead_page.get_by_role("link", name="Worklists").wait_for(timeout=WAIT_MS)
    lead_page.wait_for_load_state("networkidle")  # connected before leaving it
    _open(lead_page, wl_server, tables=3)
    before = _funnel(lead_page)
    _filter(lead_page, _table(lead_page, 1), "case_id", case)
    assert _cells(_table(lead_page, 1), "case_id") == [case]

    # The careers leader refers the leaver to the NCS (RONI band and reason shown).
    cl, cl_page, cl_dialogs = _signed_in(browser, wl_server, "cl@t")
    cl_page.goto(wl_server.url(""))
    cl_page.get_by_role("link", name="Worklists").wait_for(timeout=WAIT_MS)
    cl_page.wait_for_load_state("networkidle")  # connected before leaving it
    _open(cl_page, wl_server)
    leavers = _table(cl_page, 0)
    assert set(_cells(leavers, "school")) == {wl_db["school"]}
    _choose(cl_page, leavers, "leaver_key", key)
    chosen = cl_page.evaluate(ALL_TEXT)
    assert "RONI band" in chosen and f"{PAYLOAD}, left" in chosen  # the sentence, as text
    cl_page.get_by_role("combobox", name="Refer to").select_option(
        label="National Careers Service")
    cl_page.get_by_role("combobox", name="Reason for referral").select_option(label="Not known")
    cl_page.get_by_role("button", name="Refer", exact=True).click()
    said = _message(cl_page, r"Referred .* to the National Careers Service \(case \d+\)")
    assert f"(case {case})" in said  # the pending hand-over, referred in place
    # The leaver stays on the list (no destination confirmed yet), the case with the NCS. (A
    # pending hand-over referred in place leaves the row's words alone: the tables' in-place
    # update is checked by the adviser's attempts below.)
    _filter(cl_page, leavers, "leaver_key", key)
    _wait_cells(cl_page, leavers, "open_case_to", ["National Careers Service"])
    screenshot(cl_page, "worklists-careers-leader")
    stored = worklists.cases(db.get_engine(wl_db["url"]), _admin(wl_db["hub_id"]))
    stored = stored[stored["case_id"] == wl_db["case_id"]].iloc[0]
    assert stored["status"] == "referred" and stored["reason"] == "not_known"

    # The NCS adviser of the school's LA records a contact attempt, then the outcome.
    ncs, ncs_page, ncs_dialogs = _signed_in(browser, wl_server, "ncs@t")
    _open(ncs_page, wl_server)
    cases = _table(ncs_page, 0)
    _choose(ncs_page, cases, "case_id", case)
    ncs_page.get_by_role("combobox", name="Reached the young person?").select_option(
        label="Reached")
    ncs_page.get_by_role("button", name="Record contact attempt").click()
    _message(ncs_page, rf"Contact attempt recorded for case {case} \(reached\)")
    _choose(ncs_page, cases, "case_id", case)
    _wait_cells(ncs_page, cases, "attempts", ["1"])
    ncs_page.get_by_role("combobox", name="Outcome", exact=True).select_option(label="Engaged")
    ncs_page.get_by_role("button", name="Record outcome").click()
    _message(ncs_page, rf"Outcome recorded for case {case}: Engaged")
    screenshot(ncs_page, "worklists-ncs-adviser")
    # An engaged case is closed: no longer on the open list.
    _filter(ncs_page, cases, "case_id", case)
    assert _cells(cases, "case_id") == []

    # The hub lead's funnel and overdue list follow.
    _open(lead_page, wl_server, tables=3)
    after = _funnel(lead_page)
    expected = dict(before)
    expected["Referred"] += 1
    expected["Contacted"] += 1
    expected["Outcome recorded"] += 1
    expected["Overdue"] -= 1
    assert {k: after[k] for k in expected if k != "Leavers needing a hand-over"} == \
        {k: v for k, v in expected.items() if k != "Leavers needing a hand-over"}
    overdue = _table(lead_page, 1)
    _filter(lead_page, overdue, "case_id", case)
    assert _cells(overdue, "case_id") == []

    # … and hands another overdue case to the NCS adviser.
    other = str(wl_db["reassign_case"])
    _choose(lead_page, overdue, "case_id", other)
    lead_page.get_by_role("combobox", name="Hand the case to").select_option(label="ncs@t")
    lead_page.get_by_role("button", name="Reassign").click()
    _message(lead_page, rf"Case {other} handed to ncs@t")
    _filter(lead_page, overdue, "case_id", other)
    _wait_cells(lead_page, overdue, "held_by", ["ncs@t"])
    screenshot(lead_page, "worklists-hub-lead")

    for page in (lead_page, cl_page, ncs_page):
        assert page.evaluate(INJECTED) == []
    assert lead_dialogs == cl_dialogs == ncs_dialogs == []
    for context in (lead, cl, ncs):
        context.close()


def test_careers_leader_cannot_open_another_schools_list(wl_server, wl_db, browser):
    context, page, _dialogs = _signed_in(browser, wl_server, "cl@t")
    _open(page, wl_server, f"?urn={wl_db['other_urn']}&hub=NOPE")
    page.wait_for_load_state("networkidle", timeout=WAIT_MS)
    schools = set(_cells(_table(page, 0), "school"))
    body = page.evaluate(ALL_TEXT)
    assert schools == {wl_db["school"]}
    assert wl_db["other_school"] not in body
    # Only the leavers list: no hub-wide or area lists for a careers leader.
    assert page.locator(".tabulator").count() == 1
    assert "Overdue cases" not in body
    context.close()


def test_stale_edit_is_refused(wl_server, wl_db, browser):
    case = str(wl_db["stale_case"])
    first, first_page, _ = _signed_in(browser, wl_server, "ncs@t")
    second, second_page, _ = _signed_in(browser, wl_server, "ncs@t")
    for page in (first_page, second_page):
        _open(page, wl_server)
        _choose(page, _table(page, 0), "case_id", case)
    version = int(_cells(_table(second_page, 0), "version")[0])

    first_page.get_by_role("combobox", name="Reached the young person?").select_option(
        label="Not reached")
    first_page.get_by_role("button", name="Record contact attempt").click()
    _message(first_page, rf"Contact attempt recorded for case {case} \(not reached\)")

    second_page.get_by_role("button", name="Record contact attempt").click()
    refused = _message(second_page, r"Not saved\. This case was changed")
    assert "changed by ncs@t" in refused
    assert f"version {version} → {version + 1}" in refused
    # The refusing page read its table again: the case now shows the stored version.
    _filter(second_page, _table(second_page, 0), "case_id", case)
    _wait_cells(second_page, _table(second_page, 0), "version", [str(version + 1)])
    # One of the two edits was saved: one more attempt than the case had.
    stored = worklists.cases(db.get_engine(wl_db["url"]), _admin(wl_db["hub_id"]))
    attempts = int(stored.loc[stored["case_id"] == int(case), "attempts"].iat[0])
    assert attempts == wl_db["stale_attempts"] + 1
    screenshot(second_page, "worklists-stale-edit")
    first.close()
    second.close()


#: Bokeh's report of a page's websocket closed before its session was attached (a page left
#: while it was still connecting: ``connection.session`` asserts on close): noise of the
#: browser navigating, not an error of a page.
_UNATTACHED = re.compile(
    r"Uncaught exception GET /ws \(127\.0\.0\.1\)\n(?:(?!Uncaught exception).)*?"
    r"bokeh/server/connection\.py\", line \d+, in session\n"
    r"\s*assert self\._session is not None\n[\s^]*\nAssertionError\n", re.S)


def test_no_server_error(wl_server):
    # Runs last in this module: the pages above have been served.
    log = _UNATTACHED.sub("", wl_server.log.read_text())
    errors = _errors(SimpleNamespace(log=SimpleNamespace(read_text=lambda: log)))
    assert not errors, errors
