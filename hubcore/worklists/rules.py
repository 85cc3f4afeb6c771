"""The rules every worklist write follows, apart from the transaction itself
(:mod:`hubcore.worklists.writes`): who may change what (:func:`may_edit_school`,
:func:`may_work_case`), the importers' validation rules on one record (:func:`check_case`,
:func:`check_date`, :func:`check_code`), the versions writers compare (a hand-over's
``version`` column; :func:`leaver_versions` for a leaver), the before/after snapshots history
keeps, and the RONI band the careers leader's list shows (:func:`roni_bands`).

Roles are compared by their value (``scope.role.value``), so the LA tracking role works however
:class:`hubcore.access.Role` spells it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from collections.abc import Iterable, Mapping

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from hubcore import codes, store
from hubcore.access import Scope
from hubcore.errors import AccessDenied
from hubcore.metrics import risk
from hubcore.metrics.transitions import OPEN_STATUSES
from hubcore.models import HANDOVER_OUTCOMES, OUTCOME_STATUS, CaseEvent
from hubcore.worklists.errors import InvalidEdit, OutOfScope

T_EVENT = CaseEvent.__table__

#: The receiving organisation whose cases each area role works (as store.AREA_ROLE_TARGET,
#: by role value).
AREA_TARGET = {"ncs_adviser": "ncs", "la_tracking": "la_tracking"}
#: Where a careers leader refers a leaver from a worklist: the services that have a worklist.
REFER_TO: tuple[str, ...] = tuple(AREA_TARGET.values())
#: Hand-over fields a case event keeps before and after (and a revert may put back).
CASE_FIELDS = (
    "to_org_type", "ncs_area", "reason", "left_on", "referred_on", "contacted_on", "attempts",
    "last_attempt_on", "outcome", "outcome_on", "outcome_nccis_code", "status",
    "intended_nccis_code", "held_by", "held_since",
)  # fmt: skip
#: Destination record fields a case event keeps.
DESTINATION_FIELDS = ("recorded_on", "kind", "nccis_code", "category", "source", "provider",
                      "provider_urn")  # fmt: skip
DATE_FIELDS = frozenset({"left_on", "referred_on", "contacted_on", "last_attempt_on",
                         "outcome_on", "held_since", "recorded_on"})  # fmt: skip
#: Earliest date the importers accept (hubcore.ingest.validate.Checker.parse_date).
EARLIEST = dt.date(2000, 1, 1)
#: Upper-tier LA codes a hand-over's area may hold (the ck_handover_ncs_area rule; X for the
#: synthetic demo areas).
AREA_CODE = re.compile(r"(E06|E08|E09|E10|X06|X10)[0-9A-Za-z]{6}")
#: RONI bands of the worklists: the suite's bands (hubcore.metrics.risk.DEFAULT_BANDS, from
#: DOMAIN.md §4.4: 0 none, 1 offer support, 2-3 extra support, 4+ substantial support) in
#: three words: low = none or offer (0-1 points), medium = additional (2-3), high =
#: substantial (4+, the reports' "high risk").
RONI_WORDS = {"none": "low", "offer": "low", "additional": "medium", "substantial": "high"}


# --- scope ------------------------------------------------------------------------------------


def role(scope: Scope) -> str:
    """The scope's role value ("admin", "careers_leader", …)."""
    return scope.role.value


def guard_pupil_rows(engine: Engine, scope: Scope, what: str) -> None:
    """:func:`hubcore.store._guard_pupil_rows`, raising :class:`OutOfScope` for writers (a hub
    lead edits pupil records only where the hub's data sharing lets them see them)."""
    try:
        store._guard_pupil_rows(engine, scope, what)
    except OutOfScope:
        raise
    except AccessDenied as exc:
        raise OutOfScope(str(exc)) from None


def in_hub(conn: Connection, hub_id: str, urn: int) -> bool:
    """Whether school ``urn`` is a current member of hub ``hub_id``."""
    m = store.T_MEMBER.c
    found = conn.execute(select(func.count()).where(
        m.hub_id == hub_id, m.urn == int(urn), m.end_date.is_(None))).scalar_one()
    return bool(found)


def may_edit_school(conn: Connection, scope: Scope, urn: int, hub_lead: bool = True) -> bool:
    """Whether ``scope`` may change the leavers of school ``urn``: a careers leader their own
    school, a hub lead (unless ``hub_lead`` is false) the hub's schools, an admin every school
    (of their hub, if the scope names one)."""
    r = role(scope)
    if r == "careers_leader":
        return int(urn) == int(scope.urn)
    if r == "hub_lead":
        return hub_lead and in_hub(conn, scope.hub_id, urn)
    if r == "admin":
        return scope.hub_id is None or in_hub(conn, scope.hub_id, urn)
    return False


