"""The disclosure-control engine: primary suppression, the DfE ``low`` symbol, and
complementary (secondary) suppression over relations declared as data.

Model. Every number that counts people is a *cell*: a count column (``counts``), or the
numerator of a percentage (``percents`` maps a percentage to its base; its numerator is the
count column named in ``numerators``, else the whole number ``round(pct × base ÷ 100)``). A
percentage is published only if its numerator cell and its base cell both are, because a shown
percentage and a shown base give the numerator back (to the person, for bases under 1,000) and
a shown percentage and numerator give the base. Statistics of people (median days, rate
differences) follow their base and the percentages they are computed from.

Relations (:class:`Relation`) say which cells add up to which: within a row (left = referred +
not referred; destination categories add up to leavers), down a column (school rows add up to
the LA and hub rows of the same cohort and year group) and between sections shown together
(the NEET section's counts are sums of the destination mix's categories; the lag section's
``referred`` is the funnel's). Each relation is checked on the data and kept only where it
holds exactly.

Algorithm (vectorised over all cells):

1. primary: a count ``0 < n < threshold`` is suppressed (already-``c`` input stays ``c``);
2. secondary, to a fixed point: any relation with exactly one suppressed cell gets its smallest
   unsuppressed *non-zero* cell suppressed too (ties: the first in the frame), until no relation
   has exactly one. A relation then has none or at least two suppressed cells, so no single
   subtraction gives one back, and each suppressed cell's feasible interval is at least
   ``[1, threshold - 1]`` wide given the shown cells (the attacker test checks this by interval
   propagation over all relations at once, and by percentage × base).
3. output: suppressed counts and every percentage or statistic resting on a suppressed cell
   show :data:`SUPPRESSED`; percentages are rounded to one decimal; a positive percentage that
   rounds to 0.0 shows :data:`LOW` (DfE's symbol for "positive but rounds to zero" at the
   published precision).

Zeros. A true zero is published as 0 and is never chosen as a complement (DfE practice: zeros
are shown; suppressing one protects nothing, since an attacker who knows zeros are shown reads
every ``c`` as at least 1 anyway). The attacker test therefore gives every suppressed cell the
lower bound 1, the strongest reading of this rule.

Libraries evaluated (Dec 2026). ``acro`` 1.0.2 (SACRO) wraps pandas ``crosstab`` /
``pivot_table`` and checks outputs for primary disclosure (threshold, p-ratio, nk rules); with
``suppress=True`` it masks only the failing cells and asks for a manual review for differencing:
no secondary suppression. ``pytauargus`` 0.6.0 bundles the Tau-Argus engine with HiGHS (Linux
wheel, no Java/Windows binary needed) and does optimal (OPT) and modular (MOD) secondary
suppression, but of tables defined by spanning variables with hierarchies, built from microdata
or cell files in a work directory. Our published frames are not such tables: percentages stand
for hidden numerators, funnel stages are nested, and one frame carries several linked sections
(mix, NEET, funnel, lags, overdue) whose cells are equal or sums across sections. Expressing
each family as a set of linked Tau-Argus tables, running the engine per export through files,
and mapping the result back would be more code than this solver and would still miss the
percentage links. So this module uses its own relation-based fixed point (the standard
"no relation with a single suppressed cell" heuristic, which is not optimal: it may hide a
little more than an optimal solver would). Measured speed: ``benchmarks/disclosure_speed.py``.
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
#: What a positive percentage that rounds to 0.0 shows (DfE symbol).
LOW = "low"
#: Decimal places of published percentages.
PERCENT_DECIMALS = 1


def suppress_count(value: float | int | None, threshold: int = THRESHOLD) -> object:
    """A single count, or ``"c"`` when it is positive and under ``threshold``.

    Zero is not disclosive on its own and is kept; missing stays missing. For one isolated
    figure only: a table goes through :func:`apply`, which also protects against differencing.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return SUPPRESSED if 0 < value < threshold else value


