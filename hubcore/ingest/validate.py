"""Vectorised row validation: parse text columns into typed columns and collect rejects.

A :class:`Checker` wraps the frame of strings read from a file. Each ``parse_*`` call turns one
column into typed values and records every bad cell as a reject (row, column, value, rule), all
with whole-column operations (a million rows validate in seconds, not minutes). Rules are
named with short stable identifiers (``not_integer``, ``out_of_range``, ``future_date`` …) so
users can filter the rejects CSV by rule.

Columns are checked on their *distinct* values: a file of a million rows holds a few hundred
URNs, dates or codes, so each rule runs once per distinct text and its verdict is spread to
every row holding that text by position (``numpy`` indexing). The per-value rules stay plain
and exact; only their cost changes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Distinct:
    """A column as its distinct texts (stripped; ``""`` for blank or missing cells) and, per
    row, the position of the row's text in ``values``."""

    values: pd.Series
    codes: np.ndarray

    def spread(self, per_value) -> np.ndarray:
        """A per-row array from one entry per distinct value."""
        per_value = np.asarray(per_value)
        if per_value.dtype == bool and not per_value.any():
            return np.zeros(len(self.codes), dtype=bool)  # the usual verdict: no rejects
        return per_value[self.codes]


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
        self._distinct: dict[str, Distinct] = {}
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

    def distinct(self, column: str) -> Distinct:
        """The column's distinct stripped texts and each row's position among them."""
        if column not in self._distinct:
            if column not in self.frame.columns:
                self._distinct[column] = Distinct(
                    pd.Series([""], dtype=object), np.zeros(self.n, dtype=np.intp)
                )
            else:
                self._distinct[column] = self._factorize(self.frame[column])
        return self._distinct[column]

    def _factorize(self, raw: pd.Series) -> Distinct:
        strip = self.table.needs_strip or not isinstance(raw.dtype, pd.StringDtype)
        if _mostly_distinct(raw):
            # Free text (names, references): factorising would cost more than it saves.
            codes, missing = np.arange(len(raw), dtype=np.intp), None
            texts = list(raw.to_numpy(dtype=object))
            strip = strip or bool(raw.isna().any())  # missing cells read as blank below
        else:
            codes, uniques = pd.factorize(raw, use_na_sentinel=True)
            texts, missing = list(np.asarray(uniques, dtype=object)), codes < 0
        if strip:
            texts = [v.strip() if isinstance(v, str) else "" for v in texts]
        if missing is not None and missing.any():  # missing cells (short rows) read as blank
            texts.append("")
            codes = np.where(missing, len(texts) - 1, codes)
        return Distinct(pd.Series(texts, dtype=object), codes)

    def _series(self, values) -> pd.Series:
        # Object arrays stay object (pandas would infer its string dtype, slowly); no copy.
        dtype = object if pd.api.types.is_object_dtype(getattr(values, "dtype", None)) else None
        return pd.Series(values, index=self.frame.index, dtype=dtype, copy=False)

    # --- parsers ---------------------------------------------------------------------------

    def _require(self, column: str, d: Distinct) -> None:
        self.reject(d.spread(d.values.to_numpy() == ""), column, "required",
                    f"{column} must be filled in")

    def parse_str(
        self, column: str, required: bool = False, max_length: int | None = None
    ) -> pd.Series:
        """Text, ``None`` where blank; too long or missing (when required) is rejected."""
        d = self.distinct(column)
        if required:
            self._require(column, d)
        if max_length is not None:
            self.reject(
                d.spread(_lengths(d.values) > max_length), column, "too_long",
                f"{column} is longer than {max_length} characters",
            )
        return self._series(d.spread(_blank_none(d.values)))

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
        d = self.distinct(column)
        text = d.values
        if required:
            self._require(column, d)
        filled = text != ""
        number = _numbers(text, filled)
        not_number = filled & number.isna()
        self.reject(d.spread(not_number), column, "not_integer",
                    f"{column} must be a whole number")
        fractional = number.notna() & (number % 1 != 0)
        self.reject(d.spread(fractional), column, "not_integer",
                    f"{column} must be a whole number")
        # Beyond 2**53 a float no longer holds every whole number (nor fits a database integer).
        huge = number.abs() > 2**53
        self.reject(d.spread(huge), column, rule, f"{column} is far too large")
        self._range(d, number, column, min_value, max_value, rule)
        ok = number.where(~(not_number | fractional | huge))
        return self._series(ok.round().astype("Int64").array.take(d.codes))

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
        d = self.distinct(column)
        text = d.values
        if required:
            self._require(column, d)
        number = _numbers(text, text != "", percent_sign)
        not_number = (text != "") & number.isna()
        self.reject(d.spread(not_number), column, "not_number", f"{column} must be a number")
        self._range(d, number, column, min_value, max_value, rule)
        return self._series(number.astype("Float64").array.take(d.codes))

    def _range(self, d: Distinct, number, column, min_value, max_value, rule) -> None:
        if min_value is not None:
            self.reject(d.spread(number < min_value), column, rule,
                        f"{column} must be at least {number_text(min_value)}")
        if max_value is not None:
            self.reject(d.spread(number > max_value), column, rule,
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
        d = self.distinct(column)
        text = d.values
        if required:
            self._require(column, d)
        parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
        todo = text != ""
        for fmt in DATE_FORMATS:
            if not todo.any():
                break
            attempt = pd.to_datetime(text.where(todo), format=fmt, errors="coerce")
            hit = attempt.notna() & todo
            parsed = parsed.where(~hit, attempt)
            todo &= ~hit
        self.reject(d.spread(todo), column, "not_date",
                    f"{column} must be a date like 2025-03-31")
        self.datetimes[column] = self._series(d.spread(parsed.to_numpy()))
        if not allow_future:
            tomorrow = pd.Timestamp(self.today) + pd.Timedelta(days=1)
            self.reject(d.spread(parsed >= tomorrow), column, "future_date",
                        f"{column} is in the future")
        self.reject(d.spread(parsed < pd.Timestamp(earliest)), column, "date_too_early",
                    f"{column} is before {earliest:%Y-%m-%d}")
        dates = parsed.dt.date.astype(object).where(parsed.notna(), None)
        return self._series(d.spread(dates.to_numpy(dtype=object)))

    def parse_bool(self, column: str, default: bool = False) -> pd.Series:
        """``yes/no``, ``true/false``, ``y/n``, ``1/0``; blank means ``default``."""
        d = self.distinct(column)
        text = d.values.str.lower()
        known = text.isin(TRUE_WORDS | FALSE_WORDS)
        self.reject(d.spread(~known), column, "not_yes_no", f"{column} must be yes or no")
        out = text.isin(TRUE_WORDS).where(text != "", default).astype(bool)
        return self._series(d.spread(out))

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
        d = self.distinct(column)
        text = d.values
        if lower:
            text = pd.Series([v.lower() for v in text.to_numpy()], dtype=object)
        if required and default is None:
            self._require(column, d)
        unknown = (text != "") & ~text.isin([str(a) for a in allowed])
        listed = ", ".join(str(a) for a in allowed)
        self.reject(d.spread(unknown), column, "unknown_code",
                    f"{column} must be one of: {listed}")
        out = text.where(text != "", default)
        return self._series(d.spread(out.astype(object).where(out.notna(), None)))

    def parse_pattern(
        self, column: str, pattern: str, rule: str, message: str, required: bool = False
    ) -> pd.Series:
        """Text that must match a regular expression (whole value) when filled."""
        d = self.distinct(column)
        text = d.values
        if required:
            self._require(column, d)
        matched = text.str.fullmatch(pattern, flags=re.IGNORECASE).astype(bool)
        self.reject(d.spread((text != "") & ~matched), column, rule, message)
        return self._series(d.spread(_blank_none(text)))

    def duplicates(self, keys: pd.DataFrame, column: str, what: str) -> None:
        """Reject every repeat of a natural key within the file (the first one is kept).

        Keys are compared exactly, as one integer per row built from each key column's
        codes (fast for a million rows); rows already rejected are ignored.
        """
        grouped = pd.Series(group_codes(keys), index=keys.index)[~self.bad]
        dup_labels = grouped.index[grouped.duplicated(keep="first").to_numpy()]
        if not len(dup_labels):
            return
        first_label = pd.Series(grouped.index, index=grouped.to_numpy())
        first_label = first_label[~first_label.index.duplicated(keep="first")]
        mask = self.frame.index.isin(dup_labels)
        self.reject(mask, column, "duplicate", f"same {what} as an earlier row of the file")
        # Point users to the row it repeats (duplicates are rare, so a loop is fine here).
        repeated = first_label.reindex(grouped.loc[self.frame.index[mask]].to_numpy())
        last = self._rejects[-1]
        last["message"] = [
            f"same {what} as row {int(r) + self.table.first_row} of the file" for r in repeated
        ]


def group_codes(frame: pd.DataFrame) -> np.ndarray:
    """One integer per row of ``frame``, equal exactly when the rows hold equal values
    (missing equal to missing): each column is factorised and its codes folded in as a digit
    of a mixed-radix number, re-numbered only when the next digit could overflow."""
    combined = np.zeros(len(frame), dtype=np.int64)
    bound = 1
    for name in frame.columns:
        codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)
        radix = len(uniques) + 1
        if bound * radix >= 2**62:
            combined, seen = pd.factorize(combined)
            combined, bound = combined.astype(np.int64), len(seen)
        combined = combined * radix + (codes + 1)
        bound *= radix
    return combined


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


def _lengths(text: pd.Series) -> np.ndarray:
    return np.fromiter(map(len, text.to_numpy(dtype=object)), dtype=np.int64, count=len(text))


def _mostly_distinct(raw: pd.Series, sample: int = 10_000) -> bool:
    """Whether most values of a big column differ (judged on its first rows)."""
    return len(raw) > 4 * sample and raw.iloc[:sample].nunique() > sample // 2


def _blank_none(text: pd.Series) -> np.ndarray:
    """Object array of ``text`` with ``None`` for blanks."""
    values = text.to_numpy(dtype=object).copy()
    values[values == ""] = None
    return values
