"""The school profile and the transitions page in a real browser (Debian Chromium): views are
built once and updated in place (switching school keeps the same canvases and gives them the
new school's data, with nothing of the previous one left), every filter is in the URL and a
reload restores the view, a link to a school the user cannot see falls back visibly, and the
server log stays clean. Expected values come from the database, not from the page's code."""

from __future__ import annotations

import pandas as pd
import pytest

from hubcore import store
from hubcore.access import Scope
from tests.e2e.conftest import screenshot, wait_for_canvases

pytestmark = pytest.mark.e2e

#: Each Bokeh figure's view in the page: [model id, whether its first canvas (the one it draws
#: on) carries our mark, whether the view is still in the page, its width and height in px].
#: Bokeh draws inside shadow roots; a figure rebuilt by the server would get a new view and
#: new canvases, which carry no mark.
FIGURES = """() => { const views = []; const seen = new Set();
  const walk = v => { if (!v || seen.has(v)) return; seen.add(v); views.push(v);
    for (const k of ['child_views', 'renderer_views']) { const c = v[k];
      if (c) for (const w of (c.values ? c.values() : c)) walk(w); } };
  Object.values(Bokeh.index).forEach(walk);
  return views.filter(v => v.model && v.model.type == 'Figure').map(v => {
    const canvases = []; const w = r => { for (const el of r.querySelectorAll('*')) {
      if (el.shadowRoot) w(el.shadowRoot); if (el.tagName == 'CANVAS') canvases.push(el); } };
    w(v.el.shadowRoot || v.el);
    const box = v.el.getBoundingClientRect();
    return [v.model.id, canvases.length > 0 && canvases[0].dataset.ptMark == '1',
            v.el.isConnected, box.width, box.height]; }); }"""
#: Mark the first canvas of every figure.
MARK = """() => { const out = []; const w = r => { for (const el of r.querySelectorAll('*')) {
    if (el.shadowRoot) w(el.shadowRoot); if (el.tagName == 'CANVAS') el.dataset.ptMark = '1';
  } }; w(document); }"""


def _figures(page) -> dict[str, tuple]:
    return {f[0]: tuple(f[1:]) for f in page.evaluate(FIGURES)}


def _assert_same_figures(before: dict, after: dict) -> None:
    """The same figure views, each still drawing on the canvas it drew on first."""
    assert set(after) == set(before)
    for model_id, (marked, connected, _, _) in after.items():
        assert connected and marked, f"figure {model_id} was drawn again from scratch"


#: The named data sources of the page's Bokeh documents: name → {id, rows, columns' values}.
SOURCES = """(prefix) => { const out = {};
  for (const d of Bokeh.documents) for (const m of d.all_models) {
    if (m.type != 'ColumnDataSource' || !m.name || !m.name.startsWith(prefix)) continue;
    const data = m.data; const isMap = data instanceof Map;
    const keys = isMap ? [...data.keys()] : Object.keys(data);
    const get = k => isMap ? data.get(k) : data[k];
    const cols = {}; for (const k of keys) cols[k] = Array.from(get(k), v => String(v));
    out[m.name] = {id: m.id, rows: keys.length ? get(keys[0]).length : 0, cols}; }
  return out; }"""
