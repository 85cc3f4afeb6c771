"""The offline round trip of a worklist: download it as CSV or XLSX, fill it in away from the
suite, import it back with ``hubcore import worklist FILE``.

Export (:func:`export`) writes one row per leaver (``leavers``: the careers leader's leavers
without a confirmed destination) or per hand-over case (``cases``), as the suite shows them to
the exporting user's scope, with words beside every code a person reads, the row's id
(``leaver_key`` or ``case_id``) and its ``version``, then blank ``fill_*`` columns to fill in.
Every cell goes through :mod:`hubcore.spreadsheet` (formula-safe) and the file is written
atomically. An XLSX gets a ``Notes`` sheet (what to fill in, the rule for changes made since)
and a ``Codes`` sheet (the allowed values in words). A CSV cannot carry a second sheet, and a
comment line above the header would open in a spreadsheet as a data row (sorted or filtered
into the list, or mistaken for the header), so the explanation goes into a plain-text file
beside it, ``<name>.README.txt``.

Import (:func:`import_file`) reads the file within the same limits as every import
(:mod:`hubcore.ingest.reader`, plus :data:`MAX_ROWS` and :data:`MAX_BYTES`), validates the
filled-in cells with the importers' own parsers (:class:`~hubcore.ingest.validate.Checker`:
dates, codes, NCCIS codes), and applies each filled-in row through the
:mod:`hubcore.worklists` writes, so scope, validation, audit, history and the version check are
those of an edit in the suite. A row whose ``version`` is older than the stored one is a
**conflict**: it is not applied, and the report lists what changed since and by whom (from the
case history). A row the writer may not change is rejected, as is a bad value, with its
spreadsheet row number and the reason in words. Each row is applied on its own (one
transaction per write, as in the suite), so a rejected row never stops the others.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import codes, spreadsheet, vocabulary
from hubcore.access import Scope
from hubcore.errors import AccessDenied, HubcoreError
from hubcore.ingest.reader import EXCEL_SUFFIXES, Table, check_header, read_table
from hubcore.ingest.validate import Checker
from hubcore.models import HANDOVER_OUTCOMES
from hubcore.worklists.rules import REFER_TO

Which = Literal["leavers", "cases"]

#: Most data rows a worklist file may hold (a hub's worklist is a few thousand rows at most;
#: more means the wrong file).
MAX_ROWS = 50_000
#: Largest worklist file, bytes as stored (about 400 bytes a row at :data:`MAX_ROWS`).
MAX_BYTES = 32 << 20

YES_NO = ("yes", "no")

#: The columns to fill in, per worklist, with what each takes (shown in the notes).
FILL: dict[str, dict[str, str]] = {
    "cases": {
        "fill_contact_on": "date you tried to contact the young person (YYYY-MM-DD or "
        "DD/MM/YYYY)",
        "fill_reached": "yes if you reached them on that date, no if not",
        "fill_outcome": "the case's outcome: " + ", ".join(HANDOVER_OUTCOMES),
        "fill_outcome_on": "date of the outcome",
        "fill_outcome_code": "NCCIS activity code of what they are doing (optional; see the "
        "list of codes)",
    },
    "leavers": {
        "fill_refer_to": "refer the leaver to: ncs (National Careers Service) or la_tracking "
        "(LA tracking)",
        "fill_reason": "why: " + ", ".join(codes.HANDOVER_REASONS),
        "fill_intended_code": "NCCIS code of the intended destination (optional; see the list "
        "of codes)",
        "fill_confirm_code": "NCCIS code of the destination you confirm (see the list of codes)",
        "fill_confirm_on": "date that destination was confirmed",
    },
}
ID = {"cases": "case_id", "leavers": "leaver_key"}

#: Columns of the exported worklists, in order, before the ``fill_*`` ones: (source column,
#: words column beside it or None). Columns a worklist read does not return are left out.
SHOWN: dict[str, list[tuple[str, str | None]]] = {
    "cases": [
        ("case_id", None), ("version", None), ("leaver_key", None), ("urn", None),
        ("school", None), ("cohort", None), ("year_group", None), ("to_org_type", "handed_to"),
        ("ncs_area", None), ("reason", "reason_words"),
        ("intended_nccis_code", "intended_destination"), ("status", "status_words"),
        ("left_on", None), ("referred_on", None), ("attempts", None),
        ("last_attempt_on", None), ("contacted_on", None), ("outcome", "outcome_words"),
        ("outcome_on", None), ("held_by", None), ("held_since", None), ("days_open", None),
        ("days_held", None), ("overdue", None),
    ],
    "leavers": [
        ("leaver_key", None), ("version", None), ("urn", None), ("school", None),
        ("cohort", None), ("year_group", None), ("left_on", None), ("roni_score", None),
        ("roni_band", None), ("state", "state_words"),
        ("destination_code", "destination"), ("destination_on", None),
        ("open_case_id", None), ("open_case_to", "open_case_with"),
    ],
}


# --- the acting user --------------------------------------------------------------------------


def acting_scope(as_user: str | None) -> Scope:
    """The scope ``hubcore import worklist --as USER`` acts with: the ``hubcore worklist``
    commands' own lookup (``USER`` from the users file, or the administrator named by the
    login name), so both commands act as the same person."""
    from hubcore.worklists.cli import acting_scope as worklist_scope

    return worklist_scope(as_user)


# --- export -----------------------------------------------------------------------------------


def _words(value: object, column: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column in ("intended_nccis_code", "destination_code"):
        number = pd.to_numeric(value, errors="coerce")
        if pd.notna(number):
            return codes.NCCIS_LABELS.get(int(number), str(value))
    if column == "state":
        return vocabulary.WORKLIST_STATES.get(str(value), str(value))
    if column == "outcome":
        return vocabulary.CASE_OUTCOMES.get(str(value), str(value))
    return vocabulary.label(value, column)


def worklist_frame(engine: Engine, scope: Scope, which: Which,
                   as_of: dt.date | None = None) -> pd.DataFrame:
    """The rows :func:`export` writes: the worklist as ``scope`` sees it (through the
    :mod:`hubcore.worklists` reads, so scope checks and the "view" audit apply), words beside
    codes, then the empty ``fill_*`` columns."""
    from hubcore import worklists

    if which == "cases":
        data = worklists.cases(engine, scope, as_of=as_of, open_only=True)
    elif which == "leavers":
        data = worklists.leavers_to_confirm(engine, scope, as_of=as_of)
    else:
        raise HubcoreError(f"no worklist {which!r}; choose leavers or cases")
    out: dict[str, pd.Series] = {}
    for column, words in SHOWN[which]:
        if column not in data.columns:
            continue
        values = data[column]
        if column == "overdue":
            values = values.map(lambda v: "" if pd.isna(v) else ("yes" if v else "no"))
        if pd.api.types.is_integer_dtype(values.dtype) or column in (
                "case_id", "version", "open_case_id", "destination_code",
                "intended_nccis_code", "urn"):
            values = pd.to_numeric(values, errors="coerce").astype("Int64")
        out[column] = values.reset_index(drop=True)
        if words:
            out[words] = data[column].map(lambda v, c=column: _words(v, c)).reset_index(
                drop=True)
    frame = pd.DataFrame(out)
    for name in FILL[which]:
        frame[name] = pd.Series([None] * len(frame), dtype=object)
    return frame


def notes(which: Which, rows: int, scope: Scope) -> list[str]:
    """The explanation shipped with an export (the XLSX Notes sheet, the CSV's README)."""
    noun = "hand-over case" if which == "cases" else "leaver without a confirmed destination"
    lines = [
        f"Careers Hub worklist: {which}, exported {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC "
        f"for {scope.user} ({vocabulary.label(scope.role.value)}); {rows:,} rows, one per {noun}.",
        "Fill in only the columns whose names start with fill_, then import the file with: "
        "hubcore import worklist FILE (add --dry-run to check it first).",
        f"Do not change {ID[which]} or version: they say which record the row is and which "
        "state of it you saw. Other columns are for reading; changes to them are ignored.",
        "If the record was changed in the suite after this export (its version changed), your "
        "row is not applied: the import lists it as a conflict with what changed and by whom. "
        "Export again, and fill in what is still needed.",
        "Rows left blank change nothing. A value that is not allowed is rejected with its row "
        "number and the reason; the other rows are still applied.",
        "Columns to fill in:",
    ]
    lines += [f"  {name}: {what}" for name, what in FILL[which].items()]
    if which == "cases":
        lines.append("Record a contact and an outcome on the same row if both happened: the "
                     "contact is applied first.")
    else:
        lines.append("Fill in either a referral (fill_refer_to and fill_reason) or a "
                     "confirmed destination (fill_confirm_code and fill_confirm_on), not both.")
    lines.append("Working in Excel? Use the XLSX download: Excel opening a CSV can turn a key "
                 "made only of digits into a rounded number, and that row would no longer "
                 "match its record.")
    lines.append("This file holds pseudonymous pupil-level data: keep it as your data-sharing "
                 "agreement says and delete it once imported.")
    return lines


def _codes_sheet(which: Which) -> pd.DataFrame:
    rows = []
    if which == "cases":
        rows += [("fill_outcome", c, vocabulary.CASE_OUTCOMES[c]) for c in HANDOVER_OUTCOMES]
        rows += [("fill_reached", w, w) for w in YES_NO]
        nccis = "fill_outcome_code"
    else:
        rows += [("fill_refer_to", c, vocabulary.label(c)) for c in REFER_TO]
        rows += [("fill_reason", c, vocabulary.label(c, "reason")) for c in codes.HANDOVER_REASONS]
        nccis = "fill_intended_code / fill_confirm_code"
    rows += [(nccis, code, codes.NCCIS_LABELS.get(code, "")) for code in codes.NCCIS_CATEGORY]
    return pd.DataFrame(rows, columns=["column", "value", "meaning"]).astype({"value": object})


def readme_path(path: Path) -> Path:
    """Where a CSV export's explanation goes: ``<name>.README.txt`` beside it."""
    return path.with_name(f"{path.stem}.README.txt")


def export(engine: Engine, scope: Scope, which: Which, path: str | Path,
           as_of: dt.date | None = None) -> Path:
    """Write the ``which`` worklist (``"leavers"`` or ``"cases"``) as ``scope`` sees it to
    ``path``: XLSX (sheets Worklist, Notes, Codes) when the suffix is ``.xlsx``, else CSV with
    ``<name>.README.txt`` beside it. Formula-safe and atomic (temporary file, then rename);
    audited as an ``export``. Returns ``path``."""
    path = Path(path)
    if which not in FILL:
        raise HubcoreError(f"no worklist {which!r}; choose leavers or cases")
    frame = worklist_frame(engine, scope, which, as_of=as_of)
    explained = notes(which, len(frame), scope)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        spreadsheet.write_xlsx({"Worklist": frame, "Notes": pd.DataFrame({"notes": explained}),
                                "Codes": _codes_sheet(which)}, path)
    else:
        spreadsheet.write_csv(frame, path)
        text = "\n".join(explained) + "\n\nAllowed values:\n" + "\n".join(
            f"  {r.column} = {r.value}: {r.meaning}" for r in _codes_sheet(which).itertuples())
        _write_text(readme_path(path), text + "\n")
    # A file of pupil rows leaves the suite: who took it, and how many rows, is audited.
    from hubcore import store

    store.record_audit(engine, scope, "export", f"worklist {which}", len(frame))
    return path


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) through a temporary file in the same folder and a rename, so
    nobody ever reads half of it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- import -----------------------------------------------------------------------------------

