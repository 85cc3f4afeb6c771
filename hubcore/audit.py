"""Reading the audit trail: who viewed or exported pupil-level data, imported or removed
records, and when (written by :func:`hubcore.store.record_audit`, the importers and
:mod:`hubcore.retention`)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, select

from hubcore.models import AuditEvent

T_AUDIT = AuditEvent.__table__
COLUMNS = ["at", "user", "role", "action", "subject", "rows", "detail"]


def events(
    engine: Engine,
    user: str | None = None,
    since: dt.datetime | dt.date | None = None,
    action: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Audit events, newest first, optionally for one user, action or period."""
    query = select(*(T_AUDIT.c[c] for c in COLUMNS))
    if user is not None:
        query = query.where(T_AUDIT.c.user == user)
    if action is not None:
        query = query.where(T_AUDIT.c.action == action)
    if since is not None:
        if not isinstance(since, dt.datetime):
            since = dt.datetime.combine(since, dt.time())
        if since.tzinfo is None:  # events are stored in UTC
            since = since.replace(tzinfo=dt.UTC)
        query = query.where(T_AUDIT.c.at >= since)
    query = query.order_by(T_AUDIT.c.at.desc(), T_AUDIT.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"])
    return frame
