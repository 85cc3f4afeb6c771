"""Serving the dashboard pages from one Panel server (used by ``hubcore serve`` and ``demo``)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import panel as pn

from hubcore import db
from hubcore.errors import HubcoreError

#: Page name → module holding its component (each has a ``page()`` factory).
PAGES = {
    "overview": "dashboards.overview:AreaOverview",
    "profile": "dashboards.profile:SchoolProfile",
    "employers": "dashboards.employers:EmployerSupply",
    "transitions": "dashboards.transitions:Transitions",
    "region": "dashboards.region:RegionView",
    "worklists": "dashboards.worklists:Worklists",
}


def page_factories(url: str) -> dict[str, Callable]:
    """One factory per page, each building a fresh page over ``url`` for every session."""
    from dashboards.common.page import served_page
    from dashboards.index import Landing

    # Functions, not partials: Panel serves a function's result but would display a partial.
    # "/" is the suite's own landing page (instead of Panel's index of apps, which fetches
    # fonts and scripts from other hosts).
    return {"/": lambda: served_page(Landing, url),
            **{name: (lambda component=component: served_page(component, url))
               for name, component in components().items()}}


def components() -> dict[str, type]:
    """Page name → its component class."""
    import importlib

    found = {}
    for name, target in PAGES.items():
        module, cls = target.split(":")
        found[name] = getattr(importlib.import_module(module), cls)
    return found


def _check_port(address: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError as exc:
            raise HubcoreError(
                f"cannot listen on {address}:{port} ({exc.strerror}); is another server running? "
                "Choose another with --port"
            ) from None


def serve(
    url: str,
    port: int = 5006,
    address: str = "127.0.0.1",
    show: bool = False,
    announce: Callable[[str], None] = print,
    no_sign_in: bool = False,
) -> None:
    """Serve every page over the database at ``url`` until interrupted.

    Without users (no users file, a mistyped ``HUBCORE_USERS_FILE`` or an empty file) the pages
    have no sign-in, so the server refuses to listen beyond loopback unless ``no_sign_in`` says
    that is meant (``--no-sign-in``, printed as a warning)."""
    from dashboards.common import auth, security

    # Sign-in settings first: a server that must refuse to start (no users on a public
    # address, a weak cookie secret) does so before binding the port or warming the cache.
    sign_in = auth_options(announce, address=address, no_sign_in=no_sign_in)
    _check_port(address, port)
    # Pages opened by scripts (`panel serve dashboards/*.py`) read the URL from here too.
    os.environ[db.ENV_URL] = url
    # Bokeh checks every new session's document for model configuration mistakes (a glyph
    # without a renderer, a range without a plot) and only logs what it finds: ~4 % of a
    # session's server CPU for nothing a user sees. Off when serving; BOKEH_VALIDATE_DOC=true
    # in the environment (tests, development) turns it back on.
    os.environ.setdefault("BOKEH_VALIDATE_DOC", "false")
    host = "localhost" if address in ("127.0.0.1", "0.0.0.0") else address  # noqa: S104
    try:
        warm(url, announce)
    except Exception as exc:  # noqa: BLE001 - an optimisation only: the pages read on demand
        announce(f"  Cache not warmed ({type(exc).__name__}: {exc}); pages will read on demand")
    announce(
        f"Serving the Careers Hub dashboards over {db.describe(url)}\n"
        f"  Open http://{host}:{port}/   (Ctrl+C to stop)"
    )
    server = pn.serve(
        page_factories(url),
        port=port,
        address=address,
        show=show,
        start=False,
        title="Careers Hub dashboards",
        websocket_origin=[f"localhost:{port}", f"127.0.0.1:{port}", f"{address}:{port}"]
        + _extra_origins(),
        print_output=False,
        # Ours first: the start-up script of every page, and /components restricted.
        extra_patterns=security.patterns(),
        # The session id stays out of the page's Bokeh token (which page script can read).
        exclude_cookies=[auth.SESSION_COOKIE],
        **sign_in,
    )
    security.install(server._tornado)
    server.start()
    try:
        server.io_loop.start()
    except RuntimeError:  # as Panel's own start: the loop was stopped from a signal handler
        pass


#: What the log says once every benchmark's layers are cached (benchmarks wait for it).
WARM_DONE = "Warmed every benchmark's map layers"
#: Hub-wide scopes warmed at start at most (one per hub lead, analyst or admin hub).
MAX_WARM_SCOPES = 8


def warm(url: str, announce: Callable[[str], None] = print) -> None:
    """Before listening, fill this process's cache (``pn.cache``) with what the first session of
    each page reads, so a hub lead's first page does not pay the cold database reads: without
    sign-in, by building each page once over the default hub (the same calls, so the same cache
    keys, and Bokeh and Panel's code paths run once); with sign-in, for the hub-wide scopes of
    the users file. In a background thread follow, first, the national map's every layer (the
    overview's raster of all hubs, and of any scope at national zoom; per scope key,
    ``data.warm_national``), then the other benchmarks' cold-spot layers."""
    import threading
    import time

    from dashboards.common import data
    from hubcore import store, users
    from hubcore.access import Role

    started = time.perf_counter()
    engine = db.get_engine(url)
    url = engine.url.render_as_string(hide_password=False)  # as the pages key their cache
    if store.default_hub_id(engine) is None:
        return
    if users.has_users():
        keys = []
        for user in users.load_users().values():
            scope = user.scope()
            if scope.role in (Role.HUB_LEAD, Role.ANALYST, Role.ADMIN):
                key = (scope.role.value, scope.hub_id or store.default_hub_id(engine), None, None)
                if key not in keys:
                    keys.append(key)
        keys = keys[:MAX_WARM_SCOPES]
        for key in keys:
            data.warm(url, key)
        # An administrator may choose every hub at once: that scope's key, as the page builds
        # it (default_scope gives an admin choosing "*" no hub).
        national = [*keys, *([(Role.ADMIN.value, None, None, None)] if any(
            u.scope().role is Role.ADMIN for u in users.load_users().values()) else [])]
    else:
        for component in components().values():
            if component.warm_at_start:
                component(db_url=url).page()
        keys = [data.scope_key(url, None)]
        national = list(keys)
        if len(store.hubs(engine)) > 1:  # the overview also offers every hub at once
            from dashboards.common.context import ALL_HUBS
            from dashboards.overview import AreaOverview

            AreaOverview(db_url=url, hub_id=ALL_HUBS)
            national.append(data.scope_key(url, ALL_HUBS))
    announce(f"  Warmed the cache in {time.perf_counter() - started:.1f} s")

    def rest() -> None:
        started = time.perf_counter()
        try:
            # The national map's layers first: a first choice of England's NEET layer would
            # otherwise read for half a minute. Each scope's own (warm_national skips scopes
            # drawn as polygons).
            for key in national:
                data.warm_national(url, key)
            for key in keys:
                data.warm(url, key, benchmarks=tuple(range(1, 9)))
        except Exception as exc:  # noqa: BLE001 - an optimisation only, as above
            announce(f"  Other benchmarks not warmed ({type(exc).__name__}: {exc})")
            return
        announce(f"  {WARM_DONE} in {time.perf_counter() - started:.1f} s")

    threading.Thread(target=rest, name="hubcore-warm", daemon=True).start()


