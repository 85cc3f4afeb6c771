"""Which database and scope a page works over.

A served page reads the database URL from ``HUBCORE_DATABASE_URL`` (set by ``hubcore serve``)
and the hub from the page's ``?hub=`` query parameter; in a notebook both are passed in.
"""

from __future__ import annotations

import os

from sqlalchemy import Engine

from hubcore import db, store
from hubcore.access import Scope


def engine_for(url: str | None = None) -> Engine:
    """The engine for ``url``, or for the database ``hubcore serve`` was started with."""
    return db.get_engine(url or db.default_url())


def default_scope(engine: Engine, hub_id: str | None = None) -> Scope:
    """The scope of a page opened without signing in: the whole of one hub, as its lead."""
    hub_id = hub_id or store.default_hub_id(engine)
    return Scope.admin(hub_id=hub_id, user=os.environ.get("USER", "local"))
