"""What every dashboard page shares: the database, the hub chooser, the synthetic-data banner
and the scope its cached data are keyed by."""

from __future__ import annotations

import panel as pn
import param

from dashboards.common import data, layout
from dashboards.common.context import ALL_HUBS, engine_for
from hubcore import store


class HubPage(pn.viewable.Viewer):
    """Base of the dashboard components: over ``db_url`` (default: the served database), for
    ``hub_id`` (default: the first hub). Subclasses fill ``self._body``."""

    db_url = param.String(default=None, allow_None=True, doc="database URL (default: served)")
    hub_id = param.Selector(default=None, objects=[], doc="hub to show")

    #: Whether the hub chooser also offers every hub at once (an England-wide view).
    offers_all_hubs = False

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
        if self.hub_id is None and len(hubs):
            with param.discard_events(self):
                self.hub_id = hubs["id"].iat[0]

    @property
    def _key(self) -> data.ScopeKey:
        """The signed-in user's scope for the chosen hub, as the cache key of shared data."""
        return data.scope_key(self._url, self.hub_id)

    def __panel__(self) -> pn.Column:
        return pn.Column(self._banner, self._body, sizing_mode="stretch_width")