REJECT_COLUMNS = ["row", "id", "column", "value", "rule", "reason"]
CONFLICT_COLUMNS = ["row", "id", "your_version", "stored_version", "changed_by",
                    "changed_at", "changes"]


@dataclass
class OfflineReport:
    """What one worklist import did (or, on a dry run, would do).

    ``applied``: rows whose filled-in cells were written (on a dry run: would be);
    ``unchanged``: rows with nothing filled in; ``conflicts``: rows not applied because the
    record changed after the export (one line each: what changed, by whom, when);
    ``rejected``: one line per refused value or row, with the spreadsheet row number (header
    = row 1) and the reason in words.
    """

    file: str
    which: str = ""
    read: int = 0
    applied: int = 0
    unchanged: int = 0
    conflicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=CONFLICT_COLUMNS))
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    dry_run: bool = False
    rejects_path: Path | None = None
    writes: int = 0

    @property
    def rejected_rows(self) -> int:
        """How many rows had at least one reject."""
        return int(self.rejected["row"].nunique()) if len(self.rejected) else 0

    def summary(self) -> str:
        """One line: ``cases.xlsx: read 12, applied 3, unchanged 7, conflicts 1, rejected 1``."""
        verb = "would apply" if self.dry_run else "applied"
        line = (f"{Path(self.file).name}: {self.which} worklist: read {self.read:,}, "
                f"{verb} {self.applied:,}, unchanged {self.unchanged:,}, "
                f"conflicts {len(self.conflicts):,}, rejected {self.rejected_rows:,}")
        if self.rejected_rows and self.rejects_path is not None:
            line += f" (rejects in {self.rejects_path.name})"
        if self.dry_run:
            line += " [dry run: nothing written]"
        return line

    @property
    def notes(self) -> list[str]:
        """The conflicts and rejects in words (first 30 of each), for the command line."""
        out = []
        if len(self.conflicts):
            out.append("Conflicts (changed in the suite after your export; not applied, export "
                       "again):")
            out += [f"  row {c.row}: {c.id}: your version {c.your_version}, now "
                    f"{c.stored_version}: {c.changes}"
                    for c in self.conflicts.head(30).itertuples(index=False)]
        if len(self.rejected):
            out.append("Rejected:")
            out += [f"  row {r.row}: {r.column or 'row'}"
                    + (f" {r.value!r}" if r.value not in (None, "") else "") + f": {r.reason}"
                    for r in self.rejected.head(30).itertuples(index=False)]
        for frame, what in ((self.conflicts, "conflicts"), (self.rejected, "rejects")):
            if len(frame) > 30:
                out.append(f"  … and {len(frame) - 30:,} more {what}")
        return out


