"""Provenance shown with the data: the licences' credit lines (OS Crown copyright with its year,
OGL attribution) from ``source_provenance`` reach the briefing (HTML and PDF map pages), the
served overview and employers maps and the landing page, as text; the plain synthetic demo
shows its synthetic notice and no credit."""

from __future__ import annotations

import datetime as dt
import html
import io

import pytest
from pypdf import PdfReader

from hubcore import briefing, db, demo, notices
from hubcore.access import Scope
from hubcore.briefing import content, maps, render_html
from hubcore.display.provenance import attribution_lines
from hubcore.fetch import provenance

pn = pytest.importorskip("panel")

from dashboards.common import credit  # noqa: E402
from dashboards.employers import EmployerSupply  # noqa: E402
from dashboards.index import Landing, data_facts  # noqa: E402
from dashboards.overview import AreaOverview  # noqa: E402

AS_OF = dt.date(2026, 11, 1)
OS_TEXT = "Contains OS data © Crown copyright and database right"
SCRIPT = "Evil <script>alert(1)</script> & co"
OGL = "Open Government Licence v3.0"


def _record(kind, source, attribution, downloaded, licence=OGL):
    return provenance.Record(kind=kind, source=source, address=f"https://example.org/{source}",
                             edition="test", downloaded_at=downloaded.replace(tzinfo=dt.UTC),
                             licence=licence,
                             attribution=attribution, sha256="0" * 64, la_codes=("E08000035",))


