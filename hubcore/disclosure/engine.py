"""The disclosure-control engine: primary suppression, the DfE ``low`` symbol, and
complementary (secondary) suppression over relations declared as data.

Model. Every number that counts people is a *cell*: a count column (``counts``), or the
numerator of a percentage (``percents`` maps a percentage to its base; its numerator is the
count column named in ``numerators``, else pct × base ÷ 100, a count of people that may be
fractional where counts are averages of three measurement points). A
percentage is published only if its numerator cell and its base cell both are, because a shown
percentage and a shown base give the numerator back (to the person, for bases under 1,000) and
a shown percentage and numerator give the base. Statistics of people (median days, rate
differences) follow their base and the percentages they are computed from.

Relations (:class:`Relation`) say which cells add up to which: within a row (left = referred +
not referred; destination categories add up to leavers), down a column (school rows add up to
the LA and hub rows of the same cohort and year group) and between sections shown together
(the lag section's ``referred`` is the funnel's; the funnel's leavers are the NEET section's
cohort leavers). Each relation is checked on the data and kept only where it holds exactly.

Algorithm (vectorised over all cells):

1. primary: a count ``0 < n < threshold`` is suppressed (already-``c`` input stays ``c``);
2. secondary, to a fixed point: any relation with exactly one suppressed cell, or whose
   suppressed cells are all 1 (an attacker who knows each is at least 1 would pin them), gets
   its smallest unsuppressed *non-zero* cell suppressed too (cells that are a percentage's
   base last; ties: the first in the frame). An inequality (``partial``: contacted ≤ referred)
   counts its unpublished rest as a hidden cell that may be 0. A relation then has none or at
   least two suppressed cells whose sum leaves each of them room to move, so no subtraction
   gives one back;
3. audit: interval propagation over all relations at once (the attacker's own method: each
   hidden cell at least 1, shown cells fixed, bounds snapped to whole people or thirds for
   averaged counts) finds hidden cells pinned to one value by several relations together
   (e.g. referred ≤ hand-overs − not referred and referred ≥ contacted); each relation holding
   one gets its smallest unsuppressed cell hidden, and steps 2–3 repeat until none is pinned.
4. output: suppressed counts and every percentage or statistic resting on a suppressed cell
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
little more than an optimal solver would) checked by an interval-propagation audit.

Measured (``benchmarks/disclosure_speed.py``, this 2-core shared machine, Dec 2026): on the
region-sized demo (9 LAs, ~300 schools) the transitions report (9,354 rows) is protected in
0.7–1.0 s, about 0.8–1.3 × its raw build (the build is fast since the summary tables); every
other kind takes under 0.03 s. The England-sized demo was not built (its build takes far
longer than was available); the transitions table tiled 15 times (140,310 rows, ≈ England's
4,500 schools) takes 12–30 s depending on the machine's load, mostly in the audit.
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
    - ``partial``: an inequality, ``total`` ≥ Σ ``parts``.
    """

    total: str
    parts: tuple[str, ...]
    rows: str | None = None
    part_rows: str | None = None
    keys: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    where: tuple[tuple[str, object], ...] = ()
    #: ``total`` ≥ Σ ``parts``: the rest is a count that is not published (e.g. contacted ≤
    #: referred); it is treated as a hidden cell that may be 0.
    partial: bool = False


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
    each row's section or level. ``derived``: ``{helper: (total, (parts...))}``: a count of
    people no column shows but any reader gets by subtraction, helper = total − Σ parts (the
    leavers neither NEET nor not known: base − NEET − not known). :func:`apply_spec` adds it as
    a count (so 1–5 is suppressed, with complements) tied to its total by an equality, and
    drops it again; a frame that already carries the helper column keeps its own values.
    """

    counts: tuple[str, ...] = ()
    percents: Mapping[str, str | None] = field(default_factory=dict)
    rounded: Mapping[str, int] = field(default_factory=dict)
    statistics: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    numerators: Mapping[str, str] = field(default_factory=dict)
    follows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    relations: tuple[Relation, ...] = ()
    rows_by: str = "section"
    derived: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


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
        self.bases: set[int] = set()
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
            self.bases.add(self.index[base])
            num = numerators.get(p)
            if num is not None:
                if num not in self.index:
                    add(num, _numeric(frame[num]), _already(frame[num]))
                self.index[p] = self.index[num]
            else:
                implied = np.round(_numeric(frame[p]) * _numeric(frame[base]) / 100.0, 6)
                add(p, implied, _already(frame[p]))
        n = len(frame)
        self.values = np.column_stack(cols) if cols else np.zeros((n, 0))
        self.hidden = np.column_stack(hidden) if hidden else np.zeros((n, 0), dtype=bool)
        self.q = self.values.shape[1]

    def flat(self, rows: np.ndarray, name: str) -> np.ndarray:
        return rows * self.q + self.index[name]


class _Rows:
    """Row facts the relations of one frame share, read once: each row's section, the rows
    passing each ``where`` filter, and the matched (total row, part row) pairs of each
    section pair."""

    def __init__(self, frame: pd.DataFrame, rows_by: str) -> None:
        self.frame = frame
        self.n = len(frame)
        self.section = (
            frame[rows_by].astype(object).to_numpy() if rows_by in frame.columns else None
        )
        self._columns: dict[str, np.ndarray] = {}
        self._where: dict[tuple, np.ndarray] = {}
        self._pairs: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def column(self, name: str) -> np.ndarray:
        if name not in self._columns:
            self._columns[name] = self.frame[name].astype(object).to_numpy()
        return self._columns[name]

    def where(self, where: tuple[tuple[str, object], ...]) -> np.ndarray:
        if where not in self._where:
            ok = np.ones(self.n, dtype=bool)
            for col, value in where:
                if col in self.frame.columns:
                    v = self.column(col)
                    ok &= pd.isna(v) | (v == value)
            self._where[where] = ok
        return self._where[where]

    def pairs(self, rel: Relation) -> tuple[np.ndarray, np.ndarray]:
        """(total row, part row) positions matched on ``rel.keys``."""
        memo = (rel.rows, rel.part_rows, rel.keys, rel.where)
        if memo not in self._pairs:
            ok = self.where(rel.where)
            positions = np.arange(self.n)
            tot = positions[ok & (self.section == rel.rows)]
            prt = positions[ok & (self.section == (rel.part_rows or rel.rows))]
            cols = [self.column(k) for k in rel.keys]
            index: dict[tuple, list[int]] = {}
            for p in prt.tolist():
                index.setdefault(tuple(c[p] for c in cols), []).append(p)
            t_out: list[int] = []
            p_out: list[int] = []
            for t in tot.tolist():
                for p in index.get(tuple(c[t] for c in cols), ()):
                    t_out.append(t)
                    p_out.append(p)
            self._pairs[memo] = (np.array(t_out, dtype=np.int64),
                                 np.array(p_out, dtype=np.int64))
        return self._pairs[memo]


def _relation_members(
    rows: _Rows, cells: _Cells, rel: Relation, rel0: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Membership of one declared relation's instances: (relation id, cell id, coefficient)
    arrays, the remainder of each instance (total − Σ parts: 0 for an equality; NaN for an
    instance dropped because it does not hold on the data) and how many instances."""
    names = (rel.total, *rel.parts, *rel.extra)
    empty = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0), 0
    if any(n not in cells.index for n in names):
        return empty
    vals = cells.values
    rid: list[np.ndarray] = []
    cid: list[np.ndarray] = []
    coef: list[np.ndarray] = []
    if rel.rows is None:
        ok = rows.where(rel.where).copy()
        for n in names:
            ok &= ~np.isnan(vals[:, cells.index[n]]) | cells.hidden[:, cells.index[n]]
        at = np.flatnonzero(ok)
        k = len(at)
        ids = rel0 + np.arange(k)
        rid.append(ids)
        cid.append(cells.flat(at, rel.total))
        coef.append(np.ones(k))
        for n in (*rel.parts, *rel.extra):
            rid.append(ids)
            cid.append(cells.flat(at, n))
            coef.append(-np.ones(k))
    else:
        if rows.section is None or any(c not in rows.frame.columns for c in rel.keys):
            return empty
        t_pos, p_pos = rows.pairs(rel)
        tot, pid = np.unique(t_pos, return_inverse=True)
        k = len(tot)
        ids = rel0 + np.arange(k)
        rid.append(ids)
        cid.append(cells.flat(tot, rel.total))
        coef.append(np.ones(k))
        for n in rel.extra:
            rid.append(ids)
            cid.append(cells.flat(tot, n))
            coef.append(-np.ones(k))
        pid = rel0 + pid.reshape(-1)
        pp = p_pos
        for n in rel.parts:
            rid.append(pid)
            cid.append(cells.flat(pp, n))
            coef.append(-np.ones(len(pp)))
        k = len(ids)
    r = np.concatenate(rid).astype(np.int64)
    c = np.concatenate(cid).astype(np.int64)
    w = np.concatenate(coef).astype(np.float64)
    if k == 0:
        return empty
    # Keep the instances that hold exactly (a missing value counts as 0 only where hidden).
    flat_vals = cells.values.reshape(-1)[c]
    flat_hidden = cells.hidden.reshape(-1)[c]
    known = ~np.isnan(flat_vals)
    resid = np.bincount(r - rel0, weights=np.where(known, w * flat_vals, 0.0), minlength=k)
    missing = np.bincount(r - rel0, weights=(~known & ~flat_hidden).astype(float), minlength=k)
    unknown = np.bincount(r - rel0, weights=(~known & flat_hidden).astype(float), minlength=k)
    fits = resid > -1e-4 if rel.partial else np.abs(resid) < 1e-4
    holds = (fits | (unknown > 0)) & (missing == 0)
    keep = holds[r - rel0]
    remainder = np.where(holds, np.maximum(resid, 0.0) if rel.partial else 0.0, np.nan)
    return r[keep], c[keep], w[keep], remainder, k


