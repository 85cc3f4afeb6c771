"""Disclosure control, in one place: what may leave the suite in an export, on a page, in a
hover or in a briefing.

Rules (DfE practice, ``../shared/DOMAIN.md`` §7): counts of people under :data:`THRESHOLD` (6)
are suppressed, and so is every percentage, rate or statistic resting on a suppressed count;
complementary suppression makes sure no suppressed cell can be worked out again by subtraction
or by percentage × base (:mod:`hubcore.disclosure.engine` explains how); percentages are
rounded to one decimal place, a positive one that rounds to 0.0 shows :data:`LOW`. A suppressed
value is shown as :data:`SUPPRESSED` ("c"), never as zero.

Which columns count people, what each percentage's base is and which cells add up to which is
declared once per report kind in :mod:`hubcore.disclosure.rules` (:data:`SPECS`); counts of
institutions, employers or events describe no one and are published as they are.
"""

from __future__ import annotations

from hubcore.disclosure.engine import (
    LOW,
    PERCENT_DECIMALS,
    SUPPRESSED,
    THRESHOLD,
    Relation,
    Spec,
    apply,
    apply_spec,
    round_percent,
    suppress_count,
)
from hubcore.disclosure.rules import SPECS

__all__ = [
    "LOW",
    "PERCENT_DECIMALS",
    "SPECS",
    "SUPPRESSED",
    "THRESHOLD",
    "Relation",
    "Spec",
    "apply",
    "apply_spec",
    "round_percent",
    "suppress_count",
]
