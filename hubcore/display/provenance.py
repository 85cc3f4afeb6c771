"""Source credit lines for maps, briefings and the landing page, from the provenance that
``hubcore fetch`` records (:mod:`hubcore.fetch.provenance`).

One function, :func:`attribution_lines`, so every place that prints a credit prints the same
words: the briefing (its maps and PDF/HTML), the served overview and employers maps, the landing
page. The lines are *data* (read from the database, first from a settings file anyone can
override): callers escape them like any other text. A synthetic demo with nothing fetched has
no line; it shows :data:`hubcore.notices.SYNTHETIC_NOTICE` instead.
"""

from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import Engine, inspect

from hubcore.fetch import provenance

#: The Ordnance Survey wording that must carry the copyright year (OS and ONS attribution
#: guidance: "Contains OS data © Crown copyright and database right [year]").
_CROWN = "Crown copyright and database right"
_ENDS_WITH_YEAR = re.compile(r"(19|20)\d\d\s*$")


def _with_year(text: str, downloaded_at: object) -> str:
    """``text`` with the year of the download after a Crown copyright line that has none."""
    if _CROWN not in text or _ENDS_WITH_YEAR.search(text):
        return text
    stamp = pd.Timestamp(downloaded_at)
    return text if pd.isna(stamp) else f"{text.rstrip()} {stamp.year}"


def attribution_lines(engine: Engine) -> list[str]:
    """The credit lines of the official data in store, in a stable order (by import kind,
    then settings name), each once: the recorded attribution (OGL wording, and "Contains OS
    data © Crown copyright and database right" followed by the year the file was downloaded
    when the boundaries were fetched), or "Contains public sector information licensed under
    the <licence>" for a row recorded without one. Empty when nothing was fetched (the plain
    synthetic demo, a database made before ``source_provenance`` existed)."""
    if not inspect(engine).has_table(provenance.T_PROVENANCE.name):
        return []
    rows = provenance.latest(engine)
    lines: list[str] = []
    for row in rows.sort_values(["kind", "source"], kind="stable").itertuples():
        text = row.attribution if isinstance(row.attribution, str) else ""
        if not text.strip():
            licence = row.licence if isinstance(row.licence, str) else ""
            if not licence.strip():
                continue
            text = f"Contains public sector information licensed under the {licence.strip()}"
        line = _with_year(text.strip(), row.downloaded_at)
        if line not in lines:
            lines.append(line)
    return lines


__all__ = ["attribution_lines"]