SELECTED = "e => e.options[e.selectedIndex].text"
#: How far the page is wider than the window, px (a table or legend cut off at the right).
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def console_errors(page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.fixture(scope="module")
def two_schools(demo_engine):
    """The chooser's first school (the page's default) and another with a different number of
    assessments, with each one's assessment count: a stray point would show in the count."""
    schools = store.schools(demo_engine, Scope.admin()).sort_values("name")
    counts = store.assessments(demo_engine, Scope.admin()).groupby("urn").size()
    first = schools.iloc[0]
    other = next(s for s in schools.iloc[1:].itertuples()
                 if counts.get(s.urn, 0) not in (0, counts.get(first["urn"], 0)))
    return ({"urn": int(first["urn"]), "name": first["name"],
             "assessments": int(counts.get(first["urn"], 0))},
            {"urn": int(other.urn), "name": other.name,
             "assessments": int(counts.get(other.urn, 0))})


def _sources(page, prefix: str) -> dict:
    return page.evaluate(SOURCES, prefix)


def _trend_points(page) -> int:
    """Assessments drawn in the trend (a bar each)."""
    return _sources(page, "trend").get("trend", {"rows": 0})["rows"]


def _wait_heading(page, name: str) -> None:
    page.get_by_role("heading", name=name, exact=True).wait_for(timeout=30_000)


def test_switching_school_updates_the_same_charts_in_place(server, page, console_errors,
                                                           two_schools):
    first, other = two_schools
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server.url("profile"))
    _wait_heading(page, first["name"])
    wait_for_canvases(page, minimum=4)
    page.wait_for_timeout(500)
    before = _sources(page, "")
    assert _trend_points(page) == first["assessments"]
    page.evaluate(MARK)
    figures = _figures(page)
    # Benchmarks, trend, encounters and the destinations tab on show (the other year group's
    # chart is built only when its tab is chosen: pn.Tabs(dynamic=True)).
    assert len(figures) == 4
    assert sum(1 for *_, w, h in figures.values() if w > 150 and h > 150) >= 4

    page.get_by_role("combobox", name="School or college").select_option(label=other["name"])
    _wait_heading(page, other["name"])
    page.wait_for_function(f"() => ({SOURCES})('trend')['trend']?.rows == "
                           f"{other['assessments']}", timeout=15_000)
    page.wait_for_timeout(500)
    after = _sources(page, "")
    # The same data sources (same ids), holding the new school's data ...
    assert {k: v["id"] for k, v in after.items()} == {k: v["id"] for k, v in before.items()}
    assert after["benchmarks"]["cols"]["y"] != before["benchmarks"]["cols"]["y"] or \
        after["trend"]["cols"] != before["trend"]["cols"]
    # ... and nothing of the previous one: exactly the new school's assessments are drawn.
    assert _trend_points(page) == other["assessments"]
    assert after["benchmarks"]["rows"] == 16  # 8 benchmarks × (school, hub)
    # The figures are the ones drawn first (updated, not replaced).
    _assert_same_figures(figures, _figures(page))
    # Nothing sticks out at 1,280 px: wide tables scroll inside themselves, legends fit.
    assert page.evaluate(OVERFLOW) == 0
    screenshot(page, "profile-switched")
    assert server.errors() == []
    assert console_errors == []


def test_profile_destination_tabs_are_filled_when_first_chosen(server, page, console_errors,
                                                               demo_engine, two_schools):
    """The destinations tabs not on show are made only when chosen: each then shows its
    year group's chart (or why there is none) and the table its rows."""
    first, _ = two_schools
    leavers = store.leavers(demo_engine, Scope.admin("DEMO"))
    years = set(leavers.loc[leavers["urn"] == first["urn"], "year_group"].astype(int))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server.url("profile"))
    _wait_heading(page, first["name"])
    wait_for_canvases(page, minimum=4)
    assert len(_figures(page)) == 4
    for yg in (11, 13):
        page.locator(".bk-tab", has_text=f"Year {yg}").click()
        if yg in years:
            page.wait_for_function(f"() => ({SOURCES})('destinations-{yg}')"
                                   f"['destinations-{yg}']?.rows > 0", timeout=15_000)
        else:
            page.get_by_text(f"No Year {yg} leavers recorded.").wait_for(timeout=15_000)
    page.locator(".bk-tab", has_text="Table").click()
    page.locator(".tabulator-row").first.wait_for(timeout=15_000)
    # Every chart in the page (the ones made on demand included) is drawn at a real size.
    shown = [(w, h) for _, connected, w, h in _figures(page).values() if connected and w]
    assert len(shown) >= 3 and all(w > 150 and h > 150 for w, h in shown)
    assert server.errors() == []
    assert console_errors == []


#: Each Tabulator row on show: {field: cell text}, for the table with a column ``field``.
def _table_rows(page, field: str) -> list[dict[str, str]]:
    table = page.locator(".tabulator").filter(has=page.locator(f'[tabulator-field="{field}"]'))
    rows = []
    for row in table.locator(".tabulator-row").all():
        cells = row.locator(".tabulator-cell")
        rows.append({c.get_attribute("tabulator-field"): c.inner_text().strip()
                     for c in cells.all()})
    return rows


