"""Worklist writes: refer a leaver, record contact and outcomes, confirm a destination, hand a
case to someone else, revert an earlier change.

Every write follows the same steps (docs/worklists.md):

1. the writer's scope (:mod:`hubcore.worklists.rules`: a careers leader only their school, an
   NCS adviser only NCS cases in their area, an LA tracking officer only LA-tracking cases in
   their LA, a hub lead only their hub, an admin everything) — :class:`OutOfScope`;
2. the importers' rules on the values given and on the record as it would be stored (NCCIS
   codes, reasons and targets from :mod:`hubcore.codes`, no future dates, the hand-over date
   order) — :class:`InvalidEdit`;
3. one transaction that first bumps the data version (:func:`hubcore.data_version.bump`, which
   also makes writers take turns), then compares the version the writer saw with the stored
   one (:class:`StaleEdit`, nothing saved), writes the change, appends a ``case_event`` with
   the values before and after, writes an ``audit_event`` (action ``edit``, before and after
   in ``detail``) and recounts the summary tables of the school concerned
   (:func:`hubcore.rollups.refresh_for_tables`), so pages and metrics see the change at once.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hubcore import codes, data_version, rollups, store
from hubcore.access import Scope
from hubcore.models import OUTCOME_STATUS
from hubcore.worklists import rules
from hubcore.worklists.errors import InvalidEdit, OutOfScope, StaleEdit

T_HANDOVER = store.T_HANDOVER
T_DEST = store.T_DEST
T_LEAVER = store.T_LEAVER
T_SCHOOL = store.T_SCHOOL
T_EVENT = rules.T_EVENT
T_AUDIT = store.T_AUDIT

#: Case-event actions that change a hand-over, and those that change a destination record.
CASE_ACTIONS = ("refer", "contact", "outcome", "reassign", "offline_import")
DESTINATION_ACTIONS = ("confirm_destination", "correct_destination")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _today() -> dt.date:
    return dt.date.today()


# --- shared steps -----------------------------------------------------------------------------


def _record(conn: Connection, scope: Scope, action: str, leaver_key: str, urn: int,
            handover_id: int | None, before: dict | None, after: dict | None) -> int:
    """Append the case event and its audit event; the event's id."""
    at = _now()
    event_id = conn.execute(insert(T_EVENT).values(
        at=at, user=scope.user, role=rules.role(scope), action=action,
        handover_id=handover_id, leaver_key=leaver_key, urn=int(urn),
        before=rules.to_json(before), after=rules.to_json(after),
    )).inserted_primary_key[0]
    subject = (f"worklist {action}: case {handover_id}" if handover_id is not None
               else f"worklist {action}: leaver destination")
    detail = {"event_id": int(event_id), "action": action, "leaver_key": leaver_key,
              "urn": int(urn), "case_id": handover_id, "before": before, "after": after}
    conn.execute(insert(T_AUDIT).values(
        at=at, user=scope.user, role=rules.role(scope), action="edit", subject=subject,
        rows=1, detail=json.dumps(detail, sort_keys=True),
    ))
    return int(event_id)


def _load_case(conn: Connection, case_id) -> dict | None:
    try:
        ident = int(case_id)
    except (TypeError, ValueError):
        return None
    row = conn.execute(select(T_HANDOVER).where(T_HANDOVER.c.id == ident)).mappings().first()
    return None if row is None else dict(row)


def _load_leaver(conn: Connection, leaver_key) -> dict | None:
    lv = T_LEAVER.c
    row = conn.execute(
        select(lv.key, lv.urn, lv.left_on, T_SCHOOL.c.la_gss)
        .join(T_SCHOOL, T_SCHOOL.c.urn == lv.urn)
        .where(lv.key == str(leaver_key))
    ).mappings().first()
    return None if row is None else dict(row)


#: Every write but a referral must say which version its writer saw.
NO_VERSION = ("give the version you saw (from the worklist) so that a change made since is "
              "not overwritten")


def _seen(version) -> int | None:
    """The version the writer saw, as a whole number (``None`` when not given)."""
    if version is None:
        return None
    try:
        return int(version)
    except (TypeError, ValueError):
        raise InvalidEdit(f"version {version!r} must be a whole number") from None


