"""Which local authorities make up an English region, combined authority or LSIP area.

Membership comes from the official lookups imported with ``hubcore import area-lookup`` (table
``area_membership``: ONS LA district → region or combined authority, DfE LA district → Local
Skills Improvement Plan area). For regions, LA boundary rows (``area`` of kind ``lad`` or
``utla``) whose ``parent_code`` is the region also count, as they always have.

The lookups list LA *districts* (lower tier: E06, E07, E08, E09), while schools carry both
their upper-tier LA (``la_gss``: E06, E08, E09, E10) and their district (``lad_gss``). Unitary
authorities, metropolitan districts and London boroughs have one code for both tiers; a county
(E10) is reached through its districts (E07). Callers matching schools should therefore match
either column (as :func:`hubcore.display.region.area_hub_ids` does).

A district ONS gave a new code keeps its old one too (:data:`RECODED`), so schools stored from
an older GIAS extract still match a newer lookup and the other way round.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, func, select

from hubcore.errors import HubcoreError
from hubcore.models import Area, AreaMembership

#: Code prefix → (parent kind in ``area_membership``, what one is called, what several are
#: called, the lookup to import).
KINDS: dict[str, tuple[str, str, str, str]] = {
    "E12": ("region", "region", "regions", "the ONS 'Local Authority District to Region' lookup"),
    "E47": ("cauth", "combined authority", "combined authorities",
            "the ONS 'Local Authority District to Combined Authority' lookup"),
    "E69": ("lsip", "LSIP area", "LSIP areas", "the DfE 'LA Districts to LSIPs' lookup"),
}
#: Districts ONS recoded, new code ↔ old code (April 2025 Barnsley-Sheffield boundary change:
#: the May 2025 lookups use the new codes, GIAS extracts and 2024 boundaries the old ones).
RECODED: dict[str, str] = {"E08000038": "E08000016", "E08000039": "E08000019"}

_T = AreaMembership.__table__
_AREA = Area.__table__


def area_kind(code: str) -> str:
    """``"region"``, ``"cauth"`` or ``"lsip"`` for a code of that shape (E12, E47 or E69 and six
    digits); a clear error in words for any other code."""
    code = code.strip().upper()
    if re.fullmatch(r"E(12|47|69)\d{6}", code):
        return KINDS[code[:3]][0]
    raise HubcoreError(
        f"{code!r} is not an English region (E12…, e.g. E12000004), combined authority (E47…, "
        "e.g. E47000001 Greater Manchester) or LSIP area (E69…) code"
    )


def _members(conn, kind: str, code: str) -> set[str]:
    """Districts in ``code`` in the newest edition of its kind's lookup that lists it (an
    older edition is not mixed in: a district that left an area stays out)."""
    newest = select(func.max(_T.c.vintage)).where(
        _T.c.parent_kind == kind, _T.c.parent_code == code
    ).scalar_subquery()
    return set(conn.execute(
        select(_T.c.child_code).where(_T.c.parent_kind == kind, _T.c.parent_code == code,
                                      _T.c.vintage == newest)
    ).scalars())


def las_in(engine: Engine, code: str) -> list[str]:
    """GSS codes of the local authorities in English region (E12…), combined authority (E47…)
    or LSIP area (E69…) ``code``, sorted. Lookups give districts (E06-E09); for a region, LA
    boundary rows placed in it (districts or upper tier) are added. A recoded district is
    listed under both its codes (:data:`RECODED`).

    Raises :class:`HubcoreError`, in words, for a code of another shape, or when no LA in the
    database is in the area (naming the areas of that kind present and the lookup to import).
    """
    code = code.strip().upper()
    kind = area_kind(code)
    with engine.connect() as conn:
        las = _members(conn, kind, code)
        if kind == "region":
            las |= set(conn.execute(
                select(_AREA.c.code).where(_AREA.c.kind.in_(("lad", "utla")),
                                           _AREA.c.parent_code == code)
            ).scalars())
        if not las:
            present = set(conn.execute(
                select(_T.c.parent_code).where(_T.c.parent_kind == kind).distinct()
            ).scalars())
            if kind == "region":
                present |= {c for c in conn.execute(
                    select(_AREA.c.parent_code).where(_AREA.c.kind.in_(("lad", "utla"))).distinct()
                ).scalars() if c and c.startswith("E12")}
    if not las:
        _, word, words, lookup = KINDS[code[:3]]
        listed = ", ".join(_named(engine, c) for c in sorted(present)[:20])
        more = f" and {len(present) - 20} more" if len(present) > 20 else ""
        raise HubcoreError(
            f"no local authority in the database is in {word} {_named(engine, code)}; "
            f"{words} present: "
            + (listed + more if listed else f"none (import {lookup} with `hubcore import "
               "area-lookup FILE`)")
        )
    for new, old in RECODED.items():
        if new in las or old in las:
            las |= {new, old}
    return sorted(las)


def _named(engine: Engine, code: str) -> str:
    """``"E47000001 (Greater Manchester)"``, or the code alone when no name is known."""
    name = area_name(engine, code)
    return f"{code} ({name})" if name != code else code


def area_name(engine: Engine, code: str) -> str:
    """The name of region, combined authority or LSIP area ``code``: from the newest lookup
    imported that names it, else a stored ``region`` area row, else (regions) the ONS name;
    the code itself when none is known."""
    code = code.strip().upper()
    with engine.connect() as conn:
        name = conn.execute(
            select(_T.c.parent_name).where(_T.c.parent_code == code, _T.c.parent_name.is_not(None))
            .order_by(_T.c.vintage.desc(), _T.c.id.desc()).limit(1)
        ).scalar()
        if not name:
            name = conn.execute(
                select(_AREA.c.name).where(_AREA.c.code == code, _AREA.c.kind == "region")
            ).scalar()
    if name:
        return str(name)
    if code.startswith("E12"):
        # Imported here: the display layer imports this module.
        from hubcore.display.region import REGIONS

        return REGIONS.get(code, code)
    return code
