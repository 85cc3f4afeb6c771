"""Shared conventions of the display layer (see :mod:`hubcore.display`)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from hubcore import codes, disclosure, metrics, store
from hubcore.access import Scope
from hubcore.disclosure import Spec, rules

C = disclosure.SUPPRESSED
THRESHOLD = disclosure.THRESHOLD
#: Width of the referral-lag histogram's bins, days.
LAG_BIN_DAYS = 14
#: Funnel stages in order, as the transitions chart draws them.
FUNNEL_STEPS = ("handovers", "referred", "contacted", "engaged", "lost")


# --- rules as data ----------------------------------------------------------------------------

#: Disclosure rules of the page data sources, by source name (see :data:`SOURCES`): written
#: once, as data, with the report rules in :mod:`hubcore.disclosure.rules`.
RULES: dict[str, Spec] = rules.PAGE_SPECS


def protect(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """``frame`` through the engine (:func:`hubcore.disclosure.apply_spec`) with ``spec``,
    helper columns (``_…``) dropped."""
    out = disclosure.apply_spec(frame, spec)
    return out.drop(columns=[c for c in out.columns if str(c).startswith("_")])


def numeric(values: pd.Series) -> pd.Series:
    """A displayed column as floats for drawing: ``"c"``, ``"low"`` and other text become
    NaN."""
    return pd.to_numeric(values.astype(object), errors="coerce").astype("float64")


def text(values: pd.Series) -> pd.Series:
    """A displayed column as text for a hover: numbers as ``12.5`` / ``40``, ``"c"`` kept,
    missing as ``–``."""
    def one(v) -> str:
        if isinstance(v, str):
            return v
        if v is None or pd.isna(v):
            return "–"
        return f"{float(v):g}"

    return values.astype(object).map(one)


def _meta(frame: pd.DataFrame, **meta) -> pd.DataFrame:
    frame.attrs["display"] = meta
    return frame


#: Keys every display frame's metadata has (:func:`meta`).
META_REQUIRED = ("title", "units")


def meta(frame: pd.DataFrame) -> dict:
    """The display metadata of a frame from this layer (a copy of ``frame.attrs["display"]``).

    Every frame has ``title`` (text for a heading) and ``units`` (column → unit, e.g.
    ``{"distance_km": "km", "pct_referred_of_leavers": "%"}``; ``{}`` where no column has a
    unit). Where relevant it also has ``palette`` (a name in :mod:`hubcore.palettes`),
    ``low``/``high`` (colour range), ``labels`` (value → words for a categorical layer),
    ``tooltips`` (column → label) and ``note`` (how the figures were protected or why a
    comparator is empty); a module may add its own keys, documented with its function.
    Raises ``KeyError`` naming what is missing when the frame carries no metadata (it did not
    come from this layer, or an operation dropped its ``attrs``)."""
    found = frame.attrs.get("display")
    if not isinstance(found, dict):
        raise KeyError("frame has no display metadata (attrs['display']); was it built by "
                       "hubcore.display?")
    missing = [k for k in META_REQUIRED if k not in found]
    if missing:
        raise KeyError(f"display metadata lacks {', '.join(missing)}")
    return dict(found)


def plural(count: float, singular: str, many: str | None = None, *, number: bool = True) -> str:
    """``count`` with the word that agrees with it: ``plural(0, "school")`` → "0 schools",
    ``plural(1, "school")`` → "1 school", ``plural(1234, "school")`` → "1,234 schools".

    ``many`` is the plural where adding "s" is wrong (``plural(2, "child", "children")``); for
    a verb, pass both forms and ``number=False``: ``plural(1, "needs", "need",
    number=False)`` → "needs". Whole counts only are singular at 1 (1.5 schools is plural)."""
    word = singular if count == 1 else (many if many is not None else f"{singular}s")
    if not number:
        return word
    shown = f"{count:,.0f}" if float(count).is_integer() else f"{count:,.1f}"
    return f"{shown} {word}"


# --- schools and the overview -----------------------------------------------------------------


def schools(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The scope's schools and colleges (published register data, GIAS): ``urn``, ``name``,
    ``kind`` (code), ``type`` (readable kind), ``pupils``, ``easting``/``northing`` (BNG
    metres), ``lat``/``lon`` (degrees), ``la_gss``/``lad_gss`` (upper- and lower-tier LA
    codes), ``la_code``, ``establishment_number``, ``ukprn``, ``type_code``, ``phase_code``,
    ``status``, ``statutory_low_age``/``statutory_high_age`` (years), ``percentage_fsm`` (%
    of pupils eligible for free school meals), ``postcode``, ``lsoa_code``/``lsoa_vintage``
    (small area), ``is_special``, ``is_ap``, ``has_careers_leader``,
    ``has_employer_link_governor``, ``predecessor_urn`` and ``trust_code``."""
    frame = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    frame["type"] = frame["kind"].map(codes.SCHOOL_KINDS)
    return _meta(frame, title="Schools and colleges",
                 units={"pupils": "pupils", "easting": "m (BNG)", "northing": "m (BNG)",
                        "percentage_fsm": "%", "statutory_low_age": "years",
                        "statutory_high_age": "years"})


def benchmarks_at(assessments: pd.DataFrame, period: str) -> pd.DataFrame:
    """Each school's latest assessment on or before ``period`` (``YYYY-MM-DD|framework``),
    within that framework (:func:`hubcore.metrics.school_benchmarks`).

    The national comparison (``national_*``, ``vs_national``, ``national_note``) of a school
    whose assessment in that framework has no national figure (the 2024 framework, before CEC
    publishes one) is made at its latest earlier assessment that has one, in either framework,
    and the note names it; "no assessment with a national figure" only where none has."""
    date, framework = period.split("|")
    upto = assessments[assessments["assessed_on"] <= pd.Timestamp(date)]
    within = metrics.school_benchmarks(upto, framework)
    national = [c for c in within.columns if c.startswith("national_") or c == "vs_national"]
    missing = within["national_framework"].isna()
    if missing.any():
        across = metrics.school_benchmarks(upto).set_index("urn")[national]
        fill = within.loc[missing, "urn"]
        within.loc[missing, national] = across.reindex(fill).to_numpy()
    return within



def _urns(scope: Scope, urn: int | None) -> int | None:
    return urn if urn is not None else scope.urn


def _only(frame: pd.DataFrame, urn: int | None, column: str = "urn") -> pd.DataFrame:
    return frame if urn is None else frame[frame[column] == urn]
