"""Sub-commands for running a multi-user deployment: ``hubcore users``, ``hubcore secret``,
``hubcore audit``, ``hubcore retention`` and ``hubcore pseudonym`` (registered through
``hubcore.cli.PLUGINS``)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys

from hubcore.cli_common import add_common, open_engine
from hubcore.errors import HubcoreError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _operator():
    """The scope of whoever runs an admin command on the server: an admin, named after the
    login user (recorded in audit events)."""
    from hubcore.access import Scope

    return Scope.admin(user=f"cli:{os.environ.get('USER') or getpass.getuser()}")


# --- users ------------------------------------------------------------------------------------


def _read_password(args: argparse.Namespace) -> str | None:
    if args.oidc:
        return None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.user}: ")
        if getpass.getpass("Again: ") != password:
            raise HubcoreError("the passwords differ")
    return password


def cmd_users(args: argparse.Namespace) -> int:
    from hubcore import users

    path = users.users_file()
    if args.action == "add":
        if args.role is None:
            raise HubcoreError("--role is needed")
        user = users.add_user(
            args.user,
            args.role,
            password=_read_password(args),
            hub_id=args.hub,
            urn=args.urn,
            ncs_area=args.ncs_area,
            replace=args.replace,
        )
        print(f"{'Updated' if args.replace else 'Added'} {user.name} ({user.role}) in {path}")
    elif args.action == "remove":
        users.remove_user(args.user)
        print(f"Removed {args.user} from {path}")
    else:
        listed = users.load_users()
        if not listed:
            print(f"No users in {path}: the dashboards are served without sign-in.")
            return 0
        print(f"{len(listed)} users in {path}:")
        for user in listed.values():
            where = user.hub_id or user.urn or user.ncs_area or "all"
            print(f"  {user.name:<32} {user.role:<15} {where!s:<12} {user.sign_in}")
    return 0


# --- secret -----------------------------------------------------------------------------------


def cmd_secret(args: argparse.Namespace) -> int:
    """Print a new cookie secret, or (``--check``) judge the one in ``HUBCORE_COOKIE_SECRET``."""
    from hubcore import users

    if not args.check:
        print(users.make_secret())
        return 0
    secret = os.environ.get("HUBCORE_COOKIE_SECRET", "")
    bits = users.secret_bits(secret)
    if bits < users.MIN_SECRET_BITS:
        raise HubcoreError(
            f"HUBCORE_COOKIE_SECRET: about {bits:.0f} bits of entropy, "
            f"{users.MIN_SECRET_BITS} needed; make one with `hubcore secret`"
        )
    print(f"HUBCORE_COOKIE_SECRET: about {bits:.0f} bits of entropy (enough)")
    return 0


# --- audit ------------------------------------------------------------------------------------


def cmd_audit(args: argparse.Namespace) -> int:
    from hubcore import audit

    engine = open_engine(args)
    frame = audit.events(
        engine, user=args.user, since=args.since, action=args.action, limit=args.limit
    )
    if args.format == "csv":
        from hubcore import spreadsheet

        sys.stdout.write(spreadsheet.to_csv(frame))
    elif frame.empty:
        print("No audit events" + (" matching" if args.user or args.since or args.action else ""))
    else:
        frame["at"] = frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S")
        print(frame.fillna("").to_string(index=False))
    return 0


# --- retention --------------------------------------------------------------------------------


def cmd_retention(args: argparse.Namespace) -> int:
    from hubcore import retention

    engine = open_engine(args)
    result = retention.run(
        engine, _operator(), years=args.years, as_of=args.as_of, apply=args.apply
    )
    print(result.describe())
    if len(result.by_cohort) and args.verbose:
        print(result.by_cohort.to_string(index=False))
    elif len(result.by_cohort):
        cohorts = result.by_cohort.groupby("cohort")["leavers"].sum()
        print("  by cohort: " + ", ".join(f"{c}: {n:,}" for c, n in cohorts.items()))
    return 0


# --- pseudonym --------------------------------------------------------------------------------


def cmd_pseudonym(args: argparse.Namespace) -> int:
    from hubcore import pseudonym

    if args.action == "init":
        path = pseudonym.init_salt_file()
        print(f"Wrote a new pseudonym salt to {path} (keep it out of the database and backups "
              "of it; losing it unlinks new records from old ones)")
        return 0
    salt = pseudonym.load_salt()
    for line in sys.stdin:
        if line.strip():
            print(pseudonym.pseudonymise(line.strip(), salt))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    users = subparsers.add_parser(
        "users",
        help="add, remove or list the users who may sign in",
        description="Manage the users file ($HUBCORE_USERS_FILE, else users.json in the data "
        "folder). Once it names a user, `hubcore serve` requires sign-in for every page.",
    )
    add_common(users, database=False)
    users.add_argument("action", choices=["add", "remove", "list"])
    users.add_argument("user", nargs="?", help="user name (e.g. their email address)")
    users.add_argument(
        "--role",
        choices=["admin", "hub_lead", "careers_leader", "ncs_adviser", "la_tracking", "analyst"],
    )
    users.add_argument("--hub", help="hub id (hub lead, analyst; optional for admin)")
    users.add_argument("--urn", type=int, help="school URN (careers leader)")
    users.add_argument("--ncs-area", "--area", dest="ncs_area",
                       help="upper-tier LA GSS code (NCS adviser, LA tracking officer)")
    users.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    users.add_argument(
        "--oidc", action="store_true",
        help="no password: the user signs in through the identity provider (OAuth/OIDC)",
    )
    users.add_argument("--replace", action="store_true", help="update an existing user")
    users.set_defaults(func=_users_checked)

    secret = subparsers.add_parser(
        "secret",
        help="print a new random cookie secret (for HUBCORE_COOKIE_SECRET)",
        description="Print 48 random bytes as URL-safe text: a cookie secret for "
        "HUBCORE_COOKIE_SECRET. --check judges the one set now instead (hubcore serve refuses "
        "a short or predictable one).",
    )
    secret.add_argument("--check", action="store_true", help="judge $HUBCORE_COOKIE_SECRET")
    secret.set_defaults(func=cmd_secret)

    audit = subparsers.add_parser(
        "audit", help="list the audit trail (who saw or exported pupil-level data, when)"
    )
    add_common(audit)
    audit.add_argument("--user", help="only this user")
    audit.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="only from this date")
    audit.add_argument("--action", help="only this action (view, export, import, retention, "
                       "sign-in, sign-in-refused, sign-out)")
    audit.add_argument("--limit", type=int, help="at most this many (newest first)")
    audit.add_argument("--format", choices=["table", "csv"], default="table")
    audit.set_defaults(func=cmd_audit)

    ret = subparsers.add_parser(
        "retention",
        help="remove leavers older than three years (dry run unless --apply)",
        description="List (and with --apply remove) leavers who left more than --years years "
        "ago, with their destination records and hand-overs. Writes an audit event.",
    )
    add_common(ret)
    ret.add_argument("--apply", action="store_true", help="really remove them")
    ret.add_argument("--years", type=int, default=3, help="years kept after leaving (default 3)")
    ret.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help="default: today")
    ret.add_argument("--verbose", action="store_true", help="list every school and cohort")
    ret.set_defaults(func=cmd_retention)

    pseud = subparsers.add_parser(
        "pseudonym",
        help="make the pseudonym salt, or turn UPNs/ULNs (stdin) into pseudonymous keys",
    )
    add_common(pseud, database=False)
    pseud.add_argument("action", choices=["init", "keys"])
    pseud.set_defaults(func=cmd_pseudonym)


def _users_checked(args: argparse.Namespace) -> int:
    if args.action in ("add", "remove") and not args.user:
        raise HubcoreError(f"`hubcore users {args.action}` needs a user name")
    return cmd_users(args)
