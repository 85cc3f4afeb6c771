"""What every dashboard page shares: the database, the hub chooser, the synthetic-data banner,
the scope its cached data are keyed by, its state in the URL, and the DataStore / View shape.

The shape of a page (Panel's DataStore / View guidance)
-------------------------------------------------------
**State** — the page class, a :class:`HubPage` subclass, is the page's param-based state
object (Panel's "DataStore"). It holds:

- the filters, as params; ``url_params`` maps those kept in the URL to their query names.
  Every filter belongs there, so that a reload or a shared link shows the same view. A filter
  holding several choices (check boxes) is a :class:`UrlList`; it appears in the URL as
  ``?types=special,fe_college`` (``none`` for no choice at all).
- the cached reads: ``self.read(data.schools)`` is ``data.schools(url, key)`` for the user's
  scope (the functions of :mod:`dashboards.common.data` are ``pn.cache``-d per process and
  keyed by scope and data version). Views read through the page, never from the database.

**Views** — each part of the body is a :class:`View`: built once (``build`` makes its panes
and widgets), it names the page params it follows in ``depends`` and refills its panes in
place in ``update`` (``pane.object = …``, ``tables.show(…)``, ``source.data = …``). No view
rebuilds a layout on a filter change: a replaced layout is sent to the browser again and
redraws (flicker, lost scroll and zoom).

**Page** — in ``__init__``, after ``super().__init__``:

1. fill the choices that depend on the hub (periods, schools…) — override
   :meth:`HubPage.on_change` to refill them when ``hub_id`` changes (it runs before the views);
2. ``self.show(ViewA(self), ViewB(self), …)``: lays the body out **once**, draws every view,
   and from then on calls ``update()`` of the views whose ``depends`` hold a changed param
   (under ``pn.io.hold()``: one message to the browser);
3. ``self._check_link()``: reports the link's values the page could not use.

A page with nothing to show (no hub, no school yet) says why from :meth:`HubPage.empty`;
the notice is shown and the views hidden, and nothing is laid out again.

**Links that ask for what the page cannot show** fall back visibly: the chooser shows the
value the page shows, a notice says which value of the link was not used and why, and the
URL is rewritten to what the page shows (``_check_link``, ``_refused``, ``_rewrite_url``).
"""

from __future__ import annotations

import json

import panel as pn
import param
from panel.io.location import Location
from sqlalchemy import select

from dashboards.common import data, layout, sockets
from dashboards.common.context import ALL_HUBS, default_scope, engine_for
from hubcore import store
from hubcore.access import Role
from hubcore.models import HubMembership

#: How an empty :class:`UrlList` is written in a URL (a blank value would be dropped by the
#: browser's query parsing, and the page would fall back to its default choices).
NO_CHOICE = "none"


class UrlList(param.ListSelector):
    """A filter holding several of its ``objects`` (check boxes), kept in a URL as the values
    joined by commas (``special,fe_college``; ``none`` for an empty choice). A link written
    before, as a JSON list, is read too. Items are matched to ``objects`` by their text, so
    numbers come back as numbers; an item that is no choice is kept as text, so that
    validation refuses it and the page says so."""

    def serialize(self, value) -> str:  # param's classmethod, per instance: needs objects
        if not value:
            return NO_CHOICE
        # In the order of the choices, so the same choice always gives the same link.
        order = {o: i for i, o in enumerate(self.objects or [])}
        return ",".join(str(v) for v in sorted(value, key=lambda v: order.get(v, len(order))))

    def deserialize(self, value) -> list:
        if isinstance(value, list | tuple):
            items = [str(v) for v in value]
        else:
            text = str(value).strip()
            items = [] if text in ("", NO_CHOICE) else [t.strip() for t in text.split(",")]
        by_text = {str(o): o for o in (self.objects or [])}
        return [by_text.get(item, item) for item in items if item]


