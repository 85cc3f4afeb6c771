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
from hubcore.metrics import report


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
        "kind", metavar="KIND", choices=report.KINDS, help="one of: " + ", ".join(report.KINDS)
    )
    parser.add_argument("--hub", metavar="ID", help="hub id (default: the first hub)")
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
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
    parser.add_argument("--as-of", type=_date, help="transitions: date for overdue hand-overs")
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
    else:
        text = report.to_csv(table)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