def _secondary(hidden: np.ndarray, values: np.ndarray, floor: np.ndarray, rid: np.ndarray,
               cid: np.ndarray, n_rel: int, is_base: np.ndarray) -> np.ndarray:
    """Complementary suppression to a fixed point (see the module note); returns the new
    flat hidden mask.

    A relation needs one more hidden cell while it has exactly one hidden cell, or while its
    hidden cells all sit at the least an attacker knows they can be (``floor``: 1 for a hidden
    count, since zeros are shown; 0 for the unpublished rest of an inequality), since then
    each is pinned to that least value. ``is_base`` marks cells that are the base of a
    percentage: they are chosen last, since hiding a base hides every rate over it."""
    hidden = hidden.copy()
    vals = np.nan_to_num(values, nan=0.0)
    while True:
        h = hidden[cid]
        count = np.bincount(rid, weights=h.astype(float), minlength=n_rel)
        at_floor = np.bincount(rid, weights=np.where(h, vals[cid] - floor[cid], 0.0),
                               minlength=n_rel) < 1e-6
        counted = np.bincount(rid, weights=(h & (floor[cid] > 0)).astype(float), minlength=n_rel)
        need = (counted > 0) & ((count == 1) | at_floor)
        member = need[rid] & ~h & (vals[cid] > 0)
        if not member.any():
            return hidden
        r, c = rid[member], cid[member]
        order = np.lexsort((c, vals[c], is_base[c], r))
        r, c = r[order], c[order]
        first = np.r_[True, r[1:] != r[:-1]]
        hidden[c[first]] = True