def _case_stale(conn: Connection, case: dict, seen: int | None) -> None:
    if seen is None:
        raise InvalidEdit(NO_VERSION)
    if seen != case["version"]:
        by, at, version = rules.last_change(conn, handover_id=case["id"])
        if version != case["version"]:  # the latest change was an import's, not a suite edit
            by, at = None, None
        raise StaleEdit("case", seen, int(case["version"]), by, at)


def _leaver_stale(conn: Connection, key: str, seen: int | None, required: bool = True) -> int:
    if seen is None and required:
        raise InvalidEdit(NO_VERSION)
    now = rules.leaver_versions(conn, [key])[key]
    if seen is not None and seen != now:
        by, at, _ = rules.last_change(conn, leaver_key=key)
        raise StaleEdit("leaver's record", seen, now, by, at)
    return now


def _leaver_for_edit(conn: Connection, scope: Scope, leaver_key, seen: int | None,
                     hub_lead: bool = True, required: bool = True) -> tuple[dict, int]:
    """The opening of every write to a leaver's records: bump the data version first (so
    writers take turns from here), load leaver ``leaver_key``, refuse it unless ``scope`` may
    edit its school (a hub lead only if ``hub_lead``), then compare the version the writer saw.
    Returns the leaver's row and their current version."""
    data_version.bump(conn)
    leaver = _load_leaver(conn, leaver_key)
    if leaver is None or not rules.may_edit_school(conn, scope, leaver["urn"], hub_lead=hub_lead):
        raise rules.refuse(f"leaver {leaver_key}")
    return leaver, _leaver_stale(conn, leaver["key"], seen, required=required)


def _update_case(conn: Connection, scope: Scope, case: dict, changes: dict,
                 action: str) -> int:
    """Write ``changes`` to ``case`` (after :func:`rules.check_case` on the result), with the
    version +1, the editor, the case event, the audit event and the school's summaries."""
    new = {**case, **changes}
    rules.check_case(new)
    version = int(case["version"]) + 1
    stamp = {"version": version, "edited_at": _now(), "edited_by": scope.user}
    done = conn.execute(update(T_HANDOVER).where(
        T_HANDOVER.c.id == case["id"], T_HANDOVER.c.version == case["version"]
    ).values(**changes, **stamp))
    if done.rowcount != 1:  # cannot happen under the writers' lock; never overwrite silently
        raise StaleEdit("case", case["version"], case["version"] + 1)
    _record(conn, scope, action, case["leaver_key"], case["from_urn"], case["id"],
            rules.case_snapshot(case), rules.case_snapshot({**new, **stamp}))
    rollups.refresh_for_tables(conn, ["handover"], {int(case["from_urn"])})
    return version


def _work_case(engine: Engine, scope: Scope, case_id, version, allowed, change) -> int:
    """The transaction of a write to one case: bump, load, scope (``allowed``), version,
    ``change(conn, case)`` → (action, changes)."""
    rules.guard_pupil_rows(engine, scope, "hand-overs")
    seen = _seen(version)
    try:
        with engine.begin() as conn:
            data_version.bump(conn)
            case = _load_case(conn, case_id)
            if case is None or not allowed(conn, scope, case):
                raise rules.refuse(f"case {case_id}")
            _case_stale(conn, case, seen)
            action, changes = change(conn, case)
            return _update_case(conn, scope, case, changes, action)
    except IntegrityError as exc:  # a rule the checks above missed: refuse, never half-save
        raise InvalidEdit(f"the change breaks a rule of the stored data ({exc.orig})") from None


# --- writes -----------------------------------------------------------------------------------


