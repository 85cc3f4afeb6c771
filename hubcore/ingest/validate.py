"""Vectorised row validation: parse text columns into typed columns and collect rejects.

A :class:`Checker` wraps the frame of strings read from a file. Each ``parse_*`` call turns one
column into typed values and records every bad cell as a reject (row, column, value, rule), all
with whole-column operations (a million rows validate in seconds, not minutes). Rules are
named with short stable identifiers (``not_integer``, ``out_of_range``, ``future_date`` …) so
users can filter the rejects CSV by rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hubcore.ingest.reader import Table
from hubcore.ingest.report import REJECT_COLUMNS

TRUE_WORDS = {"1", "y", "yes", "true", "t"}
FALSE_WORDS = {"0", "n", "no", "false", "f", ""}
#: Date layouts accepted in hub-kept files, tried in order: ISO first, then UK day-first.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M")


def number_text(value: float) -> str:
    """``100000`` not ``1e+05``; decimals as written."""
    return str(int(value)) if float(value).is_integer() else f"{value}"


class Checker:
    """Collects typed columns and rejects for one table.

    ``bad`` marks rows with at least one reject; callers drop them before writing.
    """

    def __init__(
        self, table: Table, today: dt.date | None = None, frame: pd.DataFrame | None = None
    ) -> None:
        self.table = table
        # ``frame`` may be a subset of the table's rows; its index labels stay the positions in
        # the file, so reported row numbers are right.
        self.frame = table.frame if frame is None else frame
        self.n = len(self.frame)
        self.bad = np.zeros(self.n, dtype=bool)
        self.today = today or dt.date.today()
        self._rejects: list[pd.DataFrame] = []
        self._text: dict[str, pd.Series] = {}
        #: Parsed date columns as ``datetime64`` (for fast derived values such as years).
        self.datetimes: dict[str, pd.Series] = {}

    # --- recording -------------------------------------------------------------------------

    def reject(
        self, mask, column: str, rule: str, message: str, values: pd.Series | None = None
    ) -> None:
        """Record a reject for every row where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        positions = np.flatnonzero(mask)
        if values is None:
            values = (
                self.frame[column] if column in self.frame.columns
                else pd.Series([""] * self.n, index=self.frame.index)
            )
        shown = values.iloc[positions].astype(str).to_numpy()
        self._rejects.append(
            pd.DataFrame(
                {
                    "file": self.table.path.name,
                    "row": self.frame.index.to_numpy()[positions] + self.table.first_row,
                    "column": column,
                    "value": shown,
                    "rule": rule,
                    "message": message,
                }
            )
        )

    def rejects(self) -> pd.DataFrame:
        """All rejects so far, one line per bad cell."""
        if not self._rejects:
            return pd.DataFrame(columns=REJECT_COLUMNS)
        return pd.concat(self._rejects, ignore_index=True)

    def text(self, column: str) -> pd.Series:
        """The column's text with surrounding spaces removed ('' where the column is absent)."""
        cache = self._text
        if column not in cache:
            if column not in self.frame.columns:
                cache[column] = pd.Series([""] * len(self.frame), index=self.frame.index,
                                          dtype="str")
            else:
                # A list comprehension over the raw values is ~10x faster than ``.str.strip()``
                # on pandas' Python-backed string dtype, which matters at a million rows.
                raw = self.frame[column].to_numpy(dtype=object)
                if self.table.needs_strip or pd.isna(raw).any():
                    raw = [v.strip() if isinstance(v, str) else "" for v in raw]
                cache[column] = pd.Series(raw, index=self.frame.index, dtype=object)
        return cache[column]

    # --- parsers ---------------------------------------------------------------------------

    def require(self, column: str, values: pd.Series | None = None) -> pd.Series:
        """Text of a column that must not be blank."""
        text = self.text(column) if values is None else values
        self.reject(text == "", column, "required", f"{column} must be filled in")
        return text

    def parse_str(
        self, column: str, required: bool = False, max_length: int | None = None
    ) -> pd.Series:
        """Text, ``None`` where blank; too long or missing (when required) is rejected."""
        text = self.text(column)
        if required:
            self.require(column, text)
        if max_length is not None:
            self.reject(
                text.str.len() > max_length, column, "too_long",
                f"{column} is longer than {max_length} characters",
            )
        return text.where(text != "", None).astype(object)

    def parse_int(
        self,
        column: str,
        required: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
        rule: str = "out_of_range",
    ) -> pd.Series:
        """Whole numbers (nullable ``Int64``); decimals, words and values outside
        ``[min_value, max_value]`` are rejected."""
        text = self.text(column)
        if required:
            self.require(column, text)
        filled = text != ""
        number = _numbers(text, filled)
        not_number = filled & number.isna()
        self.reject(not_number, column, "not_integer", f"{column} must be a whole number")
        fractional = number.notna() & (number % 1 != 0)
        self.reject(fractional, column, "not_integer", f"{column} must be a whole number")
        # Beyond 2**53 a float no longer holds every whole number (nor fits a database integer).
        huge = number.abs() > 2**53
        self.reject(huge, column, rule, f"{column} is far too large")
        self._range(number, column, min_value, max_value, rule)
        ok = number.where(~(not_number | fractional | huge))
        return ok.round().astype("Int64")

    def parse_float(
        self,
        column: str,
        required: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
        rule: str = "out_of_range",
        percent_sign: bool = True,
    ) -> pd.Series:
        """Numbers (``Float64``); with ``percent_sign`` a trailing ``%`` is allowed."""
        text = self.text(column)
        if required:
            self.require(column, text)
        number = _numbers(text, text != "", percent_sign)
        not_number = (text != "") & number.isna()
        self.reject(not_number, column, "not_number", f"{column} must be a number")
        self._range(number, column, min_value, max_value, rule)
        return number.astype("Float64")

    def _range(self, number, column, min_value, max_value, rule) -> None:
        if min_value is not None:
            self.reject(number < min_value, column, rule,
                        f"{column} must be at least {number_text(min_value)}")
        if max_value is not None:
            self.reject(number > max_value, column, rule,
                        f"{column} must be at most {number_text(max_value)}")

    def parse_date(
        self,
        column: str,
        required: bool = False,
        allow_future: bool = False,
        earliest: dt.date = dt.date(2000, 1, 1),
    ) -> pd.Series:
        """Dates (``YYYY-MM-DD`` or ``DD/MM/YYYY``) as ``datetime.date`` objects; later than
        today (unless ``allow_future``) or before ``earliest`` is rejected."""
        text = self.text(column)
        if required:
            self.require(column, text)
        parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
        todo = text != ""
        for fmt in DATE_FORMATS:
            if not todo.any():
                break
            attempt = pd.to_datetime(text.where(todo), format=fmt, errors="coerce")
            hit = attempt.notna() & todo
            parsed = parsed.where(~hit, attempt)
            todo &= ~hit
        self.reject(todo, column, "not_date", f"{column} must be a date like 2025-03-31")
        self.datetimes[column] = parsed
        if not allow_future:
            tomorrow = pd.Timestamp(self.today) + pd.Timedelta(days=1)
            self.reject((parsed >= tomorrow).to_numpy(), column, "future_date",
                        f"{column} is in the future")
        self.reject((parsed < pd.Timestamp(earliest)).to_numpy(), column, "date_too_early",
                    f"{column} is before {earliest:%Y-%m-%d}")
        dates = parsed.dt.date.astype(object)
        return dates.where(parsed.notna(), None)

    def parse_bool(self, column: str, default: bool = False) -> pd.Series:
        """``yes/no``, ``true/false``, ``y/n``, ``1/0``; blank means ``default``."""
        text = self.text(column).str.lower()
        known = text.isin(TRUE_WORDS | FALSE_WORDS)
        self.reject(~known, column, "not_yes_no", f"{column} must be yes or no")
        out = text.isin(TRUE_WORDS)
        return out.where(text != "", default).astype(bool)

    def parse_code(
        self,
        column: str,
        allowed: Iterable,
        required: bool = False,
        default: str | None = None,
        lower: bool = True,
    ) -> pd.Series:
        """A value from a closed list (compared in lower case unless ``lower`` is false)."""
        allowed = list(allowed)
        text = self.text(column)
        if lower:
            text = pd.Series([v.lower() for v in text.to_numpy()], index=text.index, dtype=object)
        if required and default is None:
            self.require(column, text)
        unknown = (text != "") & ~text.isin([str(a) for a in allowed])
        listed = ", ".join(str(a) for a in allowed)
        self.reject(unknown, column, "unknown_code", f"{column} must be one of: {listed}")
        out = text.where(text != "", default)
        return out.astype(object).where(out.notna(), None)

    def parse_pattern(
        self, column: str, pattern: str, rule: str, message: str, required: bool = False
    ) -> pd.Series:
        """Text that must match a regular expression (whole value) when filled."""
        text = self.text(column)
        if required:
            self.require(column, text)
        bad = (text != "") & ~text.str.fullmatch(pattern, flags=re.IGNORECASE)
        self.reject(bad, column, rule, message)
        return text.where(text != "", None).astype(object)

    def duplicates(self, keys: pd.DataFrame, column: str, what: str) -> None:
        """Reject every repeat of a natural key within the file (the first one is kept).

        Keys are compared by a 64-bit hash of their typed values, which is fast for a million
        rows; rows already rejected are ignored.
        """
        norm = pd.DataFrame({c: _hashable(keys[c]) for c in keys.columns}, index=keys.index)
        hashed = pd.Series(pd.util.hash_pandas_object(norm, index=False).to_numpy(),
                           index=keys.index)
        hashed = hashed[~self.bad]
        dup_labels = hashed.index[hashed.duplicated(keep="first").to_numpy()]
        if not len(dup_labels):
            return
        first_label = pd.Series(hashed.index, index=hashed.to_numpy())
        first_label = first_label[~first_label.index.duplicated(keep="first")]
        mask = self.frame.index.isin(dup_labels)
        self.reject(mask, column, "duplicate", f"same {what} as an earlier row of the file")
        # Point users to the row it repeats (duplicates are rare, so a loop is fine here).
        repeated = first_label.reindex(hashed.loc[self.frame.index[mask]].to_numpy())
        last = self._rejects[-1]
        last["message"] = [
            f"same {what} as row {int(r) + self.table.first_row} of the file" for r in repeated
        ]


