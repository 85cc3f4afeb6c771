"""The overview page's table and summary: which schools the filters keep, the columns the
table shows (LA names, school types in words, each benchmark figure naming its source), and the
sentences above it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import store, vocabulary
from hubcore.access import Scope
from hubcore.benchmarks import BENCHMARKS
from hubcore.display.base import (
    RULES,
    _meta,
    benchmarks_at,
    numeric,
    protect,
    schools,
)
from hubcore.errors import HubcoreError
from hubcore.metrics import report

#: Where the Compass benchmark figures (``bm1``–``bm8``, ``achieved``) come from. The employers
#: page and the coverage columns measure BM5, BM6 and BM8 from the hub's encounter log instead,
#: so two figures for one benchmark can differ: each says its source next to it.
COMPASS_SOURCE = "Compass self-assessment"
#: Where the coverage columns (``bm5_min_per_pupil``, ``bm6_by16_pct``, ``pal_met``,
#: ``bm8_by16_pct``) come from.
ENCOUNTER_SOURCE = "hub encounter log"

#: The overview table's columns, in order, with their titles: units in the title, and the
#: source of every benchmark figure in brackets (Compass or the encounter log).
TABLE_COLUMNS: dict[str, str] = {
    "name": "School or college",
    "urn": "URN",
    "kind": "Type",
    "la_name": "Local authority",
    "pupils": "Pupils",
    "assessed_on": "Compass assessment",
    "achieved": "Benchmarks achieved (of 8, Compass)",
    "change_achieved": "Change since previous (Compass)",
    **{f"bm{b}": f"BM{b} (%, Compass)" for b in BENCHMARKS},
    "bm5_min_per_pupil": "BM5 encounters per pupil, lowest year (encounter log)",
    "bm6_by16_pct": "BM6 reach by 16 (%, encounter log)",
    "pal_met": "Provider access met (encounter log)",
    "bm8_by16_pct": "BM8 guidance by 16 (%, encounter log)",
}


def la_names(engine: Engine, la_codes) -> dict[str, str]:
    """Names of the local authorities ``la_codes`` (GSS codes, e.g. ``E08000035`` → "Leeds"),
    from the boundaries imported (district or upper tier); a code with no boundary keeps its
    code."""
    from sqlalchemy import select

    from hubcore.models import Area

    wanted = sorted({str(c) for c in la_codes if isinstance(c, str) and c})
    if not wanted:
        return {}
    area = Area.__table__
    query = select(area.c.code, area.c.name).where(
        area.c.code.in_(wanted), area.c.kind.in_(("lad", "utla")))
    with engine.connect() as conn:
        found = {code: name for code, name in conn.execute(query) if name}
    return {code: found.get(code, code) for code in wanted}


def overview_schools(
    engine: Engine,
    scope: Scope,
    period: str | None = None,
    *,
    school_list: pd.DataFrame | None = None,
    benchmarks: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The overview's schools table: each school (:func:`schools`) with its benchmarks at
    ``period`` (``bm1``–``bm8`` percent of criteria met, ``achieved`` 0–8, ``change_achieved``,
    ``framework``, ``assessed_on``, ``national_note``; default: the latest period) and its
    encounter coverage in the latest academic year (``bm5_min_per_pupil`` encounters per pupil
    in the lowest year group, ``bm6_by16_pct`` and ``bm8_by16_pct`` percent of the Year 11
    cohort, ``pal_met``).

    The cached frames a page holds may be passed instead of being read again:
    ``school_list`` (:func:`schools`), ``benchmarks`` (:func:`benchmarks_at`) and
    ``coverage`` (:func:`hubcore.metrics.school_coverage`).
    """
    frame = schools(engine, scope) if school_list is None else school_list
    if benchmarks is None:
        a = store.assessments(engine, scope)
        if period is None and len(a):
            latest = a.sort_values("assessed_on").iloc[-1]
            period = f"{latest['assessed_on']:%Y-%m-%d}|{latest['framework']}"
        benchmarks = benchmarks_at(a, period) if period else None
    if benchmarks is not None:
        frame = frame.merge(benchmarks, on="urn", how="left")
    if coverage is None:
        try:
            coverage = report.school_coverage_for_scope(engine, scope)
        except HubcoreError:  # no encounters yet: no coverage columns
            coverage = None
    if coverage is not None:
        cover = coverage[["urn", "bm5_min_per_pupil", "bm6_by16_pct", "pal_met", "bm8_by16_pct",
                          "bm6_by16_places", "bm8_y11_meetings", "y11_cohort"]]
        frame = frame.merge(cover.rename(columns={
            "bm6_by16_places": "_bm6_places", "bm8_y11_meetings": "_bm8_meetings",
            "y11_cohort": "_y11"}), on="urn", how="left")
    out = protect(frame, RULES["overview_schools"])
    # LA names, not codes, wherever a person reads the LA (the code stays for filtering).
    names = la_names(engine, out["la_gss"].dropna().unique()) if "la_gss" in out else {}
    if "la_gss" in out:
        out["la_name"] = out["la_gss"].map(names).astype("string")
    for col in ("bm6_by16_pct", "bm8_by16_pct", *(f"bm{b}" for b in BENCHMARKS)):
        if col in out:
            out[f"{col}_value"] = numeric(out[col])
    return _meta(out, title="Schools and colleges", units={
        "achieved": "benchmarks (0–8)", "bm5_min_per_pupil": "encounters per pupil",
        "bm6_by16_pct": "percent", "bm8_by16_pct": "percent"},
        sources={**{c: COMPASS_SOURCE for c in ("achieved", "change_achieved",
                                                 *(f"bm{b}" for b in BENCHMARKS))},
                 **dict.fromkeys(("bm5_min_per_pupil", "bm6_by16_pct", "pal_met",
                                  "bm8_by16_pct"), ENCOUNTER_SOURCE)},
        note="Reach percentages are c where fewer than 6 pupils took part.")