def _spec(which: Which) -> list[tuple[str, str, dict]]:
    """(column, kind, options) of the columns import reads; the rest of the file is ignored."""
    if which == "cases":
        return [
            ("case_id", "int", {"required": True, "low": 1}),
            ("version", "int", {"required": True, "low": 1, "high": 2**31 - 1}),
            ("fill_contact_on", "date", {}),
            ("fill_reached", "code", {"allowed": YES_NO}),
            ("fill_outcome", "code", {"allowed": HANDOVER_OUTCOMES}),
            ("fill_outcome_on", "date", {}),
            ("fill_outcome_code", "nccis", {}),
        ]
    return [
        ("leaver_key", "str", {"required": True, "max_length": 64}),
        ("version", "int", {"required": True, "low": 1, "high": 2**31 - 1}),
        ("fill_refer_to", "code", {"allowed": REFER_TO}),
        ("fill_reason", "code", {"allowed": codes.HANDOVER_REASONS}),
        ("fill_intended_code", "nccis", {}),
        ("fill_confirm_code", "nccis", {}),
        ("fill_confirm_on", "date", {}),
    ]


def _parse(checker: Checker, which: Which) -> pd.DataFrame:
    """Typed columns, with the importers' parsers and messages (rejects go on ``checker``)."""
    out = {}
    for column, kind, opt in _spec(which):
        if kind == "int":
            value = checker.parse_int(column, opt.get("required", False), opt.get("low"),
                                      opt.get("high"))
        elif kind == "str":
            value = checker.parse_str(column, opt.get("required", False), opt.get("max_length"))
        elif kind == "date":
            value = checker.parse_date(column)
        elif kind == "code":
            value = checker.parse_code(column, opt["allowed"])
        else:  # an NCCIS activity code, checked as the destinations importer does
            value = checker.parse_int(column, False, 100, 999)
            # Out-of-range values are already rejected: each bad cell is reported once.
            unknown = (value.between(100, 999) & ~value.isin(list(codes.NCCIS_CATEGORY))
                       ).fillna(False).to_numpy(dtype=bool)
            checker.reject(unknown, column, "unknown_code",
                           f"{column} is not an NCCIS current-activity code (see the list of "
                           "codes)")
        out[column] = value
    return pd.DataFrame(out, index=checker.frame.index)