def round_percent(value: float | None) -> float | None:
    """A percentage rounded to one decimal place (``None``/NaN stays missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), PERCENT_DECIMALS)


@dataclass(frozen=True)
class Relation:
    """Cells that add up: ``total`` = Σ ``parts``.

    Names are count columns or percentage columns (a percentage stands for its numerator).

    - ``rows=None``: within every row that has all the columns (a row relation).
    - ``rows="neet_hub"``, ``part_rows="neet_school"``, ``keys=("cohort", "year_group")``: the
      ``total`` of each row whose ``rows_by`` column (``section`` or ``level``) is ``rows``
      equals the sum of ``parts`` over the ``part_rows`` rows with the same ``keys``, plus the
      ``extra`` columns of the total's own row. ``part_rows=None`` means the same section.
    - ``where``: ``((column, value), ...)``; a row takes part only if the column is missing or
      equal to the value (e.g. ``years_after`` = 1 for the destination mix rows).
    """

    total: str
    parts: tuple[str, ...]
    rows: str | None = None
    part_rows: str | None = None
    keys: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    where: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Spec:
    """What in a report table needs disclosure control (the rules, as data).

    ``counts``: counts of people. ``percents``: ``{percent: base count column or None}`` (None:
    a percentage of institutions, only rounded). ``numerators``: ``{percent: count column}``
    where the numerator is itself a column. ``rounded``: ``{column: decimals}`` for other
    measures (ratios, km). ``statistics``: ``{column: (base count column, decimals)}`` for
    measures of people that are not percentages (days, rate differences). ``follows``:
    ``{column: (columns...)}``: suppressed wherever any of those is (a difference of rates
    follows its rate). ``relations``: :class:`Relation` list. ``rows_by``: the column naming
    each row's section or level.
    """

    counts: tuple[str, ...] = ()
    percents: Mapping[str, str | None] = field(default_factory=dict)
    rounded: Mapping[str, int] = field(default_factory=dict)
    statistics: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    numerators: Mapping[str, str] = field(default_factory=dict)
    follows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    relations: tuple[Relation, ...] = ()
    rows_by: str = "section"


#: Switch for one-off checks that the attacker test fails without complementary suppression
#: (set to False by a monkeypatch in such a run; never in code).
SECONDARY = True


def _numeric(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()


def _already(series: pd.Series) -> np.ndarray:
    """Cells that arrive already suppressed (text ``c``)."""
    return series.astype(object).eq(SUPPRESSED).to_numpy()


class _Cells:
    """The people-count cells of a frame: ``values`` (rows × quantities, NaN = no cell) and
    ``hidden`` (suppressed) with a column index per quantity name."""

    def __init__(self, frame: pd.DataFrame, counts: list[str], percents: dict[str, str | None],
                 numerators: dict[str, str]) -> None:
        self.index: dict[str, int] = {}
        cols: list[np.ndarray] = []
        hidden: list[np.ndarray] = []

        def add(name: str, values: np.ndarray, already: np.ndarray) -> None:
            self.index[name] = len(cols)
            cols.append(values)
            hidden.append(already)

        for c in counts:
            add(c, _numeric(frame[c]), _already(frame[c]))
        for p, base in percents.items():
            if base is None:
                continue
            if base not in self.index:
                add(base, _numeric(frame[base]), _already(frame[base]))
            num = numerators.get(p)
            if num is not None:
                if num not in self.index:
                    add(num, _numeric(frame[num]), _already(frame[num]))
                self.index[p] = self.index[num]
            else:
                implied = np.rint(_numeric(frame[p]) * _numeric(frame[base]) / 100.0)
                add(p, implied, _already(frame[p]))
        n = len(frame)
        self.values = np.column_stack(cols) if cols else np.zeros((n, 0))
        self.hidden = np.column_stack(hidden) if hidden else np.zeros((n, 0), dtype=bool)
        self.q = self.values.shape[1]

    def flat(self, rows: np.ndarray, name: str) -> np.ndarray:
        return rows * self.q + self.index[name]


def _relation_members(
    frame: pd.DataFrame, cells: _Cells, rel: Relation, rows_by: str, rel0: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Membership of one declared relation's instances: (relation id, cell id, coefficient)
    arrays and how many instances. Instances that do not hold on the data are dropped."""
    names = (rel.total, *rel.parts, *rel.extra)
    if any(n not in cells.index for n in names):
        return np.empty(0, int), np.empty(0, int), np.empty(0), 0
    positions = np.arange(len(frame))
    ok = np.ones(len(frame), dtype=bool)
    for col, value in rel.where:
        if col in frame.columns:
            v = frame[col]
            ok &= (v.isna() | v.astype(object).eq(value)).to_numpy()
    vals = cells.values
    rid: list[np.ndarray] = []
    cid: list[np.ndarray] = []
    coef: list[np.ndarray] = []
    if rel.rows is None:
        for n in names:
            ok &= ~np.isnan(vals[:, cells.index[n]]) | cells.hidden[:, cells.index[n]]
        rows = positions[ok]
        k = len(rows)
        ids = rel0 + np.arange(k)
        rid.append(ids)
        cid.append(cells.flat(rows, rel.total))
        coef.append(np.ones(k))
        for n in (*rel.parts, *rel.extra):
            rid.append(ids)
            cid.append(cells.flat(rows, n))
            coef.append(-np.ones(k))
    else:
        if rows_by not in frame.columns or any(c not in frame.columns for c in rel.keys):
            return np.empty(0, int), np.empty(0, int), np.empty(0), 0
        section = frame[rows_by].astype(object)
        tot = positions[ok & section.eq(rel.rows).to_numpy()]
        prt = positions[ok & section.eq(rel.part_rows or rel.rows).to_numpy()]
        left = frame.iloc[tot][list(rel.keys)].assign(_t=tot)
        right = frame.iloc[prt][list(rel.keys)].assign(_p=prt)
        if rel.keys:
            pairs = left.merge(right, on=list(rel.keys), how="inner")
        else:  # one total row for all part rows
            pairs = left.merge(right, how="cross")
        tot = np.unique(pairs["_t"].to_numpy())
        k = len(tot)
        ids = rel0 + np.arange(k)
        slot = dict(zip(tot.tolist(), ids.tolist(), strict=True))
        rid.append(ids)
        cid.append(cells.flat(tot, rel.total))
        coef.append(np.ones(k))
        for n in rel.extra:
            rid.append(ids)
            cid.append(cells.flat(tot, n))
            coef.append(-np.ones(k))
        pid = pairs["_t"].map(slot).to_numpy()
        pp = pairs["_p"].to_numpy()
        for n in rel.parts:
            rid.append(pid)
            cid.append(cells.flat(pp, n))
            coef.append(-np.ones(len(pp)))
        k = len(ids)
    r, c, w = np.concatenate(rid), np.concatenate(cid), np.concatenate(coef)
    # Keep the instances that hold exactly (a missing value counts as 0 only where hidden).
    flat_vals = cells.values.reshape(-1)[c]
    flat_hidden = cells.hidden.reshape(-1)[c]
    known = ~np.isnan(flat_vals)
    resid = np.bincount(r - rel0, weights=np.where(known, w * flat_vals, 0.0), minlength=k)
    missing = np.bincount(r - rel0, weights=(~known & ~flat_hidden).astype(float), minlength=k)
    unknown = np.bincount(r - rel0, weights=(~known & flat_hidden).astype(float), minlength=k)
    holds = ((np.abs(resid) < 0.5) | (unknown > 0)) & (missing == 0)
    keep = holds[r - rel0]
    return r[keep], c[keep], w[keep], k