def refer(engine: Engine, scope: Scope, leaver_key: str, to_org_type: str, reason: str,
          intended_nccis_code: int | None = None, on: dt.date | None = None,
          ncs_area: str | None = None, version: int | None = None) -> int:
    """Refer leaver ``leaver_key`` to ``to_org_type`` ("ncs", "la_tracking", … from
    :data:`hubcore.codes.HANDOVER_TARGETS`) for ``reason`` (:data:`HANDOVER_REASONS`), on date
    ``on`` (default today; not before the young person left), with an optional intended
    destination (NCCIS code) and the receiving service's upper-tier LA ``ncs_area`` (default
    the school's LA). A hand-over recorded but never referred (status pending) is referred in
    place; one already referred to the same organisation for the same leaving date is refused.
    ``version``: the leaver's version from :func:`leavers_to_confirm` (checked when given).
    Careers leader (own school), hub lead (own hub), admin. Returns the case id."""
    target = rules.check_choice(to_org_type, codes.HANDOVER_TARGETS, "to_org_type")
    why = rules.check_choice(reason, codes.HANDOVER_REASONS, "reason")
    intended = (None if intended_nccis_code is None
                else rules.check_code(intended_nccis_code, "intended destination"))
    on = rules.check_date(on if on is not None else _today(), "referral date")
    area = None if ncs_area is None else rules.check_area(ncs_area)
    seen = _seen(version)
    rules.guard_pupil_rows(engine, scope, "leavers")
    try:
        with engine.begin() as conn:
            leaver, _ = _leaver_for_edit(conn, scope, leaver_key, seen, required=False)
            key, urn = leaver["key"], int(leaver["urn"])
            if area is None:
                if leaver["la_gss"] is None:
                    raise InvalidEdit("the school has no upper-tier LA code: give the area of "
                                      "the service referred to")
                area = rules.check_area(leaver["la_gss"])
            h = T_HANDOVER.c
            existing = conn.execute(select(T_HANDOVER).where(
                h.leaver_key == key, h.to_org_type == target, h.left_on == leaver["left_on"]
            )).mappings().first()
            changes = {"reason": why, "intended_nccis_code": intended, "ncs_area": area,
                       "referred_on": on, "status": "referred"}
            if existing is not None:
                case = dict(existing)
                if case["referred_on"] is not None:
                    raise InvalidEdit(
                        f"this leaver was already referred to {target} on "
                        f"{case['referred_on']:%Y-%m-%d} (case {case['id']})")
                _update_case(conn, scope, case, changes, "refer")
                return int(case["id"])
            row = {"leaver_key": key, "from_urn": urn, "to_org_type": target,
                   "left_on": leaver["left_on"], **changes, "version": 1, "attempts": 0,
                   "edited_at": _now(), "edited_by": scope.user}
            rules.check_case(row)
            case_id = int(conn.execute(insert(T_HANDOVER).values(**row))
                          .inserted_primary_key[0])
            created = _load_case(conn, case_id)
            _record(conn, scope, "refer", key, urn, case_id, None,
                    rules.case_snapshot(created))
            rollups.refresh_for_tables(conn, ["handover"], {urn})
            return case_id
    except IntegrityError as exc:
        raise InvalidEdit(f"the referral breaks a rule of the stored data ({exc.orig})") from None


def record_contact(engine: Engine, scope: Scope, case_id: int, version: int, on: dt.date,
                   reached: bool) -> int:
    """One contact attempt on case ``case_id`` on date ``on`` (not before the referral):
    ``attempts`` +1 and ``last_attempt_on``; when ``reached``, ``contacted_on`` becomes the
    first date the young person was reached and an open case's status "contacted". The case
    passes to the writer if nobody holds it. NCS adviser (NCS cases of their area), LA tracking
    officer (LA-tracking cases of their LA), hub lead (own hub), admin. Returns the new
    version."""
    on = rules.check_date(on, "contact date")

    def change(conn, case):
        changes = {"attempts": int(case["attempts"]) + 1,
                   "last_attempt_on": max(d for d in (case["last_attempt_on"], on) if d)}
        if reached:
            first = case["contacted_on"]
            changes["contacted_on"] = on if first is None else min(first, on)
            if case["status"] in ("pending", "referred"):
                changes["status"] = "contacted"
        if case["held_by"] is None:
            changes.update(held_by=scope.user, held_since=on)
        return "contact", changes

    return _work_case(engine, scope, case_id, version, rules.may_work_case, change)


def record_outcome(engine: Engine, scope: Scope, case_id: int, version: int, outcome: str,
                   on: dt.date, nccis_code: int | None = None) -> int:
    """The outcome of case ``case_id`` ("engaged", "moved_area", "refused", "lost") on date
    ``on`` (not before the referral), with the NCCIS code of the young person's activity if
    known. Status follows: engaged → engaged (needs a contact first, as imports do), lost →
    lost, moved area or refused → closed. Same writers as :func:`record_contact`. Returns the
    new version."""
    outcome = rules.check_outcome(outcome)
    on = rules.check_date(on, "outcome date")
    code = None if nccis_code is None else rules.check_code(nccis_code, "outcome destination")

    def change(conn, case):
        changes = {"outcome": outcome, "outcome_on": on, "outcome_nccis_code": code,
                   "status": OUTCOME_STATUS[outcome]}
        if case["held_by"] is None:
            changes.update(held_by=scope.user, held_since=on)
        return "outcome", changes

    return _work_case(engine, scope, case_id, version, rules.may_work_case, change)