def _pair_rules(checker: Checker, t: pd.DataFrame, which: Which) -> None:
    """Cells that only make sense together."""
    def need(mask, column: str, rule: str, message: str) -> None:
        checker.reject(np.asarray(mask, dtype=bool) & ~checker.bad, column, rule, message)

    if which == "cases":
        need(t["fill_reached"].notna() & t["fill_contact_on"].isna(), "fill_contact_on",
             "needs_contact_date", "fill_reached is given without fill_contact_on (the date)")
        need(t["fill_contact_on"].notna() & t["fill_reached"].isna(), "fill_reached",
             "needs_reached", "say whether the young person was reached on fill_contact_on "
             "(yes or no)")
        need(t["fill_outcome"].notna() & t["fill_outcome_on"].isna(), "fill_outcome_on",
             "needs_outcome_date", "fill_outcome is given without fill_outcome_on (the date)")
        need((t["fill_outcome_on"].notna() | t["fill_outcome_code"].notna())
             & t["fill_outcome"].isna(), "fill_outcome", "needs_outcome",
             "an outcome date or code is given without fill_outcome")
    else:
        refer = t["fill_refer_to"].notna() | t["fill_reason"].notna() | t[
            "fill_intended_code"].notna()
        confirm = t["fill_confirm_code"].notna() | t["fill_confirm_on"].notna()
        need(refer & confirm, "fill_refer_to", "refer_or_confirm",
             "fill in either a referral or a confirmed destination on one row, not both")
        need(refer & t["fill_refer_to"].isna(), "fill_refer_to", "needs_refer_to",
             "a reason or intended destination is given without fill_refer_to")
        need(refer & t["fill_refer_to"].notna() & t["fill_reason"].isna(), "fill_reason",
             "needs_reason", "a referral needs fill_reason")
        need(confirm & t["fill_confirm_code"].isna(), "fill_confirm_code", "needs_code",
             "fill_confirm_on is given without fill_confirm_code")
        need(confirm & t["fill_confirm_code"].notna() & t["fill_confirm_on"].isna(),
             "fill_confirm_on", "needs_confirm_date",
             "fill_confirm_code is given without fill_confirm_on (the date)")