def _secondary(hidden: np.ndarray, values: np.ndarray, rid: np.ndarray, cid: np.ndarray,
               n_rel: int) -> np.ndarray:
    """Complementary suppression to a fixed point (see the module note); returns the new
    flat hidden mask."""
    hidden = hidden.copy()
    vals = np.nan_to_num(values, nan=0.0)
    while True:
        count = np.bincount(rid, weights=hidden[cid].astype(float), minlength=n_rel)
        need = count == 1
        member = need[rid] & ~hidden[cid] & (vals[cid] > 0)
        if not member.any():
            return hidden
        r, c = rid[member], cid[member]
        order = np.lexsort((c, vals[c], r))
        r, c = r[order], c[order]
        first = np.r_[True, r[1:] != r[:-1]]
        hidden[c[first]] = True


def _protect(frame: pd.DataFrame, counts: list[str], percents: dict[str, str | None],
             numerators: dict[str, str], relations: Iterable[Relation], rows_by: str,
             threshold: int) -> tuple[_Cells, np.ndarray]:
    cells = _Cells(frame, counts, percents, numerators)
    v = cells.values
    hidden = (((v > 0) & (v < threshold)) | cells.hidden).reshape(-1)
    if SECONDARY and cells.q:
        parts = [_relation_members(frame, cells, rel, rows_by, 0) for rel in relations]
        rid_l, cid_l, offset = [], [], 0
        for r, c, _, k in parts:
            rid_l.append(r + offset)
            cid_l.append(c)
            offset += k
        if offset:
            rid, cid = np.concatenate(rid_l), np.concatenate(cid_l)
            hidden = _secondary(hidden, v.reshape(-1), rid, cid, offset)
    return cells, hidden.reshape(v.shape)


