"""Pages show data text literally and show the hub (and school) they actually show.

Two small hubs written straight into an empty database, with names that are injection
payloads; the pages are built as components (no server). A signed-in user is simulated by
replacing the users file lookups with a fixed scope.
"""

from __future__ import annotations

import datetime as dt
import html
from html.parser import HTMLParser

import pytest
from sqlalchemy import insert

pn = pytest.importorskip("panel")

from dashboards.common import auth, layout  # noqa: E402
from dashboards.common.context import ALL_HUBS  # noqa: E402
from dashboards.employers import EmployerSupply  # noqa: E402
from dashboards.overview import AreaOverview  # noqa: E402
from dashboards.profile import SchoolProfile  # noqa: E402
from dashboards.transitions import Transitions  # noqa: E402
from hubcore import users  # noqa: E402
from hubcore.access import Role, Scope  # noqa: E402
from hubcore.db import get_engine as db_engine  # noqa: E402
from hubcore.models import Hub, HubMembership, School  # noqa: E402

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "[x](javascript:alert(1))",
    "![x](x onerror=alert(1))",
    "**bold** _em_ `code` # hash ~~s~~",
    "$x^2$ & &amp; &lt;b&gt; {{7*7}} \\",
    "a\n\n# heading\n<script>alert(2)</script>",
    "1. not a list",
    "> not a quote | not | a table",
]
ALPHA = "<b>Alpha</b> Hub"
BETA = "Beta Hub"


class _Html(HTMLParser):
    """Tags and text of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _rendered(pane: pn.pane.Markdown) -> _Html:
    """What the browser receives for a Markdown pane (Panel sends it HTML-escaped once)."""
    parsed = _Html()
    parsed.feed(html.unescape(pane._transform_object(pane.object)["object"]))
    return parsed


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_shows_data_text_literally(payload):
    parsed = _rendered(pn.pane.Markdown(layout.md("## {name} · {n:,} pupils", name=payload,
                                                  n=1234)))
    # Only the heading and Panel's own anchor link: nothing the payload asked for.
    assert [t for t, _ in parsed.tags] == ["h2", "a"]
    assert parsed.tags[1][1]["class"] == "header-anchor"
    flat = " ".join(payload.split())  # line breaks in data become spaces
    assert "".join(parsed.text).replace("¶", "").strip() == f"{flat} · 1,234 pupils"


def test_literal_of_missing_values_is_empty():
    assert layout.md("[{a}|{b}|{c}]", a=None, b=float("nan"), c=0) == "[||0]"


# --- pages over two hubs --------------------------------------------------------------------


@pytest.fixture
def two_hubs(engine):
    """Hub A (payload name) with payload-named schools 900101…, hub B with 900201…"""
    rows, members = [], []
    for hub, base, names in (("HUB-A", 900101, PAYLOADS[:4]), ("HUB-B", 900201, ["B one"])):
        for i, name in enumerate(names):
            rows.append({"urn": base + i, "name": name, "la_code": 383, "type_code": 1,
                         "phase_code": 4, "kind": "mainstream_11_16", "status": "Open",
                         "la_gss": "E08000035", "easting": 430000.0 + 100 * i,
                         "northing": 433000.0, "pupils": 800})
            members.append({"hub_id": hub, "urn": base + i, "start_date": dt.date(2020, 9, 1)})
    with engine.begin() as conn:
        conn.execute(insert(Hub.__table__), [{"id": "HUB-A", "name": ALPHA},
                                             {"id": "HUB-B", "name": BETA}])
        conn.execute(insert(School.__table__), rows)
        conn.execute(insert(HubMembership.__table__), members)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def signed_in(monkeypatch):
    """Sign in as ``scope``'s user (the users file lookups replaced)."""

    def sign_in(scope: Scope) -> None:
        monkeypatch.setattr(users, "has_users", lambda *a, **k: True)
        monkeypatch.setattr(users, "user_scope", lambda *a, **k: scope)
        monkeypatch.setattr(auth, "_identity", lambda *a, **k: scope.user)

    return sign_in


def _notices(view) -> str:
    """The notices' text as the browser shows it."""
    return " ".join("".join(_rendered(n).text) for n in view._notices)


#: The hub-A school the profile shows first (its chooser is sorted by name).
FIRST_A = 900101 + PAYLOADS[:4].index(min(PAYLOADS[:4]))


