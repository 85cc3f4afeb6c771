"""Provenance of fetched official files: one ``source_provenance`` row per file imported.

Written in the same transaction as the data (so a failed fetch records nothing), read by maps
and briefings for their source lines (:func:`attributions`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, select

from hubcore.models import SourceProvenance

T_PROVENANCE = SourceProvenance.__table__


@dataclass(frozen=True)
class Record:
    """What is recorded of one imported file."""

    kind: str
    source: str
    address: str
    edition: str
    downloaded_at: dt.datetime
    licence: str
    attribution: str
    sha256: str
    la_codes: tuple[str, ...]


def record(conn: Connection, records: list[Record], imported_at: dt.datetime) -> None:
    """Insert ``records`` inside ``conn``'s transaction."""
    if not records:
        return
    conn.execute(T_PROVENANCE.insert(), [
        {"kind": r.kind, "source": r.source, "address": r.address[:2000],
         "edition": r.edition[:40], "downloaded_at": r.downloaded_at,
         "imported_at": imported_at, "licence": r.licence[:200],
         "attribution": (r.attribution or None) and r.attribution[:500],
         "sha256": r.sha256, "la_codes": ",".join(r.la_codes)[:2000]}
        for r in records
    ])


def latest(engine: Engine) -> pd.DataFrame:
    """The newest provenance row of each source (one row per settings name), newest first."""
    with engine.connect() as conn:
        rows = pd.read_sql(select(T_PROVENANCE).order_by(T_PROVENANCE.c.id.desc()), conn)
    return rows.drop_duplicates("source").reset_index(drop=True)


def attributions(engine: Engine) -> list[str]:
    """The distinct attribution lines of the fetched data in store (e.g. "Contains OS data ©
    Crown copyright and database right"), in a stable order, for a map's or briefing's
    source note. Empty when nothing was fetched."""
    rows = latest(engine)
    seen: list[str] = []
    for text in rows.sort_values("kind", kind="stable")["attribution"].dropna():
        if text not in seen:
            seen.append(text)
    return seen
