"""The employers page in a real browser (Debian Chromium): every filter is in the URL and
survives a reload (the link-role check boxes were lost before), a link with values the page
cannot take falls back visibly, its tables sort on the server and download with words, the map
is drawn, people read words and not codes, and the server log stays clean."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import text

from tests.e2e.conftest import screenshot, wait_for_canvases

pytestmark = pytest.mark.e2e

#: Every text in the page, shadow roots included (Panel draws inside them).
ALL_TEXT = """() => {
  const parts = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { parts.push(el.shadowRoot.textContent); walk(el.shadowRoot); }
    }
  };
  parts.push(document.body.textContent); walk(document);
  return parts.join(' ');
}"""
#: Every Tabulator cell of one field, in row order, as shown.
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
#: Lengths of the data of every line (segment) renderer of the map, in legend order.
LINK_COUNTS = """() => Bokeh.documents.flatMap(d => Array.from(d.all_models))
  .filter(m => m.type == 'GlyphRenderer' && m.glyph.type == 'Segment')
  .map(m => m.data_source.data.easting_e.length)"""
#: The codes that used to show on this page (issue 17): none may be read by a person.
CODES = ("enterprise_adviser", "work_experience_partner", "offer_id", "nearest_supplier_km",
         "cornerstone,", "workplace_visit")


@pytest.fixture
def console_errors(page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def _wait_for_query(page, **wanted: str) -> None:
    page.wait_for_function(
        "(wanted) => { const q = new URLSearchParams(window.location.search);"
        " return Object.entries(wanted).every(([k, v]) => q.get(k) === v); }",
        arg=wanted, timeout=30_000)


def _load(page, url: str) -> None:
    page.goto(url)
    page.get_by_text("Offers not taken up").first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"BM[56], \d{4}/\d{2} \(from the hub's encounter log"))\
        .first.wait_for(timeout=60_000)
    wait_for_canvases(page)


def _ticked(page) -> dict[str, bool]:
    return {label: page.get_by_label(label).is_checked()
            for label in ("Enterprise adviser", "Cornerstone employer", "Governor",
                          "Work experience partner")}


def _links_by_role(demo_engine) -> dict[str, int]:
    """Links per role between DEMO employers and DEMO schools, counted in SQL."""
    with demo_engine.connect() as conn:
        rows = conn.execute(text(
            "select l.role, count(*) from employer_link l "
            "join hub_membership m on m.urn = l.urn and m.hub_id = 'DEMO' "
            "and m.end_date is null group by l.role")).all()
    return dict(rows)


def test_page_draws_in_words_with_its_source_and_a_clean_log(server, page, console_errors):
    page.set_viewport_size({"width": 1280, "height": 800})
    _load(page, server.url("employers"))
    sizes = wait_for_canvases(page)
    assert any(b["width"] > 300 and b["height"] > 300 for b in sizes)  # the map
    words = page.evaluate(ALL_TEXT)
    assert "from the hub's encounter log, not the Compass self-assessments" in words
    assert "Enterprise adviser" in words and "Work experience partner" in words
    for code in CODES:
        assert code not in words, code
    assert not re.search(r"\b[01] more schools\b|\b1 more schools\b|about 0 ", words)
    screenshot(page, "employers-1280")
    assert server.errors() == []
    assert console_errors == []


def test_link_checkboxes_and_every_filter_survive_a_reload(server, page, console_errors,
                                                           demo_engine):
    per_role = _links_by_role(demo_engine)
    assert per_role.get("governor", 0) > 0 and len(per_role) >= 3
    _load(page, server.url("employers"))
    _wait_for_query(page, hub="DEMO", bm="5", target="80.0", radius="5.0")
    page.wait_for_function(f"() => ({LINK_COUNTS})().reduce((a, b) => a + b, 0) > 0",
                           timeout=30_000)
    all_lines = sum(page.evaluate(LINK_COUNTS))

    page.get_by_label("Governor").uncheck()
    page.get_by_label("Cornerstone employer").uncheck()
    page.get_by_text("BM6", exact=True).click()
    _wait_for_query(page, links="enterprise_adviser,work_experience_partner", bm="6")
    page.get_by_text(re.compile(r"BM6, \d{4}/\d{2} \(from")).first.wait_for(timeout=30_000)
    # The map lost exactly the governor and cornerstone lines (counted in SQL).
    expected = all_lines - per_role.get("governor", 0) - per_role.get("cornerstone", 0)
    page.wait_for_function(f"() => ({LINK_COUNTS})().reduce((a, b) => a + b, 0) === "
                           f"{expected}", timeout=30_000)
    before = _ticked(page)
    assert before == {"Enterprise adviser": True, "Cornerstone employer": False,
                      "Governor": False, "Work experience partner": True}

    page.reload()
    _load(page, page.url)
    assert _ticked(page) == before
    assert _query(page)["links"] == "enterprise_adviser,work_experience_partner"
    page.get_by_text(re.compile(r"BM6, \d{4}/\d{2} \(from")).first.wait_for(timeout=30_000)
    page.wait_for_function(f"() => ({LINK_COUNTS})().reduce((a, b) => a + b, 0) === "
                           f"{expected}", timeout=30_000)

    # No link at all is a choice too, kept as ?links=none.
    page.get_by_label("Enterprise adviser").uncheck()
    page.get_by_label("Work experience partner").uncheck()
    _wait_for_query(page, links="none")
    page.reload()
    _load(page, page.url)
    assert not any(_ticked(page).values())
    assert server.errors() == []
    assert console_errors == []


def test_values_the_page_cannot_take_fall_back_visibly(server, page, console_errors):
    _load(page, server.url("employers") + "?bm=9&target=150&links=governor")
    # The page shows BM5 and its default target, and says why it did not use the link's.
    page.get_by_text("The link's bm=9 isn't available to you here").wait_for(timeout=30_000)
    page.get_by_text("The link's target=150").wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"BM5, \d{4}/\d{2} \(from")).first.wait_for(timeout=30_000)
    # The values it could take are kept: only the governor box is ticked.
    assert _ticked(page) == {"Enterprise adviser": False, "Cornerstone employer": False,
                             "Governor": True, "Work experience partner": False}
    _wait_for_query(page, bm="5", links="governor")
    screenshot(page, "employers-fallback")
    assert server.errors() == []
    assert console_errors == []


def test_spare_offers_sort_on_the_server_and_download_with_words(server, page, demo_engine,
                                                                 tmp_path):
    # Offers with places left, of the employers linked to or visiting DEMO's schools.
    members = "select urn from hub_membership where hub_id = 'DEMO' and end_date is null"
    with demo_engine.connect() as conn:
        capacities = sorted(conn.execute(text(
            "select o.capacity from employer_offer o where o.capacity > o.taken_up and "
            f"o.employer_id in (select employer_id from employer_link where urn in ({members}) "
            "union select employer_id from encounter where employer_id is not null and "
            f"urn in ({members}))")).scalars())
    assert len(set(capacities)) > 2 and len(capacities) > 10  # more than one page, in order
    _load(page, server.url("employers"))
    title = page.locator('.tabulator-col[tabulator-field="capacity"] .tabulator-col-title')
    assert title.text_content() == "Places offered"
    title.click()  # ascending, across every page (remote pagination sorts on the server)
    page.wait_for_function(f"() => ({CELLS})('capacity')[0] === '{capacities[0]:,}'",
                           timeout=30_000)
    shown = [int(t.replace(",", "")) for t in page.evaluate(CELLS, "capacity")]
    assert shown == capacities[:len(shown)] and len(shown) == 10
    title.click()  # descending
    page.wait_for_function(f"() => ({CELLS})('capacity')[0] === '{capacities[-1]:,}'",
                           timeout=30_000)
    shown = [int(t.replace(",", "")) for t in page.evaluate(CELLS, "capacity")]
    assert shown == capacities[::-1][:len(shown)]

    with page.expect_download(timeout=60_000) as download:
        page.get_by_text("Download CSV (every row)").first.click()
    target = tmp_path / "spare_offers.csv"
    download.value.save_as(target)
    body = target.read_text(encoding="utf-8-sig")
    assert body.splitlines()[0].startswith("Employer,Kind,Benchmark,Academic year")
    assert len(body.strip().splitlines()) == len(capacities) + 1  # every row, not one page
    assert "work_experience" not in body and "offer_id" not in body
    assert server.errors() == []
