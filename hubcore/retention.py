"""Retention of pupil-level records: leavers are kept for three years after leaving, then
removed (DOMAIN.md §7, the Compass+ practice).

A leaver is *due* when ``left_on`` is more than ``years`` years before ``as_of``. Removal deletes,
in one transaction, the leaver's destination records, hand-overs and the leaver row itself, and
writes one audit event saying how many of each went. Aggregates already published are not
affected; the suite's own aggregates simply stop counting the removed cohort.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select

from hubcore import data_version, rollups
from hubcore.access import Role, Scope
from hubcore.errors import HubcoreError
from hubcore.models import AuditEvent, CaseEvent, DestinationRecord, Handover, Leaver

T_LEAVER = Leaver.__table__
T_DEST = DestinationRecord.__table__
T_HANDOVER = Handover.__table__
DEFAULT_YEARS = 3


@dataclass(frozen=True)
class RetentionResult:
    cutoff: dt.date
    applied: bool
    leavers: int
    destinations: int
    handovers: int
    by_cohort: pd.DataFrame  # school, cohort, leavers due

    def describe(self) -> str:
        verb = "Removed" if self.applied else "Would remove"
        return (
            f"{verb} {self.leavers:,} leavers who left before {self.cutoff.isoformat()}, with "
            f"{self.destinations:,} destination records and {self.handovers:,} hand-overs"
            + ("" if self.applied else " (dry run: add --apply to remove them)")
        )


def cutoff_date(as_of: dt.date, years: int) -> dt.date:
    """``as_of`` minus ``years`` years (29 February falls back to the 28th)."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:
        return as_of.replace(year=as_of.year - years, day=28)


def run(
    engine: Engine,
    scope: Scope,
    years: int = DEFAULT_YEARS,
    as_of: dt.date | None = None,
    apply: bool = False,
) -> RetentionResult:
    """Find (and with ``apply`` remove) the leavers due for removal. Admins only."""
    if scope.role is not Role.ADMIN:
        raise HubcoreError("only an admin may run retention")
    if years < 1:
        raise HubcoreError("--years must be at least 1")
    as_of = as_of or dt.date.today()
    cutoff = cutoff_date(as_of, years)
    due = select(T_LEAVER.c.key).where(T_LEAVER.c.left_on < cutoff)
    with engine.begin() as conn:
        if apply:  # first: the writer's turn and the new data version (hubcore.data_version)
            data_version.bump(conn)
        by_cohort = pd.DataFrame(
            conn.execute(
                select(T_LEAVER.c.urn, T_LEAVER.c.cohort, func.count().label("leavers"))
                .where(T_LEAVER.c.left_on < cutoff)
                .group_by(T_LEAVER.c.urn, T_LEAVER.c.cohort)
                .order_by(T_LEAVER.c.cohort, T_LEAVER.c.urn)
            ).all(),
            columns=["urn", "cohort", "leavers"],
        )

        def count(table, column) -> int:
            return conn.execute(
                select(func.count()).select_from(table).where(column.in_(due))
            ).scalar_one()

        n_dest = count(T_DEST, T_DEST.c.leaver_key)
        n_hand = count(T_HANDOVER, T_HANDOVER.c.leaver_key)
        n_leavers = int(by_cohort["leavers"].sum()) if len(by_cohort) else 0
        if apply:
            conn.execute(delete(T_DEST).where(T_DEST.c.leaver_key.in_(due)))
            # Worklist history holds the same young people's values (and points at their
            # hand-overs): it goes with them.
            events = CaseEvent.__table__
            conn.execute(delete(events).where(events.c.leaver_key.in_(due)))
            conn.execute(delete(T_HANDOVER).where(T_HANDOVER.c.leaver_key.in_(due)))
            conn.execute(delete(T_LEAVER).where(T_LEAVER.c.left_on < cutoff))
            rollups.refresh_for_tables(
                conn, ["leaver", "destination_record", "handover"], by_cohort["urn"]
            )
            conn.execute(
                insert(AuditEvent.__table__).values(
                    at=dt.datetime.now(dt.UTC),
                    user=scope.user,
                    role=scope.role.value,
                    action="retention",
                    subject="leavers",
                    rows=n_leavers,
                    detail=(
                        f"removed leavers who left before {cutoff.isoformat()} ({years} years "
                        f"before {as_of.isoformat()}): {n_leavers} leavers, {n_dest} destination "
                        f"records, {n_hand} hand-overs"
                    ),
                )
            )
    return RetentionResult(cutoff, apply, n_leavers, n_dest, n_hand, by_cohort)
