"""The outcome of one import: counts, rejected rows and the rejects CSV.

Every rejected value becomes one line naming the file, the row as a spreadsheet user sees it
(the header is row 1), the column, the value and the rule it broke. A row breaking several rules
gives several lines but counts once as rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hubcore.spreadsheet import write_csv

REJECT_COLUMNS = ["file", "row", "column", "value", "rule", "message"]


@dataclass
class ImportReport:
    """Counts and rejects of one import.

    ``read`` counts data rows in the file; ``accepted`` the rows that passed validation (the
    sum of ``inserted``, ``updated`` and ``unchanged``); ``skipped`` rows deliberately left out
    (for example closed or out-of-scope GIAS establishments), which are not errors.
    """

    kind: str
    file: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    rejects_path: Path | None = None
    dry_run: bool = False
    #: Rows not written because they differ from a record edited in the suite (hand-overs:
    #: see ``hubcore.ingest.hubrecords.HANDOVER_RULE``); one line per row.
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        """One line such as ``encounters.csv: read 1,000, accepted 990, rejected 10 (…)``."""
        parts = [f"read {self.read:,}", f"accepted {self.accepted:,}"]
        rejected = f"rejected {self.rejected:,}"
        if self.rejected and self.rejects_path is not None:
            rejected += f" (rejects in {self.rejects_path.name})"
        parts.append(rejected)
        parts.append(f"unchanged {self.unchanged:,}")
        if self.inserted or self.updated:
            parts.append(f"new {self.inserted:,}, updated {self.updated:,}")
        if self.skipped:
            parts.append(f"skipped {self.skipped:,}")
        if len(self.conflicts):
            parts.append(f"conflicts with suite edits {len(self.conflicts):,}")
        line = f"{Path(self.file).name}: " + ", ".join(parts)
        if self.dry_run:
            line += " [dry run: nothing written]"
        return line

    def write_rejects(self, path: Path | None) -> None:
        """Write the rejects CSV to ``path`` (only when there are rejects; a stale one is
        removed so that an old file is never mistaken for the latest run's)."""
        if path is None:
            return
        if self.rejects.empty:
            if path.exists():
                path.unlink()
            return
        out = self.rejects.sort_values(["row", "column"], kind="stable")
        # Values are the file's own text: written through the formula-safe writer.
        write_csv(out, path)
        self.rejects_path = path


def default_rejects_path(source: Path) -> Path:
    """``<input stem>.rejects.csv`` beside the input file."""
    return source.with_name(f"{source.stem}.rejects.csv")
