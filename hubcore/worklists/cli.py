"""``hubcore worklist``: the hand-off worklists from the command line, for scripted use.

Every command acts as one user: ``--as USER`` from the users file (:mod:`hubcore.users`; their
role and scope), else the administrator, named in the history by the login name. Reads and
writes go through :mod:`hubcore.worklists`, so the scope checks, validation, version checks,
audit and history are the served page's::

    hubcore worklist show [leavers|cases|funnel|history] [--as USER] [--csv FILE]
    hubcore worklist refer KEY --to ncs|la_tracking --reason R [--intended CODE] [--on DATE]
    hubcore worklist contact CASE --version V --on DATE [--not-reached]
    hubcore worklist outcome CASE --version V --outcome engaged|moved_area|refused|lost --on DATE
    hubcore worklist confirm KEY --version V --code CODE --on DATE
    hubcore worklist reassign CASE --version V --to USER
    hubcore worklist revert EVENT --version V
    hubcore worklist export leavers|cases FILE

A refused edit (stale version, outside the user's scope, a value the rules refuse, a role
that may not see the rows) prints one sentence on stderr and exits with status 2; nothing is
saved. Tables print as text in words (names, dates, whole days), never codes; ``--csv FILE``
writes every column through :mod:`hubcore.spreadsheet` (formula-safe). Filling in a worklist
offline and importing it back is ``hubcore import worklist FILE``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

import pandas as pd

from hubcore import codes
from hubcore.access import Scope
from hubcore.cli_common import DB_HELP, open_engine
from hubcore.errors import AccessDenied
from hubcore.models import HANDOVER_OUTCOMES
from hubcore.worklists import rules

#: Exit status of a refused edit or read (stale version, out of scope, invalid, not allowed).
REFUSED = 2
#: What ``show`` can list.
LISTS = ("leavers", "cases", "funnel", "history")
#: Where ``refer`` can send a young person (the worklists' two services).
#: Columns ``show cases`` prints (``--csv`` writes them all): enough to pick a case and act.
CASE_TEXT = ("case_id", "version", "school", "year_group", "referred_to", "reason", "status",
             "referred_on", "open_days", "attempts", "contacted_on", "outcome", "held_by",
             "held_days", "overdue", "leaver_key")  # fmt: skip
#: Columns ``show leavers`` prints.
LEAVER_TEXT = ("leaver_key", "version", "school", "year_group", "left_on", "roni", "state",
               "destination", "destination_on", "open_case_to", "open_case_id")  # fmt: skip
#: Control characters (terminal escapes among them): data text is untrusted, so a school name
#: holding ESC sequences must not drive the reader's terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
HISTORY_ACTIONS = {
    "refer": "Referred", "contact": "Contact attempt", "outcome": "Outcome recorded",
    "confirm_destination": "Destination confirmed",
    "correct_destination": "Destination corrected", "reassign": "Case handed over",
    "revert": "Reverted", "offline_import": "Offline import", "import_conflict":
    "Import conflict (file not applied)",
}


# --- the acting user ----------------------------------------------------------------------------


def acting_scope(as_user: str | None) -> Scope:
    """The scope a command acts with: ``as_user``'s from the users file
    (:func:`hubcore.users.user_scope`: :class:`~hubcore.errors.AccessDenied` if not there),
    or without ``as_user`` the administrator, named by the login name (the history's "who")."""
    if as_user:
        from hubcore import users

        return users.user_scope(as_user)
    return Scope.admin(user=login_name())


def login_name() -> str:
    """The operating-system login name: who the administrator of a command-line run is."""
    import getpass

    try:
        return getpass.getuser()[:100]
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


# --- text ---------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    """One table cell as text: dates as YYYY-MM-DD, missing as "–", control characters of
    untrusted text replaced."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}" if value == value.normalize() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return _CONTROL.sub("?", str(value))


def text_table(frame: pd.DataFrame, titles: dict[str, str],
               columns: tuple[str, ...] | None = None) -> str:
    """``frame`` as an aligned text table headed by ``titles`` (column → words), the chosen
    ``columns`` only (default all); numbers right-aligned, text left-aligned."""
    chosen = [c for c in (columns or tuple(frame.columns)) if c in frame.columns]
    heads = [titles.get(c, c) for c in chosen]
    cells = [[_cell(v) for v in frame[c].tolist()] for c in chosen]
    widths = [max([len(h), *(len(v) for v in col)]) for h, col in zip(heads, cells,
                                                                       strict=True)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c].dtype)
               and not pd.api.types.is_bool_dtype(frame[c].dtype) for c in chosen]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric, strict=True)).rstrip()

    rows = [line(heads), line(["-" * w for w in widths])]
    rows += [line([col[i] for col in cells]) for i in range(len(frame))]
    return "\n".join(rows)