def may_work_case(conn: Connection, scope: Scope, case: Mapping) -> bool:
    """Whether ``scope`` may record contact or an outcome on ``case`` (a hand-over row): an NCS
    adviser the NCS cases of their area, an LA tracking officer the LA-tracking cases of their
    LA, a hub lead the cases of the hub's schools, an admin all (of their hub)."""
    r = role(scope)
    target = AREA_TARGET.get(r)
    if target is not None:
        return case["to_org_type"] == target and case["ncs_area"] == scope.ncs_area
    if r in ("hub_lead", "admin"):
        return may_edit_school(conn, scope, case["from_urn"])
    return False


def may_reassign(conn: Connection, scope: Scope, case: Mapping) -> bool:
    """Whether ``scope`` may hand ``case`` to someone else: a hub lead (own hub), an admin."""
    return role(scope) in ("hub_lead", "admin") and may_edit_school(conn, scope, case["from_urn"])


def refuse(what: str) -> OutOfScope:
    """The refusal for a record outside the writer's scope, worded the same whether it exists
    or not (so a refusal tells nothing about other schools' leavers)."""
    return OutOfScope(f"{what} is not among the records you may change")


# --- validation (the importers' rules) --------------------------------------------------------


def check_date(value, name: str, today: dt.date | None = None) -> dt.date:
    """``value`` as a date; refused when it is not one, is later than today or earlier than
    2000-01-01 (the importers' ``future_date`` and ``date_too_early`` rules)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidEdit(f"{name} must be a date like 2025-03-31") from None
    if not isinstance(value, dt.date):
        raise InvalidEdit(f"{name} must be a date like 2025-03-31")
    today = today or dt.date.today()
    if value > today:
        raise InvalidEdit(f"{name} {value:%Y-%m-%d} is in the future")
    if value < EARLIEST:
        raise InvalidEdit(f"{name} {value:%Y-%m-%d} is before {EARLIEST:%Y-%m-%d}")
    return value


def check_code(value, name: str) -> int:
    """An NCCIS current-activity code (:data:`hubcore.codes.NCCIS_CATEGORY`)."""
    bad = InvalidEdit(f"{name} {value} is not an NCCIS current-activity code")
    if isinstance(value, bool) or value is None:
        raise bad
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise bad
        code = int(value.strip())
    else:
        try:
            code = int(value)
        except (TypeError, ValueError):
            raise bad from None
        if code != value:  # 230.5
            raise bad
    if code not in codes.NCCIS_CATEGORY:
        raise bad
    return code


def check_choice(value, allowed: Iterable[str], name: str) -> str:
    """``value`` from a closed list (lower case, as the importers compare)."""
    allowed = tuple(allowed)
    text = str(value).strip().lower() if value is not None else ""
    if text not in allowed:
        raise InvalidEdit(f"{name} must be one of: {', '.join(allowed)}")
    return text


def check_outcome(value) -> str:
    """One of :data:`hubcore.models.HANDOVER_OUTCOMES`."""
    return check_choice(value, HANDOVER_OUTCOMES, "outcome")


def check_area(value) -> str:
    """An upper-tier LA code a hand-over may name (:data:`AREA_CODE`)."""
    text = str(value).strip() if value is not None else ""
    if not AREA_CODE.fullmatch(text):
        raise InvalidEdit(f"area {value!r} is not an upper-tier LA code like E08000035")
    return text


def check_user_name(value) -> str:
    """A user name to hold a case: 1-100 printable characters."""
    text = str(value).strip() if value is not None else ""
    if not text or len(text) > 100 or not text.isprintable():
        raise InvalidEdit("give the user name (1 to 100 printable characters) to hand the case to")
    return text


def check_case(case: Mapping) -> None:
    """The importers' date-order and status rules (hubcore.ingest.hubrecords._handovers, the
    ``handover`` CHECK constraints) on a whole hand-over row as it would be stored."""
    referred = case.get("referred_on")
    left = case.get("left_on")
    if referred is not None and left is not None and referred < left:
        raise InvalidEdit(f"the referral date {referred:%Y-%m-%d} is before the young person "
                          f"left ({left:%Y-%m-%d})")
    for column, words in (("contacted_on", "contact date"), ("last_attempt_on",
                          "contact attempt date"), ("outcome_on", "outcome date")):
        value = case.get(column)
        if value is None:
            continue
        if referred is None:
            raise InvalidEdit(f"a {words} needs a referral first (the case has no referral "
                              "date)")
        if value < referred:
            raise InvalidEdit(f"the {words} {value:%Y-%m-%d} is before the referral "
                              f"({referred:%Y-%m-%d})")
    status = case.get("status")
    if status != "pending" and referred is None:
        raise InvalidEdit("a status other than pending needs a referral date")
    if status in ("contacted", "engaged") and case.get("contacted_on") is None:
        raise InvalidEdit(f"status {status} needs the date the young person was first reached "
                          "(record the contact first)")
    if case.get("outcome") is not None and case.get("outcome_on") is None:
        raise InvalidEdit("an outcome needs its date")
    outcome = case.get("outcome")
    if outcome is not None and OUTCOME_STATUS.get(outcome) != status:
        raise InvalidEdit(f"outcome {outcome} goes with status {OUTCOME_STATUS.get(outcome)}")


# --- versions and snapshots -------------------------------------------------------------------


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def case_snapshot(case: Mapping) -> dict:
    """The :data:`CASE_FIELDS` of a hand-over row, with its ``case_id`` and ``version``, as
    JSON-ready values (dates as ISO text)."""
    out = {"case_id": int(case["id"]), "version": int(case["version"])}
    out.update({f: _plain(case[f]) for f in CASE_FIELDS})
    return out


def destination_snapshot(record: Mapping | None, leaver_key: str) -> dict | None:
    """A destination record's :data:`DESTINATION_FIELDS` with ``record_id`` and
    ``leaver_key`` (``None`` for no record)."""
    if record is None:
        return None
    out = {"record_id": int(record["id"]), "leaver_key": leaver_key}
    out.update({f: _plain(record[f]) for f in DESTINATION_FIELDS})
    return out


def to_json(snapshot: dict | None) -> str | None:
    """Snapshot as stored in ``case_event.before``/``after`` (keys sorted)."""
    return None if snapshot is None else json.dumps(snapshot, sort_keys=True)


def from_json(text: str | None) -> dict | None:
    """A stored snapshot back as a dict (dates stay ISO text)."""
    return json.loads(text) if isinstance(text, str) and text else None


def stored_value(field: str, value):
    """A snapshot value as the column stores it (ISO text back to a date)."""
    if value is not None and field in DATE_FIELDS:
        return dt.date.fromisoformat(value)
    return value


def leaver_versions(conn: Connection, keys: Iterable[str]) -> dict[str, int]:
    """The version of each leaver's worklist row (``keys``): a checksum (1 to 2**31-1) of their
    destination records (id, date, kind, code, source, provider) and hand-overs (id,
    receiving organisation). Any change to them, by the suite or by an import, changes it, so
    an edit based on an older read is refused (:class:`StaleEdit`)."""
    d, h = store.T_DEST.c, store.T_HANDOVER.c
    chosen = list(dict.fromkeys(str(k) for k in keys))
    parts: dict[str, list] = {k: [] for k in chosen}
    for start in range(0, len(chosen), 5_000):  # well under every driver's parameter limit
        chunk = chosen[start : start + 5_000]
        recs = conn.execute(
            select(d.leaver_key, d.id, d.recorded_on, d.kind, d.nccis_code, d.source,
                   d.provider).where(d.leaver_key.in_(chunk)).order_by(d.leaver_key, d.id))
        for row in recs:
            parts[row[0]].append(("d", *row[1:]))
        hands = conn.execute(select(h.leaver_key, h.id, h.to_org_type)
                             .where(h.leaver_key.in_(chunk)).order_by(h.leaver_key, h.id))
        for row in hands:
            parts[row[0]].append(("h", *row[1:]))
    # default=str: dates as ISO text, whatever type the driver returns them as
    return {key: (zlib.crc32(json.dumps(items, default=str).encode()) & 0x7FFFFFFF) or 1
            for key, items in parts.items()}


def last_change(conn: Connection, handover_id: int | None = None, leaver_key: str | None = None
                ) -> tuple[str | None, dt.datetime | None, int | None]:
    """Who made the latest suite change to a case or a leaver's row, when (UTC), and the
    case version it left (``None``s when the suite never changed it)."""
    e = T_EVENT.c
    cond = e.handover_id == handover_id if handover_id is not None else e.leaver_key == leaver_key
    row = conn.execute(select(e.user, e.at, e.after).where(cond, e.action != "import_conflict")
                       .order_by(e.at.desc(), e.id.desc()).limit(1)).first()
    if row is None:
        return None, None, None
    at = row[1]
    if isinstance(at, dt.datetime) and at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    after = from_json(row[2]) or {}
    return row[0], at, after.get("version")


# --- RONI ---------------------------------------------------------------------------------------


def roni_bands(leavers: pd.DataFrame) -> pd.DataFrame:
    """Per leaver row: ``roni_score`` (points; as recorded, else scored from the leaver's
    indicators with the suite's weights, :func:`hubcore.metrics.risk.roni_scores`) and
    ``roni_band`` ("low" 0-1, "medium" 2-3, "high" 4+; :data:`RONI_WORDS`)."""
    if leavers.empty:
        return pd.DataFrame({"roni_score": pd.Series(dtype="Int64"),
                             "roni_band": pd.Series(dtype=object)}, index=leavers.index)
    scored = risk.roni_scores(leavers)
    recorded = pd.to_numeric(leavers["roni_score"], errors="coerce")
    score = recorded.where(recorded.notna(), scored).astype("int64")
    band = risk.roni_band(score).map(RONI_WORDS).astype(object)
    return pd.DataFrame({"roni_score": score.astype("Int64"), "roni_band": band},
                        index=leavers.index)


def open_case_filter():
    """SQL condition for an open case (:data:`OPEN_STATUSES`)."""
    return store.T_HANDOVER.c.status.in_(list(OPEN_STATUSES))

