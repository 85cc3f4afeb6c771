"""Stored script injection: text that comes from data is shown literally on every page.

A fresh database is filled through ``hubcore import`` (boundaries, gias, employers, links,
offers, encounters, leavers, destinations, handovers) with a corpus of injection payloads in
every free-text column; the synthetic careers records are laid over the imported schools and
the hub is given a payload name (hubs have no importer). The server then serves it and Chromium
opens every page: no dialog may open, no injected element (``<img src=x>``, ``<script>``,
``<svg onload>``, a ``javascript:`` link, an ``on…`` handler) may exist in the DOM or in any
shadow root, the payloads must be readable as plain text, the browser console must report no
Content-Security-Policy violation, and the server log must hold no error.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import insert

from hubcore import db
from hubcore.cli import main as hubcore_main
from hubcore.models import Hub, HubMembership, School
from tests.e2e.conftest import Server, screenshot, serve_signed_in, sign_in

pytestmark = pytest.mark.e2e

#: What an attacker (or a careless spreadsheet) might put in a name. Each would run script,
#: inject markup, or be interpreted (Markdown, templates, maths) if rendered unescaped.
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}} ${7*7}",
    "[x](javascript:alert(1))",
    "![x](x onerror=alert(1))",
    "<a href=javascript:alert(1)>link</a>",
    "<details open ontoggle=alert(1)>d",
    "**bold** _em_ `code` # hash",
    "$x^2$ & &amp; &lt;b&gt;",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
]
#: The hub's name (no importer writes hubs; the test writes it directly).
HUB_NAME = "<img src=x onerror=alert(2)> Hub"
LA_NAME = "<script>alert(3)</script> LA"
LA_GSS = "E08000035"
HUB_ID = "XSS"
#: A second hub, for shared links to a hub the signed-in user may not see.
OTHER_ID, OTHER_NAME, OTHER_URN, OTHER_SCHOOL = "ZZZ-OTHER", "Other Hub", 920001, "Other School"
PASSWORD = "xss test password"
URN0 = 910001
ORIGIN = (428000.0, 430000.0)  # BNG metres, inside England
CELL = 2000.0

#: Elements or attributes a payload would create if it were rendered as HTML (searched in the
#: document and every shadow root).
INJECTED = """() => {
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      const tag = el.tagName.toLowerCase();
      if (tag === 'img' && (el.getAttribute('src') || '') === 'x') found.push('img src=x');
      if (tag === 'script' && (el.textContent || '').includes('alert')) found.push('script');
      if (tag === 'iframe' || tag === 'details') found.push(tag);
      if (tag === 'svg' && el.hasAttribute('onload')) found.push('svg onload');
      for (const a of el.attributes) {
        if (/^on/i.test(a.name) && /alert/.test(a.value)) found.push(tag + ' ' + a.name);
        if (/href|src|action/i.test(a.name) && /^\\s*javascript:/i.test(a.value)) {
          found.push(tag + ' ' + a.name + '=' + a.value);
        }
      }
    }
  };
  walk(document);
  return found;
}"""
#: Text of the page, including Bokeh's shadow roots and the options of selects.
ALL_TEXT = """() => {
  // Every text node in the page and its shadow roots, except stylesheets' (inlined CSS holds
  // numbers of its own, e.g. a 49 in a colour).
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
    }
    const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = texts.nextNode(); n; n = texts.nextNode()) {
      if (!n.parentNode || n.parentNode.nodeName !== 'STYLE') out.push(n.nodeValue);
    }
  };
  walk(document);
  return out.join('\\n');
}"""


# --- the payload database ---------------------------------------------------------------------


def _cli(*args: str) -> None:
    assert hubcore_main(["import", *args, "--no-progress"]) == 0, args


def _squares(n: int) -> list:
    return [shapely.box(ORIGIN[0] + (i % 3) * CELL, ORIGIN[1] + (i // 3) * CELL,
                        ORIGIN[0] + (i % 3 + 1) * CELL, ORIGIN[1] + (i // 3 + 1) * CELL)
            for i in range(n)]


def build_payload_db(folder: Path) -> str:
    """A database whose every free-text column holds payloads, filled through the importers."""
    url = db.sqlite_url(folder / "xss.db")
    engine = db.get_engine(url)
    db.upgrade(engine)
    n = len(PAYLOADS)
    lsoa = [f"E0100{9000 + i}" for i in range(9)]
    gpd.GeoDataFrame(
        {"LAD21CD": [LA_GSS], "LAD21NM": [LA_NAME]},
        geometry=[shapely.box(ORIGIN[0], ORIGIN[1], ORIGIN[0] + 3 * CELL, ORIGIN[1] + 3 * CELL)],
        crs="EPSG:27700",
    ).to_file(folder / "lad.gpkg")
    _cli("boundaries", str(folder / "lad.gpkg"), "--db", url)
    gpd.GeoDataFrame(
        {"LSOA21CD": lsoa, "LSOA21NM": [PAYLOADS[i % n] for i in range(9)],
         "LAD21CD": [LA_GSS] * 9},
        geometry=_squares(9), crs="EPSG:27700",
    ).to_file(folder / "lsoa.gpkg")
    _cli("boundaries", str(folder / "lsoa.gpkg"), "--db", url)

    urns = [URN0 + i for i in range(n)]
    gias = pd.DataFrame({
        "URN": urns, "LA (code)": 383, "EstablishmentName": PAYLOADS,
        "TypeOfEstablishment (code)": 1, "PhaseOfEducation (code)": 4,
        "EstablishmentStatus (name)": "Open", "StatutoryLowAge": 11, "StatutoryHighAge": 16,
        "NumberOfPupils": [900 + 10 * i for i in range(n)], "PercentageFSM": 20.5,
        "Postcode": "LS1 4AP",
        "Easting": [ORIGIN[0] + 500 + (i % 3) * CELL + (i // 9) * 300 for i in range(n)],
        "Northing": [ORIGIN[1] + 500 + (i // 3 % 3) * CELL for i in range(n)],
        "DistrictAdministrative (code)": LA_GSS, "GSSLACode (name)": LA_GSS,
        "LSOA (code)": [lsoa[i % 9] for i in range(n)], "LastChangedDate": "01-06-2025",
    })
    gias.to_csv(folder / "gias.csv", index=False)
    _cli("gias", str(folder / "gias.csv"), "--db", url)

    # Hubs have no importer: the hub (with a payload name) and its members are written here.
    with engine.begin() as conn:
        conn.execute(insert(Hub.__table__).values(id=HUB_ID, name=HUB_NAME, host_gss=LA_GSS))
        conn.execute(insert(Hub.__table__).values(id=OTHER_ID, name=OTHER_NAME))
        conn.execute(insert(School.__table__).values(
            urn=OTHER_URN, name=OTHER_SCHOOL, la_code=383, type_code=1, phase_code=4,
            kind="mainstream_11_16", status="Open", la_gss=LA_GSS))
        conn.execute(insert(HubMembership.__table__), [
            {"hub_id": hub, "urn": u, "start_date": dt.date(2020, 9, 1)}
            for hub, u in [*((HUB_ID, u) for u in urns), (OTHER_ID, OTHER_URN)]])
    _write(folder / "compass.csv", pd.DataFrame([
        {"urn": u, "assessed_on": day, **{f"bm{b}": (37 * i + 11 * b + k * 9) % 101
                                          for b in range(1, 9)}}
        for i, u in enumerate(urns) for k, day in enumerate(("2025-03-31", "2026-03-31"))
    ]), url, "compass")

    refs = [f"R{i}{p}"[:40] for i, p in enumerate(PAYLOADS)]
    _write(folder / "employers.csv", {
        "ref": refs, "name": PAYLOADS, "sector": [p[:60] for p in reversed(PAYLOADS)],
        "size_band": "small",
        "easting": [ORIGIN[0] + 900 + (i % 3) * CELL for i in range(n)],
        "northing": [ORIGIN[1] + 1200 + (i // 3 % 3) * CELL for i in range(n)],
    }, url, "employers")
    _write(folder / "links.csv", {"employer_ref": refs, "urn": urns, "role": "enterprise_adviser",
                                  "start_date": "2024-09-01"}, url, "links")
    _write(folder / "offers.csv", {"employer_ref": refs, "academic_year": "2025/26",
                                   "kind": "workplace_visit", "benchmark": 6, "capacity": 40,
                                   "taken_up": 3, "year_from": 10, "year_to": 11}, url, "offers")
    _write(folder / "encounters.csv", {
        "urn": urns, "date": "2025-11-14", "kind": "talk", "benchmark": 5, "year_from": 10,
        "year_to": 11, "participants": [20 + 7 * i for i in range(n)], "employer_ref": refs,
        "provider_name": PAYLOADS,
    }, url, "encounters")
    # Pupil keys are free text too (16-64 characters): each payload with a number, padded.
    per_school = 7
    keys = [f"{p}#{j}".ljust(16, "k")[:64] for p in PAYLOADS for j in range(per_school)]
    left = dt.date(2025, 7, 18)
    leaver_urns = [u for u in urns for _ in range(per_school)]
    _write(folder / "leavers.csv", {"key": keys, "urn": leaver_urns, "cohort": 2025,
                                    "year_group": [11 + 2 * (j % 2) for j in range(len(keys))],
                                    "left_on": left.isoformat()}, url, "leavers")
    _write(folder / "destinations.csv", {
        "leaver_key": keys, "recorded_on": "2025-11-01",
        "nccis_code": [(230, 540, 320, 810)[j % 4] for j in range(len(keys))],
        "provider": [PAYLOADS[j % n] for j in range(len(keys))],
    }, url, "destinations")
    _write(folder / "handovers.csv", {
        "leaver_key": keys, "reason": "neet", "left_on": left.isoformat(), "to_org_type": "ncs",
        # Every third never referred: the overdue lists show their (payload) keys.
        "referred_on": ["" if j % 3 == 0 else (left + dt.timedelta(days=10 + 3 * j)).isoformat()
                        for j in range(len(keys))],
        "status": ["pending" if j % 3 == 0 else "referred" for j in range(len(keys))],
        "dsa_ref": [PAYLOADS[j % n][:40] for j in range(len(keys))],
    }, url, "handovers")
    engine.dispose()
    return url


def _write(path: Path, columns: dict | pd.DataFrame, url: str, kind: str) -> None:
    pd.DataFrame(columns).to_csv(path, index=False)
    _cli(kind, str(path), "--db", url)


@pytest.fixture(scope="module")
def payload_db(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("xss")
    return folder, build_payload_db(folder)


@pytest.fixture(scope="module")
def payload_server(payload_db):
    folder, url = payload_db
    server = Server(url, folder / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lead_server(payload_db):
    """The same database served with sign-in on, for a hub lead of the payload hub."""
    folder, url = payload_db
    server = serve_signed_in(url, folder, PASSWORD, [("lead@x", "hub_lead", {"hub_id": HUB_ID})],
                             log_name="lead.log")
    yield server
    server.stop()


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def watched(page):
    """The page with listeners recording dialogs (a script ran) and CSP reports."""
    seen = {"dialogs": [], "csp": [], "errors": [], "csp_header": []}

    def dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    def console(message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            seen["csp"].append(text)
        elif message.type == "error":
            seen["errors"].append(text)

    def response(resp):
        if resp.request.resource_type == "document":
            seen["csp_header"].append(resp.headers.get("content-security-policy"))

    page.on("dialog", dialog)
    page.on("console", console)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("response", response)
    return page, seen


def _open(page, url: str, wait_text: str) -> str:
    page.goto(url)
    page.get_by_text(wait_text).first.wait_for(timeout=60_000)
    page.wait_for_load_state("networkidle", timeout=60_000)
    page.wait_for_timeout(1500)  # late renders (tooltips' models, tables) and any onerror
    return page.evaluate(ALL_TEXT)


PAGES = {  # page → text that proves its data arrived
    "overview": "schools and colleges shown",
    "employers": "Offers not taken up",
    "transitions": "Where leavers went",
    "region": "Figures as of",  # written once the regional figures are in
}


@pytest.mark.parametrize("name", [*PAGES, "profile"])
def test_payloads_render_as_text(payload_server, watched, name):
    page, seen = watched
    if name == "profile":
        # The profile of each payload school (the bug: its name in a Markdown heading).
        for i in range(len(PAYLOADS)):
            text = _open(page, payload_server.url(f"profile?urn={URN0 + i}"),
                         "Benchmarks against the hub")
            assert PAYLOADS[i] in text, f"school name {PAYLOADS[i]!r} not shown literally"
            assert page.evaluate(INJECTED) == [], PAYLOADS[i]
    else:
        text = _open(page, payload_server.url(name), PAGES[name])
        assert page.evaluate(INJECTED) == []
        if name == "overview":
            assert HUB_NAME in text, "the hub's name is not shown literally"
        if name in ("overview", "employers"):
            shown = [p for p in PAYLOADS if p in text]
            assert shown == PAYLOADS, "some school or employer names are not shown literally"
        if name == "transitions":  # the overdue lists hold payload pupil keys
            assert "<img src=x onerror=alert(1)>#0" in text
    screenshot(page, f"xss-{name}")
    # {{7*7}} evaluated would show 49; "10–49 staff" (an employer's size band) is a label.
    assert "49" not in re.findall(r"(?<!–)\b49\b", text), "a template expression was evaluated"
    assert seen["dialogs"] == [], f"script ran: {seen['dialogs']}"
    assert seen["csp"] == [], f"CSP violations: {seen['csp']}"
    assert seen["errors"] == [], f"browser errors: {seen['errors']}"
    assert payload_server.errors() == []


def test_pages_are_served_under_a_content_security_policy(payload_server, watched):
    """The pages above work under the app's policy (no violation reported): it must be sent."""
    page, seen = watched
    _open(page, payload_server.url("overview"), PAGES["overview"])
    policy = seen["csp_header"][0] or ""
    directives = dict((d.strip() + " ").split(" ", 1) for d in policy.split(";") if d.strip())
    scripts = directives.get("script-src", directives.get("default-src", ""))
    # A policy that would stop an injected handler or script even if escaping failed.
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts


