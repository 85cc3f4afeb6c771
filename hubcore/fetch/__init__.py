"""``hubcore fetch``: a hub's official open data (GIAS, ONS LSOA boundaries, Indices of
Deprivation, DfE NEET and destination measures) downloaded, checked and imported in one go.

Python API::

    from hubcore.fetch import fetch, load_settings
    result = fetch(engine, ["Leeds"], load_settings())

Settings: :mod:`hubcore.fetch.sources` (``sources.toml``); cache and atomic downloads:
:mod:`hubcore.fetch.download`; provenance rows: :mod:`hubcore.fetch.provenance`.
"""

from hubcore.fetch.pipeline import FetchResult, fetch
from hubcore.fetch.sources import load as load_settings

__all__ = ["FetchResult", "fetch", "load_settings"]