def _heading(view) -> pn.pane.Markdown:
    """The page's first Markdown pane with a level-2 heading (its views laid out once)."""
    for part in view._views:
        root = part.__panel__()
        panes = [root] if isinstance(root, pn.pane.Markdown) else root.select(pn.pane.Markdown)
        for pane in panes:
            if str(pane.object).startswith("## "):
                return pane
    raise AssertionError("no heading")


def test_profile_heading_shows_school_name_literally(two_hubs):
    for urn, name in zip(range(900101, 900105), PAYLOADS, strict=False):
        view = SchoolProfile(db_url=two_hubs, hub_id="HUB-A", urn=urn)
        parsed = _rendered(_heading(view))
        # <small>: the LA's code where no boundary names it, written by the page's template.
        assert {t for t, _ in parsed.tags} <= {"h2", "a", "p", "small"}, name
        assert name in "".join(parsed.text), name


def test_overview_summary_shows_hub_name_literally(two_hubs):
    view = AreaOverview(db_url=two_hubs, hub_id="HUB-A")
    parsed = _rendered(view._views[0]._text)
    assert "b" not in {t for t, _ in parsed.tags}
    assert ALPHA in "".join(parsed.text)


@pytest.mark.parametrize("component", [AreaOverview, SchoolProfile, EmployerSupply, Transitions])
def test_foreign_hub_in_a_link_shows_the_users_own_hub_and_says_so(two_hubs, signed_in,
                                                                   component):
    signed_in(Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    view = component(db_url=two_hubs, hub_id="HUB-B")
    assert view.hub_id == "HUB-A"
    # The chooser names only the user's hub (no other hub's name, no "All hubs").
    assert view.param.hub_id.objects == ["HUB-A"]
    assert list(view.param.hub_id.names) == [ALPHA]
    assert f"You can't see hub HUB-B; showing {ALPHA}." in _notices(view)


def test_overview_heading_names_the_hub_shown_not_the_one_asked(two_hubs, signed_in):
    signed_in(Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    view = AreaOverview(db_url=two_hubs, hub_id="HUB-B")
    text = "".join(_rendered(view._views[0]._text).text)
    assert ALPHA in text and BETA not in text


def test_url_is_rewritten_to_what_the_page_shows(two_hubs, signed_in):
    signed_in(Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    from panel.io.location import Location

    location = Location(search="?hub=HUB-B&urn=900201")
    view = SchoolProfile(db_url=two_hubs, hub_id="HUB-B", urn=900201)
    view.sync_url(location)  # what the served page does: Location.sync reapplies the URL
    assert (view.hub_id, view.urn) == ("HUB-A", FIRST_A)
    assert location.query_params == {"hub": "HUB-A", "urn": FIRST_A}
    assert "urn=900201" in _notices(view)


def test_foreign_school_is_never_echoed_into_the_chooser(two_hubs, signed_in):
    signed_in(Scope(Role.HUB_LEAD, hub_id="HUB-A", user="lead@a"))
    view = SchoolProfile(db_url=two_hubs, hub_id="HUB-A", urn=900201)
    assert view.urn == FIRST_A
    assert 900201 not in view.param.urn.objects
    with pytest.raises(ValueError):
        view.urn = 900201  # as Location.sync would, from the URL
    assert view.urn == FIRST_A
    assert "urn=900201" in _notices(view)


def test_unknown_hub_for_an_admin_shows_the_first_hub_and_says_so(two_hubs):
    view = AreaOverview(db_url=two_hubs, hub_id="NO-SUCH")
    assert view.hub_id == "HUB-A"
    assert f"You can't see hub NO-SUCH; showing {ALPHA}." in _notices(view)


def test_a_valid_link_shows_no_notice(two_hubs):
    view = SchoolProfile(db_url=two_hubs, hub_id="HUB-B", urn=900201)
    assert (view.hub_id, view.urn) == ("HUB-B", 900201)
    assert len(view._notices) == 0


def test_all_hubs_offers_no_briefing_and_a_click_is_a_message_not_an_error(two_hubs):
    view = AreaOverview(db_url=two_hubs, hub_id=ALL_HUBS)
    assert view.hub_id == ALL_HUBS
    button = view._briefing[0]
    assert button.disabled
    button._clicks += 1  # a click that reaches the server all the same
    assert button.message.visible and "one hub" in button.message.object
    view.hub_id = "HUB-A"
    assert not button.disabled


def test_careers_leader_sees_the_hub_of_their_school(two_hubs, signed_in):
    signed_in(Scope(Role.CAREERS_LEADER, urn=900201, user="cl@b"))
    view = SchoolProfile(db_url=two_hubs, hub_id="HUB-A", urn=900101)
    assert (view.hub_id, view.urn) == ("HUB-B", 900201)
    assert view.param.hub_id.objects == ["HUB-B"] and view.param.urn.objects == [900201]
    assert f"You can't see hub HUB-A; showing {BETA}." in _notices(view)


def test_a_value_no_page_can_take_is_dropped_alone_and_noted(two_hubs):
    from dashboards.common.page import build

    view = build(AreaOverview, {"hub_id": "HUB-B", "layer": "bogus", "benchmark": 99},
                 db_url=two_hubs)
    assert view.hub_id == "HUB-B"  # the good value is kept
    assert (view.layer, view.benchmark) == ("deprivation", 0)
    text = _notices(view)
    assert "The link's layer=bogus isn't available" in text and "bm=99" in text


def test_schools_with_the_same_name_each_keep_a_choice(two_hubs):
    with db_engine(two_hubs).begin() as conn:
        conn.execute(insert(School.__table__).values(
            urn=900299, name="B one", la_code=383, type_code=1, phase_code=4,
            kind="mainstream_11_16", status="Open", la_gss="E08000035"))
        conn.execute(insert(HubMembership.__table__).values(
            hub_id="HUB-B", urn=900299, start_date=dt.date(2020, 9, 1)))
    view = SchoolProfile(db_url=two_hubs, hub_id="HUB-B")
    assert sorted(view.param.urn.names.values()) == [900201, 900299]
    assert "B one (URN 900299)" in view.param.urn.names


# --- every filter in the URL, list-valued ones too ---------------------------------------------


def test_a_list_filter_is_written_as_its_choices_joined_by_commas():
    from dashboards.common.page import UrlList

    class P(pn.viewable.Viewer):
        kinds = UrlList(default=[], objects=["special", "ap", 7])

    chooser = P.param.kinds
    assert chooser.serialize(["ap", "special"]) == "special,ap"  # in the choices' order
    assert chooser.serialize([]) == "none"  # a blank value would be dropped from a URL
    assert chooser.deserialize("none") == []
    assert chooser.deserialize("ap,7") == ["ap", 7]  # matched to the choices by text
    assert chooser.deserialize(7) == [7]  # how Panel's query parser hands over "7"
    assert chooser.deserialize(["special"]) == ["special"]  # an older, JSON-style link
    assert chooser.deserialize("special,bogus") == ["special", "bogus"]  # refused later


def test_school_types_come_from_the_link_and_go_back_into_it(two_hubs):
    from panel.io.location import Location

    location = Location(search="?hub=HUB-A&types=special,ap")
    view = AreaOverview(db_url=two_hubs, hub_id="HUB-A")
    view.sync_url(location)  # what the served page does
    assert view.school_types == ["special", "ap"]
    view.school_types = ["fe_college"]
    assert location.query_params["types"] == "fe_college"
    view.school_types = []
    assert location.query_params["types"] == "none"
    view._rewrite_url(location)  # once loaded: every filter is in the address bar
    assert view.period is None  # hub A has no assessment: no period to write
    assert set(location.query_params) == {"hub", "layer", "bm", "la", "types"}


def test_a_list_with_an_unknown_choice_keeps_the_others_and_says_so(two_hubs):
    from dashboards.common.page import build

    view = build(AreaOverview, {"hub_id": "HUB-A", "school_types": ["special", "bogus"]},
                 db_url=two_hubs)
    assert view.school_types == ["special"]
    assert ("The link's types=special,bogus isn't available to you here; showing Special "
            "school.") in _notices(view)


def test_an_unknown_la_falls_back_to_all_and_the_chooser_names_las(two_hubs):
    view = AreaOverview(db_url=two_hubs, hub_id="HUB-A", la="E99999999")
    assert view.la == "All local authorities"
    assert "la=E99999999" in _notices(view)
    # No boundary names E08000035 in this database: the chooser shows the code itself.
    assert view.param.la.names == {"All local authorities": "All local authorities",
                                   "E08000035": "E08000035"}
