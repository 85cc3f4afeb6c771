"""Hand-off worklists: the suite as the place where a hand-over is made, picked up and closed.

A careers leader sees their school's leavers without a confirmed destination, refers one to
the NCS or LA tracking and confirms or corrects destinations; an NCS adviser or LA tracking
officer works the cases referred to them (contact attempts, outcome); a hub lead sees all of it
for the hub, who holds each open case and for how long, and can hand a case to someone else.
Every write is scoped, validated by the importers' rules, concurrency-safe (a version token),
audited with before and after values and kept in an append-only history that can be reverted.
The rules: ``docs/worklists.md``; the contract the other modules code against:
``/work/team/WORKLISTS_API.md``.
"""

from hubcore.worklists.errors import InvalidEdit, OutOfScope, StaleEdit
from hubcore.worklists.reads import (
    CASE_COLUMNS,
    FUNNEL_STAGES,
    HISTORY_COLUMNS,
    LEAVER_COLUMNS,
    cases,
    funnel,
    history,
    leavers_to_confirm,
)
from hubcore.worklists.rules import RONI_WORDS, leaver_versions
from hubcore.worklists.writes import (
    confirm_destination,
    reassign,
    record_contact,
    record_outcome,
    refer,
    revert,
)

__all__ = [
    "CASE_COLUMNS", "FUNNEL_STAGES", "HISTORY_COLUMNS", "LEAVER_COLUMNS", "RONI_WORDS",
    "InvalidEdit", "OutOfScope", "StaleEdit", "cases", "confirm_destination", "funnel",
    "history", "leaver_versions", "leavers_to_confirm", "reassign", "record_contact",
    "record_outcome", "refer", "revert",
]  # fmt: skip
