"""Which database and scope a page works over.

A served page reads the database URL from ``HUBCORE_DATABASE_URL`` (set by ``hubcore serve``)
and the hub from the page's ``?hub=`` query parameter; in a notebook both are passed in.
"""

from __future__ import annotations

import os

from sqlalchemy import Engine

from hubcore import db, store
from hubcore.access import Role, Scope


def engine_for(url: str | None = None) -> Engine:
    """The engine for ``url``, or for the database ``hubcore serve`` was started with."""
    return db.get_engine(url or db.default_url())


#: The hub choice meaning "every hub" (England-wide views for an administrator).
ALL_HUBS = "*"


def default_scope(engine: Engine, hub_id: str | None = None) -> Scope:
    """The scope of the page's user. With sign-in on (the users file names users), the signed-in
    user's role and hub, school or NCS area from the users file: a hub lead or analyst always
    gets their own hub, whatever ``?hub=`` says. Without sign-in (a local demo): the whole of
    one hub, as an admin."""
    from hubcore import users

    if users.has_users():
        import panel as pn

        from dashboards.common.auth import _identity

        scope = users.user_scope(_identity(pn.state.user_info) or pn.state.user)
        if scope.role is Role.ADMIN:
            if hub_id == ALL_HUBS:
                return Scope.admin(hub_id=None, user=scope.user)
            return Scope.admin(
                hub_id=hub_id or scope.hub_id or store.default_hub_id(engine), user=scope.user
            )
        return scope
    if hub_id == ALL_HUBS:
        return Scope.admin(hub_id=None, user=os.environ.get("USER", "local"))
    hub_id = hub_id or store.default_hub_id(engine)
    return Scope.admin(hub_id=hub_id, user=os.environ.get("USER", "local"))
