"""Disclosure control, in one place: what may leave the suite in an export or for an
aggregates-only role.

Rules (DfE practice, ``../shared/DOMAIN.md`` §7): counts under :data:`THRESHOLD` (6) are
suppressed, and so is any percentage computed from a base under 6; percentages are rounded to
one decimal place. A suppressed value is shown as :data:`SUPPRESSED` ("c"), never as zero.

Which columns are counts of *people* (pupils, leavers, participants, hand-overs) is declared by
the caller in a :class:`Spec`; counts of institutions, employers or events describe no one and
are published as they are. :func:`apply_spec` is what every export in :mod:`hubcore.metrics`
goes through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Smallest count that may be published.
THRESHOLD = 6
#: What a suppressed cell shows.
SUPPRESSED = "c"
#: Decimal places of published percentages.
PERCENT_DECIMALS = 1


def suppress_count(value: float | int | None, threshold: int = THRESHOLD) -> object:
    """A single count, or ``"c"`` when it is positive and under ``threshold``.

    Zero is not disclosive on its own and is kept; missing stays missing.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return SUPPRESSED if 0 < value < threshold else value


def round_percent(value: float | None) -> float | None:
    """A percentage rounded to one decimal place (``None``/NaN stays missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), PERCENT_DECIMALS)


def _small(series: pd.Series, threshold: int) -> pd.Series:
    """True where a count is positive and under ``threshold`` (text such as "c" counts as
    already suppressed, so it stays small)."""
    numeric = pd.to_numeric(series, errors="coerce").astype("float64")
    already = series.astype(object).eq(SUPPRESSED)
    return ((numeric > 0) & (numeric < threshold)) | already


def _small_base(base: pd.Series, threshold: int) -> pd.Series:
    """True where a base count is under ``threshold`` (zero included) or already suppressed."""
    numeric = pd.to_numeric(base, errors="coerce").astype("float64")
    return (numeric < threshold) | base.astype(object).eq(SUPPRESSED)


def apply(
    frame: pd.DataFrame,
    counts: Iterable[str] = (),
    percents: Mapping[str, str | None] | Iterable[str] = (),
    threshold: int = THRESHOLD,
    rounded: Mapping[str, int] | None = None,
    statistics: Mapping[str, tuple[str, int]] | None = None,
) -> pd.DataFrame:
    """Return a copy of ``frame`` safe to export.

    ``counts``: columns of counts of people; a value ``0 < n < threshold`` becomes ``"c"``.
    ``percents``: columns of percentages, rounded to one decimal; given as a mapping
    ``{percent_column: base_count_column}``, a percentage whose base is under ``threshold``
    (zero included: a rate of nobody is not a rate) becomes ``"c"`` too.
    ``rounded``: other numeric columns to round, ``{column: decimals}`` (ratios, km, days).
    ``statistics``: other measures computed from people, ``{column: (base_column, decimals)}``
    (a median of days, a difference of rates): rounded, and ``"c"`` where the base is under
    ``threshold``, like a percentage.

    Percentages are handled before counts, so a base column listed in ``counts`` is still
    compared as a number.
    """
    out = frame.copy()
    base_of = dict(percents) if isinstance(percents, Mapping) else {p: None for p in percents}
    for col, base in base_of.items():
        values = pd.to_numeric(out[col], errors="coerce").astype("float64").round(PERCENT_DECIMALS)
        if base is not None:
            out[col] = values.astype(object).where(~_small_base(out[base], threshold), SUPPRESSED)
        else:
            out[col] = values
    for col, decimals in (rounded or {}).items():
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64").round(decimals)
    for col, (base, decimals) in (statistics or {}).items():
        values = pd.to_numeric(out[col], errors="coerce").astype("float64").round(decimals)
        out[col] = values.astype(object).where(~_small_base(out[base], threshold), SUPPRESSED)
    for col in counts:
        small = _small(out[col], threshold)
        out[col] = out[col].astype(object).where(~small, SUPPRESSED)
    return out


@dataclass(frozen=True)
class Spec:
    """What in a report table needs disclosure control.

    ``counts``: counts of people. ``percents``: ``{percent: base count column or None}``.
    ``rounded``: ``{column: decimals}`` for other measures (ratios, km).
    ``statistics``: ``{column: (base count column, decimals)}`` for measures of people that are
    not percentages (days, rate differences).
    """

    counts: tuple[str, ...] = ()
    percents: Mapping[str, str | None] = field(default_factory=dict)
    rounded: Mapping[str, int] = field(default_factory=dict)
    statistics: Mapping[str, tuple[str, int]] = field(default_factory=dict)


def apply_spec(frame: pd.DataFrame, spec: Spec, threshold: int = THRESHOLD) -> pd.DataFrame:
    """:func:`apply` with a :class:`Spec`; columns the frame lacks are skipped, so one spec can
    serve a report family whose tables differ a little."""
    have = set(frame.columns)
    percents = {p: (b if b in have else None) for p, b in spec.percents.items() if p in have}
    return apply(
        frame,
        counts=[c for c in spec.counts if c in have],
        percents=percents,
        threshold=threshold,
        rounded={c: d for c, d in spec.rounded.items() if c in have},
        statistics={c: v for c, v in spec.statistics.items() if c in have and v[0] in have},
    )
