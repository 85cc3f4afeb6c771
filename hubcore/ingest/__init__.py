"""Importers for the files hubs really hold: validate every row, report rejects, write the rest
in one transaction, and change nothing when the same file is imported again.

Python API::

    from hubcore.ingest import import_file
    report = import_file(engine, "encounters", "encounters.xlsx")
    print(report.summary())

``KINDS`` lists what can be imported; ``hubcore import KIND FILE`` is the same from the shell.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from hubcore.errors import HubcoreError
from hubcore.ingest.report import ImportReport

#: kind → one-line description (the CLI's help).
KINDS: dict[str, str] = {
    "gias": "GIAS establishments CSV (edubasealldata*.csv)",
    "boundaries": "ONS boundaries: GeoJSON, GeoPackage, Shapefile or TopoJSON (LSOA, LAD, UTLA)",
    "imd": "English Indices of Deprivation by LSOA (IoD2019 or IoD2025 CSV)",
    "neet": "DfE NEET and not known by LA (NCCIS dashboard or EES CSV)",
    "ks4-destinations": "DfE KS4 / 16-18 destination measures by school (performance tables or "
    "EES CSV)",
    "compass": "Compass-style benchmark results (URN, assessed_on, BM1-BM8, ...)",
    "area-lookup": "ONS/DfE LA district to region, combined authority or LSIP lookup "
    "(LADyyCD + RGNyyCD / CAUTHyyCD / LSIPyyCD)",
    "employers": "hub-kept employers (CSV or XLSX)",
    "links": "hub-kept employer-school links",
    "offers": "hub-kept employer offers",
    "encounters": "hub-kept encounters",
    "leavers": "hub-kept pseudonymous leavers",
    "destinations": "hub-kept leaver destinations (NCCIS codes)",
    "handovers": "hub-kept NCS hand-over log",
    "worklist": "a filled-in worklist export (hubcore worklist export; --as USER)",
}


def _importer(kind: str) -> Callable[..., ImportReport]:
    # Imported lazily: geopandas is only needed for boundaries.
    if kind == "gias":
        from hubcore.ingest.gias import import_gias

        return import_gias
    if kind == "boundaries":
        from hubcore.ingest.boundaries import import_boundaries

        return import_boundaries
    if kind == "imd":
        from hubcore.ingest.imd import import_imd

        return import_imd
    if kind == "neet":
        from hubcore.ingest.dfe import import_neet

        return import_neet
    if kind == "ks4-destinations":
        from hubcore.ingest.dfe import import_destination_measures

        return import_destination_measures
    if kind == "compass":
        from hubcore.ingest.compass import import_compass

        return import_compass
    if kind == "area-lookup":
        from hubcore.ingest.lookups import import_area_lookup

        return import_area_lookup
    if kind == "worklist":
        from hubcore.worklists.offline import import_for_cli

        return import_for_cli
    from hubcore.ingest.hubrecords import HUB_KINDS, import_hub_file

    if kind in HUB_KINDS:
        return lambda engine, path, **kw: import_hub_file(engine, kind, path, **kw)
    raise HubcoreError(f"unknown import kind {kind!r}; choose one of: {', '.join(KINDS)}")


def import_file(engine: Engine, kind: str, path: str | Path, **options) -> ImportReport:
    """Validate and import ``path`` as ``kind`` (see :data:`KINDS`).

    Common options: ``rejects_path`` (default ``<stem>.rejects.csv`` beside the file),
    ``dry_run`` (validate and report only), ``progress`` (bars on stderr for big files).
    Kind-specific options are documented on each importer. Raises
    :class:`~hubcore.errors.HubcoreError` for a file that cannot be imported at all (wrong
    header, empty, unreadable); nothing is written then.
    """
    return _importer(kind)(engine, Path(path), **options)


__all__ = ["KINDS", "ImportReport", "import_file"]
