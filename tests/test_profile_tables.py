"""The school profile's employer-links and funnel tables (issue #18 item 2), without a
browser: a new page builds neither; "Show table" makes each with the school's rows, a school
change refills the same table in place, and the downloads hold every row of the school shown.
Expected rows are worked out here from the stored links, employers and hand-overs."""

from __future__ import annotations

import csv
import io

import pytest

pn = pytest.importorskip("panel")

from dashboards.profile import Funnel, Links, SchoolProfile  # noqa: E402
from hubcore import store  # noqa: E402
from hubcore.access import Scope  # noqa: E402

SERVICES = {"National Careers Service": "ncs", "LA tracking": "la_tracking"}


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _employers(engine, urn: int) -> list[str]:
    """The school's linked employers' names, from the stored links and employers."""
    scope = Scope.admin("DEMO")
    links = store.employer_links(engine, scope)
    names = store.employers(engine, scope).set_index("id")["name"]
    return sorted(str(names[e]) for e in links.loc[links["urn"] == urn, "employer_id"])


def _view(view: SchoolProfile, kind: type):
    return next(v for v in view._views if isinstance(v, kind))


def _csv(button) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(button.callback().getvalue().decode("utf-8-sig"))))


def test_a_new_profile_builds_no_table(demo_engine):
    view = SchoolProfile(db_url=_url(demo_engine))
    assert list(view._body.select(pn.widgets.Tabulator)) == []
    links = _view(view, Links)
    assert links.table is None and links.files is None
    rows = len(_employers(demo_engine, view.urn))
    assert links.toggle.label == f"Show table ({rows} rows)" and not links.holder.visible


def test_show_table_gives_the_schools_links_and_a_school_change_refills_it(demo_engine):
    view = SchoolProfile(db_url=_url(demo_engine))
    first, second = [u for u in view.param.urn.objects
                     if _employers(demo_engine, u)][:2]
    view.urn = first
    links = _view(view, Links)
    links.toggle.value = True
    table = links.table
    assert links.holder.visible and table is not None
    assert sorted(table.value["employer"]) == _employers(demo_engine, first)
    assert links.toggle.label == f"Hide table ({len(_employers(demo_engine, first))} rows)"
    # Only the links table was made: the funnel's waits for its own button.
    assert _view(view, Funnel).table is None

    view.urn = second
    assert links.table is table  # the same table, refilled
    assert sorted(table.value["employer"]) == _employers(demo_engine, second)
    # The downloads hold every row of the school now shown, under its URN.
    csv_button, xlsx_button = links.files
    assert csv_button.filename == f"employer-links-{second}.csv"
    assert xlsx_button.filename == f"employer-links-{second}.xlsx"
    assert sorted(r["Employer"] for r in _csv(csv_button)) == _employers(demo_engine, second)

    links.toggle.value = False  # hidden again, not dropped
    assert not links.holder.visible and links.table is table
    links.toggle.value = True
    assert links.holder.visible and links.table is table


def test_the_funnel_table_counts_the_stored_handovers(demo_engine):
    view = SchoolProfile(db_url=_url(demo_engine))
    rows = store.handovers(demo_engine, Scope.admin("DEMO"))
    urn = int(rows["from_urn"].value_counts().index[0])  # the school with most hand-overs
    view.urn = urn
    funnel = _view(view, Funnel)
    funnel.toggle.value = True
    shown = funnel.table.value
    mine = rows[rows["from_urn"] == urn]
    leavers = store.leavers(demo_engine, Scope.admin("DEMO"))
    groups = set(leavers.loc[leavers["urn"] == urn, ["cohort", "year_group"]]
                 .itertuples(index=False, name=None))
    # A row per cohort, year group and service the school has leavers in.
    assert len(shown) == 2 * len(groups)
    exact = 0
    for row in shown.itertuples():
        key = (int(row.cohort), int(row.year_group), SERVICES[row.handed_to])
        assert key[:2] in groups
        count = int(((mine["cohort"] == key[0]) & (mine["year_group"] == key[1])
                     & (mine["to_org_type"] == key[2])).to_numpy().nonzero()[0].shape[0])
        if 0 < count < 6:
            assert row.handovers == "c", key
        elif row.handovers != "c":  # 6 or more may be hidden with another cell
            assert int(row.handovers) == count, key
            exact += 1
    assert exact > 0
    assert len(_csv(funnel.files[0])) == len(shown)