def _pinned(hidden: np.ndarray, values: np.ndarray, floor: np.ndarray, grain: np.ndarray,
            rid: np.ndarray, cid: np.ndarray, coef: np.ndarray, n_rel: int,
            rounds: int = 40) -> np.ndarray:
    """Hidden counts an attacker pins to one value: interval propagation over every relation
    at once (each hidden cell starts at ``[floor, ∞)``, each shown one at its value), bounds
    snapped to whole people (or thirds, for averaged counts), to a fixed point."""
    lo = np.where(hidden, floor, values)
    hi = np.where(hidden, np.inf, values)
    # Only relations holding a hidden cell say anything about one.
    useful = (np.bincount(rid, hidden[cid].astype(float), n_rel) > 0)[rid]
    rid, cid, coef = rid[useful], cid[useful], coef[useful]
    if not len(cid):
        return np.zeros(len(hidden), dtype=bool)
    # Work on the cells those relations hold only (a small part of a big table).
    uniq, cid = np.unique(cid, return_inverse=True)
    cid = cid.reshape(-1)
    lo, hi, grain = lo[uniq], hi[uniq], grain[uniq]
    # Memberships sorted by cell, so each round's per-cell bound is one reduceat (fast).
    order = np.argsort(cid, kind="stable")
    cells_sorted = cid[order]
    starts = np.flatnonzero(np.r_[True, cells_sorted[1:] != cells_sorted[:-1]])
    owners = cells_sorted[starts]
    with np.errstate(all="ignore"):  # infinities are expected: unbounded hidden cells
        for _ in range(rounds):
            mn = np.where(coef > 0, coef * lo[cid], coef * hi[cid])
            mx = np.where(coef > 0, coef * hi[cid], coef * lo[cid])
            fmn, fmx = np.isfinite(mn), np.isfinite(mx)
            s_mn = np.bincount(rid, np.where(fmn, mn, 0.0), n_rel)
            s_mx = np.bincount(rid, np.where(fmx, mx, 0.0), n_rel)
            i_mn = np.bincount(rid, (~fmn).astype(float), n_rel)
            i_mx = np.bincount(rid, (~fmx).astype(float), n_rel)
            o_mn = np.where(i_mn[rid] - ~fmn > 0, -np.inf, s_mn[rid] - np.where(fmn, mn, 0.0))
            o_mx = np.where(i_mx[rid] - ~fmx > 0, np.inf, s_mx[rid] - np.where(fmx, mx, 0.0))
            # Σ coef·x = 0: coef_e·x_e lies in [−others_max, −others_min]
            up = np.where(coef > 0, -o_mn / coef, -o_mx / coef)
            down = np.where(coef > 0, -o_mx / coef, -o_mn / coef)
            nlo, nhi = lo.copy(), hi.copy()
            best_lo = np.maximum.reduceat(np.nan_to_num(down[order], nan=-np.inf), starts)
            best_hi = np.minimum.reduceat(np.nan_to_num(up[order], nan=np.inf), starts)
            nlo[owners] = np.maximum(nlo[owners], best_lo)
            nhi[owners] = np.minimum(nhi[owners], best_hi)
            nlo = np.ceil(nlo * grain - 1e-6) / grain
            nhi = np.where(np.isfinite(nhi), np.floor(nhi * grain + 1e-6) / grain, nhi)
            if np.array_equal(nlo, lo) and np.array_equal(nhi, hi):
                break
            lo, hi = nlo, nhi
    out = np.zeros(len(hidden), dtype=bool)
    out[uniq] = hi - lo < 1e-6
    return out & hidden & (floor > 0)