#: Hand-made rows, in insertion order (ids ascending). Worked out by hand below:
#: - lsoa2021 twice: only the newer row counts ("old words" never shown); its Crown line gets
#:   the year it was downloaded, 2025 (not the import year, not today);
#: - gias recorded without attribution: the OGL sentence built from its licence;
#: - imd2025 already ends in a year: left as it is (no "2024 2024");
#: - neet repeats imd2025's words: shown once;
#: - ks4's attribution is markup: shown as text.
ROWS = [
    _record("boundaries", "lsoa2021", "old words", dt.datetime(2024, 1, 2, 9)),
    _record("gias", "gias", None, dt.datetime(2025, 6, 1, 8)),
    _record("boundaries", "lsoa2021", f"Source: ONS. {OS_TEXT}", dt.datetime(2025, 12, 31, 23)),
    _record("imd", "imd2025", f"{OS_TEXT} 2024", dt.datetime(2026, 2, 1)),
    _record("neet", "neet", f"{OS_TEXT} 2024", dt.datetime(2026, 2, 1)),
    _record("ks4-destinations", "ks4", SCRIPT, dt.datetime(2026, 2, 1)),
]
#: Ordered by kind (boundaries, gias, imd, ks4-destinations, neet), then settings name.
EXPECTED = [
    f"Source: ONS. {OS_TEXT} 2025",
    f"Contains public sector information licensed under the {OGL}",
    f"{OS_TEXT} 2024",
    SCRIPT,
]


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    """A small demo hub whose database also holds the hand-made provenance rows."""
    path = tmp_path_factory.mktemp("provenance") / "hub.db"
    engine = db.get_engine(db.sqlite_url(path))
    db.upgrade(engine)
    demo.build(engine, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    with engine.begin() as conn:
        for row in ROWS:  # one insert each, so the ids follow the list
            provenance.record(conn, [row], dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    yield engine
    engine.dispose()


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_attribution_lines_from_hand_made_rows(fetched):
    assert attribution_lines(fetched) == EXPECTED


def test_no_provenance_no_lines(engine, demo_engine):
    assert attribution_lines(engine) == []  # an empty database
    assert attribution_lines(demo_engine) == []  # the plain synthetic demo


def test_briefing_html_shows_the_credit_as_text(fetched):
    b = content.gather(fetched, Scope.admin(hub_id="DEMO"), AS_OF)
    assert b.attributions == tuple(EXPECTED)
    page = render_html.render_html(b, images=_blank_images()).decode("utf-8")
    # Every line in the sources list and under each of the three maps.
    for line in EXPECTED:
        assert page.count(html.escape(line)) == 1 + len(maps.MAPS)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert notices.SYNTHETIC_NOTICE in page  # the demo hub is still labelled synthetic


def _blank_images() -> dict[str, bytes]:
    """Stand-in map PNGs (the HTML only embeds them), so the test renders no map twice."""
    return {f"map_{key}.png": b"\x89PNG" for key in maps.MAPS}


def test_briefing_pdf_map_pages_carry_the_credit(fetched):
    pack = briefing.build_pack(fetched, Scope.admin(hub_id="DEMO"), ("pdf",), AS_OF)
    (data,) = pack.values()
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]
    with_credit = [i for i, text in enumerate(pages) if "database right 2025" in text]
    # Exactly the map pages (their headings), no other page.
    assert len(with_credit) == len(maps.MAPS)
    for i in with_credit:
        assert any(heading in pages[i] for heading in maps.MAPS.values())


def test_synthetic_demo_briefing_has_only_the_synthetic_notice(demo_engine):
    b = content.gather(demo_engine, Scope.admin(hub_id="DEMO"), AS_OF)
    assert b.attributions == ()
    page = render_html.render_html(b, images=_blank_images()).decode("utf-8")
    assert notices.SYNTHETIC_NOTICE in page
    assert "Crown copyright" not in page and 'class="credit"' not in page


def _credit_text(pane) -> str:
    """What the browser shows of a Markdown pane: its HTML, tags dropped."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags: list[str] = []
            self.parts: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

        def handle_data(self, data):
            self.parts.append(data)

    parsed = Text()
    parsed.feed(html.unescape(pane._transform_object(pane.object)["object"]))
    return parsed.tags, "".join(parsed.parts)


@pytest.mark.parametrize("component", [AreaOverview, EmployerSupply])
def test_served_maps_carry_the_credit(fetched, component):
    credit.attributions.clear()
    view = component(db_url=_url(fetched))
    (map_view,) = [v for v in view._views if hasattr(v, "_credit")]
    pane = map_view._credit
    assert pane.visible
    tags, text = _credit_text(pane)
    assert tags == ["p", "small"]  # no <script>: the attribution is shown as text
    assert text.strip() == " · ".join(EXPECTED)


@pytest.mark.parametrize("component", [AreaOverview, EmployerSupply])
def test_synthetic_demo_maps_have_no_credit(demo_engine, component):
    view = component(db_url=_url(demo_engine))
    (map_view,) = [v for v in view._views if hasattr(v, "_credit")]
    assert not map_view._credit.visible and map_view._credit.object == ""


def test_landing_page_lists_the_same_credit(fetched, demo_engine):
    facts = data_facts(fetched, Scope.admin(hub_id="DEMO"))
    assert facts["attributions"] == EXPECTED
    assert data_facts(demo_engine, Scope.admin(hub_id="DEMO"))["attributions"] == []
    # The page itself: the same lines, as text (no <script> element).
    view = Landing(db_url=_url(fetched), hub_id="DEMO")
    (freshness,) = [v for v in view._views if type(v).__name__ == "Freshness"]
    tags, text = _credit_text(freshness._text)
    assert "script" not in tags
    for line in EXPECTED:
        assert line in text


def test_regional_pack_map_carries_the_credit(fetched, demo_engine):
    from hubcore.briefing import region as brief_region

    def pages(engine) -> list[str]:
        pack = brief_region.render_region(
            brief_region.gather_region(engine, ["DEMO"], AS_OF, label="DEMO"), ("pdf",))
        (data,) = pack.values()
        return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]

    fetched_pages = pages(fetched)
    with_credit = [i for i, text in enumerate(fetched_pages) if "database right 2025" in text]
    assert with_credit == [2]  # the regional map (page 3), no other page
    assert "Contains public sector information licensed under the Open Government" in (
        fetched_pages[2])
    assert not any("Crown copyright" in text for text in pages(demo_engine))
