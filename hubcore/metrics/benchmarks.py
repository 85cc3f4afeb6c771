"""Benchmark attainment per school, hub and LA, with change since the previous assessment and
the national comparison.

Input is the frame of :func:`hubcore.store.assessments` (one row per assessment: ``urn``,
``assessed_on``, ``academic_year``, ``framework``, ``bm1`` … ``bm8`` in percent, ``achieved``
0–8). Scores under the 2014 and 2024 frameworks measure different criteria, so:

- a change is computed only between two assessments of the *same* framework; where the previous
  assessment used the other framework the change is NaN and ``framework_changed`` is True;
- roll-ups are always grouped by framework;
- national figures (:data:`hubcore.benchmarks.NATIONAL_MEAN_ACHIEVED`) exist for 2014-framework
  years only; a 2024-framework row gets NaN and a note saying why.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hubcore.benchmarks import ACHIEVED_PERCENT, BENCHMARKS, NATIONAL_MEAN_ACHIEVED

BM_COLUMNS: tuple[str, ...] = tuple(f"bm{b}" for b in BENCHMARKS)

NOTE_OTHER_FRAMEWORK = "2024 framework: national figures exist for the 2014 framework only"
NOTE_NO_YEAR = "no national figure for this academic year"


def _national(academic_year: pd.Series, framework: pd.Series) -> tuple[pd.Series, pd.Series]:
    """National mean achieved (0–8) for each row, and a note where there is none."""
    national = academic_year.map(NATIONAL_MEAN_ACHIEVED).astype("float64")
    national = national.where(framework.eq("2014"))
    note = pd.Series(pd.NA, index=academic_year.index, dtype="string")
    note = note.mask(framework.ne("2014"), NOTE_OTHER_FRAMEWORK)
    note = note.mask(framework.eq("2014") & national.isna(), NOTE_NO_YEAR)
    return national, note


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

    - ``national_mean_achieved``: the national average benchmarks achieved (0–8) for the row's
      academic year, 2014 framework only; NaN otherwise, explained in ``national_note``.
    - ``vs_national`` = achieved − national_mean_achieved (benchmarks).
    """
    frame = assessment_changes(assessments)
    if framework is not None:
        frame = frame[frame["framework"].eq(framework)]
    latest = frame.groupby("urn", sort=True).tail(1).reset_index(drop=True)
    national, note = _national(latest["academic_year"], latest["framework"])
    latest["national_mean_achieved"] = national
    latest["vs_national"] = latest["achieved"] - national
    latest["national_note"] = note
    return latest


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