def test_profile_tables_are_made_when_asked_for(server, page, console_errors, demo_engine,
                                                two_schools, tmp_path):
    """The employer-links and funnel tables are not in a new page: "Show table" makes each,
    holding the school's rows as the database has them, with a download of every row."""
    first, _ = two_schools
    scope = Scope.admin("DEMO")
    # The school's employer links, by hand from the stored links and employers.
    links = store.employer_links(demo_engine, scope)
    links = links[links["urn"] == first["urn"]]
    employers = store.employers(demo_engine, scope).set_index("id")["name"]
    expected_employers = sorted(employers.loc[links["employer_id"]].astype(str))
    # Its hand-overs per cohort, year group and service, from the pupil rows; and its
    # leavers' cohorts and year groups (a funnel row each, per service, hand-overs or none).
    rows = store.handovers(demo_engine, scope)
    rows = rows[rows["from_urn"] == first["urn"]]
    counted = rows.groupby(["cohort", "year_group", "to_org_type"]).size().to_dict()
    leavers = store.leavers(demo_engine, scope)
    groups = set(leavers.loc[leavers["urn"] == first["urn"], ["cohort", "year_group"]]
                 .itertuples(index=False, name=None))
    services = {"National Careers Service": "ncs", "LA tracking": "la_tracking"}

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server.url("profile"))
    _wait_heading(page, first["name"])
    wait_for_canvases(page, minimum=4)
    shows = page.get_by_role("button", name="Show table")
    assert shows.count() == 2 and page.locator(".tabulator").count() == 0

    shows.first.click()  # the employer links
    page.locator('.tabulator-row [tabulator-field="employer"]').first.wait_for(timeout=15_000)
    page.get_by_role("button", name=f"Hide table ({len(expected_employers)} rows)").wait_for()
    shown = _table_rows(page, "employer")
    assert 0 < len(expected_employers) <= 10  # the demo school's links: one page of ten
    assert sorted(r["employer"] for r in shown) == expected_employers
    # The download holds every row, with human titles.
    with page.expect_download() as got:
        page.get_by_role("button", name="Download CSV (every row)").first.click()
    saved = tmp_path / "links.csv"
    got.value.save_as(saved)
    assert got.value.suggested_filename == f"employer-links-{first['urn']}.csv"
    download = pd.read_csv(saved)
    assert sorted(download["Employer"].astype(str)) == expected_employers

    page.get_by_role("button", name="Show table").click()  # now only the funnel's
    page.locator('.tabulator-row [tabulator-field="handovers"]').first.wait_for(timeout=15_000)
    funnel = _table_rows(page, "handovers")
    assert len(funnel) == min(2 * len(groups), 10)
    exact = 0
    for row in funnel:
        key = (int(row["cohort"]), int(row["year_group"]), services[row["handed_to"]])
        assert key[:2] in groups
        count = counted.get(key, 0)
        if 0 < count < 6:
            assert row["handovers"] == "c", (key, row)
        elif row["handovers"] != "c":  # a count of 6 or more may be hidden with another
            assert row["handovers"] == f"{count:,}", (key, row)
            exact += 1
    assert exact > 0
    # The charts still drawn at a real size beside the tables.
    shown = [(w, h) for _, connected, w, h in _figures(page).values() if connected and w]
    assert len(shown) >= 4 and all(w > 150 and h > 150 for w, h in shown)
    screenshot(page, "profile-tables-shown")
    assert server.errors() == []
    assert console_errors == []


def test_profile_url_round_trip_after_reload(server, page, two_schools):
    _, other = two_schools
    page.goto(server.url("profile"))
    wait_for_canvases(page, minimum=4)
    page.get_by_role("combobox", name="School or college").select_option(label=other["name"])
    page.wait_for_function(f"() => window.location.search.includes('urn={other['urn']}')",
                           timeout=15_000)
    page.reload()
    _wait_heading(page, other["name"])
    wait_for_canvases(page, minimum=4)
    chooser = page.get_by_role("combobox", name="School or college")
    assert chooser.evaluate(SELECTED) == other["name"]
    assert _trend_points(page) == other["assessments"]
    assert server.errors() == []


def test_unknown_school_in_link_falls_back_visibly(server, page, two_schools):
    first, _ = two_schools
    page.goto(server.url("profile") + "?urn=123")
    _wait_heading(page, first["name"])
    wait_for_canvases(page, minimum=4)
    # A notice says which value was not used and what is shown instead ...
    page.get_by_text("urn=123 isn't available to you here").wait_for(timeout=15_000)
    page.get_by_text(f"showing {first['name']}").first.wait_for()
    # ... the chooser shows what the page shows, and so does the URL.
    assert page.get_by_role("combobox", name="School or college").evaluate(SELECTED) \
        == first["name"]
    page.wait_for_function(f"() => window.location.search.includes('urn={first['urn']}')",
                           timeout=15_000)
    screenshot(page, "profile-unknown-urn")
    assert server.errors() == []


def _cohorts(demo_engine) -> list[int]:
    from hubcore import display

    return display.cohorts(demo_engine, Scope.admin())


