"""Exceptions that carry a message meant for the user (printed as one line by the CLI)."""


class HubcoreError(Exception):
    """A problem the user can act on: bad input, a missing database, a refused read."""


class AccessDenied(HubcoreError):
    """The scope asked for data its role may not see (for example pupil-level rows)."""