class View(pn.viewable.Viewer):
    """One part of a page's body (Panel's "View"): built once, updated in place.

    Subclasses make their panes in :meth:`build` (returning the layout that shows them), list
    the page params they follow in ``depends`` (empty: every change) and refill the panes in
    :meth:`update`, reading the page's state (``self.page``) and cached reads
    (``self.page.read``)."""

    #: The page's parameters whose change calls :meth:`update` (empty: any of them).
    depends: tuple[str, ...] = ()

    def __init__(self, page: HubPage, **params):
        super().__init__(**params)
        #: The page's state object (a :class:`HubPage`).
        self.page = page
        self._layout = self.build()

    def build(self) -> pn.viewable.Viewable:
        """Make the view's panes and widgets once; return the layout holding them."""
        raise NotImplementedError

    def update(self) -> None:
        """Bring the panes up to date with the page's state, in place."""
        raise NotImplementedError

    def follows(self, changed: set[str] | None) -> bool:
        """Whether a change of the page params ``changed`` (None: all) concerns this view."""
        return changed is None or not self.depends or bool(changed & set(self.depends))

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout


class HubPage(pn.viewable.Viewer):
    """Base of the dashboard components: over ``db_url`` (default: the served database), for
    ``hub_id`` (default: the first hub). Subclasses fill ``self._body``."""

    db_url = param.String(default=None, allow_None=True, doc="database URL (default: served)")
    hub_id = param.Selector(default=None, objects=[], allow_None=True, doc="hub to show")

    #: Whether the hub chooser also offers every hub at once (an England-wide view).
    offers_all_hubs = False
    #: Whether `hubcore serve` builds this page once before listening (its reads then come
    #: from the cache): the hub pages; not the regional view, whose figures are every hub's
    #: briefing (seconds per hub) and which few users open.
    warm_at_start = True
    #: The title in the served page's header.
    page_title = "Careers Hub"
    #: Parameter → query-string name: the state kept in the page's URL, so a view can be shared.
    url_params: dict[str, str] = {"hub_id": "hub"}

    def __init__(self, **params):
        #: The values the page was asked for (its link's), to tell the user which were not used.
        self._asked = {name: params.get(name) for name in self.url_params}
        super().__init__(**params)
        self._engine = engine_for(self.db_url)
        self._url = self._engine.url.render_as_string(hide_password=False)
        hubs = store.hubs(self._engine)
        self._hubs = hubs.set_index("id")
        #: Notices that the page shows something other than its link asked for.
        self._notices = pn.Column(sizing_mode="stretch_width")
        self._banner = layout.synthetic_banner(False)
        self._body = pn.Column(sizing_mode="stretch_width")
        # Only the hubs the user's scope covers are offered: a hub lead's page is about their
        # own hub whatever a shared link says, so the chooser must not name another.
        visible = hubs[hubs["id"].isin(visible_hubs(self._engine, hubs))]
        names = dict(zip(visible["name"], visible["id"], strict=True))
        if self.offers_all_hubs and len(visible) > 1:
            names["All hubs"] = ALL_HUBS
        self.param.hub_id.objects = list(names.values())
        self.param.hub_id.names = names
        asked = self.hub_id
        if asked not in self.param.hub_id.objects:
            # A stale, mistyped or foreign ?hub= shows the user's first hub, and says so.
            with param.discard_events(self):
                self.hub_id = next(iter(names.values()), None)
            if asked is not None:
                # Tagged with the parameter's name: Location.sync refusing the same value
                # later (_refused) then adds no second notice.
                self._fell_back("hub_id", "You can't see hub {asked}; showing {shown}.",
                                asked=asked, shown=self._hub_name())
        # From now on a value outside the chooser is refused (Location.sync reapplies the URL).
        self.param.hub_id.check_on_set = True
        #: The body's views (:meth:`show`) and the notice shown instead when there is nothing.
        self._views: list[View] = []
        self._settling: set[str] | None = None
        # Made the first time there is nothing to show (hidden otherwise: one pane fewer to
        # build and send with every new session).
        self._empty: pn.pane.Alert | None = None

    # --- state: cached reads ----------------------------------------------------------------

    def read(self, fn, *args):
        """``fn(url, key, *args)`` for this page's database and the user's scope: one of the
        cached reads of :mod:`dashboards.common.data` (shared between sessions of the same
        scope; treat the result as read-only)."""
        return fn(self._url, self._key, *args)

    # --- views: laid out once, updated in place ---------------------------------------------

    def show(self, *views: View) -> None:
        """Lay the body out once with ``views`` (each a :class:`View`) and draw them; from now
        on a change of a page parameter updates, in place, the views that follow it."""
        self._views = list(views)
        self._body[:] = list(self._views)
        names = sorted(set(self.param) - {"name", "db_url"})
        self.param.watch(self._changed, names)
        self.refresh()

    def _changed(self, *events: param.parameterized.Event) -> None:
        names = {e.name for e in events}
        if self._settling is not None:  # set by on_change: part of the update under way
            self._settling |= names
            return
        self.refresh(names)

    def refresh(self, changed: set[str] | None = None) -> None:
        """Update the views that follow the params ``changed`` (None: every view), in one
        message to the browser; show :meth:`empty`'s notice instead when there is nothing."""
        self._updating, self._key_memo = True, None
        try:
            self._update_views(changed)
        finally:
            self._updating, self._key_memo = False, None

    def _update_views(self, changed: set[str] | None) -> None:
        with pn.io.hold():
            if changed:
                self._settling = set()
                try:
                    self.on_change(changed)
                finally:
                    changed, self._settling = changed | self._settling, None
            self._banner.visible = self._synthetic()
            why = self.empty()
            if why is not None and self._empty is None:
                self._empty = pn.pane.Alert(why, alert_type="info", sizing_mode="stretch_width")
                self._body.insert(0, self._empty)
            if self._empty is not None:
                self._empty.object = why or ""
                self._empty.visible = why is not None
            for view in self._views:
                view._layout.visible = why is None
            if why is not None:
                return
            for view in self._views:
                if view.follows(changed):
                    view.update()
            # In a notebook, changes made to Bokeh models directly (the map's data and colours)
            # are sent only when Panel pushes: its hold() takes a notebook's comm callback for
            # a threaded one and drops them, so the map never redrew. A served page: no-op.
            pn.io.push_notebook(self._body)

    def on_change(self, changed: set[str]) -> None:
        """Called first when page params ``changed`` (e.g. refill the choices that depend on
        the hub); assignments made here are part of the same update."""

    def empty(self) -> str | None:
        """Why the page has nothing to show (Markdown, trusted: pass data through
        :func:`layout.md`), or None when it has something."""
        if self.hub_id is None:
            return "No hub in this database yet."
        return None

    def _synthetic(self) -> bool:
        """Whether the hub shown (any hub, for "All hubs") holds synthetic data."""
        if self.hub_id is None or "synthetic" not in self._hubs:
            return False
        if self.hub_id == ALL_HUBS:
            return bool(self._hubs["synthetic"].any())
        return bool(self._hubs.loc[self.hub_id, "synthetic"])

    def _hub_name(self) -> str:
        """The name of the hub shown ("All hubs", or "no hub" when there is none)."""
        if self.hub_id == ALL_HUBS:
            return "All hubs"
        if self.hub_id is None:
            return "no hub"
        return str(self._hubs.loc[self.hub_id, "name"])

    def _fell_back(self, tag: str, message: str, **values) -> None:
        """Show (once per ``tag``) that a value in the page's link was not used: ``message`` is a
        trusted template, ``values`` data (escaped by :func:`layout.md`)."""
        if any(getattr(n, "tags", None) == [tag] for n in self._notices):
            return
        alert = layout.notice(message, **values)
        alert.tags = [tag]
        self._notices.append(alert)

    @property
    def _key(self) -> data.ScopeKey:
        """The signed-in user's scope for the chosen hub, as the cache key of shared data
        (read once per update: every view's reads in one update share it)."""
        memo = getattr(self, "_key_memo", None)
        if memo is not None and memo[0] == self.hub_id:
            return memo[1]
        key = data.scope_key(self._url, self.hub_id)
        if getattr(self, "_updating", False):
            self._key_memo = (self.hub_id, key)
        return key

    def __panel__(self) -> pn.Column:
        return pn.Column(self._notices, self._banner, self._body, sizing_mode="stretch_width")

    def with_controls(self) -> pn.Row:
        """This component with its own filters beside it, for a notebook cell: the filters in a
        300-px column, the content taking the rest of the width (at least 600 px)."""
        return pn.Row(pn.Column(self.controls(), width=300),
                      pn.Column(self, sizing_mode="stretch_width", min_width=600),
                      sizing_mode="stretch_width")

    def _repr_mimebundle_(self, include=None, exclude=None):
        # Shown in a notebook the component brings its own filters (a served page puts them
        # in the template's sidebar instead: page()).
        return self.with_controls()._repr_mimebundle_(include, exclude)

    def controls(self) -> pn.Column:
        """The page's filters, for the page's left-hand column."""
        raise NotImplementedError

    def page(self) -> pn.Template:
        """This component in the suite's page layout, its state kept in the URL when served."""
        if pn.state.location is not None:
            self.sync_url(pn.state.location)
        # The body's own column (not the component, which Panel would wrap in one more).
        return layout.page(self.page_title, [self.__panel__()], [self.controls()])


    def sync_url(self, location: Location) -> None:
        """Keep the page's state in ``location`` (its URL): values the page refuses are
        reported on the page, and the URL is rewritten to what the page shows."""
        location.sync(self, self.url_params, on_error=self._refused)
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            # A served page's browser reports its own URL once the page has loaded, which
            # would put a refused value back: write what the page shows after that.
            pn.state.onload(lambda: self._rewrite_url(location))

    def _rewrite_url(self, location: Location) -> None:
        """Write every value the page shows into ``location``'s query, replacing those of the
        link that differ: the address bar then holds the whole view (a link copied from it
        shows the same period even after newer data arrive), never a value the page refused."""
        query = location.query_params
        shown = {}
        for name, key in self.url_params.items():
            if getattr(self, name) is None:
                continue
            value = self._link_text(name, getattr(self, name))
            if key not in query or (str(query[key]) != value
                                    and query[key] != getattr(self, name)):
                shown[key] = value
        if shown:
            location.update_query(**shown)

    def _link_text(self, name: str, value) -> str:
        """``value`` of parameter ``name`` as the URL writes it (``special,fe_college``)."""
        if isinstance(self.param[name], UrlList) and isinstance(value, list | tuple):
            return self.param[name].serialize(value)
        try:
            value = self.param[name].serialize(value)
        except Exception:  # noqa: BLE001 - a value the parameter cannot take: as it came
            return str(value)
        return value if isinstance(value, str) else json.dumps(value)

    def _shown(self, name: str) -> str:
        """What the page shows for parameter ``name``, as its chooser labels it (the choices
        of a list in words: "all", "none" or their labels)."""
        value = getattr(self, name)
        names = getattr(self.param[name], "names", None) or {}
        if isinstance(self.param[name], param.ListSelector):
            if not value:
                return "none"
            if set(value) == set(self.param[name].objects or []):
                return "all"
            from hubcore import vocabulary

            words = {v: k for k, v in names.items()}
            return ", ".join(str(words.get(v, vocabulary.label(v))) for v in value)
        label = next((k for k, v in names.items() if v == value), None)
        return str(label if label is not None else value)

    def _check_link(self) -> None:
        """Call at the end of a page's ``__init__``, once its choices are filled: report each
        value of the link the page replaced (a school or period the user cannot see, a stale
        cohort), and make every chooser refuse values outside its choices from now on."""
        for name, asked in self._asked.items():
            if name == "hub_id":
                continue  # reported in __init__, with the hub's own message
            if asked is not None and getattr(self, name) != asked:
                self._fell_back(name, "The link's {key}={value} isn't available to you here; "
                                "showing {shown}.", key=self.url_params[name],
                                value=self._link_text(name, asked), shown=self._shown(name))
            if isinstance(self.param[name], param.Selector) and self.param[name].objects:
                self.param[name].check_on_set = True

    def _refused(self, values: dict) -> None:
        """Values of the link a chooser refused (``Location.sync``'s ``on_error``)."""
        for name, value in values.items():
            known = name in self.param
            self._fell_back(name, "The link's {key}={value} isn't available to you here; "
                            "showing {shown}.", key=self.url_params.get(name, name),
                            value=self._link_text(name, value) if known else value,
                            shown=self._shown(name) if known else "the default")