#: A history value's field in words (the case and destination fields events keep).
FIELD_WORDS = {
    "to_org_type": "Referred to", "ncs_area": "Area", "reason": "Reason", "left_on": "Left on",
    "referred_on": "Referred on", "contacted_on": "First reached on",
    "attempts": "Contact attempts", "last_attempt_on": "Last attempt on", "outcome": "Outcome",
    "outcome_on": "Outcome on", "outcome_nccis_code": "Outcome destination",
    "status": "Status", "intended_nccis_code": "Intended destination", "held_by": "Held by",
    "held_since": "Held since", "recorded_on": "Recorded on", "kind": "Kind",
    "nccis_code": "Destination", "category": "Category", "source": "Source",
    "provider": "Provider", "provider_urn": "Provider URN",
}
#: Fields a history line leaves out: bookkeeping, not what a person changed.
QUIET_FIELDS = frozenset({"case_id", "version", "leaver_key", "edited_at", "edited_by",
                          "from_urn", "urn", "id"})  # fmt: skip
#: Fields a new record's history line names.
NEW_FIELDS = ("to_org_type", "reason", "referred_on", "intended_nccis_code", "nccis_code",
              "recorded_on")  # fmt: skip


def _value_words(field: str, value: object) -> str:
    """A history value in words: NCCIS codes as their names, services, reasons, outcomes and
    statuses in words, dates as dates."""
    from hubcore import vocabulary
    from hubcore.display import worklists as words

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if field in ("outcome_nccis_code", "intended_nccis_code", "nccis_code"):
        try:
            return codes.NCCIS_LABELS.get(int(value), f"NCCIS code {value}")
        except (TypeError, ValueError):
            return _cell(value)
    table = {"to_org_type": words.TARGETS, "reason": words.REASONS,
             "outcome": words.OUTCOMES}.get(field)
    if table is not None and value in table:
        return table[value]
    if field in ("status", "kind", "category", "source"):
        return _cell(vocabulary.label(value))
    return _cell(value)


def _changes(before: dict | None, after: dict | None) -> str:
    """What an event changed, in words: "Status: Referred → Contacted; Contact attempts: 0 →
    1"; a new record as "new: " and its main fields; a removed one as "removed"."""
    if before is None and after is None:
        return "–"
    if after is None:
        return "removed"
    if before is None:
        named = [f"{FIELD_WORDS[k]} {_value_words(k, after[k])}" for k in NEW_FIELDS
                 if after.get(k) is not None]
        return "new: " + ", ".join(named) if named else "new"
    keys = [k for k in (*after, *(k for k in before if k not in after))
            if k not in QUIET_FIELDS and after.get(k) != before.get(k)]
    parts = [f"{FIELD_WORDS.get(k, k)}: {_value_words(k, before.get(k))} → "
             f"{_value_words(k, after.get(k))}" for k in keys]
    return "; ".join(parts) or "no change"