def _read(path: Path) -> tuple[Table, Which]:
    """The file as text, within the import limits; which worklist it is (from its header)."""
    if not path.exists():
        raise HubcoreError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise HubcoreError(
            f"{path.name}: refused: {size:,} bytes is more than a worklist file can be "
            f"({MAX_BYTES:,}); is this the right file? Nothing was imported")
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        with path.open("rb") as handle:
            if size:
                handle.seek(-1, 2)
                last = handle.read(1)
                if last not in (b"\n", b"\r"):
                    # Every export, and every spreadsheet's CSV, ends its last row with a line
                    # end: a file without one was cut short (a copy or download interrupted),
                    # and its last row would be read incomplete.
                    raise HubcoreError(
                        f"{path.name}: refused: the file seems cut short (its last line has no "
                        "line end); save or copy it again. Nothing was imported")
    known = ["case_id", "leaver_key", "version", *FILL["cases"], *FILL["leavers"]]
    table = read_table(path, known_columns=known)
    if len(table.frame) > MAX_ROWS:
        raise HubcoreError(
            f"{path.name}: refused: {len(table.frame):,} rows is more than a worklist can hold "
            f"({MAX_ROWS:,}); nothing was imported")
    columns = set(table.frame.columns)
    if "case_id" in columns:
        which: Which = "cases"
    elif "leaver_key" in columns:
        which = "leavers"
    else:
        raise HubcoreError(
            f"{path.name}: not a worklist file: it has neither a case_id nor a leaver_key "
            "column; export the worklist with hubcore worklist export, fill it in and import "
            "that. Nothing was imported")
    required = [ID[which], "version", *FILL[which]]
    check_header(table, required, allow_unknown=True)
    return table, which


