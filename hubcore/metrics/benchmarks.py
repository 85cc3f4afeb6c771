"""Benchmark attainment per school, hub and LA, with change since the previous assessment and
the national comparison.

Input is the frame of :func:`hubcore.store.assessments` (one row per assessment: ``urn``,
``assessed_on``, ``academic_year``, ``framework``, ``bm1`` … ``bm8`` in percent, ``achieved``
0–8). Scores under the 2014 and 2024 frameworks measure different criteria, so:

- a change is computed only between two assessments of the *same* framework; where the previous
  assessment used the other framework the change is NaN and ``framework_changed`` is True;
- roll-ups are always grouped by framework;
- national figures (:data:`hubcore.benchmarks.NATIONAL_MEAN_ACHIEVED_BY_FRAMEWORK`) exist for
  2014-framework years only so far. The national comparison is therefore made at each school's
  *latest assessment for which a national figure exists* (:func:`national_comparison`), and
  names that assessment's framework and academic year: after the move to the 2024 framework a
  school is still compared, like for like, at its last 2014-framework assessment, never left
  blank while such a comparison exists.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hubcore.benchmarks import (
    ACHIEVED_PERCENT,
    BENCHMARKS,
    NATIONAL_MEAN_ACHIEVED_BY_FRAMEWORK,
    national_mean_achieved,
)

BM_COLUMNS: tuple[str, ...] = tuple(f"bm{b}" for b in BENCHMARKS)

NOTE_OTHER_FRAMEWORK = "2024 framework: national figures exist for the 2014 framework only"
NOTE_NO_YEAR = "no national figure for this academic year"
NOTE_NO_COMPARISON = "no assessment with a national figure"


def _national(academic_year: pd.Series, framework: pd.Series) -> tuple[pd.Series, pd.Series]:
    """National mean achieved (0–8) for each row's own framework and year, and a note where
    there is none."""
    national = pd.Series(
        [national_mean_achieved(f, y) for f, y in zip(framework, academic_year, strict=True)],
        index=academic_year.index,
        dtype="float64",
    )
    published = framework.astype(str).map(
        lambda f: bool(NATIONAL_MEAN_ACHIEVED_BY_FRAMEWORK.get(f))
    )
    note = pd.Series(pd.NA, index=academic_year.index, dtype="string")
    note = note.mask(~published.astype(bool), NOTE_OTHER_FRAMEWORK)
    note = note.mask(published.astype(bool) & national.isna(), NOTE_NO_YEAR)
    return national, note


def national_comparison(assessments: pd.DataFrame) -> pd.DataFrame:
    """Each school's latest assessment *for which a national figure exists* (any framework),
    as rows of :func:`assessment_changes` plus ``national_mean_achieved`` (0–8) and
    ``vs_national`` = achieved − national (benchmarks). Schools with no such assessment are
    absent. This is the like-for-like comparison: the school's score and the national mean are
    of the same framework and academic year."""
    frame = assessment_changes(assessments)
    national, _ = _national(frame["academic_year"], frame["framework"])
    frame = frame.assign(national_mean_achieved=national)
    frame = frame[frame["national_mean_achieved"].notna()]
    latest = frame.groupby("urn", sort=True).tail(1).reset_index(drop=True)
    latest["vs_national"] = latest["achieved"] - latest["national_mean_achieved"]
    latest["national_note"] = pd.Series(pd.NA, index=latest.index, dtype="string")
    return latest


def assessment_changes(assessments: pd.DataFrame) -> pd.DataFrame:
    """Every assessment with its mean percent and the change since the school's previous one.

    - ``mean_percent`` = mean of ``bm1`` … ``bm8`` (percent; missing benchmarks ignored).
    - ``achieved`` = benchmarks at 100 percent (0–8), as given.
    - ``change_achieved`` = achieved − previous achieved (benchmarks);
      ``change_mean_percent`` = mean_percent − previous mean_percent (percentage points);
      ``change_bmN`` likewise per benchmark. All NaN for a school's first assessment and where
      ``framework_changed`` (previous assessment under the other framework).
    - ``previous_on``, ``previous_framework``: the previous assessment's date and framework.
    """
    frame = assessments.sort_values(["urn", "assessed_on"]).reset_index(drop=True)
    frame["mean_percent"] = frame[list(BM_COLUMNS)].astype("float64").mean(axis=1)
    frame["achieved"] = frame["achieved"].astype("float64")
    previous = frame.groupby("urn", sort=False)[
        ["assessed_on", "framework", "achieved", "mean_percent", *BM_COLUMNS]
    ].shift(1)
    frame["previous_on"] = previous["assessed_on"]
    frame["previous_framework"] = previous["framework"]
    has_previous = previous["framework"].notna()
    same = has_previous & previous["framework"].eq(frame["framework"]).fillna(False)
    frame["framework_changed"] = (has_previous & ~same).astype(bool)
    for col in ("achieved", "mean_percent", *BM_COLUMNS):
        diff = frame[col].astype("float64") - previous[col].astype("float64")
        frame[f"change_{col}"] = diff.where(same)
    return frame


def school_benchmarks(assessments: pd.DataFrame, framework: str | None = None) -> pd.DataFrame:
    """Each school's latest assessment (optionally within one ``framework``), with change since
    the previous assessment (see :func:`assessment_changes`) and the national comparison.

    The national comparison is made at the school's latest assessment with a national figure
    (:func:`national_comparison`), which is the row itself unless its framework or year has
    none (e.g. a 2024-framework assessment, before CEC publishes 2024-framework figures):

    - ``national_framework``, ``national_academic_year``: the compared assessment's framework
      and academic year; ``national_achieved``: its benchmarks achieved (0–8);
    - ``national_mean_achieved``: the national average benchmarks achieved (0–8) for that
      framework and year;
    - ``vs_national`` = national_achieved − national_mean_achieved (benchmarks);
    - ``national_note``: empty when the row itself is compared; otherwise says which
      assessment is compared, or that none has a national figure.
    """
    frame = assessments
    if framework is not None:
        frame = frame[frame["framework"].eq(framework)]
    changes = assessment_changes(frame)
    latest = changes.groupby("urn", sort=True).tail(1).reset_index(drop=True)
    compared = national_comparison(frame)[
        ["urn", "framework", "academic_year", "achieved", "national_mean_achieved", "vs_national"]
    ].rename(
        columns={
            "framework": "national_framework",
            "academic_year": "national_academic_year",
            "achieved": "national_achieved",
        }
    )
    latest = latest.merge(compared, on="urn", how="left")
    _, own_note = _national(latest["academic_year"], latest["framework"])
    same = latest["national_framework"].eq(latest["framework"]).fillna(False) & latest[
        "national_academic_year"
    ].eq(latest["academic_year"]).fillna(False)
    earlier = (
        own_note.fillna("latest assessment has no national figure")
        + "; compared at the "
        + latest["national_framework"].astype("string")
        + "-framework assessment of "
        + latest["national_academic_year"].astype("string")
    )
    note = pd.Series(pd.NA, index=latest.index, dtype="string")
    note = note.mask(~same.astype(bool) & latest["national_framework"].notna(), earlier)
    note = note.mask(latest["national_framework"].isna(), NOTE_NO_COMPARISON)
    latest["national_note"] = note
    return latest


def national_rollup(
    assessments: pd.DataFrame,
    by: Sequence[str] = (),
    schools: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`benchmark_rollup` of :func:`national_comparison`: per group, the schools'
    latest assessments that have a national figure, against it (split by framework and
    academic year, as always). This is what a hub compares with England after a framework
    change, when its latest assessments have no national figure yet."""
    return benchmark_rollup(national_comparison(assessments), by=by, schools=schools)