def apply(
    frame: pd.DataFrame,
    counts: Iterable[str] = (),
    percents: Mapping[str, str | None] | Iterable[str] = (),
    threshold: int = THRESHOLD,
    rounded: Mapping[str, int] | None = None,
    statistics: Mapping[str, tuple[str, int]] | None = None,
    *,
    numerators: Mapping[str, str] | None = None,
    follows: Mapping[str, tuple[str, ...]] | None = None,
    relations: Iterable[Relation] = (),
    rows_by: str = "section",
) -> pd.DataFrame:
    """Return a copy of ``frame`` safe to publish (see the module note for the rules).

    ``counts``: columns of counts of people; ``0 < n < threshold`` becomes ``"c"``.
    ``percents``: columns of percentages, rounded to one decimal; as a mapping
    ``{percent_column: base_count_column}``, a percentage is ``"c"`` wherever its base or its
    numerator (``numerators[percent]``, else the implied whole number) is suppressed, and
    ``"low"`` where positive but rounding to 0.0. ``rounded``: other numeric columns to round,
    ``{column: decimals}``. ``statistics``: ``{column: (base_column, decimals)}``: rounded and
    ``"c"`` where the base is suppressed. ``follows``: ``{column: (columns, ...)}``: ``"c"``
    where any of those is. ``relations``: cells that add up (:class:`Relation`), protected by
    complementary suppression.
    """
    out = frame.copy()
    base_of = dict(percents) if isinstance(percents, Mapping) else {p: None for p in percents}
    counts = list(counts)
    num = dict(numerators or {})
    cells, hidden = _protect(frame, counts, base_of, num, relations, rows_by, threshold)

    def hidden_of(name: str) -> np.ndarray:
        return hidden[:, cells.index[name]]

    masks: dict[str, np.ndarray] = {}
    for col, base in base_of.items():
        raw = _numeric(frame[col])
        shown = np.round(raw, PERCENT_DECIMALS)
        low = (raw > 0) & (shown == 0)
        mask = _already(frame[col])
        if base is not None:
            mask = mask | hidden_of(base) | hidden_of(col)
        masks[col] = mask
        if not (low.any() or mask.any()):
            out[col] = pd.Series(shown, index=out.index)  # stays a float column
            continue
        values = pd.Series(shown, index=out.index).astype(object).where(~low, LOW)
        out[col] = values.where(~mask, SUPPRESSED)
    for col, decimals in (rounded or {}).items():
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64").round(decimals)
    for col, (base, decimals) in (statistics or {}).items():
        values = pd.to_numeric(out[col], errors="coerce").astype("float64").round(decimals)
        mask = hidden_of(base) if base in cells.index else _already(frame[base])
        mask = mask | (_numeric(frame[base]) < threshold) | _already(frame[col])
        masks[col] = mask
        out[col] = values.astype(object).where(~mask, SUPPRESSED)
    for col in counts:
        masks[col] = hidden_of(col)
        out[col] = out[col].astype(object).where(~masks[col], SUPPRESSED)
    for col, sources in (follows or {}).items():
        mask = np.zeros(len(out), dtype=bool)
        for s in sources:
            mask |= masks[s] if s in masks else _already(frame[s])
        out[col] = out[col].astype(object).where(~mask, SUPPRESSED)
    return out


def apply_spec(frame: pd.DataFrame, spec: Spec, threshold: int = THRESHOLD) -> pd.DataFrame:
    """:func:`apply` with a :class:`Spec`; columns the frame lacks are skipped, so one spec can
    serve a report family whose tables differ a little (and a page's or briefing's subset of
    a report's columns)."""
    have = set(frame.columns)
    percents = {p: (b if b in have else None) for p, b in spec.percents.items() if p in have}
    return apply(
        frame,
        counts=[c for c in spec.counts if c in have],
        percents=percents,
        threshold=threshold,
        rounded={c: d for c, d in spec.rounded.items() if c in have},
        statistics={c: v for c, v in spec.statistics.items() if c in have and v[0] in have},
        numerators={p: n for p, n in spec.numerators.items() if p in percents and n in have},
        follows={
            c: tuple(s for s in v if s in have)
            for c, v in spec.follows.items()
            if c in have and any(s in have for s in v)
        },
        relations=spec.relations,
        rows_by=spec.rows_by,
    )
