"""Real schools and small areas for ``hubcore demo --la CODE``: the fetched (or cached) GIAS
establishments, LSOA boundaries and IoD deciles of one or more LAs, shaped for
:func:`hubcore.demo.build`, which lays synthetic careers records (labelled synthetic) over them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from hubcore.errors import HubcoreError
from hubcore.fetch.pipeline import prepare, provenance_records
from hubcore.fetch.sources import Settings
from hubcore.ingest.boundaries import read_areas
from hubcore.ingest.gias import read_schools
from hubcore.ingest.imd import find_columns
from hubcore.ingest.reader import read_table

DEMO_KINDS = ("boundaries", "imd")


def real_inputs(
    las: list[str],
    settings: Settings,
    *,
    iod: str | None = None,
    offline: bool | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> dict:
    """``{"schools": …, "areas": …}`` for the LAs: from the cache alone when everything is
    there (``offline=None``, the default, tries the cache first and downloads what is missing;
    ``True`` never downloads; ``False`` always asks the network for files whose address
    changed). Areas carry their IoD decile (``imd_decile``). ``"provenance"`` holds the
    files' :class:`~hubcore.fetch.provenance.Record` list, for the caller to record in the demo
    database once built (its maps then print the licences' credit); pop it before passing the
    rest to :func:`hubcore.demo.build`."""
    with tempfile.TemporaryDirectory(prefix="hubcore-demo-la-") as work_name:
        work = Path(work_name)
        try:
            _las, files, staged = prepare(las, settings, work, iod=iod,
                                          offline=offline is not False, kinds=DEMO_KINDS,
                                          say=say)
        except HubcoreError as exc:
            if offline is not None or "not in the cache" not in str(exc):
                raise
            say("hubcore: not all files are cached; downloading them")
            _las, files, staged = prepare(las, settings, work, iod=iod, offline=False,
                                          kinds=DEMO_KINDS, say=say)
        paths = {kind: path for kind, path, _options in staged}
        schools = read_schools(paths["gias"])
        areas = read_areas(paths["boundaries"])
        frame = read_table(paths["imd"], normalise_headers=False).frame
        found = find_columns(frame.columns)
        deciles = pd.Series(pd.to_numeric(frame[found["decile"]], errors="coerce").to_numpy(),
                            index=frame[found["code"]].str.strip())
        areas["imd_decile"] = areas["code"].map(deciles).astype("Int64")
    if schools.empty:
        raise HubcoreError("no open school of a Careers Hub's kinds in the chosen LAs")
    return {"schools": schools, "areas": areas, "provenance": provenance_records(files)}


def demo_file_name(las: list[str]) -> str:
    """The embedded demo file for ``demo --la``: one per set of LAs, so a second LA never
    reuses the first one's demo (``demo-la-e08000035.db``)."""
    import re

    slug = "-".join(sorted(re.sub(r"[^a-z0-9]+", "_", la.strip().lower()) for la in las))
    return f"demo-la-{slug[:80]}.db"