def visible_hubs(engine, hubs) -> list[str]:
    """Ids of the hubs the page's user may choose: every hub for an administrator (or without
    sign-in), a hub lead's or analyst's own hub, and for a careers leader or NCS adviser the
    hubs their schools belong to."""
    scope = default_scope(engine, None)
    if scope.role is Role.ADMIN:
        return hubs["id"].tolist()
    if scope.hub_id is not None:
        return [scope.hub_id]
    member = HubMembership.__table__
    query = select(member.c.hub_id).where(
        member.c.end_date.is_(None), store.school_filter(scope, member.c.urn)).distinct()
    with engine.connect() as conn:
        return sorted(conn.execute(query).scalars())


def served_page(component: type[HubPage], db_url: str | None = None
                ) -> pn.Template:
    """The page of ``component`` for one browser session, built once with the values its URL
    gives (``?hub=…&urn=…``). Building with the defaults and then letting ``Location.sync``
    apply the URL would build the page twice: a school's profile opened from the map took
    twice as long."""
    # Every served page comes through here, under `hubcore serve` or `panel serve`.
    sockets.quiet_closed_pages()
    return build(component, _url_values(component), db_url).page()


def build(component: type[HubPage], wanted: dict, db_url: str | None = None) -> HubPage:
    """``component`` built with the ``wanted`` parameter values (a link's), leaving out, and
    noting on the page, those it can never take."""
    try:
        built = component(db_url=db_url, **wanted)
    except ValueError:
        # A value this page can never take (?layer=bogus, ?bm=99): drop it, keep the others,
        # and say so on the page.
        good, bad = {}, {}
        for name, value in wanted.items():
            try:
                component.param[name]._validate(value)
                good[name] = value
            except Exception:  # noqa: BLE001 - any refusal means the value is not used
                bad[name] = value
                chooser = component.param[name]
                if isinstance(chooser, UrlList) and isinstance(value, list):
                    # ?types=special,bogus keeps "special" (and says bogus was not used).
                    good[name] = [v for v in value if v in (chooser.objects or [])]
        try:
            built = component(db_url=db_url, **good)
        except ValueError:
            built, bad = component(db_url=db_url), wanted
        built._refused(bad)
    return built


def _url_values(component: type[HubPage]) -> dict:
    """The component's parameters given in this session's URL, read as ``Location.sync``
    reads them (so that syncing after the build changes nothing)."""
    location = pn.state.location
    if location is None:
        return {}
    query = location.query_params
    values = {}
    for name, key in component.url_params.items():
        if key in query:
            value = query[key]
            try:
                value = component.param[name].deserialize(value)
            except Exception:  # noqa: BLE001, S110 - as Location.sync: keep the raw value
                pass
            values[name] = value
    return values