def reassign(engine: Engine, scope: Scope, case_id: int, version: int, to_user: str) -> int:
    """Hand case ``case_id`` to user ``to_user`` (held from today). Hub lead (own hub), admin.
    Returns the new version."""
    name = rules.check_user_name(to_user)

    def change(conn, case):
        return "reassign", {"held_by": name, "held_since": _today()}

    return _work_case(engine, scope, case_id, version, rules.may_reassign, change)


def confirm_destination(engine: Engine, scope: Scope, leaver_key: str, version: int,
                        nccis_code: int, on: dt.date) -> int:
    """Record leaver ``leaver_key``'s actual destination ``nccis_code`` on date ``on`` (source
    school). A record already made that day is corrected (action ``correct_destination``; its
    provider is cleared when the code changes), otherwise one is added
    (``confirm_destination``). ``version``: the leaver's version from
    :func:`leavers_to_confirm`. Careers leader (own school), admin. Returns the leaver's new
    version (unchanged when the same code was already recorded that day)."""
    code = rules.check_code(nccis_code, "destination code")
    on = rules.check_date(on, "destination date")
    seen = _seen(version)
    rules.guard_pupil_rows(engine, scope, "leavers")
    try:
        with engine.begin() as conn:
            leaver, now = _leaver_for_edit(conn, scope, leaver_key, seen, hub_lead=False)
            key, urn = leaver["key"], int(leaver["urn"])
            d = T_DEST.c
            found = conn.execute(select(T_DEST).where(
                d.leaver_key == key, d.recorded_on == on, d.kind == "actual")).mappings().first()
            category = codes.NCCIS_CATEGORY[code]
            if found is not None and found["nccis_code"] == code:
                return now
            if found is not None:
                values = {"nccis_code": code, "category": category, "source": "school"}
                values.update(provider=None, provider_urn=None)
                conn.execute(update(T_DEST).where(d.id == found["id"]).values(**values))
                action, record_id = "correct_destination", int(found["id"])
            else:
                record_id = int(conn.execute(insert(T_DEST).values(
                    leaver_key=key, recorded_on=on, kind="actual", nccis_code=code,
                    category=category, source="school")).inserted_primary_key[0])
                action = "confirm_destination"
            after = conn.execute(select(T_DEST).where(d.id == record_id)).mappings().first()
            _record(conn, scope, action, key, urn, None,
                    rules.destination_snapshot(found, key), rules.destination_snapshot(after, key))
            rollups.refresh_for_tables(conn, ["destination_record"], {urn})
            return rules.leaver_versions(conn, [key])[key]
    except IntegrityError as exc:
        raise InvalidEdit(f"the destination breaks a rule of the stored data ({exc.orig})") \
            from None


# --- revert -----------------------------------------------------------------------------------


def _root_action(conn: Connection, event: dict) -> str:
    """The action a revert (of a revert …) finally undoes or redoes."""
    seen = set()
    while event["action"] == "revert" and event["id"] not in seen:
        seen.add(event["id"])
        e = T_EVENT.c
        row = conn.execute(select(T_EVENT).where(e.reverted_by == event["id"])).mappings().first()
        if row is None:
            break
        event = dict(row)
    return event["action"]


def _may_revert(conn: Connection, scope: Scope, action: str, case: dict | None,
                event: dict) -> bool:
    if action in DESTINATION_ACTIONS:
        return rules.may_edit_school(conn, scope, event["urn"], hub_lead=False)
    if action == "refer" or case is None:
        return rules.may_edit_school(conn, scope, event["urn"])
    if action == "reassign":
        return rules.may_reassign(conn, scope, case)
    return rules.may_work_case(conn, scope, case)


