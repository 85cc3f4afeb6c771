"""The employers page's words (hubcore.display.employers): the what-it-takes answer reads as
English at 0, 1 and many, names its source (the encounter log, not Compass), and the page's
tables and downloads show words, not codes. Summary rows are written by hand here, with the
sentence each should give worked out from the numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from hubcore import codes
from hubcore.display import employers as shown


def table(*, benchmark=5, measured=36, meeting=32, target=90.0, to_lift=1, needed=4.0,
          spare=476, radius=5.0, reachable=True, schools=()) -> pd.DataFrame:
    """A what-it-takes table as :func:`hubcore.display.what_it_takes` gives it: one summary
    row, then the schools to lift."""
    summary = {
        "level": "summary", "benchmark": benchmark, "academic_year": "2025/26",
        "schools_measured": measured, "meeting_now": meeting,
        "pct_meeting_now": round(100 * meeting / measured, 1) if measured else float("nan"),
        "target_pct": target, "schools_to_lift": to_lift, "target_reachable": reachable,
        "additional_needed": needed, "unit": "pupil-encounters" if benchmark == 5
        else "placements", "radius_km": radius, "spare_within_radius": spare,
        "supply_covers_need": spare >= needed,
    }
    rows = [summary, *({"level": "school", **s} for s in schools)]
    return pd.DataFrame(rows)


SOURCE = "(from the hub's encounter log, not the Compass self-assessments the overview shows)"


def test_one_school_to_lift_reads_in_the_singular():
    lines = shown.what_it_takes_sentences(table())
    assert lines == [
        f"BM5, 2025/26 {SOURCE}: 32 of 36 schools meet it today (88.9%).",
        "To reach 90%, 1 more school needs about 4 pupil-encounters.",
        "Employers within 5 km of it have 476 spare places, so local supply can cover it.",
    ]


def test_none_to_lift_says_the_target_is_met_not_zero_schools_need_zero():
    # 32 of 36 is 88.9 %: at 80 % the target is met, and no "0 more schools need about 0".
    lines = shown.what_it_takes_sentences(table(target=80.0, to_lift=0, needed=0.0, spare=0))
    assert lines[1] == "That already reaches the 80% target: no more schools need to meet it."
    assert len(lines) == 2
    assert not any("0 more" in line or "0 spare" in line for line in lines)


def test_many_schools_and_a_shortfall_of_supply():
    # 3 schools need 4 + 31 + 67 = 102; 95 spare within 1 km: 102 - 95 = 7 short.
    lines = shown.what_it_takes_sentences(table(target=95.0, to_lift=3, needed=102.0, spare=95,
                                                radius=1.0))
    assert lines[1:] == [
        "To reach 95%, 3 more schools need about 102 pupil-encounters between them.",
        "Employers within 1 km of them have 95 spare places, so local supply cannot "
        "cover it: about 7 pupil-encounters short.",
    ]


def test_one_of_each_agrees_in_number():
    # 1 of 1 school meets it; 1 placement needed, 1 spare place: all singular.
    lines = shown.what_it_takes_sentences(table(benchmark=6, measured=1, meeting=1,
                                                target=100.0, to_lift=0, needed=0.0))
    assert lines[0] == f"BM6, 2025/26 {SOURCE}: 1 of 1 school meets it today (100%)."
    lines = shown.what_it_takes_sentences(table(benchmark=6, measured=2, meeting=1,
                                                target=100.0, to_lift=1, needed=1.0, spare=1,
                                                radius=2.5))
    assert lines[0].endswith(": 1 of 2 schools meets it today (50%).")
    assert lines[1:] == ["To reach 100%, 1 more school needs about 1 placement.",
                         "Employers within 2.5 km of it have 1 spare place, so local "
                         "supply can cover it."]


def test_no_spare_places_and_zero_meeting():
    lines = shown.what_it_takes_sentences(table(benchmark=6, measured=32, meeting=0, target=10,
                                                to_lift=4, needed=87.0, spare=0))
    assert lines[0].endswith(": 0 of 32 schools meet it today (0%).")
    assert lines[2] == ("Employers within 5 km of them have no spare places, so local "
                        "supply cannot cover it.")


def test_nothing_measured_says_why():
    lines = shown.what_it_takes_sentences(table(measured=0, meeting=0, to_lift=0, needed=0.0))
    assert lines == ["BM5, 2025/26: no school can be measured from the hub's encounter log "
                     "(none has pupil numbers), so there is no target to work towards."]


@pytest.mark.parametrize("needed", [0.0, float("nan")])
def test_schools_to_lift_without_a_figure_needed(needed):
    lines = shown.what_it_takes_sentences(table(to_lift=2, needed=needed))
    assert lines[1].startswith("To reach 90%, 2 more schools need to meet it")
    assert "about 0" not in " ".join(lines)


def test_schools_table_titles_follow_the_unit_and_downloads_have_words():
    frame = table(benchmark=6, to_lift=1, needed=10.0, schools=[{
        "order": 1, "urn": 900030, "name": "Yarwell Learning Centre", "shortfall": 10.0,
        "cumulative_needed": 10.0, "nearest_supplier": "Pikeford Components LLP",
        "nearest_supplier_km": 0.3849}])
    schools = shown.what_it_takes_schools(frame)
    assert list(schools.columns) == list(shown.LIFT_COLUMNS)
    assert schools.attrs["display"]["titles"]["shortfall"] == "Shortfall (placements)"
    people = shown.for_people(schools)
    assert "Shortfall (placements)" in people.columns
    assert "nearest_supplier_km" not in people.columns
    assert people["Nearest employer (km)"].tolist() == [0.4]  # 0.3849 km to one decimal


def test_spare_offers_for_people_have_words_not_codes():
    offers = pd.DataFrame({"offer_id": [7], "employer_name": ["Brackby Dental Ltd"],
                           "kind": ["work_experience"], "benchmark": [6],
                           "academic_year": ["2025/26"], "capacity": [9], "taken_up": [7],
                           "spare": [2]})
    people = shown.for_people(shown.page_columns(offers, shown.SPARE_OFFER_COLUMNS))
    assert list(people.columns)[0] == "Employer"
    assert "offer_id" not in people.columns and "Offer" in people.columns
    assert people.loc[0, "Kind"] == "Work experience"


def test_link_roles_in_words():
    choices = shown.link_role_choices()
    assert list(choices.values()) == list(codes.LINK_ROLES)
    assert "Enterprise adviser" in choices and "Work experience partner" in choices
    assert not any("_" in words for words in choices)


# --- the page as a component: views built once, updated in place ---------------------------


def test_employers_page_updates_its_views_in_place(demo_engine):
    pytest.importorskip("panel")
    from dashboards.employers import EmployerSupply

    with demo_engine.connect() as conn:
        from sqlalchemy import text

        per_role = dict(conn.execute(text(
            "select l.role, count(*) from employer_link l join hub_membership m "
            "on m.urn = l.urn and m.hub_id = 'DEMO' and m.end_date is null "
            "group by l.role")).all())
    page = EmployerSupply(db_url=demo_engine.url.render_as_string(hide_password=False))
    assert EmployerSupply.url_params["roles"] == "links"  # the check boxes are in the URL
    body = list(page._body)
    link_map, spare, matches, takes = page._views
    figure = link_map._map.object
    lines = {role: len(s.data["easting_e"]) for role, s in link_map._links.items()}
    assert lines == {role: per_role.get(role, 0) for role in codes.LINK_ROLES}

    page.roles = ["governor"]
    assert {r: len(s.data["easting_e"]) for r, s in link_map._links.items()} == {
        role: (per_role["governor"] if role == "governor" else 0) for role in codes.LINK_ROLES}
    page.benchmark = 6
    assert "BM6, " in takes._text.object.replace("\\", "")  # Markdown-escaped; one pane
    assert takes._table.titles["shortfall"] == "Shortfall (placements)"
    # The schools table is made when it first has rows, then kept: back to BM5 and to BM6
    # again, the same table is refilled (its unit follows the benchmark).
    tabulator = takes._table
    page.benchmark = 5
    page.benchmark = 6
    assert takes._table is tabulator
    assert takes._table.titles["shortfall"] == "Shortfall (placements)"
    # Nothing laid out again: the same body, figure and table, refilled.
    assert list(page._body) == body
    assert link_map._map.object is figure
    assert len(spare._table.value) > 0 and "employer_name" in spare._table.value
    assert page.param.roles.serialize(page.roles) == "governor"