def history_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`hubcore.worklists.history`'s rows in words: event, when (UTC), who, their role,
    what was done, to which case and young person, what changed, and the event that reverted
    it."""
    from hubcore import vocabulary

    return pd.DataFrame({
        "event_id": frame["event_id"].astype("Int64"),
        "at": pd.to_datetime(frame["at"], utc=True).dt.tz_localize(None),
        "user": frame["user"].astype(object),
        "role": [vocabulary.label(r) for r in frame["role"]],
        "action": [HISTORY_ACTIONS.get(a, vocabulary.label(a)) for a in frame["action"]],
        "case_id": frame["case_id"].astype("Int64"),
        "leaver_key": frame["leaver_key"].astype(object),
        "changed": [_changes(b, a) for b, a in zip(frame["before"], frame["after"],
                                                   strict=True)],
        "reverted_by": frame["reverted_by"].astype("Int64"),
    })


HISTORY_TITLES = {"event_id": "Event", "at": "When (UTC)", "user": "Who", "role": "Role",
                  "action": "What", "case_id": "Case number",
                  "leaver_key": "Young person (pseudonym)", "changed": "Changed",
                  "reverted_by": "Reverted by event"}  # fmt: skip


# --- commands -----------------------------------------------------------------------------------


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _default_list(scope: Scope) -> str:
    """The list a role works from: a careers leader's leavers, everyone else's cases."""
    return "leavers" if scope.role.value == "careers_leader" else "cases"


def cmd_show(args: argparse.Namespace, engine, scope: Scope) -> int:
    from hubcore import spreadsheet, worklists
    from hubcore.display import worklists as words

    which = args.list or _default_list(scope)
    if which == "leavers":
        frame = words.leavers_table(worklists.leavers_to_confirm(engine, scope, args.as_of))
        titles, shown, noun = words.LEAVER_TITLES, LEAVER_TEXT, "leaver"
    elif which == "cases":
        rows = worklists.cases(engine, scope, args.as_of, open_only=not args.all)
        frame = words.cases_table(rows)
        titles, shown, noun = words.CASE_TITLES, CASE_TEXT, "case"
    elif which == "funnel":
        frame = words.funnel_table(worklists.funnel(engine, scope, args.as_of))
        titles, shown, noun = frame.attrs["display"]["titles"], None, "stage"
    else:
        frame = history_table(worklists.history(engine, scope, case_id=args.case,
                                                leaver_key=args.leaver))
        titles, shown, noun = HISTORY_TITLES, None, "event"
    if args.csv:
        out = frame.rename(columns=titles)
        out.attrs = {}
        spreadsheet.write_csv(out, Path(args.csv))
        print(f"Wrote {len(frame):,} {noun}{'' if len(frame) == 1 else 's'} to {args.csv}",
              file=sys.stderr)
        return 0
    if frame.empty:
        print(f"No {noun}s for {scope.user}.")
        return 0
    print(text_table(frame, titles, shown))
    return 0


def cmd_refer(args: argparse.Namespace, engine, scope: Scope) -> int:
    from hubcore import worklists
    from hubcore.display import worklists as words

    case_id = worklists.refer(engine, scope, args.key, args.to, args.reason,
                              intended_nccis_code=args.intended, on=args.on, ncs_area=args.area,
                              version=args.version)
    print(f"Referred {args.key} to {words.TARGET_PHRASES.get(args.to, args.to)}: case "
          f"{case_id}.")
    return 0


def cmd_contact(args: argparse.Namespace, engine, scope: Scope) -> int:
    from hubcore import worklists

    version = worklists.record_contact(engine, scope, args.case, args.version, args.on,
                                       reached=not args.not_reached)
    what = "not reached" if args.not_reached else "reached"
    print(f"Case {args.case}: contact attempt on {args.on:%Y-%m-%d} recorded ({what}); "
          f"version now {version}.")
    return 0


def cmd_outcome(args: argparse.Namespace, engine, scope: Scope) -> int:
    from hubcore import worklists
    from hubcore.display import worklists as words

    version = worklists.record_outcome(engine, scope, args.case, args.version, args.outcome,
                                       args.on, nccis_code=args.code)
    print(f"Case {args.case}: outcome {words.OUTCOMES[args.outcome]} on {args.on:%Y-%m-%d}; "
          f"version now {version}.")
    return 0


def cmd_confirm(args: argparse.Namespace, engine, scope: Scope) -> int:
    from hubcore import worklists

    version = worklists.confirm_destination(engine, scope, args.key, args.version, args.code,
                                            args.on)
    name = codes.NCCIS_LABELS.get(args.code, f"NCCIS code {args.code}")
    print(f"{args.key}: destination {name} on {args.on:%Y-%m-%d} confirmed; version now "
          f"{version}.")
    return 0


def cmd_reassign(args: argparse.Namespace, engine, scope: Scope) -> int:
    from hubcore import worklists

    version = worklists.reassign(engine, scope, args.case, args.version, args.to)
    print(f"Case {args.case} now held by {args.to}; version now {version}.")
    return 0


def cmd_revert(args: argparse.Namespace, engine, scope: Scope) -> int:
    from hubcore import worklists

    version = worklists.revert(engine, scope, args.event, args.version)
    after = "the case it created was removed" if version == 0 else f"version now {version}"
    print(f"Event {args.event} reverted; {after}.")
    return 0


def cmd_export(args: argparse.Namespace, engine, scope: Scope) -> int:
    from hubcore.worklists import offline

    path = offline.export(engine, scope, args.which, Path(args.file), as_of=args.as_of)
    print(f"Wrote the {args.which} worklist to {path}; fill in the fill_ columns and import "
          f"it with `hubcore import worklist {path}`.", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    """Run a ``hubcore worklist`` command; a refused read or edit prints one sentence on
    stderr and returns :data:`REFUSED` (2), nothing saved."""
    from hubcore.worklists import InvalidEdit, StaleEdit

    try:
        scope = acting_scope(args.as_user)
        engine = open_engine(args)
        return int(args.worklist_action(args, engine, scope) or 0)
    except (StaleEdit, InvalidEdit, AccessDenied) as exc:  # OutOfScope is an AccessDenied
        print(f"hubcore worklist: refused: {_CONTROL.sub('?', str(exc))}", file=sys.stderr)
        return REFUSED


# --- the parser ---------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``worklist`` sub-command (and its own sub-commands) to ``subparsers``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL_OR_FILE", help=DB_HELP)
    common.add_argument("--as", dest="as_user", metavar="USER",
                        help="act as this user of the users file (default: the administrator)")
    parser = subparsers.add_parser(
        "worklist",
        help="the hand-off worklists: show, refer, record contact and outcomes, confirm, export",
        description="Act on the hand-off worklists as a user of the users file (--as USER; "
        "default the administrator). A refused edit (changed since you read it, outside your "
        "scope, not allowed) prints why and exits with status 2; nothing is saved.",
    )
    sub = parser.add_subparsers(dest="worklist_command", metavar="COMMAND", required=True)

    def command(name: str, action, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(func=run, worklist_action=action)
        return p

    show = command("show", cmd_show, "print a worklist: leavers without a confirmed "
                   "destination, cases, the funnel or the history of changes")
    show.add_argument("list", nargs="?", choices=LISTS,
                      help="leavers, cases, funnel or history (default: a careers leader's "
                      "leavers, everyone else's cases)")
    show.add_argument("--all", action="store_true", help="cases: closed ones too")
    show.add_argument("--case", type=int, metavar="CASE", help="history: of one case")
    show.add_argument("--leaver", metavar="KEY", help="history: of one young person")
    show.add_argument("--as-of", type=_date, metavar="DATE",
                      help="count days and states on this date (default today)")
    show.add_argument("--csv", metavar="FILE", help="write every column to this CSV instead")

    refer = command("refer", cmd_refer, "refer a young person to the NCS or LA tracking")
    refer.add_argument("key", metavar="KEY", help="the young person's pseudonymous key")
    refer.add_argument("--to", required=True, choices=rules.REFER_TO, help="ncs or la_tracking")
    refer.add_argument("--reason", required=True, choices=codes.HANDOVER_REASONS)
    refer.add_argument("--intended", type=int, metavar="CODE",
                       help="intended destination (NCCIS code)")
    refer.add_argument("--on", type=_date, metavar="DATE", help="referral date (default today)")
    refer.add_argument("--area", metavar="GSS",
                       help="upper-tier LA of the service (default: the school's LA)")
    refer.add_argument("--version", type=int, metavar="V",
                       help="the leaver's version you saw (checked when given)")

    contact = command("contact", cmd_contact, "record a contact attempt on a case")
    contact.add_argument("case", type=int, metavar="CASE")
    contact.add_argument("--version", type=int, required=True, metavar="V")
    contact.add_argument("--on", type=_date, required=True, metavar="DATE")
    contact.add_argument("--not-reached", action="store_true",
                         help="the attempt did not reach the young person")

    outcome = command("outcome", cmd_outcome, "record a case's outcome")
    outcome.add_argument("case", type=int, metavar="CASE")
    outcome.add_argument("--version", type=int, required=True, metavar="V")
    outcome.add_argument("--outcome", required=True, choices=HANDOVER_OUTCOMES)
    outcome.add_argument("--on", type=_date, required=True, metavar="DATE")
    outcome.add_argument("--code", type=int, metavar="CODE",
                         help="the young person's activity (NCCIS code), if known")

    confirm = command("confirm", cmd_confirm, "confirm or correct a leaver's destination")
    confirm.add_argument("key", metavar="KEY")
    confirm.add_argument("--version", type=int, required=True, metavar="V")
    confirm.add_argument("--code", type=int, required=True, metavar="CODE",
                         help="NCCIS activity code")
    confirm.add_argument("--on", type=_date, required=True, metavar="DATE")

    reassign = command("reassign", cmd_reassign, "hand a case to another user")
    reassign.add_argument("case", type=int, metavar="CASE")
    reassign.add_argument("--version", type=int, required=True, metavar="V")
    reassign.add_argument("--to", required=True, metavar="USER")

    revert = command("revert", cmd_revert, "put back what one change of the history changed")
    revert.add_argument("event", type=int, metavar="EVENT")
    revert.add_argument("--version", type=int, required=True, metavar="V",
                        help="the record's current version")

    export = command("export", cmd_export, "write a worklist to CSV or XLSX to fill in "
                     "offline (import it back with `hubcore import worklist FILE`)")
    export.add_argument("which", choices=("leavers", "cases"))
    export.add_argument("file", metavar="FILE", help=".csv or .xlsx")
    export.add_argument("--as-of", type=_date, metavar="DATE", help=argparse.SUPPRESS)
    return parser


__all__ = ["LISTS", "REFUSED", "acting_scope", "history_table", "register", "run",
           "text_table"]  # fmt: skip
