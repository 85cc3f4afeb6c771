"""The suite's landing page at ``/``: the hub's name, the four pages with one line each (links
keep the hub), and how fresh the data are and where they came from.

Served like every other page (same template, Content-Security-Policy and sign-in, nothing
fetched from another host); the hub chooser is in the URL (``/?hub=…``). What the page says
about the data is read by :func:`data_facts`, which needs no Panel.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pandas as pd
import panel as pn
from sqlalchemy import Engine, func, select

from dashboards.common import layout
from dashboards.common.context import ALL_HUBS
from dashboards.common.page import HubPage, View
from hubcore import data_version, store
from hubcore.access import Role, Scope
from hubcore.display.provenance import attribution_lines
from hubcore.ingest import KINDS
from hubcore.models import AuditEvent, DestinationRecord, Encounter, Leaver

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
SOURCES: dict[str, str] = {
    "gias": "DfE Get Information about Schools (GIAS) register",
    "boundaries": "ONS boundaries",
    "imd": "English Indices of Deprivation",
    "neet": "DfE NEET and not known statistics by LA",
    "ks4-destinations": "DfE KS4 and 16-18 destination measures",
    "compass": "Compass benchmark results",
    "employers": "the hub's employer records",
    "links": "the hub's employer-school links",
    "offers": "the hub's employer offers",
    "encounters": "the hub's encounter log",
    "leavers": "the hub's leaver records (pseudonymous)",
    "destinations": "the hub's destination records",
    "handovers": "the hub's NCS hand-over log",
}


def data_facts(engine: Engine, scope: Scope) -> dict:
    """What the landing page says about the data in ``scope``: ``version`` (the data
    version, :mod:`hubcore.data_version`), ``schools`` (how many in scope),
    ``latest_assessment``, ``latest_encounter`` and ``latest_destination`` (dates of the
    latest Compass assessment, encounter and destination record in scope, or None), ``imports`` (one
    row per kind of file: ``kind``, ``source`` in words, ``at`` (UTC) of the latest import,
    ``rows`` written then), newest first, ``attributions`` (the licences' credit lines of the
    official data in store, :func:`hubcore.display.provenance.attribution_lines`, as under the
    maps and in the briefing) and ``synthetic`` (whether any hub in scope is generated
    demonstration data)."""
    hubs = store.hubs(engine)
    if scope.hub_id is not None:
        hubs = hubs[hubs["id"] == scope.hub_id]
    assessed = store.assessments(engine, scope)["assessed_on"]
    table = AuditEvent.__table__
    with engine.connect() as conn:
        events = pd.DataFrame(conn.execute(
            select(table.c.at, table.c.subject, table.c.rows).where(table.c.action == "import")
        ).mappings().all(), columns=["at", "subject", "rows"])
    events["kind"] = events["subject"].astype(str).str.split(":", n=1).str[0]
    events = events[events["kind"].isin(list(KINDS))]
    latest = (events.sort_values("at").groupby("kind", sort=False).tail(1)
              .sort_values("at", ascending=False))
    imports = [{"kind": row.kind, "source": SOURCES.get(row.kind, KINDS[row.kind]),
                "at": pd.Timestamp(row.at).to_pydatetime(), "rows": row.rows}
               for row in latest.itertuples()]
    enc, dest, leaver = (Encounter.__table__, DestinationRecord.__table__,
                         Leaver.__table__)
    with engine.connect() as conn:
        last_encounter = conn.execute(
            select(func.max(enc.c.date)).where(store.school_filter(scope, enc.c.urn))).scalar()
        last_destination = conn.execute(
            select(func.max(dest.c.recorded_on))
            .join(leaver, leaver.c.key == dest.c.leaver_key)
            .where(store.school_filter(scope, leaver.c.urn))).scalar()
    return {
        "version": data_version.current(engine),
        "latest_encounter": _as_date(last_encounter),
        "latest_destination": _as_date(last_destination),
        "schools": len(store.schools(engine, scope)),
        "latest_assessment": None if assessed.empty else pd.Timestamp(assessed.max()).date(),
        "imports": imports,
        "attributions": attribution_lines(engine),
        "synthetic": bool(hubs["synthetic"].any()) if "synthetic" in hubs else False,
    }


def _as_date(value) -> dt.date | None:
    """A date read from the database (SQLite may give text) as a date, or None."""
    return None if value is None else pd.Timestamp(value).date()


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
        for path, name, line in PAGES:
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


__all__ = ["PAGES", "Landing", "data_facts", "landing"]