def _protect(frame: pd.DataFrame, counts: list[str], percents: dict[str, str | None],
             numerators: dict[str, str], relations: Iterable[Relation], rows_by: str,
             threshold: int) -> tuple[_Cells, np.ndarray]:
    cells = _Cells(frame, counts, percents, numerators)
    v = cells.values
    hidden = (((v > 0) & (v < threshold)) | cells.hidden).reshape(-1)
    if not (SECONDARY and cells.q):
        return cells, hidden.reshape(v.shape)
    facts = _Rows(frame, rows_by)
    n_cells = v.size
    # Every reader knows a percentage's count is at most its base (a rate is at most 100 %):
    # base ≥ count, the rest unpublished, in every row that has both. Written here for the
    # counts a percentage stands for alone (NEET + not known); a count published in its own
    # column is related to its base by the rules, where the relation holds (reach percentages
    # of places can pass 100 %).
    within = [
        Relation(base, (p,), partial=True)
        for p, base in percents.items()
        if base is not None and p not in numerators and p in cells.index
        and cells.index[p] != cells.index[base]
    ]
    rid_l, cid_l, coef_l, rest_l, offset = [], [], [], [], 0
    for rel in (*relations, *within):
        r, c, w, remainder, k = _relation_members(facts, cells, rel, 0)
        rid_l.append(r + offset)
        cid_l.append(c)
        coef_l.append(w)
        if rel.partial and k:
            # the unpublished rest of each instance that holds: one more, always hidden, cell
            inst = np.flatnonzero(~np.isnan(remainder))
            rid_l.append(inst + offset)
            cid_l.append(n_cells + sum(len(x) for x in rest_l) + np.arange(len(inst)))
            coef_l.append(-np.ones(len(inst)))
            rest_l.append(remainder[inst])
        offset += k
    if not offset:
        return cells, hidden.reshape(v.shape)
    rid, cid, coef = np.concatenate(rid_l), np.concatenate(cid_l), np.concatenate(coef_l)
    rest = np.concatenate(rest_l) if rest_l else np.empty(0)
    is_base = np.zeros(v.shape, dtype=bool)
    is_base[:, sorted(cells.bases)] = True
    # Averaged counts (thirds of people) move in thirds; every other count in whole people.
    whole = np.all(np.isnan(v) | (np.abs(v - np.round(v)) < 1e-6), axis=0)
    grain = np.broadcast_to(np.where(whole, 1.0, 3.0), v.shape).reshape(-1)
    values = np.r_[v.reshape(-1), rest]
    floor = np.r_[np.where(grain == 1.0, 1.0, 1.0 / 3.0), np.zeros(len(rest))]
    grain = np.r_[grain, np.ones(len(rest))]
    base = np.r_[is_base.reshape(-1), np.zeros(len(rest), dtype=bool)]
    state = np.r_[hidden, np.ones(len(rest), dtype=bool)]
    for _ in range(20):  # the heuristic, then an audit of all relations together
        state = _secondary(state, values, floor, rid, cid, offset, base)
        pinned = _pinned(state, np.nan_to_num(values), floor, grain, rid, cid, coef, offset)
        if not pinned.any():
            break
        # each relation holding a pinned cell gets one more hidden cell (the smallest)
        flagged = np.zeros(offset, dtype=bool)
        flagged[rid[pinned[cid]]] = True
        member = flagged[rid] & ~state[cid] & (np.nan_to_num(values)[cid] > 0)
        if not member.any():
            break
        r, c = rid[member], cid[member]
        order = np.lexsort((c, values[c], base[c], r))
        r, c = r[order], c[order]
        state[c[np.r_[True, r[1:] != r[:-1]]]] = True
    return cells, state[:n_cells].reshape(v.shape)


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
    added: list[str] = []
    relations = tuple(spec.relations)
    for helper, (total, parts) in spec.derived.items():
        if total not in frame.columns or any(p not in frame.columns for p in parts):
            continue
        if helper not in frame.columns:
            rest = _numeric(frame[total]) - sum(_numeric(frame[p]) for p in parts)
            # averages of three month ends are thirds: float noise is not a person
            frame = frame.assign(**{helper: np.round(rest, 9)})
            added.append(helper)
        relations += (Relation(total, (*parts, helper)),)
    counts = (*spec.counts, *(h for h in spec.derived if h not in spec.counts))
    have = set(frame.columns)
    percents = {p: (b if b in have else None) for p, b in spec.percents.items() if p in have}
    out = apply(
        frame,
        counts=[c for c in counts if c in have],
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
        relations=relations,
        rows_by=spec.rows_by,
    )
    return out.drop(columns=added)
