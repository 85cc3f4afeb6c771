"""``hubcore report KIND``: export a metric family's table as CSV or JSON, with disclosure
control applied (counts of people under 6 as "c", percentages to one decimal).

Role options come later; until then every export is aggregates-safe.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from hubcore import defaults, disclosure, notices, store
from hubcore.access import Scope
from hubcore.cli_common import add_common, open_engine
from hubcore.errors import HubcoreError
from hubcore.metrics import chase, guarantee, report, trajectory

#: Issue 15 reports (hubcore.metrics.guarantee, .trajectory, .chase): each builds its own
#: protected table; ``--list`` gives the pupil-level list (audited) where there is one.
WORKLIST_KINDS: tuple[str, ...] = ("guarantee", "trajectory", "chase")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``report`` sub-command to ``subparsers``."""
    parser = subparsers.add_parser(
        "report",
        help="export a metric report (benchmarks, coverage, coldspots, employers, ...)",
        description="Export one metric family as CSV or JSON, disclosure control applied.",
    )
    add_common(parser)
    parser.add_argument(
        "kind", metavar="KIND", choices=(*report.KINDS, *WORKLIST_KINDS),
        help="one of: " + ", ".join((*report.KINDS, *WORKLIST_KINDS)),
    )
    parser.add_argument("--hub", metavar="ID", help="hub id (default: the first hub)")
    parser.add_argument(
        "--format", choices=("csv", "json", "xlsx"), default="csv",
        help="csv or json (stdout or --out), or xlsx (needs --out)",
    )
    parser.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    parser.add_argument(
        "--academic-year", metavar="YYYY/YY", help="coverage year (default: latest in the log)"
    )
    parser.add_argument(
        "--benchmark",
        type=int,
        default=defaults.BENCHMARK,
        choices=range(1, 9),
        help=f"cold spots / what-it-takes: benchmark (default {defaults.BENCHMARK})",
    )
    parser.add_argument(
        "--source",
        choices=("coverage", "assessment"),
        default=defaults.COLDSPOT_SOURCE,
        help="cold spots: encounter-log coverage or latest Compass percent "
        f"(default {defaults.COLDSPOT_SOURCE})",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        help="cold spots: threshold on the measure (default per benchmark)",
    )
    parser.add_argument(
        "--radius-km",
        type=float,
        default=defaults.RADIUS_KM,
        help=f"cold spots / what-it-takes radius in km (default {defaults.RADIUS_KM:g})",
    )
    parser.add_argument(
        "--target",
        type=float,
        default=defaults.TARGET_PCT,
        help="what-it-takes: target percent of schools meeting "
        f"(default {defaults.TARGET_PCT:g})",
    )
    parser.add_argument(
        "--as-of", type=_date,
        help="transitions: date for overdue hand-overs; guarantee, trajectory, chase: the "
        "report date (default today)",
    )
    parser.add_argument(
        "--list", action="store_true",
        help="guarantee, chase: the young people themselves (pseudonymous keys; audited) "
        "instead of the counts",
    )
    parser.add_argument(
        "--cohort", type=int, metavar="YYYY",
        help="guarantee --list: leavers of this summer (default: the latest that has left)",
    )
    parser.add_argument(
        "--overdue-days",
        type=int,
        default=defaults.OVERDUE_DAYS,
        help="transitions: days after leaving a referral is overdue "
        f"(default {defaults.OVERDUE_DAYS})",
    )
    parser.set_defaults(func=handle)
    return parser


def handle(args: argparse.Namespace) -> int:
    """Build, suppress and write the report; returns the exit code."""
    engine = open_engine(args)
    hub_id = args.hub or store.default_hub_id(engine)
    if hub_id is None:
        raise HubcoreError("the database has no hub; import data or build the demo first")
    hub = store.hub(engine, hub_id)
    scope = Scope.admin(hub_id=hub_id, user="cli-report")
    opts = report.Options(
        academic_year=args.academic_year,
        benchmark=args.benchmark,
        source=args.source,
        threshold=args.threshold,
        radius_km=args.radius_km,
        target_pct=args.target,
        as_of=args.as_of,
        overdue_days=args.overdue_days,
    )
    if args.kind in WORKLIST_KINDS:
        table = _worklist_table(engine, scope, args)
    else:
        table = report.export_table(engine, args.kind, scope, opts)
    if hub.get("synthetic"):
        table = table.assign(synthetic=True)
    if args.format == "json":
        meta = {
            "report": args.kind,
            "hub": hub_id,
            "synthetic": bool(hub.get("synthetic")),
            **({"notice": notices.SYNTHETIC_NOTICE} if hub.get("synthetic") else {}),
            "disclosure": f"counts of people under {disclosure.THRESHOLD} shown as "
            f"'{disclosure.SUPPRESSED}'; percentages rounded to one decimal",
        }
        text = report.to_json(table, meta)
    elif args.format == "xlsx":
        if not args.out:
            raise HubcoreError("--format xlsx writes a file: name it with --out FILE.xlsx")
        from hubcore import spreadsheet

        spreadsheet.write_xlsx(table, args.out, sheet_name=args.kind)
        return 0
    else:
        text = report.to_csv(table)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _worklist_table(engine, scope: Scope, args: argparse.Namespace):
    """The guarantee, trajectory or chase table (protected counts), or with ``--list`` the
    pupil-level list read through the store's guarded, audited reads."""
    if args.list and args.kind == "trajectory":
        raise HubcoreError("--list is for guarantee and chase (trajectory has no pupil list)")
    if args.kind == "guarantee":
        if args.list:
            return guarantee.without_offer_for_scope(engine, scope, args.cohort, args.as_of)
        return guarantee.table_for_scope(engine, scope, args.as_of)
    if args.kind == "trajectory":
        return trajectory.table_for_scope(engine, scope, args.as_of, args.target)
    if args.list:
        return chase.chase_list_for_scope(engine, scope, args.as_of)
    return chase.table_for_scope(engine, scope, args.as_of)
