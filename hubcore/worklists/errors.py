"""Why a worklist edit was refused, in plain words (each is a :class:`HubcoreError`, so the CLI
prints the message as one line)."""

from __future__ import annotations

import datetime as dt

from hubcore.errors import AccessDenied, HubcoreError


class StaleEdit(HubcoreError):
    """The record changed after the writer read it (optimistic concurrency): nothing was saved.

    ``seen`` and ``now`` are the version the writer saw and the stored one; ``by`` and ``at``
    name the last change the suite knows of (``None`` when only an import changed it)."""

    def __init__(self, what: str, seen: int | None, now: int, by: str | None = None,
                 at: dt.datetime | None = None) -> None:
        self.seen, self.now, self.by, self.at = seen, now, by, at
        if by is not None and at is not None:
            who = f"by {by} on {at:%d %B %Y} at {at:%H:%M} UTC"
        else:
            who = "by an import"
        super().__init__(
            f"This {what} was changed {who} after you opened it (version {seen} → {now}). "
            "Reload to see the change; nothing was saved."
        )


class OutOfScope(AccessDenied):
    """The edit is outside the writer's scope (another school, another area's cases, a role
    that may not make this change), or the record is not one the writer may see."""


class InvalidEdit(HubcoreError):
    """The edit breaks a rule the importers also apply (codes, date order, …): nothing was
    saved."""