def _extra_origins() -> list[str]:
    """Public host names behind a reverse proxy (``HUBCORE_WEBSOCKET_ORIGIN``, comma-separated,
    e.g. ``hub.example.org``), so the browser's websocket is accepted through nginx."""
    origins = os.environ.get("HUBCORE_WEBSOCKET_ORIGIN", "")
    return [o.strip() for o in origins.split(",") if o.strip()]


def is_loopback(address: str) -> bool:
    """Whether ``address`` is reachable only from this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _no_users_reason() -> str:
    from hubcore import users

    path = users.users_file()
    if not path.exists():
        named = f" ({users.ENV_USERS_FILE} names it: a typo?)" if os.environ.get(
            users.ENV_USERS_FILE) else ""
        return f"the users file {path} does not exist{named}"
    return f"the users file {path} names no users"


def auth_options(announce: Callable[[str], None] = print, address: str = "127.0.0.1",
                 no_sign_in: bool = False) -> dict:
    """``pn.serve`` options for sign-in, and the start-up line saying which mode the server is
    in. Without users: no sign-in, on loopback only unless ``no_sign_in`` (then a warning).
    With users: every page needs sign-in — hashed passwords through the login page, or the
    identity provider named by ``PANEL_OAUTH_PROVIDER`` (Panel reads ``PANEL_OAUTH_KEY``,
    ``PANEL_OAUTH_SECRET``, ``PANEL_OAUTH_EXTRA_PARAMS`` … itself) — and only users named in the
    users file get a page. The cookie secret comes from ``HUBCORE_COOKIE_SECRET``."""
    from dashboards.common import auth
    from hubcore import users

    if not users.has_users():
        reason = _no_users_reason()
        if is_loopback(address):
            announce(f"  No sign-in, loopback only ({address}): {reason}; "
                     "`hubcore users add` turns sign-in on")
        elif no_sign_in:
            announce(f"  WARNING: no sign-in, listening on {address} (--no-sign-in): anyone "
                     "who can reach this port sees every page, including pupil rows")
        else:
            raise HubcoreError(
                f"refusing to serve on {address} without sign-in: {reason}, so anyone who "
                "can reach this port would see every page, including pupil rows. Add users "
                "(`hubcore users add`, and point HUBCORE_USERS_FILE at that file), listen on "
                "127.0.0.1, or pass --no-sign-in if every machine that can reach it is trusted"
            )
        return {}
    if no_sign_in:
        raise HubcoreError(
            f"--no-sign-in, but {users.users_file()} names users: sign-in stays on while it "
            "does; remove the option (or serve with another HUBCORE_USERS_FILE)"
        )
    secret = auth.check_cookie_secret(os.environ.get(auth.ENV_COOKIE_SECRET))
    pn.config.authorize_callback = auth.authorize
    options: dict = {"cookie_secret": secret}
    count = len(users.load_users())
    provider = os.environ.get("PANEL_OAUTH_PROVIDER")
    if provider:
        # `panel serve` encrypts the provider's tokens in the cookies; pn.serve leaves it to us.
        key = pn.config.oauth_encryption_key
        if not key:
            raise HubcoreError(
                "PANEL_OAUTH_PROVIDER is set but PANEL_OAUTH_ENCRYPTION is not: tokens would sit "
                "unencrypted in cookies; set it to the output of `panel oauth-secret`"
            )
        try:
            from cryptography.fernet import Fernet
        except ImportError:
            raise HubcoreError("OAuth sign-in needs `pip install cryptography`") from None
        pn.state.encryption = Fernet(key)
        options["oauth_provider"] = provider
        announce(f"  Sign-in on, through {provider}: {count} users in {users.users_file()}")
    else:
        options["auth_provider"] = auth.HashedAuthProvider()
        announce(f"  Sign-in on: {count} users in {users.users_file()}; /logout to sign out")
    return options