def _history_text(engine: Engine, scope: Scope, which: Which, ident, seen: int,
                  now: int) -> tuple[str, str, str]:
    """(who, when, what) changed a record after version ``seen``. A case's version counts its
    changes, so they are the latest ``now - seen`` events of its history (a change by a
    records import has no event and is said as such). A leaver's version is a checksum of
    their records, which says that they changed but not how often: the latest event is
    shown."""
    from hubcore import worklists

    try:
        if which == "cases":
            events = worklists.history(engine, scope, case_id=int(ident))
        else:
            events = worklists.history(engine, scope, leaver_key=str(ident))
    except HubcoreError:
        return "", "", "changed since your export"
    if len(events) and "action" in events:
        events = events[events["action"] != "import_conflict"]
    changes = max(now - seen, 0) if which == "cases" else 1
    events = events.sort_values("at").tail(changes) if len(events) else events
    parts, who, when = [], [], ""
    for e in events.itertuples(index=False):
        at = pd.Timestamp(e.at)
        when = f"{at:%Y-%m-%d %H:%M} UTC"
        who.append(str(e.user))
        parts.append(f"{when} {e.user}: {str(e.action).replace('_', ' ')}"
                     + _diff_text(e.before, e.after))
    missing = changes - len(parts)
    if missing > 0:
        parts.append(f"{missing} change(s) by a records import" if which == "cases"
                     else "their records were changed by an import")
    elif which == "leavers":
        parts[-1] = "latest: " + parts[-1]
    return ", ".join(dict.fromkeys(who)), when, "; ".join(parts) or "changed since your export"


#: Values of a history snapshot that say nothing to the person reading a conflict.
_QUIET = {"version", "leaver_key", "case_id", "record_id", "id", "edited_at", "edited_by",
          "category", "kind", "source"}


def _diff_text(before, after) -> str:
    def as_dict(value) -> dict:
        if isinstance(value, dict):
            return value
        if isinstance(value, str) and value:
            try:
                loaded = json.loads(value)
            except ValueError:
                return {}
            return loaded if isinstance(loaded, dict) else {}
        return {}

    b, a = as_dict(before), as_dict(after)
    keys = [k for k in dict.fromkeys([*b, *a]) if b.get(k) != a.get(k) and k not in _QUIET]
    if not keys:
        return ""
    return " (" + ", ".join(f"{k} {_show(b.get(k))} → {_show(a.get(k))}" for k in keys) + ")"


def _show(value) -> str:
    return "–" if value is None or value == "" else str(value)


def _current(engine: Engine, scope: Scope, which: Which) -> pd.DataFrame:
    """The records the user may change now, with their stored versions, indexed by id."""
    from hubcore import worklists

    if which == "cases":
        frame = worklists.cases(engine, scope, open_only=False)
        return frame.set_index(frame["case_id"].astype("int64"))
    frame = worklists.leavers_to_confirm(engine, scope)
    return frame.set_index(frame["leaver_key"].astype(str))


def _in_scope_leavers(engine: Engine, scope: Scope) -> set[str]:
    """Keys of the leavers ``scope`` covers at all (confirmed ones too)."""
    from hubcore import store

    try:
        return set(store.leavers(engine, scope)["key"].astype(str))
    except AccessDenied:
        return set()


