"""Disclosure control, in one place: what may leave the suite in an export or for an
aggregates-only role.

Rules (DfE practice, ``../shared/DOMAIN.md`` §7): counts under :data:`THRESHOLD` (6) are
suppressed, and so is any percentage computed from a base under 6; percentages are rounded to
one decimal place. A suppressed value is shown as :data:`SUPPRESSED` ("c"), never as zero.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Smallest count that may be published.
THRESHOLD = 6
#: What a suppressed cell shows.
SUPPRESSED = "c"


def suppress_count(value: float | int | None, threshold: int = THRESHOLD) -> object:
    """A single count, or ``"c"`` when it is positive and under ``threshold``.

    Zero is not disclosive on its own and is kept; missing stays missing.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return SUPPRESSED if 0 < value < threshold else value


def apply(
    frame: pd.DataFrame,
    counts: Iterable[str] = (),
    percents: dict[str, str] | Iterable[str] = (),
    threshold: int = THRESHOLD,
) -> pd.DataFrame:
    """Return a copy of ``frame`` safe to export.

    ``counts``: columns of counts; a value ``0 < n < threshold`` becomes ``"c"``.
    ``percents``: columns of percentages, rounded to one decimal; given as a mapping
    ``{percent_column: base_count_column}``, a percentage whose base is under ``threshold``
    becomes ``"c"`` too.
    """
    out = frame.copy()
    base_of = percents if isinstance(percents, dict) else {p: None for p in percents}
    for col, base in base_of.items():
        values = out[col].astype("float64").round(1)
        if base is not None:
            small = out[base].astype("float64") < threshold
            out[col] = values.astype(object).where(~small, SUPPRESSED)
        else:
            out[col] = values
    for col in counts:
        numeric = out[col].astype("float64")
        small = (numeric > 0) & (numeric < threshold)
        out[col] = out[col].astype(object).where(~small, SUPPRESSED)
    return out
