"""Sign-in for the served dashboards.

Panel's own basic auth compares plain-text passwords from a JSON file. Here the same login page
checks the scrypt hashes of :mod:`hubcore.users` instead, through :mod:`hubcore.signin`:

* the check runs in a small thread pool (:data:`SIGN_IN_WORKERS` threads), never on the server's
  event loop, so wrong passwords cost other users nothing but CPU; at most
  :data:`MAX_PENDING` checks wait at once (more are refused as "busy");
* attempts are throttled per user name and per address, and every refusal is audited;
* a successful sign-in opens a server-side session (its id in the ``hubcore_session`` cookie,
  its hash in the audit table), checked on every page load and websocket, so ``/logout``
  revokes it in every process behind nginx, and a cookie forged with a leaked secret is still
  refused without a live session id;
* cookies are ``HttpOnly``, ``SameSite=Lax``, and ``Secure`` when the browser came over HTTPS.

:class:`HashedAuthProvider` hands the login and logout pages to Panel's server
(``pn.serve(..., auth_provider=HashedAuthProvider())``, which ``hubcore serve`` does). It is
deliberately not registered as a ``panel.auth`` entry point: Panel imports every entry point
while ``panel.auth`` itself is still importing, which makes a circular import of this module.

:func:`authorize` is Panel's ``authorize_callback``: it runs on every page load (HTTP GET) and
lets in only users named in the users file (so removing a user locks them out at once, even
with a valid cookie). What each user may *see* is enforced in :mod:`hubcore.store` through the
scope :func:`dashboards.common.context.default_scope` builds from ``pn.state.user``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor

from panel.auth import BasicAuthProvider, BasicLoginHandler, LogoutHandler, _validate_next_url
from panel.config import config
from panel.io.resources import LOCAL_DIST
from panel.io.state import state
from panel.util import base64url_encode
from tornado.websocket import WebSocketHandler

from dashboards.common import security
from hubcore import db, signin, users

log = logging.getLogger(__name__)
ENV_COOKIE_SECRET = "HUBCORE_COOKIE_SECRET"  # noqa: S105 - the variable's name, not a secret
MIN_SECRET = 32
#: The cookie holding the server-side session id (signed, HttpOnly, kept out of page tokens).
SESSION_COOKIE = "hubcore_session"
#: Threads checking passwords: half the cores, so pages keep the rest (scrypt releases the GIL).
SIGN_IN_WORKERS = max(1, (os.cpu_count() or 2) // 2)
#: Sign-in checks allowed to wait for a thread; beyond it, "busy, try again".
MAX_PENDING = 64
_EXECUTOR = ThreadPoolExecutor(max_workers=SIGN_IN_WORKERS, thread_name_prefix="hubcore-signin")
_pending = 0
#: The only messages the login page shows (``?error=`` picks one; it cannot carry free text).
MESSAGES = {
    "invalid": "Invalid username or password.",
    "throttled": "Too many attempts: wait {wait} s and try again.",
    "busy": "The server is busy: try again in a minute.",
}
_COOKIE_DAYS = signin.SESSION_HOURS / 24


def _engine():
    # `hubcore serve` puts the served database's URL in the environment before serving.
    return db.get_engine(db.default_url())


class _CookieFlags:
    """Every cookie this handler sets is HttpOnly and SameSite=Lax, and Secure over HTTPS.
    (Lax, not Strict: a shared link opened from an e-mail should still find the user signed
    in; Lax already keeps the cookies off cross-site form posts.)"""

    def set_cookie(self, name, value, *args, **kwargs):
        kwargs.setdefault("httponly", True)
        kwargs.setdefault("samesite", "Lax")
        if security.is_https(self.request):
            kwargs.setdefault("secure", True)
        return super().set_cookie(name, value, *args, **kwargs)


class HashedLoginHandler(_CookieFlags, BasicLoginHandler):
    """Panel's login form, checked against the hashed users file off the event loop."""

    def get(self) -> None:
        code = self.get_argument("error", "")
        message = MESSAGES.get(code, "")
        wait = self.get_argument("wait", "")
        message = message.format(wait=int(wait) if wait.isdigit() else "a few")
        next_url = _validate_next_url(self.get_argument("next", state.base_url))
        if next_url:
            self.set_cookie("next_url", next_url)
        # Panel's page takes its icon from a CDN; the Content-Security-Policy allows only this
        # server, which serves the same files.
        self.write(self._login_template.render(
            login_endpoint=self._login_endpoint, errormessage=message, PANEL_CDN=LOCAL_DIST,
        ))

    async def post(self) -> None:
        global _pending
        name = self.get_argument("username", "")
        password = self.get_argument("password", "")
        address = security.client_address(self.request)
        if _pending >= MAX_PENDING:
            log.warning("sign-in refused for %r from %s: %d checks waiting",
                        name[:100], address, _pending)
            self._refuse("busy")
            return
        _pending += 1
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(
                _EXECUTOR, signin.attempt, _engine(), name, password, address
            )
        finally:
            _pending -= 1
        if result.user is None:
            log.warning("sign-in refused for %r from %s%s", name[:100], address,
                        f" (throttled {result.retry_after:.0f} s)" if result.retry_after else "")
            if result.retry_after:
                self._refuse("throttled", math.ceil(result.retry_after))
            else:
                self._refuse("invalid")
            return
        self.set_current_user(result.user.name, result.session_id)
        self.redirect(_validate_next_url(self.get_cookie("next_url", state.base_url)) or "/")

    def _refuse(self, code: str, wait: int | None = None) -> None:
        query = f"?error={code}" + (f"&wait={wait}" if wait is not None else "")
        self.redirect(self._login_endpoint + query)

    def set_current_user(self, user, session_id: str | None = None) -> None:
        self.clear_cookie("is_guest")
        if not user or not session_id:
            self.clear_cookie("user")
            self.clear_cookie(SESSION_COOKIE)
            return
        path = config.cookie_path
        self.set_signed_cookie("user", user, expires_days=_COOKIE_DAYS, path=path)
        self.set_signed_cookie(SESSION_COOKIE, session_id, expires_days=_COOKIE_DAYS, path=path)
        # Panel reads the user's identity for pages from this one (pn.state.user_info).
        id_token = base64url_encode(json.dumps({"user": user}))
        if state.encryption:
            id_token = state.encryption.encrypt(id_token.encode("utf-8"))
        self.set_signed_cookie("id_token", id_token, expires_days=_COOKIE_DAYS, path=path)


