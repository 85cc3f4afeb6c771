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


# --- schools and the overview -----------------------------------------------------------------


def schools(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The scope's schools and colleges (published register data): ``urn``, ``name``,
    ``kind``, ``type`` (readable kind), ``la_gss``, ``pupils``, ``easting``/``northing``
    (BNG metres) and the register's other columns."""
    frame = pd.DataFrame(store.schools(engine, scope).drop(columns="geometry"))
    frame["type"] = frame["kind"].map(codes.SCHOOL_KINDS)
    return _meta(frame, title="Schools and colleges", units={"pupils": "pupils"})


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
