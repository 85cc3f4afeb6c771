"""``hubcore fetch LA [LA …]``."""

from __future__ import annotations

import argparse

from hubcore.cli_common import add_common, open_engine, remember, say


def register(subparsers) -> None:
    """Add the ``fetch`` sub-command."""
    p = subparsers.add_parser(
        "fetch",
        help="download, check and import a hub's official open data for some LAs",
        description="Download GIAS establishments, ONS LSOA boundaries (clipped to the LAs), "
        "the Indices of Deprivation, DfE NEET by LA and KS4 / 16-18 destination measures; check "
        "each file's layout (and checksum when the settings give one); import them all in one "
        "transaction with their provenance. A failure anywhere imports nothing.",
    )
    add_common(p)
    p.add_argument("las", nargs="+", metavar="LA",
                   help="GSS code (E08000035) or name (Leeds) of an England LA")
    p.add_argument("--iod", choices=["2019", "2025"],
                   help="IoD edition (default from the settings: 2025 on LSOA 2021; 2019 goes "
                   "with LSOA 2011)")
    p.add_argument("--lsoa", type=int, choices=[2011, 2021], dest="lsoa_year",
                   help="LSOA year of the boundaries (default: the IoD edition's; 2021 with "
                   "--iod 2019 reads the IoD2019 ranks on 2021 LSOAs through the ONS lookup)")
    p.add_argument("--sources", metavar="TOML",
                   help="settings laid over the defaults (default $HUBCORE_FETCH_SOURCES)")
    p.add_argument("--offline", action="store_true",
                   help="use only files already in the cache; never touch the network")
    p.add_argument("--refresh", action="store_true",
                   help="download again even when the cache holds the same address")
    p.set_defaults(func=cmd_fetch)


def cmd_fetch(args: argparse.Namespace) -> int:
    """Run a fetch and print one line per import and per file's provenance."""
    from hubcore.fetch import fetch, load_settings

    settings = load_settings(args.sources)
    engine = open_engine(args, upgrade=True)
    result = fetch(engine, args.las, settings, iod=args.iod, lsoa_year=args.lsoa_year,
                   offline=args.offline, refresh=args.refresh, say=say)
    remember(engine.url.render_as_string(hide_password=False), "fetch")
    for report in result.reports:
        print(report.summary())
    seen = set()
    for item in result.files:
        if item.source.name in seen:
            continue
        seen.add(item.source.name)
        where = "cache" if item.from_cache else "downloaded"
        print(f"  {item.source.name}: {item.edition}; {where} "
              f"{item.record.downloaded_at:%Y-%m-%d %H:%M} UTC; {item.source.licence}")
    if result.warnings:
        print(f"  {len(result.warnings)} warning(s), listed above (schools not matched to a "
              "small area of the boundaries' year, files not imported)")
    return 0