def import_file(engine: Engine, scope: Scope, path: str | Path, dry_run: bool = False,
                rejects_path: Path | None = None) -> OfflineReport:
    """Import a filled-in worklist file (CSV or XLSX, as :func:`export` wrote it) as
    ``scope``'s user.

    Each row with something filled in is validated and applied through the
    :mod:`hubcore.worklists` writes (cases: ``record_contact`` then ``record_outcome``;
    leavers: ``refer`` or ``confirm_destination``), with the row's ``version``. Rows whose
    record changed since the export are conflicts; rows outside the user's worklist or with
    bad values are rejected. With ``dry_run`` nothing is written (the checks that need the
    write itself, such as a date before the referral, are then made only when applied).
    ``rejects_path``: write the rejects there as CSV (formula-safe) when there are any.
    Raises :class:`~hubcore.errors.HubcoreError` for a file that cannot be read (too big,
    cut short, not a worklist); nothing is written then.
    """
    from hubcore import worklists

    path = Path(path)
    table, which = _read(path)
    checker = Checker(table)
    typed = _parse(checker, which)
    _pair_rules(checker, typed, which)
    id_col = ID[which]
    checker.duplicates(typed[[id_col]], id_col, id_col)
    report = OfflineReport(file=str(path), which=which, read=len(typed), dry_run=dry_run)
    fill = list(FILL[which])
    filled = typed[fill].notna().any(axis=1).to_numpy()
    report.unchanged = int((~filled & ~checker.bad).sum())

    extra_rejects: list[dict] = []
    conflicts: list[dict] = []

    def row_number(label) -> int:
        return int(label) + table.first_row

    def reject(label, ident, column, value, rule, reason) -> None:
        extra_rejects.append({"row": row_number(label), "id": ident, "column": column,
                              "value": value, "rule": rule, "reason": reason})

    def conflict(label, ident, seen: int, now: int) -> None:
        who, when, what = _history_text(engine, scope, which, ident, seen, now)
        conflicts.append({"row": row_number(label), "id": ident, "your_version": seen,
                          "stored_version": now, "changed_by": who, "changed_at": when,
                          "changes": what})

    todo = typed.loc[filled & ~checker.bad]
    current = _current(engine, scope, which) if len(todo) else pd.DataFrame()
    scoped_leavers = (_in_scope_leavers(engine, scope)
                      if which == "leavers" and len(todo) else set())
    for label, row in todo.iterrows():
        ident = int(row[id_col]) if which == "cases" else str(row[id_col])
        seen = int(row["version"])
        if ident not in current.index:
            if which == "leavers" and ident in scoped_leavers:
                conflicts.append({"row": row_number(label), "id": ident, "your_version": seen,
                                  "stored_version": None, "changed_by": "", "changed_at": "",
                                  "changes": "the leaver has a confirmed destination now; "
                                  "nothing is left to do"})
            else:
                what = "case" if which == "cases" else "leaver"
                reject(label, ident, id_col, str(ident), "not_in_your_worklist",
                       f"this {what} is not in your worklist (another school's or area's, or "
                       "unknown): you may not change it")
            continue
        now = int(current.loc[ident, "version"])
        if which == "cases" and seen > now:
            # A case's version only goes up: a bigger one was never handed out.
            reject(label, ident, "version", str(seen), "version_unknown",
                   f"version {seen} is newer than the stored one ({now}): this file is not "
                   "from this database, or the version was edited")
            continue
        if seen != now:  # a leaver's version is a checksum: any difference is a change
            conflict(label, ident, seen, now)
            continue
        if dry_run:
            report.applied += 1
            continue
        done = _apply(engine, scope, which, ident, seen, row, worklists, label, reject,
                      conflict)
        report.writes += done
        report.applied += bool(done)

    rejects = checker.rejects().rename(columns={"message": "reason"})
    rejects["id"] = [
        typed.loc[r - table.first_row, id_col] if (r - table.first_row) in typed.index else None
        for r in rejects["row"]
    ] if len(rejects) else []
    rejects = pd.concat([rejects.reindex(columns=REJECT_COLUMNS),
                         pd.DataFrame(extra_rejects, columns=REJECT_COLUMNS)],
                        ignore_index=True)
    report.rejected = rejects.sort_values(["row", "column"], kind="stable").reset_index(
        drop=True)
    report.conflicts = pd.DataFrame(conflicts, columns=CONFLICT_COLUMNS)
    if rejects_path is not None:
        if len(report.rejected):
            spreadsheet.write_csv(report.rejected, rejects_path)
            report.rejects_path = Path(rejects_path)
        elif Path(rejects_path).exists():
            Path(rejects_path).unlink()  # an old file must not pass for this run's
    if not dry_run:
        _audit(engine, scope, report)
    return report


