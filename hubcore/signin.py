"""Sign-in attempts, throttling and server-side sessions, kept in the ``audit_event`` table.

Every attempt leaves one audit event, so the refusals an admin reads with ``hubcore audit
--action sign-in-refused`` are the same rows the throttle counts, and several ``hubcore serve``
processes behind nginx share them through the database:

* ``sign-in`` — a password accepted; ``subject`` is ``session:<sha256 of the session id>``;
* ``sign-in-refused`` — a wrong password, unknown user or throttled attempt; ``subject`` is
  ``address:<client address>`` and ``detail`` says why;
* ``sign-out`` — ``subject`` names the session it ends (the session id itself is never stored,
  only its hash, so a copy of the database cannot be turned into cookies).

A session is valid while its ``sign-in`` event is younger than :data:`SESSION_HOURS` and no
``sign-out`` names it, so ``/logout`` revokes the cookie in every process at once.

Throttling (:func:`wait_seconds`): after :data:`FREE_FAILURES_USER` wrong passwords for one user
name (since their last sign-in, within :data:`WINDOW`), or :data:`FREE_FAILURES_ADDRESS` from one
address, each further attempt must wait ``2 ** (failures - free)`` seconds after the last
failure, at most :data:`MAX_WAIT` seconds. An attempt made too early is refused without checking
the password. This module never imports Panel; the login page is in
``dashboards/common/auth.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, insert, select

from hubcore import users
from hubcore.models import AuditEvent

T_AUDIT = AuditEvent.__table__

SIGN_IN = "sign-in"
REFUSED = "sign-in-refused"
SIGN_OUT = "sign-out"

#: How far back failures count (a quiet quarter of an hour forgives them).
WINDOW = dt.timedelta(minutes=15)
#: Wrong passwords for one user name before the back-off starts.
FREE_FAILURES_USER = 5
#: Wrong passwords from one address (any names) before the back-off starts: higher than per
#: user because a school's staff share one address behind its router.
FREE_FAILURES_ADDRESS = 20
#: The longest wait the back-off asks for, in seconds.
MAX_WAIT = 900.0
#: How long a session lasts after signing in, in hours (the cookie expires then too).
SESSION_HOURS = 12
#: Longest user name or password looked at (longer input is cut, never hashed whole).
MAX_INPUT = 256


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes; every event is written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def session_subject(session_id: str) -> str:
    """The audit ``subject`` naming a session: a hash, never the id itself."""
    return "session:" + hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _write(engine: Engine, user: str, role: str, action: str, subject: str,
           detail: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(insert(T_AUDIT).values(
            at=_now(), user=user[:100], role=role[:30], action=action, subject=subject[:200],
            detail=detail,
        ))


def _failures(engine: Engine, column, value: str, since: dt.datetime
              ) -> tuple[int, dt.datetime | None]:
    """Wrong-password refusals where ``column == value`` since ``since``: count and latest."""
    query = select(func.count(), func.max(T_AUDIT.c.at)).where(
        T_AUDIT.c.at >= since, T_AUDIT.c.action == REFUSED, column == value,
        T_AUDIT.c.detail == "wrong password",
    )
    with engine.connect() as conn:
        count, latest = conn.execute(query).one()
    return int(count), (_aware(latest) if latest is not None else None)


def _last_sign_in(engine: Engine, name: str, since: dt.datetime) -> dt.datetime | None:
    query = select(func.max(T_AUDIT.c.at)).where(
        T_AUDIT.c.at >= since, T_AUDIT.c.action == SIGN_IN, T_AUDIT.c.user == name
    )
    with engine.connect() as conn:
        latest = conn.execute(query).scalar()
    return _aware(latest) if latest is not None else None


def backoff(failures: int, free: int) -> float:
    """Seconds to wait after the last failure, given ``failures`` so far and ``free`` allowed:
    0 up to ``free``, then 1, 2, 4, … seconds, at most :data:`MAX_WAIT`."""
    if failures < free:
        return 0.0
    return min(2.0 ** (failures - free), MAX_WAIT)


def wait_seconds(engine: Engine, name: str, address: str, now: dt.datetime | None = None) -> float:
    """How many more seconds ``name`` from ``address`` must wait before an attempt is checked
    (0: check it now)."""
    now = now or _now()
    since = now - WINDOW
    # A successful sign-in forgives that user's earlier mistakes (not the address's).
    since_user = max(since, _last_sign_in(engine, name, since) or since)
    waits = []
    for column, value, start, free in (
        (T_AUDIT.c.user, name[:100], since_user, FREE_FAILURES_USER),
        (T_AUDIT.c.subject, f"address:{address}", since, FREE_FAILURES_ADDRESS),
    ):
        count, latest = _failures(engine, column, value, start)
        if latest is not None:
            waits.append(backoff(count, free) - (now - latest).total_seconds())
    return max([0.0, *waits])


@dataclass(frozen=True)
class Attempt:
    """What became of one sign-in attempt."""

    user: users.User | None
    session_id: str | None = None
    #: Seconds the caller must wait before trying again (throttled attempts only).
    retry_after: float = 0.0


def attempt(engine: Engine, name: str, password: str, address: str) -> Attempt:
    """Check one sign-in (slow on purpose: scrypt; run it off the event loop). On success a
    new session is opened and its id returned; every refusal is written to the audit table."""
    name, password = name[:MAX_INPUT], password[:MAX_INPUT]
    wait = wait_seconds(engine, name, address)
    if wait > 0:
        _write(engine, name, "none", REFUSED, f"address:{address}",
               f"throttled: {wait:.0f} s to wait")
        return Attempt(None, retry_after=wait)
    user = users.authenticate(name, password)
    if user is None:
        _write(engine, name, "none", REFUSED, f"address:{address}", "wrong password")
        return Attempt(None)
    session_id = secrets.token_urlsafe(32)
    _write(engine, user.name, user.role, SIGN_IN, session_subject(session_id),
           f"from {address}")
    return Attempt(user, session_id)


def session_user(engine: Engine, session_id: str | None, now: dt.datetime | None = None
                 ) -> str | None:
    """The user a live session belongs to, or ``None`` if it is unknown, expired or signed
    out."""
    if not session_id:
        return None
    now = now or _now()
    subject = session_subject(session_id)
    query = select(T_AUDIT.c.action, T_AUDIT.c.user).where(and_(
        T_AUDIT.c.at >= now - dt.timedelta(hours=SESSION_HOURS),
        T_AUDIT.c.subject == subject,
        T_AUDIT.c.action.in_((SIGN_IN, SIGN_OUT)),
    ))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    actions = {action: user for action, user in rows}
    if SIGN_OUT in actions or SIGN_IN not in actions:
        return None
    return actions[SIGN_IN]


def sign_out(engine: Engine, session_id: str | None, name: str | None) -> None:
    """End a session everywhere (its cookie no longer signs anyone in)."""
    if session_id:
        _write(engine, name or "unknown", "none", SIGN_OUT, session_subject(session_id))