def test_transitions_filters_in_url_survive_reload_and_update_in_place(server, page,
                                                                      demo_engine):
    cohorts = _cohorts(demo_engine)
    assert len(cohorts) >= 2
    latest, earlier = cohorts[-1], cohorts[-2]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server.url("transitions"))
    page.get_by_text(f"Leavers of summer {latest}").wait_for(timeout=30_000)
    wait_for_canvases(page, minimum=5)
    page.wait_for_timeout(500)
    before = _sources(page, "")
    page.evaluate(MARK)
    figures = _figures(page)
    # Funnel, referral lag and NEET (each with both year groups side by side) and the flow
    # map, every one drawn at a real size.
    assert len(figures) == 4
    assert all(w > 150 and h > 150 for *_, w, h in figures.values()), figures
    assert set(before) >= {"funnel", "lag", "neet", "flows-11", "flows-13", "flow-schools"}
    _assert_suppressed_as_stored(before, demo_engine, latest)

    page.get_by_role("combobox", name="Cohort (summer of leaving)").select_option(str(earlier))
    page.get_by_text(f"Leavers of summer {earlier}").wait_for(timeout=30_000)
    page.wait_for_function(f"() => window.location.search.includes('cohort={earlier}')")
    page.wait_for_timeout(500)
    after = _sources(page, "")
    assert {k: v["id"] for k, v in after.items()} == {k: v["id"] for k, v in before.items()}
    assert after["funnel"]["cols"] != before["funnel"]["cols"]
    _assert_same_figures(figures, _figures(page))
    _assert_suppressed_as_stored(after, demo_engine, earlier)

    # The empty LA comparator says why it is empty, in the chart and below it.
    neet = dict(zip(after["neet"]["cols"]["label"], after["neet"]["cols"]["text"],
                    strict=True))
    assert neet["Year 13: LA (published)"] == "no figure"
    page.get_by_text("LAs publish NEET rates for ages 16–17 only").first.wait_for()

    # Every filter in the URL: a shared link restores cohort and threshold after a reload.
    page.goto(server.url("transitions") + f"?cohort={earlier}&overdue=60")
    page.get_by_text(f"Leavers of summer {earlier}").wait_for(timeout=30_000)
    page.reload()
    page.get_by_text(f"Leavers of summer {earlier}").wait_for(timeout=30_000)
    page.get_by_text("no referral 60+ days after leaving").first.wait_for(timeout=15_000)
    assert page.get_by_role("combobox", name="Cohort (summer of leaving)").evaluate(
        SELECTED) == str(earlier)
    sizes = wait_for_canvases(page, minimum=5)
    assert all(b["width"] > 0 and b["height"] > 0 for b in sizes if b["width"] > 150)
    assert page.evaluate(OVERFLOW) == 0
    screenshot(page, "transitions-earlier-cohort")
    assert server.errors() == []


def _assert_suppressed_as_stored(sources: dict, demo_engine, cohort: int) -> None:
    """The funnel's bars say, per year group, step and service, what the stored hand-overs
    give: every bar is there, a count under 6 reads "c" and draws nothing (no bar height),
    and no count is shown that the database does not have."""
    from hubcore import store

    rows = store.handovers(demo_engine, Scope.admin("DEMO"))
    rows = rows[(rows["cohort"] == cohort) & rows["year_group"].isin([11, 13])]
    funnel = sources["funnel"]["cols"]
    shown = {f: (t, y) for f, t, y in zip(funnel["factor"], funnel["text"], funnel["y"],
                                          strict=True)}
    # Hand-overs per year group and service, counted here by hand from the pupil rows.
    names = {"ncs": "National Careers Service", "la_tracking": "LA tracking"}
    for (yg, to), group in rows.groupby(["year_group", "to_org_type"]):
        if to not in names:
            continue
        text, height = shown[f"Y{yg} Hand-overs,{names[to]}"]
        if len(group) < 6:
            assert (text, height) == ("c", "NaN")
        else:
            assert text == str(len(group)) and float(height) == len(group)
        # Referred: hidden when it is under 6, and also when the hand-overs not referred are
        # (hand-overs − referred would give them away), however many were referred.
        referred = int(group["referred_on"].notna().sum())
        if 0 < referred < 6 or 0 < len(group) - referred < 6:
            assert shown[f"Y{yg} Referred,{names[to]}"] == ("c", "NaN")
    # Wherever a bar reads "c", nothing is drawn.
    assert all(y == "NaN" for t, y in shown.values() if t == "c")


def test_unknown_cohort_in_link_falls_back_visibly(server, page, demo_engine):
    latest = _cohorts(demo_engine)[-1]
    page.goto(server.url("transitions") + "?cohort=1999")
    page.get_by_text(f"Leavers of summer {latest}").wait_for(timeout=30_000)
    page.get_by_text("cohort=1999 isn't available to you here").wait_for(timeout=15_000)
    assert page.get_by_role("combobox", name="Cohort (summer of leaving)").evaluate(
        SELECTED) == str(latest)
    assert server.errors() == []


def test_flow_map_draws_only_the_hubs_published_flows(server, page, demo_engine):
    page.goto(server.url("transitions"))
    wait_for_canvases(page, minimum=5)
    page.wait_for_timeout(500)
    flows = _sources(page, "flow")
    schools = pd.DataFrame(store.schools(demo_engine, Scope.admin()))
    assert flows["flow-schools"]["rows"] == int(schools["easting"].notna().sum())
    # No flow of fewer than 6 young people is drawn.
    for yg in (11, 13):
        assert all(float(v) >= 6 for v in flows[f"flows-{yg}"]["cols"]["leavers"])
    assert server.errors() == []