def test_profile_select_offers_payload_names_literally(payload_server, watched):
    """The school chooser lists the payload names as option text, not markup."""
    page, seen = watched
    _open(page, payload_server.url(f"profile?urn={URN0}"), "Benchmarks against the hub")
    options = page.evaluate("""() => {
      const out = [];
      const walk = (root) => { for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) walk(el.shadowRoot);
        if (el.tagName === 'OPTION') out.push(el.textContent); } };
      walk(document); return out; }""")
    for payload in PAYLOADS:
        assert payload in options
    assert HUB_NAME in options
    assert seen["dialogs"] == []


def _query(page, name: str) -> str | None:
    return page.evaluate(f"() => new URLSearchParams(location.search).get({name!r})")


def test_shared_link_to_another_hub_shows_own_hub_and_says_so(lead_server, watched):
    """A hub lead opening links made for another hub sees their own hub, named as such, a
    notice saying what was not shown, and the URL rewritten to what the page shows."""
    page, seen = watched
    sign_in(page, lead_server, "lead@x", PASSWORD)

    text = _open(page, lead_server.url(f"overview?hub={OTHER_ID}"), PAGES["overview"])
    assert f"You can't see hub {OTHER_ID}; showing {HUB_NAME}." in text
    assert OTHER_NAME not in text and "All hubs" not in text  # not in the chooser either
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('hub') == {HUB_ID!r}")

    text = _open(page, lead_server.url(f"profile?hub={OTHER_ID}&urn={OTHER_URN}"),
                 "Benchmarks against the hub")
    assert f"The link's urn={OTHER_URN} isn't available to you here; showing" in text
    assert OTHER_SCHOOL not in text
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('urn') != "
                           f"'{OTHER_URN}'")
    assert _query(page, "hub") == HUB_ID
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert lead_server.errors() == []
