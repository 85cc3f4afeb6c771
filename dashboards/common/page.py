"""What every dashboard page shares: the database, the hub chooser, the synthetic-data banner
and the scope its cached data are keyed by."""

from __future__ import annotations

import panel as pn
import param

from dashboards.common import data, layout, sockets
from dashboards.common.context import ALL_HUBS, engine_for
from hubcore import store


class HubPage(pn.viewable.Viewer):
    """Base of the dashboard components: over ``db_url`` (default: the served database), for
    ``hub_id`` (default: the first hub). Subclasses fill ``self._body``."""

    db_url = param.String(default=None, allow_None=True, doc="database URL (default: served)")
    hub_id = param.Selector(default=None, objects=[], doc="hub to show")

    #: Whether the hub chooser also offers every hub at once (an England-wide view).
    offers_all_hubs = False
    #: The title in the served page's header.
    page_title = "Careers Hub"
    #: Parameter → query-string name: the state kept in the page's URL, so a view can be shared.
    url_params: dict[str, str] = {"hub_id": "hub"}

    def __init__(self, **params):
        super().__init__(**params)
        self._engine = engine_for(self.db_url)
        self._url = self._engine.url.render_as_string(hide_password=False)
        hubs = store.hubs(self._engine)
        self._hubs = hubs.set_index("id")
        names = dict(zip(hubs["name"], hubs["id"], strict=True))
        if self.offers_all_hubs and len(hubs) > 1:
            names["All hubs"] = ALL_HUBS
        self.param.hub_id.objects = list(names.values())
        self.param.hub_id.names = names
        self._banner = layout.synthetic_banner(False)
        self._body = pn.Column(sizing_mode="stretch_width")
        # An unknown hub (a stale or mistyped ?hub= in a shared link) shows the first hub.
        if self.hub_id not in self.param.hub_id.objects and len(hubs):
            with param.discard_events(self):
                self.hub_id = hubs["id"].iat[0]

    @property
    def _key(self) -> data.ScopeKey:
        """The signed-in user's scope for the chosen hub, as the cache key of shared data."""
        return data.scope_key(self._url, self.hub_id)

    def __panel__(self) -> pn.Column:
        return pn.Column(self._banner, self._body, sizing_mode="stretch_width")

    def controls(self) -> pn.Column:
        """The page's filters, for the page's left-hand column."""
        raise NotImplementedError

    def page(self) -> pn.Template:
        """This component in the suite's page layout, its state kept in the URL when served."""
        if pn.state.location is not None:
            pn.state.location.sync(self, self.url_params)
        return layout.page(self.page_title, [self], [self.controls()])


def served_page(component: type[HubPage], db_url: str | None = None
                ) -> pn.Template:
    """The page of ``component`` for one browser session, built once with the values its URL
    gives (``?hub=…&urn=…``). Building with the defaults and then letting ``Location.sync``
    apply the URL would build the page twice: a school's profile opened from the map took
    twice as long."""
    # Every served page comes through here, under `hubcore serve` or `panel serve`.
    sockets.quiet_closed_pages()
    wanted = _url_values(component)
    try:
        built = component(db_url=db_url, **wanted)
    except ValueError:  # a value in the URL this page cannot take: its defaults, as before
        built = component(db_url=db_url)
    return built.page()


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
