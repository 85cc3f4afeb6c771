"""``hubcore import KIND FILE`` and ``hubcore template KIND``."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from hubcore import codes
from hubcore.cli_common import add_common, open_engine, remember
from hubcore.ingest import KINDS, import_file, reader
from hubcore.ingest.spec import SPECS

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _amount(text: str) -> int:
    """``"512K"``, ``"4M"``, ``"1G"`` or a plain number → an integer (binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?\s*", text, flags=re.I)
    if not m or float(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a positive size such as 4M or 1000000: {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def register(subparsers) -> None:
    """Add the ``import`` and ``template`` sub-commands."""
    imp = subparsers.add_parser(
        "import",
        help="validate a file and import its good rows",
        description="Validate every row of FILE; write accepted rows in one transaction, "
        "rejected ones to a rejects CSV beside the file, and print a summary. Re-importing "
        "the same file changes nothing.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="kinds:\n" + "\n".join(f"  {k:<17} {v}" for k, v in KINDS.items()),
    )
    add_common(imp)
    imp.add_argument("kind", choices=list(KINDS), metavar="KIND", help="what the file holds")
    imp.add_argument("file", metavar="FILE", help="CSV, XLSX or boundary file")
    imp.add_argument("--rejects", metavar="CSV",
                     help="where to write rejected rows (default: <FILE stem>.rejects.csv)")
    imp.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
    imp.add_argument("--no-progress", action="store_true", help="no progress bars")
    default = reader.Limits()
    limits = imp.add_argument_group(
        "limits", "what a file may hold (an untrusted file is refused with a clear error "
        "before it can use minutes or gigabytes); sizes take K, M or G")
    limits.add_argument("--max-line-bytes", type=_amount, metavar="SIZE",
                        help=f"longest CSV line (default {default.max_line_bytes:,})")
    limits.add_argument("--max-field-bytes", type=_amount, metavar="SIZE",
                        help=f"longest CSV value (default {default.max_field_bytes:,})")
    limits.add_argument("--max-xlsx-bytes", type=_amount, metavar="SIZE",
                        help="largest XLSX, uncompressed (default "
                        f"{default.max_xlsx_bytes:,})")
    limits.add_argument("--max-cells", type=_amount, metavar="N",
                        help=f"most cells in the XLSX sheet read (default {default.max_cells:,})")
    group = imp.add_argument_group("kind-specific options")
    group.add_argument("--links", metavar="CSV", help="gias: GIAS links file (predecessors)")
    group.add_argument("--lsoa-vintage", type=int, choices=[2011, 2021],
                       help="gias: LSOA year of the file (default: from its dates)")
    group.add_argument("--layer", help="boundaries: layer of a multi-layer file (TopoJSON, GPKG)")
    group.add_argument("--year", type=int, help="boundaries: keep areas live in this year")
    group.add_argument("--area-kind", choices=list(codes.AREA_KINDS),
                       help="boundaries: kind of area (default: from the code column)")
    group.add_argument("--parent", metavar="GSS",
                       help="boundaries: parent LA code for LSOAs lacking one")
    group.add_argument("--all-nations", action="store_true",
                       help="boundaries: keep Welsh, Scottish and NI areas too")
    group.add_argument("--imd-vintage", type=int, choices=[2019, 2025],
                       help="imd: IoD release (default: from the LSOA year)")
    group.add_argument("--create-missing", action="store_true",
                       help="imd: store LSOAs that have no boundary yet")
    group.add_argument("--time-period", type=int,
                       help="ks4-destinations: e.g. 202223 when the file does not say")
    group.add_argument("--stage", choices=["ks4", "16-18"], help="ks4-destinations: stage")
    group.add_argument("--as", dest="as_user", metavar="USER",
                       help="worklist: act as this user of the users file (default: the admin)")
    group.add_argument("--prefer-file", action="store_true",
                       help="handovers: a row that differs from a hand-over edited in the suite "
                       "overwrites it (default: the suite's edit is kept and the row listed as "
                       "a conflict)")
    imp.set_defaults(func=cmd_import)

    tpl = subparsers.add_parser(
        "template",
        help="write a blank, documented file for a hub-kept kind",
        description="Write a blank spreadsheet (XLSX with a Columns sheet) or CSV (with # "
        "comment lines) documenting each column, its type and allowed values.",
    )
    add_common(tpl, database=False)
    tpl.add_argument("kind", choices=list(SPECS), metavar="KIND",
                     help="one of: " + ", ".join(SPECS))
    tpl.add_argument("--out", metavar="FILE", help="output file (default <KIND>_template.xlsx)")
    tpl.add_argument("--format", choices=["csv", "xlsx"], help="default: from --out, else xlsx")
    tpl.set_defaults(func=cmd_template)


_OPTIONS = {
    "gias": ("links", "lsoa_vintage"),
    "boundaries": ("layer", "year", "area_kind", "parent", "all_nations"),
    "imd": ("imd_vintage", "create_missing"),
    "ks4-destinations": ("time_period", "stage"),
    "handovers": ("prefer_file",),
    "worklist": ("as_user",),
}
_RENAME = {"area_kind": "kind"}


def cmd_import(args: argparse.Namespace) -> int:
    """Run one import and print its summary (exit 0 even with rejects: they are reported)."""
    options = {}
    for name in _OPTIONS.get(args.kind, ()):
        value = getattr(args, name)
        if value not in (None, False):
            options[_RENAME.get(name, name)] = value
    engine = open_engine(args, upgrade=True)
    with reader.limits(max_line_bytes=args.max_line_bytes, max_field_bytes=args.max_field_bytes,
                       max_xlsx_bytes=args.max_xlsx_bytes, max_cells=args.max_cells):
        report = import_file(
            engine, args.kind, Path(args.file),
            rejects_path=Path(args.rejects) if args.rejects else None,
            dry_run=args.dry_run,
            progress=not args.no_progress and sys.stderr.isatty(),
            **options,
        )
    if not args.dry_run:  # later commands given no --db use the database just filled
        remember(engine.url.render_as_string(hide_password=False), "import")
    print(report.summary())
    for note in report.notes:
        print(f"  {note}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    """Write a template and print its path."""
    from hubcore.ingest.templates import write_template

    print(write_template(args.kind, args.out, args.format))
    return 0
