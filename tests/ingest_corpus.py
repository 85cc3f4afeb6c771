"""Helpers for the ingest tests: seed rows, write small files, and make broken variants of the
real public files in ``tmp_path`` (nothing generated here is committed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from hubcore.models import Employer, School

TODAY = dt.date(2026, 6, 30)
URNS = (108055, 108076, 137704)


def seed_schools(engine, urns=URNS) -> None:
    """A few schools, shaped like GIAS rows, without needing the shared data."""
    rows = [
        {"urn": u, "name": f"School {u}", "la_code": 383, "type_code": 1, "phase_code": 4,
         "kind": "special" if u == 137704 else "mainstream_11_18", "status": "Open",
         "la_gss": "E08000035"}
        for u in urns
    ]
    with engine.begin() as conn:
        conn.execute(School.__table__.insert(), rows)


def seed_employers(engine, refs=("EMP-1", "EMP-2")) -> None:
    with engine.begin() as conn:
        conn.execute(Employer.__table__.insert(),
                     [{"ref": r, "name": f"Employer {r}", "size_band": "small"} for r in refs])


def write_csv(path: Path, rows: list[dict] | pd.DataFrame, encoding: str = "utf-8") -> Path:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    frame.to_csv(path, index=False, encoding=encoding)
    return path


def write_xlsx_with_title(path: Path, frame: pd.DataFrame, title_rows: int = 2) -> Path:
    """An XLSX whose header sits below ``title_rows`` rows of titles and notes, as hubs'
    spreadsheets often do."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, startrow=title_rows)
        sheet = writer.sheets["Sheet1"]
        sheet.cell(row=1, column=1, value="Hub encounter log 2025/26 - do not share")
        if title_rows > 1:
            sheet.cell(row=2, column=1, value="Exported from the hub's tracker")
    return path


def encounter_rows(n: int = 3) -> list[dict]:
    base = {"urn": 108055, "date": "2025-03-14", "kind": "talk", "benchmark": 5,
            "year_from": 10, "year_to": 11, "participants": 120, "employer_ref": "EMP-1"}
    return [{**base, "participants": 100 + i, "date": f"2025-03-{10 + i:02d}"} for i in range(n)]


def read_real(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def gias_variant(shared: Path, tmp: Path, name: str, change=None, encoding: str = "utf-8",
                 bom: bool = False) -> Path:
    """A copy of the real Leeds GIAS extract, optionally changed, in another encoding."""
    frame = read_real(shared / "schools" / "gias_edubase_leeds_20230703.csv")
    if change is not None:
        frame = change(frame)
    out = tmp / name
    frame.to_csv(out, index=False, encoding=("utf-8-sig" if bom else encoding))
    return out