def revert(engine: Engine, scope: Scope, event_id: int, version: int) -> int:
    """Put back the values case event ``event_id`` changed (only those: later changes to
    other fields stay), as a new ``revert`` event; the original is marked ``reverted_by``.
    ``version`` must be the record's current version (the case's, or the leaver's for a
    destination): a record changed since it was read is refused with :class:`StaleEdit`.
    Reverting a referral that created a case removes the case (its events stay, no longer
    linked); reverting a new destination record removes it. Allowed to whoever may make the
    original change. Returns the record's new version (0 for a removed case)."""
    seen = _seen(version)
    rules.guard_pupil_rows(engine, scope, "hand-overs")
    try:
        with engine.begin() as conn:
            data_version.bump(conn)
            e = T_EVENT.c
            try:
                ident = int(event_id)
            except (TypeError, ValueError):
                raise rules.refuse(f"event {event_id}") from None
            row = conn.execute(select(T_EVENT).where(e.id == ident)).mappings().first()
            if row is None:
                raise rules.refuse(f"event {event_id}")
            event = dict(row)
            before, after = rules.from_json(event["before"]), rules.from_json(event["after"])
            action = _root_action(conn, event)
            if action == "import_conflict" or (before is None and after is None):
                raise InvalidEdit(f"event {ident} records an import conflict, not a change: "
                                  "there is nothing to revert")
            snapshot = after if after is not None else before
            case = None
            if "case_id" in snapshot:
                case = _load_case(conn, snapshot["case_id"])
            if not _may_revert(conn, scope, action, case, event):
                raise rules.refuse(f"event {ident}")
            if event["reverted_by"] is not None:
                raise InvalidEdit(f"event {ident} was already reverted (event "
                                  f"{event['reverted_by']})")
            if "case_id" in snapshot:
                result, new_id = _revert_case(conn, scope, event, case, before, after, seen)
            else:
                result, new_id = _revert_destination(conn, scope, event, before, after, seen)
            conn.execute(update(T_EVENT).where(e.id == ident).values(reverted_by=new_id))
            return result
    except IntegrityError as exc:
        raise InvalidEdit(f"the revert breaks a rule of the stored data ({exc.orig})") from None


def _revert_case(conn, scope, event, case, before, after, seen) -> tuple[int, int]:
    if case is None:
        raise InvalidEdit(f"case {(after or before)['case_id']} no longer exists: there is "
                          "nothing to put back")
    _case_stale(conn, case, seen)
    urn = int(case["from_urn"])
    if before is None:  # the referral created the case: remove it
        h, e = T_HANDOVER.c, T_EVENT.c
        conn.execute(update(T_EVENT).where(e.handover_id == case["id"]).values(handover_id=None))
        conn.execute(delete(T_HANDOVER).where(h.id == case["id"]))
        new_id = _record(conn, scope, "revert", case["leaver_key"], urn, None,
                         rules.case_snapshot(case), None)
        rollups.refresh_for_tables(conn, ["handover"], {urn})
        return 0, new_id
    changed = {f: rules.stored_value(f, before.get(f)) for f in rules.CASE_FIELDS
               if before.get(f) != after.get(f)}
    version = _update_case(conn, scope, case, changed, "revert")
    new_id = conn.execute(select(T_EVENT.c.id).where(T_EVENT.c.handover_id == case["id"])
                          .order_by(T_EVENT.c.id.desc()).limit(1)).scalar_one()
    return version, int(new_id)


def _revert_destination(conn, scope, event, before, after, seen) -> tuple[int, int]:
    key, urn = event["leaver_key"], int(event["urn"])
    _leaver_stale(conn, key, seen)
    d = T_DEST.c
    snapshot = after if after is not None else before
    current = conn.execute(select(T_DEST).where(
        d.leaver_key == key, d.recorded_on == dt.date.fromisoformat(snapshot["recorded_on"]),
        d.kind == snapshot["kind"])).mappings().first()
    current = None if current is None else dict(current)
    if before is None:  # the record was added: remove it
        if current is not None:
            conn.execute(delete(T_DEST).where(d.id == current["id"]))
    else:
        values = {f: rules.stored_value(f, before[f]) for f in rules.DESTINATION_FIELDS}
        if current is None:
            conn.execute(insert(T_DEST).values(leaver_key=key, **values))
        else:
            conn.execute(update(T_DEST).where(d.id == current["id"]).values(**values))
    restored = conn.execute(select(T_DEST).where(
        d.leaver_key == key, d.recorded_on == dt.date.fromisoformat(snapshot["recorded_on"]),
        d.kind == snapshot["kind"])).mappings().first()
    new_id = _record(conn, scope, "revert", key, urn, None,
                     rules.destination_snapshot(current, key),
                     rules.destination_snapshot(restored, key))
    rollups.refresh_for_tables(conn, ["destination_record"], {urn})
    return rules.leaver_versions(conn, [key])[key], new_id


__all__ = ["OutOfScope", "confirm_destination", "record_contact", "record_outcome",
           "reassign", "refer", "revert"]
