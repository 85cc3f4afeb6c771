"""``hubcore brief (--hub ID | --area CODE | --region E12… | --hubs A,B | --combined-authority
E47… | --lsip E69…) --out DIR [--format pdf,png,html]``: write a briefing pack (A4-landscape
PDF, 300-dpi PNG maps, standalone HTML) with disclosure control applied. Needs no browser."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from hubcore import defaults
from hubcore.access import Scope
from hubcore.briefing import FORMATS, area_scope, write_pack
from hubcore.cli_common import add_common, open_engine
from hubcore.errors import HubcoreError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _formats(text: str) -> tuple[str, ...]:
    wanted = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise argparse.ArgumentTypeError(
            f"unknown format(s) {', '.join(bad) or '(none)'}; choose from {','.join(FORMATS)}"
        )
    return wanted


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``brief`` sub-command to ``subparsers``."""
    parser = subparsers.add_parser(
        "brief",
        help="write a briefing pack (PDF, PNG maps, standalone HTML) for a hub or an LA",
        description="Write a briefing pack for one hub or one upper-tier local authority: "
        "maps of coverage gaps, priority schools, employer supply and cold spots; the "
        "benchmark summary against national; the hand-over funnel and NEET comparators. "
        "Small numbers are suppressed; synthetic data are labelled.",
    )
    add_common(parser)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--hub", metavar="ID", help="the hub to brief on")
    where.add_argument("--area", metavar="CODE", help="upper-tier LA GSS code (its schools)")
    where.add_argument("--region", metavar="CODE", help="English region (E12...): its hubs side "
                       "by side and a regional map (LA-to-region membership from the database)")
    where.add_argument("--hubs", metavar="A,B,C", help="these hubs side by side, with their map")
    where.add_argument("--combined-authority", metavar="CODE",
                       help="combined authority (E47...): its hubs side by side and a map, "
                       "titled with its name (LA membership from `hubcore import area-lookup`)")
    where.add_argument("--lsip", metavar="CODE",
                       help="Local Skills Improvement Plan area (E69...): as "
                       "--combined-authority, from the DfE LA-to-LSIP lookup")
    parser.add_argument("--out", metavar="DIR", required=True, help="folder to write into")
    parser.add_argument(
        "--format",
        type=_formats,
        default=FORMATS,
        metavar="LIST",
        help="comma-separated: pdf,png,html (default: all three)",
    )
    parser.add_argument("--as-of", type=_date, help="briefing date, YYYY-MM-DD (default today)")
    parser.add_argument(
        "--benchmark",
        type=int,
        default=defaults.BENCHMARK,
        choices=(5, 6, 7, 8),
        help=f"benchmark of the coverage-gap map (default {defaults.BENCHMARK})",
    )
    parser.set_defaults(func=handle)
    return parser


def handle(args: argparse.Namespace) -> int:
    """Build the pack and list the files written."""
    engine = open_engine(args)
    area = args.combined_authority or args.lsip
    if args.region or args.hubs or area:
        from hubcore.areas import area_kind
        from hubcore.briefing.region import write_region_pack

        if area:
            # The option names the kind: an LSIP code given as --combined-authority is an error.
            wanted = "cauth" if args.combined_authority else "lsip"
            if area_kind(area) != wanted:
                option = "--combined-authority" if wanted == "cauth" else "--lsip"
                shape = "E47" if wanted == "cauth" else "E69"
                raise HubcoreError(f"{option} takes a {shape}... code, not {area.strip()!r}")
        started = time.perf_counter()
        paths = write_region_pack(
            engine, args.out, region=args.region,
            hubs=args.hubs.split(",") if args.hubs else None, formats=args.format,
            as_of=args.as_of, benchmark=args.benchmark, area=area,
        )
        for path in paths:
            print(path)
        print(f"regional briefing written in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        return 0
    if args.hub:
        scope = Scope.admin(hub_id=args.hub, user="cli-brief")
    else:
        scope = area_scope(engine, args.area)
    started = time.perf_counter()
    paths = write_pack(engine, scope, args.out, args.format, args.as_of, args.benchmark)
    for path in paths:
        print(path)
    print(f"briefing written in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0
