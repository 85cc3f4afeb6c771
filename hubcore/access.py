"""Who may see what: roles and the scope every read in :mod:`hubcore.store` takes.

A :class:`Scope` names a role and the part of the hub it covers. Pupil-level rows (leavers,
destinations, hand-overs) leave the store only where :meth:`Scope.pupil_rows_allowed` says so;
every other role gets aggregates, with small numbers suppressed (:mod:`hubcore.disclosure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hubcore.errors import HubcoreError


class Role(StrEnum):
    """The roles of a hub deployment."""

    ADMIN = "admin"
    HUB_LEAD = "hub_lead"
    CAREERS_LEADER = "careers_leader"
    NCS_ADVISER = "ncs_adviser"
    LA_TRACKING = "la_tracking"
    ANALYST = "analyst"


@dataclass(frozen=True)
class Scope:
    """The part of the data a read may touch, and as whom.

    - ``admin``: everything.
    - ``hub_lead``: the schools of ``hub_id``; pupil-level hand-overs only where the hub's
      data-sharing flag allows (checked by the store against the ``hub`` table).
    - ``careers_leader``: school ``urn`` only, with its own leavers.
    - ``ncs_adviser``: hand-overs referred to the NCS in upper-tier LA ``ncs_area``.
    - ``la_tracking``: an LA tracking officer: hand-overs referred to LA tracking in upper-tier
      LA ``ncs_area`` (the field keeps its name; for this role it is the LA the officer tracks
      for).
    - ``analyst``: aggregates only, suppressed.
    """

    role: Role = Role.ADMIN
    hub_id: str | None = None
    urn: int | None = None
    ncs_area: str | None = None
    user: str = "system"

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        if self.role is Role.CAREERS_LEADER and self.urn is None:
            raise HubcoreError("a careers leader's scope needs the URN of their school")
        if self.role is Role.NCS_ADVISER and self.ncs_area is None:
            raise HubcoreError("an NCS adviser's scope needs the LA code of their area")
        if self.role is Role.LA_TRACKING and self.ncs_area is None:
            raise HubcoreError(
                "an LA tracking officer's scope needs the code of the upper-tier LA they track "
                "for (area, e.g. E08000035)"
            )
        if self.role in (Role.HUB_LEAD, Role.ANALYST) and self.hub_id is None:
            raise HubcoreError(f"a {self.role.value} scope needs a hub")

    @classmethod
    def admin(cls, hub_id: str | None = None, user: str = "system") -> Scope:
        """Everything (optionally narrowed to one hub)."""
        return cls(Role.ADMIN, hub_id=hub_id, user=user)

    @property
    def aggregates_only(self) -> bool:
        """True for roles that only ever see suppressed aggregates."""
        return self.role is Role.ANALYST

    @property
    def handover_area_role(self) -> bool:
        """True for the roles that see hand-overs to one area's receiving service (NCS adviser,
        LA tracking officer) rather than the hand-overs of a set of schools."""
        return self.role in (Role.NCS_ADVISER, Role.LA_TRACKING)

    def pupil_rows_allowed(self, hub_shares_pupil_data: bool = False) -> bool:
        """Whether pupil-level rows may be returned to this scope at all."""
        if self.role in (Role.ADMIN, Role.CAREERS_LEADER, Role.NCS_ADVISER, Role.LA_TRACKING):
            return True
        if self.role is Role.HUB_LEAD:
            return hub_shares_pupil_data
        return False
