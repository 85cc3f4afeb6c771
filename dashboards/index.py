"""The suite's landing page at ``/``: the hub's name, the four pages with one line each (links
keep the hub; the regional view too, for the roles that may open it), and how fresh the data
are and where they came from.

Served like every other page (same template, Content-Security-Policy and sign-in, nothing
fetched from another host); the hub chooser is in the URL (``/?hub=…``). What the page says
about the data is read by :func:`data_facts` from the display layer (no SQL here).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import panel as pn
from sqlalchemy import Engine

from dashboards.common import layout
from dashboards.common.context import ALL_HUBS
from dashboards.common.page import HubPage, View
from hubcore import display
from hubcore.access import Role, Scope
from hubcore.display.overview import IMPORT_SOURCES, region_allowed
from hubcore.display.provenance import attribution_lines
from hubcore.display.worklists import sections as worklist_sections

#: The pages, in the order a hub lead meets them: (path, title, one line).
PAGES: tuple[tuple[str, str, str], ...] = (
    ("overview", "Area overview",
     "Every school and college on one map, shaded small areas (deprivation, NEET, cold spots) "
     "and a sortable table of Gatsby Benchmark results."),
    ("profile", "School profile",
     "One school's eight benchmarks against its hub and England, its trend, encounters, "
     "employer links and its leavers' destinations."),
    ("employers", "Employers",
     "Employers and their links to schools, offers not taken up, suggested matches, and what "
     "it would take to lift more schools to the benchmark."),
    ("transitions", "Transitions",
     "Leavers' destinations, NEET and not known against the LA and England, and the hand-over "
     "funnel to the National Careers Service and LA tracking."),
)

#: Where each kind of import comes from, in words (the provenance line of the page).
SOURCES: dict[str, str] = IMPORT_SOURCES

#: The served regional view, linked only for the roles that may open it
#: (:func:`hubcore.display.overview.region_allowed`): (path, title, one line).
REGION_PAGE: tuple[str, str, str] = (
    "region", "Region",
    "Hubs side by side (benchmarks against national, coverage, employer supply, hand-overs, "
    "NEET), ranked where it is fair, and the regional map of cold spots and priority schools.",
)

#: The served worklists, linked only for the roles that have one
#: (:func:`hubcore.display.worklists.sections`): (path, title, one line).
WORKLISTS_PAGE: tuple[str, str, str] = (
    "worklists", "Worklists",
    "Leavers without a confirmed destination and hand-over cases to act on: refer, record "
    "contacts and outcomes, confirm destinations, reassign overdue cases.",
)


def data_facts(engine: Engine, scope: Scope) -> dict:
    """What the landing page says about the data in ``scope``, from the display layer
    (:func:`hubcore.display.data_freshness`, :func:`hubcore.display.data_imports`,
    :func:`hubcore.display.provenance.attribution_lines`): ``version``, ``schools``,
    ``latest_assessment``, ``latest_encounter``, ``latest_destination`` and ``synthetic``
    (the freshness row), ``worklists`` (whether the role has a worklist), ``imports`` (one
    dict per kind of file: ``kind``, ``source``, ``at`` (UTC), ``rows``; newest first) and
    ``attributions`` (the licences' credit lines, as under the maps and in the briefing)."""
    fresh = display.data_freshness(engine, scope).iloc[0]
    imports = display.data_imports(engine, scope)
    return {
        **{key: fresh[key] for key in ("version", "schools", "latest_assessment",
                                       "latest_encounter", "latest_destination")},
        "synthetic": bool(fresh["synthetic"]),
        "imports": imports.to_dict("records"),
        "attributions": attribution_lines(engine),
        "region": region_allowed(scope),
        "worklists": bool(worklist_sections(scope)),
    }


def _date(value: dt.date | dt.datetime | None) -> str:
    return "" if value is None else f"{value:%d %B %Y}".lstrip("0")


class Landing(HubPage):
    """The landing page: which hub, the four pages, the data's freshness and provenance."""

    page_title = "Careers Hub dashboards"
    offers_all_hubs = False
    url_params = {"hub_id": "hub"}

    def __init__(self, **params):
        super().__init__(**params)
        self.show(Welcome(self), Freshness(self))
        self._check_link()

    def facts(self) -> dict:
        """:func:`data_facts` for the hub shown (cached per data version)."""
        return self.read(_facts)

    def controls(self) -> pn.Column:
        return pn.Column(pn.widgets.Select.from_param(self.param.hub_id, name="Hub"))


@pn.cache(max_items=32)
def _facts(url: str, key: tuple) -> dict:
    """:func:`data_facts` for a page's scope key (role, hub, school, NCS area, data version;
    see ``dashboards.common.data.scope_key``): cached until the data version changes."""
    from dashboards.common.context import engine_for

    role, hub_id, urn, ncs_area = key[:4]
    return data_facts(engine_for(url), Scope(Role(role), hub_id=hub_id, urn=urn,
                                             ncs_area=ncs_area))


class Welcome(View):
    """The hub's name and the four pages, each a link keeping the hub."""

    depends = ("hub_id",)

    def build(self) -> pn.viewable.Viewable:
        self._text = pn.pane.Markdown("", sizing_mode="stretch_width")
        return self._text

    def update(self) -> None:
        page = self.page
        hub = "" if page.hub_id in (None, ALL_HUBS) else f"?hub={quote(str(page.hub_id), safe='')}"
        lines = [layout.md("## {name}", name=page._hub_name()),
                 "The Careers Hub dashboards for this hub:", ""]
        facts = page.facts()
        pages = PAGES + ((REGION_PAGE,) if facts["region"] else ()) \
            + ((WORKLISTS_PAGE,) if facts.get("worklists") else ())
        for path, name, line in pages:
            # The link is ours (a fixed path and a percent-encoded hub id); the words are ours.
            lines.append(f"- **[{name}](./{path}{hub})**: {line}")
        self._text.object = "\n".join(lines)


class Freshness(View):
    """How fresh the data are, and where they came from."""

    depends = ("hub_id",)

    def build(self) -> pn.viewable.Viewable:
        self._text = pn.pane.Markdown("", sizing_mode="stretch_width")
        return self._text

    def update(self) -> None:
        facts = self.page.facts()
        lines = ["### The data"]
        lines.append(layout.md("{schools:,} schools and colleges in view · data version "
                               "{version} (it changes with every import)",
                               version=facts["version"], schools=facts["schools"]))
        for key, what in (("latest_assessment", "Compass assessment"),
                          ("latest_encounter", "encounter recorded"),
                          ("latest_destination", "destination recorded")):
            if facts[key] is not None:
                lines.append("")
                lines.append(layout.md("Latest {what}: {date}.", what=what,
                                       date=_date(facts[key])))
        lines.append("")
        if facts["imports"]:
            lines.append("Provenance, latest import of each kind of file:")
            lines.append("")
            for item in facts["imports"]:
                lines.append(layout.md("- {source}: {date} ({rows:,} rows)",
                                       source=item["source"], date=_date(item["at"]),
                                       rows=int(item["rows"] or 0)))
        elif facts["synthetic"]:
            lines.append("Provenance: generated by `hubcore demo` (synthetic demonstration "
                         "data); no file imported.")
        else:
            lines.append("No file imported yet: see the README's *Importing data*.")
        if facts["attributions"]:
            # The licences' credit for the official files, worded as under the maps.
            lines += ["", "Credits:", ""]
            lines += [layout.md("- {line}", line=line) for line in facts["attributions"]]
        self._text.object = "\n".join(lines)


def landing(db_url: str | None = None) -> pn.Template:
    """The served landing page (one per session)."""
    return Landing(db_url=db_url).page()


__all__ = ["PAGES", "REGION_PAGE", "WORKLISTS_PAGE", "Landing", "data_facts", "landing"]