def _apply(engine, scope, which, ident, version, row, worklists, label, reject, conflict) -> int:
    """Apply one row's filled-in cells; returns how many writes succeeded. A stale version
    becomes a conflict; a refused edit a reject (in the API's words)."""
    steps = []
    if which == "cases":
        if pd.notna(row["fill_contact_on"]):
            steps.append(("fill_contact_on", lambda v: worklists.record_contact(
                engine, scope, ident, v, row["fill_contact_on"],
                reached=row["fill_reached"] == "yes")))
        if row["fill_outcome"] is not None and pd.notna(row["fill_outcome"]):
            code = row["fill_outcome_code"]
            steps.append(("fill_outcome", lambda v: worklists.record_outcome(
                engine, scope, ident, v, row["fill_outcome"], row["fill_outcome_on"],
                nccis_code=None if pd.isna(code) else int(code))))
    elif row["fill_refer_to"] is not None and pd.notna(row["fill_refer_to"]):
        intended = row["fill_intended_code"]
        steps.append(("fill_refer_to", lambda v: worklists.refer(
            engine, scope, ident, row["fill_refer_to"], row["fill_reason"],
            intended_nccis_code=None if pd.isna(intended) else int(intended), version=v)))
    else:
        steps.append(("fill_confirm_code", lambda v: worklists.confirm_destination(
            engine, scope, ident, v, int(row["fill_confirm_code"]), row["fill_confirm_on"])))
    done = 0
    for column, step in steps:
        try:
            result = step(version)
        except worklists.StaleEdit:
            now = _stored_version(engine, scope, which, ident)
            conflict(label, ident, version, now if now is not None else version + 1)
            break
        except AccessDenied as exc:  # OutOfScope is one
            reject(label, ident, column, "", "not_in_your_worklist", str(exc))
            break
        except HubcoreError as exc:  # InvalidEdit and other refusals, in words
            reject(label, ident, column, _cell(row, column), "refused", str(exc))
            break
        done += 1
        # A contact's write returns the case's new version, which the outcome then uses.
        if which == "cases" and isinstance(result, int | np.integer):
            version = int(result)
    return done


def _cell(row: pd.Series, column: str) -> str:
    value = row.get(column)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _stored_version(engine, scope, which, ident) -> int | None:
    try:
        current = _current(engine, scope, which)
    except HubcoreError:
        return None
    return int(current.loc[ident, "version"]) if ident in current.index else None


def _audit(engine: Engine, scope: Scope, report: OfflineReport) -> None:
    """One audit event for the import as a whole (each write audits itself too)."""
    from hubcore import store

    store.record_audit(engine, scope, "import", f"worklist:{Path(report.file).name}"[:200],
                       rows=report.writes, detail=report.summary())


def import_for_cli(engine: Engine, path: Path, as_user: str | None = None,
                   rejects_path: Path | None = None, dry_run: bool = False,
                   progress: bool = False, **_ignored) -> OfflineReport:
    """``hubcore import worklist FILE [--as USER] [--dry-run]``: :func:`import_file` as the
    user named (default: the administrator), rejects beside the file."""
    from hubcore.ingest.report import default_rejects_path

    scope = acting_scope(as_user)
    return import_file(engine, scope, path, dry_run=dry_run,
                       rejects_path=rejects_path or default_rejects_path(Path(path)))