def _numbers(text: pd.Series, filled: pd.Series, percent_sign: bool = False) -> pd.Series:
    """Numbers from text (NaN where blank or not a number).

    The fast path converts with Python's ``float`` over the whole column, about six times
    quicker than ``pd.to_numeric`` on object strings; any value it cannot take (a word, a
    thousands separator, a ``%``) sends the column down the careful pandas path instead.
    """
    values = text.to_numpy(dtype=object)
    mask = filled.to_numpy()
    out = np.full(len(values), np.nan)
    try:
        fast = np.fromiter(map(float, values[mask]), dtype=np.float64, count=int(mask.sum()))
        if np.isfinite(fast).all():
            out[mask] = fast
            return pd.Series(out, index=text.index)
    except ValueError:
        pass
    number = pd.to_numeric(text.where(filled), errors="coerce").astype("float64")
    number = number.where(np.isfinite(number))
    retry = filled & number.isna()
    if retry.any():
        cleaned = text[retry].str.replace(",", "", regex=False)
        if percent_sign:
            cleaned = cleaned.str.removesuffix("%").str.strip()
        number[retry] = pd.to_numeric(cleaned, errors="coerce")
    return number.where(np.isfinite(number)).astype("float64")


def _hashable(series: pd.Series) -> pd.Series:
    """Key values in a form ``hash_pandas_object`` handles fast (dates as datetime64)."""
    if series.dtype != object:
        return series
    present = series.dropna()
    if len(present) and isinstance(present.iloc[0], dt.date):
        return pd.to_datetime(series, errors="coerce")
    return series.where(series.notna(), None)
