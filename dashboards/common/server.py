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
}


def page_factories(url: str) -> dict[str, Callable]:
    """One factory per page, each building a fresh page over ``url`` for every session."""
    import importlib

    factories = {}
    for name, target in PAGES.items():
        module, cls = target.split(":")
        component = getattr(importlib.import_module(module), cls)
        factories[name] = lambda component=component: component(db_url=url).page()
    return factories


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
) -> None:
    """Serve every page over the database at ``url`` until interrupted."""
    _check_port(address, port)
    # Pages opened by scripts (`panel serve dashboards/*.py`) read the URL from here too.
    os.environ[db.ENV_URL] = url
    host = "localhost" if address in ("127.0.0.1", "0.0.0.0") else address  # noqa: S104
    announce(
        f"Serving the Careers Hub dashboards over {db.describe(url)}\n"
        f"  Open http://{host}:{port}/overview   (Ctrl+C to stop)"
    )
    pn.serve(
        page_factories(url),
        port=port,
        address=address,
        show=show,
        title="Careers Hub dashboards",
        websocket_origin=[f"localhost:{port}", f"127.0.0.1:{port}", f"{address}:{port}"]
        + _extra_origins(),
        print_output=False,
        **auth_options(announce),
    )


def _extra_origins() -> list[str]:
    """Public host names behind a reverse proxy (``HUBCORE_WEBSOCKET_ORIGIN``, comma-separated,
    e.g. ``hub.example.org``), so the browser's websocket is accepted through nginx."""
    origins = os.environ.get("HUBCORE_WEBSOCKET_ORIGIN", "")
    return [o.strip() for o in origins.split(",") if o.strip()]


def auth_options(announce: Callable[[str], None] = print) -> dict:
    """``pn.serve`` options for sign-in: none while the users file is empty (a local demo);
    otherwise every page needs sign-in — hashed passwords through the login page, or the
    identity provider named by ``PANEL_OAUTH_PROVIDER`` (Panel reads ``PANEL_OAUTH_KEY``,
    ``PANEL_OAUTH_SECRET``, ``PANEL_OAUTH_EXTRA_PARAMS`` … itself) — and only users named in the
    users file get a page. The cookie secret comes from ``HUBCORE_COOKIE_SECRET``."""
    from dashboards.common import auth
    from hubcore import users

    if not users.has_users():
        return {}
    secret = auth.check_cookie_secret(os.environ.get(auth.ENV_COOKIE_SECRET))
    pn.config.authorize_callback = auth.authorize
    options: dict = {"cookie_secret": secret}
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
        announce(f"  Sign-in through {provider}; users and roles from {users.users_file()}")
    else:
        options["auth_provider"] = auth.HashedAuthProvider()
        announce(f"  Sign-in required (users file {users.users_file()}); /logout to sign out")
    return options