def select_schools(table: pd.DataFrame, kinds=None, la_gss: str | None = None
                   ) -> pd.DataFrame:
    """The rows of ``table`` (:func:`overview_schools`) whose ``kind`` is one of ``kinds``
    (codes of :data:`hubcore.codes.SCHOOL_KINDS`; None: every kind; an empty list: none) and,
    given ``la_gss``, in that local authority. Metadata are kept."""
    keep = pd.Series(True, index=table.index)
    if kinds is not None:
        keep &= table["kind"].isin(list(kinds))
    if la_gss is not None:
        keep &= table["la_gss"] == la_gss
    out = table[keep]
    out.attrs = dict(table.attrs)
    return out


def overview_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The overview table's columns of ``table`` (:func:`overview_schools`, filtered): those
    of :data:`TABLE_COLUMNS` present, in that order, under their own names and at full
    precision (a table sorts and filters the numbers and formats them for people; it takes
    the titles from ``attrs["display"]["titles"]``). The LA is its name (``la_name``)."""
    frame = table
    if "la_name" not in frame and "la_gss" in frame:
        frame = frame.assign(la_name=frame["la_gss"])
    columns = [c for c in TABLE_COLUMNS if c in frame]
    return _meta(frame[columns].reset_index(drop=True), title="Schools and colleges",
                 titles={c: TABLE_COLUMNS[c] for c in columns},
                 note="Columns marked Compass are each school's own Compass self-assessment; "
                      "those marked encounter log are measured from the hub's records, like "
                      "the employers page's figures.")


def overview_table(table: pd.DataFrame) -> pd.DataFrame:
    """The overview's table as people read it (what its CSV and XLSX hold), from
    :func:`overview_schools` (filtered): :func:`overview_columns` titled as
    :data:`TABLE_COLUMNS` (units, and the source of each benchmark figure), school types in
    words (``hubcore.vocabulary``), LAs by name, numbers rounded for people (one decimal for
    percentages and rates, whole numbers for counts; ``"c"`` kept where suppressed), dates as
    ``YYYY-MM-DD``. The machine-readable report keeps full precision."""
    columns = overview_columns(table)
    meta = columns.attrs["display"]
    out = vocabulary.for_display(columns)
    out.columns = [meta["titles"][c] for c in columns.columns]
    return _meta(out, title=meta["title"], note=meta["note"])


def overview_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row summing up the schools a page shows (``table`` from :func:`overview_schools`,
    already filtered): ``schools`` shown, ``assessed`` (with an assessment in the period),
    ``mean_achieved`` (mean benchmarks fully achieved over the assessed schools, 0–8, two
    decimals; NaN if none), ``framework`` and ``national_note``."""
    achieved = pd.to_numeric(table["achieved"], errors="coerce") if "achieved" in table \
        else pd.Series(dtype="float64")
    assessed = int(achieved.notna().sum())

    def first(column: str):
        values = table[column].dropna() if column in table else pd.Series(dtype=object)
        return values.iat[0] if len(values) else None

    return _meta(pd.DataFrame({
        "schools": [len(table)],
        "assessed": [assessed],
        "mean_achieved": [round(float(achieved.mean()), 2) if assessed else np.nan],
        "framework": [first("framework")],
        "national_note": [first("national_note")],
    }), title="Schools shown", units={"mean_achieved": "benchmarks (0–8)"})


def _schools(n: int) -> str:
    return f"{n:,} school or college" if n == 1 else f"{n:,} schools and colleges"


def overview_sentences(summary: pd.DataFrame) -> list[str]:
    """The overview's lines of plain text (no markup) above its map, from
    :func:`overview_summary`'s row: how many schools are shown, their mean benchmarks fully
    achieved with its source (Compass self-assessment) and framework, and how that compares
    with England. English at 0, 1 and many."""
    row = summary.iloc[0]
    shown, assessed = int(row["schools"]), int(row["assessed"])
    if shown == 0:
        return ["No schools or colleges match these filters."]
    if not assessed:
        return [f"{_schools(shown)} shown; none has a Compass assessment in this period."]
    framework = f", {row['framework']} framework" if row["framework"] else ""
    lines = [
        f"{_schools(shown)} shown.",
        f"Mean benchmarks fully achieved: {row['mean_achieved']:.1f} of 8 over the "
        f"{assessed:,} assessed ({COMPASS_SOURCE}{framework}).",
    ]
    if assessed < shown:
        missing = shown - assessed
        lines[-1] += (f" {missing:,} {'has' if missing == 1 else 'have'} no assessment in "
                      "this period.")
    if isinstance(row["national_note"], str) and row["national_note"]:
        note = row["national_note"].strip()
        lines.append(note if note.endswith(".") else f"{note}.")
    return lines