def benchmark_rollup(
    school_latest: pd.DataFrame,
    by: Sequence[str] = (),
    schools: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Benchmarks per group of schools (the whole hub when ``by`` is empty; ``("la_gss",)`` per
    LA, ``("kind",)`` per school type), always split by ``framework`` and ``academic_year`` so
    that 2014 and 2024 scores are never averaged together.

    ``school_latest`` is :func:`school_benchmarks`; ``schools`` (from ``store.schools``) supplies
    grouping columns such as ``la_gss`` or ``kind`` that the assessments lack.

    Per group:
    - ``schools``: schools assessed (institutions, not people: not suppressed);
    - ``mean_achieved``: mean benchmarks fully achieved (0–8);
    - ``mean_percent``: mean of the schools' mean percent (percent);
    - ``pct_all_eight``: percent of schools with all 8 achieved;
    - ``pct_bmN``: percent of schools achieving benchmark N (score 100);
    - ``mean_change_achieved``: mean change since the previous same-framework assessment
      (benchmarks; schools without one are left out);
    - ``national_mean_achieved``, ``vs_national`` (= mean_achieved − national), ``national_note``.
    """
    frame = school_latest
    keys = list(by)
    if schools is not None and keys:
        extra = [k for k in keys if k not in frame.columns]
        if extra:
            frame = frame.merge(schools[["urn", *extra]], on="urn", how="left")
    keys = [*keys, "framework", "academic_year"]
    work = frame.assign(
        _all8=frame["achieved"].astype("float64").ge(len(BENCHMARKS)) * 100.0,
        **{
            f"_pct_{c}": frame[c].astype("float64").ge(ACHIEVED_PERCENT) * 100.0 for c in BM_COLUMNS
        },
    )
    grouped = work.groupby(keys, sort=True, dropna=False)
    out = grouped.agg(
        schools=("urn", "nunique"),
        mean_achieved=("achieved", "mean"),
        mean_percent=("mean_percent", "mean"),
        pct_all_eight=("_all8", "mean"),
        mean_change_achieved=("change_achieved", "mean"),
        **{f"pct_{c}": (f"_pct_{c}", "mean") for c in BM_COLUMNS},
    ).reset_index()
    national, note = _national(out["academic_year"], out["framework"])
    out["national_mean_achieved"] = national
    out["vs_national"] = out["mean_achieved"] - national
    out["national_note"] = note
    return out


def frameworks_present(assessments: pd.DataFrame) -> list[str]:
    """The frameworks found in ``assessments``, oldest first; more than one means any combined
    view must say so (see :func:`benchmark_rollup`, which splits by framework)."""
    return sorted(pd.unique(assessments["framework"].astype(str)))
