"""Each dashboard is a component an analyst can display in a notebook over any database: it
builds its Bokeh models without a server, and its numbers come from hubcore.metrics."""

from __future__ import annotations

import pytest

pn = pytest.importorskip("panel")

from dashboards.employers import EmployerSupply  # noqa: E402
from dashboards.overview import AreaOverview  # noqa: E402
from dashboards.profile import SchoolProfile  # noqa: E402
from dashboards.transitions import Transitions  # noqa: E402
from hubcore import metrics, store  # noqa: E402
from hubcore.access import Scope  # noqa: E402


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("component", [AreaOverview, SchoolProfile, EmployerSupply, Transitions])
def test_component_renders_without_a_server(demo_engine, component):
    view = component(db_url=_url(demo_engine))
    from bokeh.models import Plot

    root = pn.panel(view).get_root()
    assert len(list(root.select({"type": Plot}))) >= 1  # at least one chart was built
    assert view.hub_id == "DEMO"


def test_overview_table_holds_the_metric_values(demo_engine):
    view = AreaOverview(db_url=_url(demo_engine), school_types=["special"])
    table = view.schools_table()
    assert set(table["kind"]) == {"special"}
    period_date, framework = view.period.split("|")
    assessments = store.assessments(demo_engine, Scope.admin("DEMO"))
    expected = metrics.school_benchmarks(
        assessments[assessments["assessed_on"] <= period_date], framework)
    merged = table.merge(expected[["urn", "achieved"]], on="urn", suffixes=("", "_metric"))
    assert len(merged) == len(table) and (merged["achieved"] == merged["achieved_metric"]).all()


def test_overview_filters_and_downloads(demo_engine):
    view = AreaOverview(db_url=_url(demo_engine))
    every = len(view.schools_table())
    view.school_types = ["fe_college", "sixth_form_college"]
    assert 0 < len(view.schools_table()) < every
    csv = view._csv().getvalue()
    assert csv.splitlines()[0].startswith("School or college,URN,Type")
    assert len(csv.strip().splitlines()) == len(view.schools_table()) + 1
    xlsx = view._xlsx().getvalue()
    assert xlsx[:2] == b"PK"  # an XLSX is a zip file


@pytest.mark.parametrize("component", [AreaOverview, SchoolProfile, EmployerSupply, Transitions])
def test_unknown_hub_in_a_link_shows_the_first_hub(demo_engine, component):
    view = component(db_url=_url(demo_engine), hub_id="NO-SUCH-HUB")
    assert view.hub_id == "DEMO"
