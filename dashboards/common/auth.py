"""Sign-in for the served dashboards.

Panel's own basic auth compares plain-text passwords from a JSON file. Here the same login page
checks the scrypt hashes of :mod:`hubcore.users` instead: :class:`HashedLoginHandler` overrides
``BasicLoginHandler._validate`` and :class:`HashedAuthProvider` hands it to Panel's server
(``pn.serve(..., auth_provider=HashedAuthProvider())``, which ``hubcore serve`` does). It is
deliberately not registered as a ``panel.auth`` entry point: Panel imports every entry point
while ``panel.auth`` itself is still importing, which makes a circular import of this module.

:func:`authorize` is Panel's ``authorize_callback``: it runs on every page load (HTTP GET) and
lets in only users named in the users file (so removing a user locks them out at once, even
with a valid cookie). What each user may *see* is enforced in :mod:`hubcore.store` through the
scope :func:`dashboards.common.context.default_scope` builds from ``pn.state.user``.
"""

from __future__ import annotations

import logging

from panel.auth import BasicAuthProvider, BasicLoginHandler

from hubcore import users

log = logging.getLogger(__name__)
ENV_COOKIE_SECRET = "HUBCORE_COOKIE_SECRET"  # noqa: S105 - the variable's name, not a secret
MIN_SECRET = 32


class HashedLoginHandler(BasicLoginHandler):
    """Panel's login form, checked against the hashed users file."""

    def _validate(self, username, password):
        user = users.authenticate(username or "", password or "")
        if user is None:
            log.warning("sign-in refused for %r from %s", username, self.request.remote_ip)
            return False
        return True


class HashedAuthProvider(BasicAuthProvider):
    """Panel's basic auth provider with :class:`HashedLoginHandler` as its login page."""

    @property
    def login_handler(self):
        HashedLoginHandler._login_endpoint = self._login_endpoint
        HashedLoginHandler._login_template = self._login_template
        return HashedLoginHandler


def _identity(user_info: dict | None) -> str | None:
    if not user_info:
        return None
    # Basic auth gives {"user": name}; OIDC providers give the id_token claims, of which the
    # one named by PANEL_OAUTH_JWT_USER (if set), else the email, names the user.
    import panel as pn

    claims = ("user", pn.config.oauth_jwt_user, "email", "preferred_username", "upn", "username")
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
    """The cookie secret, or a clear one-line error when it is missing or too short."""
    from hubcore.errors import HubcoreError

    if not secret:
        raise HubcoreError(
            f"the users file names users, so sign-in is on, but {ENV_COOKIE_SECRET} is not set; "
            f"set it to a long random value (e.g. `panel secret` or "
            f"`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    if len(secret) < MIN_SECRET:
        raise HubcoreError(
            f"{ENV_COOKIE_SECRET} is too short: use at least {MIN_SECRET} characters"
        )
    return secret