class HashedLogoutHandler(_CookieFlags, LogoutHandler):
    """Signs out: ends the server-side session (in every process), then clears the cookies."""

    async def get(self) -> None:
        session_id = self.get_signed_cookie(SESSION_COOKIE, max_age_days=_COOKIE_DAYS)
        user = self.get_signed_cookie("user", max_age_days=_COOKIE_DAYS)
        if session_id:
            await asyncio.get_running_loop().run_in_executor(
                None, signin.sign_out, _engine(), session_id.decode(),
                user.decode() if user else None,
            )
        for name in ("user", "id_token", SESSION_COOKIE, "is_guest", "next_url"):
            self.clear_cookie(name, path=config.cookie_path)
        self.write(self._logout_template.render(
            PANEL_CDN=LOCAL_DIST, LOGIN_ENDPOINT=self._login_endpoint
        ))


def signed_in_user(handler) -> str | None:
    """The user of a request: both signed cookies valid and their session live (not signed
    out, not older than :data:`hubcore.signin.SESSION_HOURS`), else ``None``."""
    name = handler.get_signed_cookie("user", max_age_days=_COOKIE_DAYS)
    session_id = handler.get_signed_cookie(SESSION_COOKIE, max_age_days=_COOKIE_DAYS)
    if not name or not session_id:
        return None
    name = name.decode("utf-8")
    if signin.session_user(_engine(), session_id.decode("utf-8")) != name:
        return None
    return name


class HashedAuthProvider(BasicAuthProvider):
    """Panel's basic auth provider with :class:`HashedLoginHandler` as its login page, server
    -side sessions checked for every page and websocket, and :class:`HashedLogoutHandler`."""

    @property
    def get_user(self):
        def get_user(handler):
            user = signed_in_user(handler)
            if user and isinstance(handler, WebSocketHandler):
                state._active_users[user] += 1  # as Panel's provider counts them
            return user

        return get_user

    @property
    def login_handler(self):
        HashedLoginHandler._login_endpoint = self._login_endpoint
        HashedLoginHandler._login_template = self._login_template
        return HashedLoginHandler

    @property
    def logout_handler(self):
        HashedLogoutHandler._logout_template = self._logout_template
        HashedLogoutHandler._login_endpoint = self._login_endpoint
        return HashedLogoutHandler


def _identity(user_info: dict | None) -> str | None:
    if not user_info:
        return None
    # Basic auth gives {"user": name}; OIDC providers give the id_token claims, of which the
    # one named by PANEL_OAUTH_JWT_USER (if set), else the email, names the user.
    claims = ("user", config.oauth_jwt_user, "email", "preferred_username", "upn", "username")
    for claim in filter(None, claims):
        if user_info.get(claim):
            return str(user_info[claim])
    return None


def authorize(user_info: dict | None, path: str | None = None) -> bool:
    """Panel ``authorize_callback``: only users in the users file may load a page."""
    name = _identity(user_info)
    allowed = name is not None and name in users.load_users()
    if not allowed:
        log.warning("page %s refused to %r (not in the users file)", path, name)
    return allowed


def check_cookie_secret(secret: str | None) -> str:
    """The cookie secret, or a clear one-line error when it is missing, short or guessable
    (judged by :func:`hubcore.users.secret_bits`)."""
    from hubcore.errors import HubcoreError

    make = "make one with `hubcore secret`"
    if not secret:
        raise HubcoreError(
            f"the users file names users, so sign-in is on, but {ENV_COOKIE_SECRET} is not set; "
            f"{make}"
        )
    if len(secret) < MIN_SECRET:
        raise HubcoreError(
            f"{ENV_COOKIE_SECRET} is too short: use at least {MIN_SECRET} characters ({make})"
        )
    bits = users.secret_bits(secret)
    if bits < users.MIN_SECRET_BITS:
        raise HubcoreError(
            f"{ENV_COOKIE_SECRET} is too predictable (about {bits:.0f} bits of entropy, "
            f"{users.MIN_SECRET_BITS} needed: repeated or sequential characters can be "
            f"guessed, and a guessed secret forges sign-in cookies); {make}"
        )
    return secret
