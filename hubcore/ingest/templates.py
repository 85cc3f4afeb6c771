"""Blank, documented files for the hub-kept kinds (``hubcore template KIND``).

XLSX: the first sheet holds the header row (and nothing else, ready to fill in); a second
sheet ``Columns`` lists every column with its type, whether it is required, the values it
accepts and an example. CSV: ``#`` comment lines above the header document the same; the
importer skips them, so a filled-in template imports as it is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hubcore import spreadsheet
from hubcore.errors import HubcoreError
from hubcore.ingest.spec import SPECS, FileSpec


def columns_frame(spec: FileSpec) -> pd.DataFrame:
    """One row per column: name, required, accepts, description, example."""
    return pd.DataFrame(
        {
            "column": [c.name for c in spec.columns],
            "required": ["yes" if c.required else "no" for c in spec.columns],
            "accepts": [c.allowed_text() for c in spec.columns],
            "default": ["" if c.default is None else str(c.default) for c in spec.columns],
            "description": [c.description for c in spec.columns],
            "example": [c.example for c in spec.columns],
        }
    )


def write_template(kind: str, out: str | Path | None = None, fmt: str | None = None) -> Path:
    """Write the template for ``kind`` to ``out`` (default ``<kind>_template.<fmt>`` in the
    current folder) and return its path. ``fmt`` is ``csv`` or ``xlsx`` (default: from
    ``out``'s suffix, else xlsx)."""
    if kind not in SPECS:
        raise HubcoreError(f"no template for {kind!r}; choose one of: {', '.join(SPECS)}")
    spec = SPECS[kind]
    if fmt is None:
        fmt = Path(out).suffix.lstrip(".").lower() if out else "xlsx"
    if fmt not in ("csv", "xlsx"):
        raise HubcoreError(f"template format must be csv or xlsx, not {fmt!r}")
    path = Path(out) if out else Path(f"{kind}_template.{fmt}")
    if path.parent and not path.parent.exists():
        raise HubcoreError(f"folder {path.parent} does not exist")
    doc = columns_frame(spec)
    header = pd.DataFrame(columns=[c.name for c in spec.columns])
    if fmt == "xlsx":
        notes = pd.DataFrame({"notes": [spec.title, spec.description, *spec.notes]})
        return spreadsheet.write_xlsx({spec.kind: header, "Columns": doc, "About": notes}, path)
    lines = [f"# {spec.title}: {spec.description}"]
    lines += [f"# {n}" for n in spec.notes]
    lines.append("# Lines starting with # are ignored. Columns:")
    for row in doc.itertuples(index=False):
        required = "required" if row.required == "yes" else "optional"
        default = f"; blank = {row.default}" if row.default else ""
        lines.append(f"#   {row.column} ({required}): {row.description}. {row.accepts}{default}")
    lines.append(spreadsheet.to_csv(header).rstrip("\n"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
