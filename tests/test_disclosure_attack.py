"""An attacker who sees what the suite publishes tries to work out every suppressed count.

The attacker reads a published table (``c`` where suppressed), knows what each column means
(which count is which percentage's base, which counts add up to which, how school rows add up
to the hub's, which figure another section repeats) and that a suppressed count is at least 1
(zeros are shown). That knowledge is written here, in the test's own terms, not read from the
engine's rules. From it the attacker:

- turns every shown percentage with a shown base into an interval for its numerator
  (percentage × base, the percentage rounded to 0.1), and a shown difference from a published
  comparator back into its rate;
- propagates integer intervals through every linear relation (sums within a row, down a column
  against subtotals and totals, identities between linked sections, and inequalities such as
  contacted ≤ referred) until nothing changes — subtraction within rows and columns and small
  linear systems across linked tables, solved by interval reasoning;
- counts a suppressed cell as *recovered* when its interval holds a single value.

It also checks the primary rule directly (every shown count of people is 0 or at least 6, and
so is every count a shown percentage stands for, and every group a reader gets by subtracting
shown counts from their shown total, such as 8 leavers − 87.5 % NEET or not known = 1).
Every report kind, the page data sources and the briefing are attacked on the demo hub, every
report kind on the synthetic region (nine LAs, about 300 schools), and the transitions report
on random small hubs (hypothesis).
``SECONDARY`` off (primary suppression only, as the code did before) must let the attacker
recover cells: :func:`test_attacker_wins_without_complementary_suppression`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hubcore import db
from hubcore.access import Scope
from hubcore.disclosure import engine as disclosure_engine
from hubcore.metrics import report

C, LOW = "c", "low"
CATS = ("education", "apprenticeship", "employment", "training", "re_engagement",
        "neet_active", "neet_inactive", "custody", "not_known")  # fmt: skip
#: The destination mix's categories: ``no_record`` (no record by the point) is one of them, so
#: a row's percentages add up to 100 of its leavers only with it.
MIX = (*CATS, "no_record")


# --- what the attacker knows ------------------------------------------------------------------


@dataclass(frozen=True)
class Sum:
    """``total`` = Σ ``parts`` (``le=True``: ``total`` ≥ Σ ``parts``). With ``rows``, the total
    sits in rows of that section and the parts are summed over ``part_rows`` rows sharing
    ``keys``; ``extra`` parts come from the total's own row; ``where`` filters rows that have
    the column."""

    total: str
    parts: tuple[str, ...]
    rows: str | None = None
    part_rows: str | None = None
    keys: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    where: tuple[tuple[str, object], ...] = ()
    le: bool = False


@dataclass
class Knowledge:
    """What the columns of one published table mean."""

    counts: tuple[str, ...] = ()
    #: percentage → (numerator column or None for an unnamed count, base column)
    pcts: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    sums: tuple[Sum, ...] = ()
    #: rate → (difference column, comparator column): rate = difference + comparator
    diffs: dict[str, tuple[str, str]] = field(default_factory=dict)
    rows_by: str = "section"
    #: columns whose counts may be thirds (Dec/Jan/Feb averages)
    thirds: tuple[str, ...] = ()
    #: (total, parts): total − Σ parts is a group of people no column names (the leavers
    #: neither NEET nor not known: base − NEET − not known, or base − the combined rate's
    #: count), read off whenever every term is shown; a percentage stands for its count
    rests: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: groups of people no column shows but the sums name (people chased by the school for a
    #: hand-over only): in every row, a whole number ≥ 0 the attacker solves for, never a
    #: "recovery" itself
    unknowns: tuple[str, ...] = ()


SCHOOL, HUB, LA = ("urn", "cohort", "year_group"), ("cohort", "year_group"), ("la_gss", "cohort",
                                                                               "year_group")
F_SCHOOL, F_HUB = (*SCHOOL, "handed_to"), (*HUB, "handed_to")
NEET = ("cohort_leavers", "custody", "denominator", "neet", "not_known", "no_record")
FUNNEL = ("leavers", "handovers", "referred", "not_referred", "contacted", "engaged", "lost",
          "lost_before_contact", "closed", "still_open")
SUST = ("sust_education", "sust_apprenticeship", "sust_edu_app", "sust_employment",
        "sust_overall", "not_sustained", "activity_unknown")


def _down(cols, detail, total, keys):
    return tuple(Sum(c, (c,), total, detail, keys) for c in cols)


TRANSITIONS = Knowledge(
    counts=(*NEET, *FUNNEL, *SUST, "open", "overdue", "left"),
    pcts={
        **{f"pct_{c}": (None, "leavers") for c in MIX},
        **{f"pct_{c}": (c, "leavers") for c in SUST},
        "neet_pct": ("neet", "denominator"),
        "not_known_pct": ("not_known", "denominator"),
        "neet_nk_pct": (None, "denominator"),
        "pct_handed_over_of_leavers": ("handovers", "leavers"),
        "pct_referred_of_leavers": ("referred", "leavers"),
        "pct_referred_of_handovers": ("referred", "handovers"),
        "pct_contacted_of_referred": ("contacted", "referred"),
        "pct_engaged_of_referred": ("engaged", "referred"),
        "pct_lost_of_referred": ("lost", "referred"),
        "pct_closed_of_referred": ("closed", "referred"),
        "pct_open_of_referred": ("still_open", "referred"),
        "pct_referred": ("referred", "left"),
        "pct_contacted": ("contacted", "referred"),
        "pct_engaged": ("engaged", "contacted"),
        "pct_lost": ("lost", "contacted"),
    },
    sums=(
        Sum("leavers", tuple(f"pct_{c}" for c in MIX)),
        Sum("cohort_leavers", ("custody", "denominator")),
        Sum("neet_nk_pct", ("neet", "not_known")),
        Sum("not_known", ("no_record",), le=True),
        Sum("handovers", ("referred", "not_referred")),
        Sum("left", ("referred", "not_referred")),
        Sum("referred", ("engaged", "lost", "closed", "still_open")),
        Sum("referred", ("contacted",), le=True),
        Sum("lost", ("lost_before_contact",), le=True),
        Sum("leavers", ("sust_overall", "not_sustained", "activity_unknown")),
        Sum("sust_overall", ("sust_edu_app", "sust_employment")),
        Sum("sust_edu_app", ("sust_education", "sust_apprenticeship"), le=True),
        Sum("open", ("overdue",), le=True),
        *_down(NEET, "neet_school", "neet_hub", HUB),
        *_down(NEET, "neet_school", "neet_la", LA),
        *_down(NEET, "neet_la", "neet_hub", HUB),
        *_down(("neet_nk_pct",), "neet_school", "neet_hub", HUB),
        *_down(FUNNEL, "funnel_school", "funnel_hub", F_HUB),
        *_down(("left",), "funnel_school", "funnel_hub", HUB),  # the funnel before the split
        *_down(("referred",), "lag_school", "lag_hub", F_HUB),
        *_down(("open", "overdue"), "overdue_school", "overdue_hub", F_HUB),
        *_down(("leavers", *SUST), "sustained_school", "sustained_hub", HUB),
        Sum("referred", ("referred",), "lag_school", "funnel_school", F_SCHOOL),
        Sum("referred", ("referred",), "lag_hub", "funnel_hub", F_HUB),
        Sum("open", ("not_referred",), "overdue_school", "funnel_school", F_SCHOOL),
        Sum("open", ("not_referred",), "overdue_hub", "funnel_hub", F_HUB),
        Sum("leavers", ("cohort_leavers",), "funnel_school", "neet_school", SCHOOL),
        Sum("leavers", ("cohort_leavers",), "funnel_hub", "neet_hub", HUB),
        Sum("leavers", ("leavers",), "sustained_school", "funnel_school", SCHOOL,
            where=(("handed_to", "ncs"),)),
        Sum("leavers", ("leavers",), "sustained_hub", "funnel_hub", HUB,
            where=(("handed_to", "ncs"),)),
    ),
    diffs={
        "neet_nk_pct": ("vs_england_neet_nk", "england_neet_nk_pct"),
        "neet_pct": ("vs_england_neet", "england_neet_pct"),
    },
    thirds=NEET + ("neet_nk_pct",),
    rests=(("denominator", ("neet", "not_known")), ("denominator", ("neet_nk_pct",))),
)

COVERAGE = Knowledge(
    # Coverage bases are averaged cohorts published rounded to whole pupils, so percentage ×
    # base is no exact relation there; the attacker checks the counts themselves.
    counts=("bm5_participants", "y11_cohort", "y13_cohort", "bm6_by16_places",
            "bm6_by18_places", "bm8_y11_meetings"),
    rows_by="level",
)

#: Report kinds whose tables hold no count of people (institutions, offers, places, km).
NO_PEOPLE = Knowledge()
REPORTS: dict[str, Knowledge] = {
    "benchmarks": NO_PEOPLE,
    "coverage": COVERAGE,
    "coldspots": NO_PEOPLE,
    "employers": NO_PEOPLE,
    "what-it-takes": NO_PEOPLE,
    "transitions": TRANSITIONS,
    "priority": NO_PEOPLE,
}


# --- the attack -------------------------------------------------------------------------------


def _is(value: object, symbol: str) -> bool:
    return isinstance(value, str) and value == symbol


def _num(value: object) -> float | None:
    """A published cell as a number (None for c, low, text or missing)."""
    if value is None or isinstance(value, str) or value is pd.NA:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


@dataclass
class Result:
    recovered: list[tuple[int, str, float]]
    primary_leaks: list[tuple[int, str, float]]
    suppressed: int


def attack(published: pd.DataFrame, know: Knowledge, raw: pd.DataFrame | None = None
           ) -> Result:
    """Try to recover every suppressed count of ``published`` (see the module note). With
    ``raw`` (the table before suppression), a "recovery" must also be right: an attacker's
    relation that happens not to hold in some table gives a wrong value, which is no leak."""
    frame = published.reset_index(drop=True)
    n = len(frame)
    cols = set(frame.columns)
    data = {c: frame[c].astype(object).tolist() for c in frame.columns}  # fast cell reads
    var: dict[tuple[int, str], int] = {}
    lo: list[float] = []
    hi: list[float] = []
    grain: list[int] = []
    hidden: list[tuple[int, str]] = []
    leaks: list[tuple[int, str, float]] = []
    cons: list[tuple[list[tuple[int, float]], bool]] = []  # (terms, is_equality); Σ ≤/= 0

    def new_var(key: tuple[int, str], low: float, high: float, g: int) -> int:
        var[key] = len(lo)
        lo.append(low)
        hi.append(high)
        grain.append(g)
        return var[key]

    def get(i: int, name: str) -> int | None:
        """The variable of row i's count ``name`` (a count column or a percentage's count)."""
        if name in know.pcts and know.pcts[name][0] is not None:
            return get(i, know.pcts[name][0])
        key = (i, name)
        if key in var:
            return var[key]
        if name in know.unknowns:
            return new_var(key, 0.0, math.inf, 1)
        if name not in cols:
            return None
        value = data[name][i]
        # Averages of three month ends move in thirds; a row measured at one date (its
        # ``measurement`` names a snapshot, not an average) counts whole people.
        measured = data["measurement"][i] if "measurement" in cols else None
        averaged = not isinstance(measured, str) or "average" in measured.lower()
        g = 3 if name in know.thirds and averaged else 1
        if name in know.pcts:  # the unnamed count behind a percentage
            if _is(value, C):
                hidden.append(key)
                return new_var(key, 0.0, math.inf, g)
            if _is(value, LOW) or _num(value) is not None:
                return new_var(key, 0.0, math.inf, g)  # bounded by percentage × base below
            if know.pcts[name][1] in cols and _num(data[know.pcts[name][1]][i]) == 0:
                return new_var(key, 0.0, 0.0, g)  # no base, no count
            return None
        if _is(value, C):
            hidden.append(key)
            return new_var(key, 1.0 / g, math.inf, g)  # zeros are shown: hidden means ≥ 1
        number = _num(value)
        if number is None:
            return None
        if name in know.counts and 0 < number < 6:
            leaks.append((i, name, number))
        return new_var(key, number, number, g)

    # Rates given back by their differences from published comparators.
    rates = {c: list(v) for c, v in data.items()}
    for rate, (diff, comp) in know.diffs.items():
        if {rate, diff, comp} <= cols:
            for i in range(n):
                d, c = _num(data[diff][i]), _num(data[comp][i])
                if d is not None and c is not None and _num(data[rate][i]) is None:
                    rates[rate][i] = round(d + c, 1)
    # Percentages: a shown percentage of a base bounds its count.
    for pct, (numer, base) in know.pcts.items():
        if pct not in cols or base not in cols:
            continue
        for i in range(n):
            shown = rates[pct][i]
            p = _num(shown)
            vn = get(i, pct)
            vb = get(i, base)
            if vn is None or vb is None:
                continue
            if vn != vb:  # a percentage's count is at most its base, shown or not
                cons.append(([(vn, 1.0), (vb, -1.0)], False))
            if p is None and not _is(shown, LOW):
                continue
            up, down = (0.05, 0.0) if _is(shown, LOW) else (p + 0.05, max(p - 0.05, 0.0))
            # count ≤ base × up / 100 and count ≥ base × down / 100
            cons.append(([(vn, 1.0), (vb, -up / 100.0)], False))
            if down > 0:
                cons.append(([(vb, down / 100.0), (vn, -1.0)], False))
            b = _num(data[base][i])
            if b is not None and 0 < b and p is not None:
                implied = p * b / 100.0
                if numer is None and 0.5 <= implied <= 5.5 and b * 0.05 / 100 < 0.5:
                    leaks.append((i, pct, implied))
    # Groups no column names, read off by subtraction (8 leavers, 87.5 % NEET or not known).
    def amount(i: int, name: str) -> float | None:
        if name in know.pcts and know.pcts[name][0] is None:
            p, b = _num(rates[name][i]), _num(data.get(know.pcts[name][1], [None] * n)[i])
            return None if p is None or b is None or b * 0.05 / 100 >= 0.5 else p * b / 100
        return _num(data[name][i]) if name in cols else None

    for total, parts in know.rests:
        if total not in cols or any(p not in cols for p in parts):
            continue
        for i in range(n):
            terms = [amount(i, t) for t in (total, *parts)]
            if all(t is not None for t in terms):
                rest = terms[0] - sum(terms[1:])
                if 0.5 <= rest <= 5.5:
                    leaks.append((i, f"{total} - {' - '.join(parts)}", rest))
    # Relations.
    rows_by = data.get(know.rows_by)

    def keep(i: int, where) -> bool:
        for col, value in where:
            if col in cols:
                v = data[col][i]
                if not (pd.isna(v) or v == value):
                    return False
        return True

    for rel in know.sums:
        names = (rel.total, *rel.parts, *rel.extra)
        if not set(names) <= cols | set(know.unknowns):
            continue
        if rel.rows is None:
            for i in range(n):
                if not keep(i, rel.where):
                    continue
                ids = [get(i, x) for x in names]
                if any(v is None for v in ids):
                    continue
                terms = [(ids[0], 1.0)] + [(v, -1.0) for v in ids[1:]]
                # total = Σ parts; or total ≥ Σ parts, i.e. Σ parts − total ≤ 0
                cons.append(([(v, -c) for v, c in terms], False) if rel.le else (terms, True))
            continue
        if rows_by is None or not set(rel.keys) <= cols:
            continue
        tot = [i for i in range(n) if rows_by[i] == rel.rows and keep(i, rel.where)]
        parts = [i for i in range(n) if rows_by[i] == rel.part_rows and keep(i, rel.where)]
        index: dict[tuple, list[int]] = {}

        def key_of(i: int, keys: tuple[str, ...] = rel.keys) -> tuple:
            return tuple(str(data[k][i]) for k in keys)

        for i in parts:
            index.setdefault(key_of(i), []).append(i)
        for t in tot:  # each total row is the sum of the part rows with its keys
            matched = index.get(key_of(t), [])
            plus = [get(t, rel.total)]
            minus = [get(t, x) for x in rel.extra]
            minus += [get(p, x) for p in matched for x in rel.parts]
            if not matched or any(v is None for v in plus + minus):
                continue
            cons.append(([(v, 1.0) for v in plus] + [(v, -1.0) for v in minus], True))

    lo_a, hi_a = np.array(lo), np.array(hi)
    g_a = np.array(grain, dtype=float)
    truth_free = _propagate(lo_a, hi_a, g_a, cons)
    low, high = truth_free
    # Knowledge that contradicts the published table would blind the attacker (every bound
    # collapses): it is a bug in this test, said loudly.
    assert not (low > high + 1e-9).any(), "attacker's knowledge contradicts the table"
    # A hidden count pinned to one value is recovered (a percentage's count pinned to 0 is
    # not: it describes nobody). The unnamed count behind a percentage that is hidden only
    # because its base is (e.g. NEET + not known, when NEET and not known are both shown and
    # at least 6 together) is a publishable count: it is recovered only if it is small.
    recovered = [
        (i, name, float(low[var[(i, name)]]))
        for i, name in hidden
        if high[var[(i, name)]] - low[var[(i, name)]] < 1e-6 and high[var[(i, name)]] > 0
        and (name not in know.pcts or high[var[(i, name)]] < 6 - 1e-6)
        and (raw is None or _true(raw, i, name, know) == pytest.approx(low[var[(i, name)]]))
    ]
    return Result(recovered, leaks, len(hidden))


def _true(raw: pd.DataFrame, i: int, name: str, know: Knowledge) -> float:
    """The unsuppressed value of row ``i``'s count ``name``."""
    if name in know.pcts:
        return float(raw[name].iat[i]) * float(raw[know.pcts[name][1]].iat[i]) / 100.0
    return float(raw[name].iat[i])


def _propagate(lo: np.ndarray, hi: np.ndarray, grain: np.ndarray,
               cons: list[tuple[list[tuple[int, float]], bool]], rounds: int = 60
               ) -> tuple[np.ndarray, np.ndarray]:
    """Interval propagation over Σ aₖxₖ ≤ 0 (or = 0) to a fixed point, snapping bounds to
    each variable's grain (whole people, or thirds for averages)."""
    if not cons:
        return lo, hi
    cid = np.concatenate([np.full(len(t), k) for k, (t, _) in enumerate(cons)])
    vid = np.array([v for t, _ in cons for v, _ in t])
    a = np.array([c for t, _ in cons for _, c in t])
    eq = np.array([e for _, e in cons])
    m = len(cons)
    with np.errstate(all="ignore"):  # infinities are expected: unbounded hidden cells
        return _rounds(lo, hi, grain, cid, vid, a, eq, m, rounds)


def _rounds(lo, hi, grain, cid, vid, a, eq, m, rounds):
    for _ in range(rounds):
        mn = np.where(a > 0, a * lo[vid], a * hi[vid])  # smallest value of each term
        mx = np.where(a > 0, a * hi[vid], a * lo[vid])
        fin_mn, fin_mx = np.isfinite(mn), np.isfinite(mx)
        s_mn = np.bincount(cid, np.where(fin_mn, mn, 0), m)
        s_mx = np.bincount(cid, np.where(fin_mx, mx, 0), m)
        i_mn = np.bincount(cid, ~fin_mn, m)
        i_mx = np.bincount(cid, ~fin_mx, m)
        o_mn = np.where(i_mn[cid] - ~fin_mn > 0, -np.inf, s_mn[cid] - np.where(fin_mn, mn, 0))
        o_mx = np.where(i_mx[cid] - ~fin_mx > 0, np.inf, s_mx[cid] - np.where(fin_mx, mx, 0))
        # aₑxₑ ≤ −others_min; and for equalities aₑxₑ ≥ −others_max
        upper_ax, lower_ax = -o_mn, np.where(eq[cid], -o_mx, -np.inf)
        new_hi = np.where(a > 0, upper_ax / a, lower_ax / a)
        new_lo = np.where(a > 0, lower_ax / a, upper_ax / a)
        nlo, nhi = lo.copy(), hi.copy()
        np.maximum.at(nlo, vid, np.nan_to_num(new_lo, nan=-np.inf))
        np.minimum.at(nhi, vid, np.nan_to_num(new_hi, nan=np.inf))
        nlo = np.ceil(nlo * grain - 1e-6) / grain
        nhi = np.where(np.isfinite(nhi), np.floor(nhi * grain + 1e-6) / grain, nhi)
        if np.array_equal(nlo, lo) and np.array_equal(nhi, hi):
            break
        lo, hi = nlo, nhi
    return lo, hi


def _assert_safe(name: str, result: Result) -> None:
    assert not result.primary_leaks, f"{name}: small counts shown: {result.primary_leaks[:5]}"
    assert not result.recovered, (
        f"{name}: {len(result.recovered)} of {result.suppressed} suppressed cells recovered, "
        f"e.g. {result.recovered[:5]}"
    )


# --- the demo hub -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_reports(demo_engine):
    opts = report.Options(as_of=dt.date(2026, 12, 1))
    return {k: report.build(demo_engine, k, Scope.admin(), opts) for k in report.KINDS}


def _export(raw: pd.DataFrame, kind: str) -> pd.DataFrame:
    """What ``export_table`` returns for an already-built table (the same call it makes)."""
    return report.disclosure.apply_spec(raw, report.SPECS[kind])


@pytest.mark.parametrize("kind", report.KINDS)
def test_no_suppressed_report_cell_is_recovered(kind, raw_reports):
    published = _export(raw_reports[kind], kind)
    result = attack(published, REPORTS[kind], raw_reports[kind])
    _assert_safe(kind, result)


def test_export_table_is_what_is_attacked(demo_engine, raw_reports):
    """The attack above runs on the rules ``export_table`` applies, for a cheap kind."""
    opts = report.Options(as_of=dt.date(2026, 12, 1))
    got = report.export_table(demo_engine, "coverage", Scope.admin(), opts)
    pd.testing.assert_frame_equal(got, _export(raw_reports["coverage"], "coverage"))


def test_attacker_wins_without_complementary_suppression(raw_reports, monkeypatch):
    """Primary suppression alone (the code before this engine) leaks; the attacker is strong
    enough to show it."""
    monkeypatch.setattr(disclosure_engine, "SECONDARY", False)
    raw = raw_reports["transitions"]
    result = attack(_export(raw, "transitions"), TRANSITIONS, raw)
    assert len(result.recovered) > 0


def test_attacker_finds_a_percentage_times_base_leak():
    """A shown 33.3 % of 6 shown leavers with NEET hidden gives 2 back (the old rule)."""
    frame = pd.DataFrame({"section": ["x"], "denominator": [6], "neet": [C], "neet_pct": [33.3]})
    know = Knowledge(counts=("denominator", "neet"), pcts={"neet_pct": ("neet", "denominator")})
    assert attack(frame, know).recovered == [(0, "neet", 2.0)]


def test_attacker_finds_a_group_left_over_beside_a_rate():
    # 87.5 % of 8 leavers NEET or not known: the other 1 is a group of one; 50 % of 12 is not
    frame = pd.DataFrame({"section": ["x", "x"], "denominator": [8, 12], "neet": [C, 6],
                          "not_known": [C, 0], "neet_nk_pct": [87.5, 50.0]})
    result = attack(frame, TRANSITIONS)
    assert result.primary_leaks == [(0, "denominator - neet_nk_pct", 1.0)]
    frame = frame.assign(neet_nk_pct=[C, 50.0], neet=[7, 6], not_known=[0, 0])
    assert attack(frame, TRANSITIONS).primary_leaks == [(0, "denominator - neet - not_known", 1.0)]


def test_attacker_finds_a_difference_leak():
    """left 14 − referred 12 gives 2 not referred."""
    frame = pd.DataFrame({"left": [14], "referred": [12], "not_referred": [C]})
    know = Knowledge(counts=("left", "referred", "not_referred"),
                     sums=(Sum("left", ("referred", "not_referred")),))
    assert attack(frame, know).recovered == [(0, "not_referred", 2.0)]


def test_attacker_finds_a_linked_table_leak():
    """Hub 22 referred, school B 14, so school A's hidden referred is 8; then A's row gives
    its hidden not-referred: 10 − 8 = 2 (two steps, two tables)."""
    frame = pd.DataFrame({
        "section": ["s", "s", "h"], "urn": [1, 2, None], "left": [10, 20, 30],
        "referred": [C, 14, 22], "not_referred": [C, 6, 8]})
    know = Knowledge(counts=("left", "referred", "not_referred"),
                     sums=(Sum("left", ("referred", "not_referred")),
                           Sum("referred", ("referred",), "h", "s")))
    got = sorted(attack(frame, know).recovered)
    assert got == [(0, "not_referred", 2.0), (0, "referred", 8.0)]


# --- the briefing and the page data -------------------------------------------------------------


def _briefing_frame(table) -> pd.DataFrame:
    """A briefing table's text cells back to numbers (``1,234`` → 1234; c, low kept)."""
    def parse(text: str) -> object:
        if text in (C, LOW):
            return text
        if re.fullmatch(r"-?[\d,]+(\.\d+)?", text):
            return float(text.replace(",", ""))
        return None if text == "–" else text

    return pd.DataFrame([[parse(c) for c in row] for row in table.rows], columns=table.columns)


#: The briefing's transitions tables, read together (one frame, ``section`` = table): their
#: column headers for counts of people, the bases of their percentages and what adds up.
BRIEF_KEYS = ("Cohort", "Year", "Handed over to")
BRIEFING = Knowledge(
    counts=("Leavers", "Referred", "Not referred", "Overdue (>30 days)", "Leavers excl. custody"),
    pcts={"% of leavers": ("Referred", "Leavers"), "% contacted": (None, "Referred"),
          "% engaged": (None, "Referred"), "% lost": (None, "Referred"),
          "% still open": (None, "Referred"), "NEET %": (None, "Leavers excl. custody"),
          "Not known %": (None, "Leavers excl. custody"),
          "NEET + NK %": (None, "Leavers excl. custody")},
    sums=(
        # referred = engaged + lost + closed + still open; closed is not shown
        Sum("Referred", ("% engaged", "% lost", "% still open"), le=True),
        Sum("Referred", ("% contacted",), le=True),
        Sum("NEET + NK %", ("NEET %", "Not known %")),
        Sum("Not referred", ("Overdue (>30 days)",), le=True),
        Sum("Referred", ("Referred",), "lag", "funnel", BRIEF_KEYS),
    ),
    diffs={"NEET %": ("NEET vs England (pp)", "England NEET %")},
    rests=(("Leavers excl. custody", ("NEET + NK %",)),
           ("Leavers excl. custody", ("NEET %", "Not known %"))),
)


def test_briefing_tables_leak_nothing(demo_engine):
    from hubcore.briefing import content

    brief = content.gather(demo_engine, Scope.admin(), as_of=dt.date(2026, 12, 1))
    for table in brief.tables():  # each table alone: every count is c, 0 or at least 6
        frame = _briefing_frame(table)
        know = Knowledge(counts=tuple(c for c in BRIEFING.counts if c in frame.columns))
        _assert_safe(f"briefing: {table.title}", attack(frame, know))
    linked = pd.concat([
        _briefing_frame(brief.funnel).assign(section="funnel"),
        _briefing_frame(brief.lag).rename(columns={"To": "Handed over to"}).assign(section="lag"),
        _briefing_frame(brief.neet).assign(section="neet"),
    ], ignore_index=True)
    result = attack(linked, BRIEFING)
    _assert_safe("briefing transitions tables", result)
    assert result.suppressed > 0  # the headers above still match the briefing's


#: Page data sources: their columns of people and percentage bases (test's own reading of
#: hubcore.display's docstrings).
PAGES = Knowledge(
    counts=("leavers", "participants", "handovers", "referred", "not_referred", "contacted",
            "engaged", "lost", "lost_before_contact", "closed", "still_open", "denominator",
            "young_people"),
    pcts={
        **{f"pct_{c}": (None, "leavers") for c in MIX},
        "neet_nk_pct": (None, "leavers"),
        **{p: v for p, v in TRANSITIONS.pcts.items() if p.startswith("pct_") and "_of_" in p},
    },
    sums=(
        Sum("leavers", tuple(f"pct_{c}" for c in MIX)),
        Sum("handovers", ("referred", "not_referred")),
        Sum("referred", ("engaged", "lost", "closed", "still_open")),
    ),
)


def _page_sources():
    try:
        from hubcore import display
    except ImportError:  # the page data layer is not there yet: nothing to iterate over
        return {}
    return getattr(display, "SOURCES", {})


def test_page_data_sources_leak_nothing(demo_engine):
    from hubcore.errors import HubcoreError

    sources = _page_sources()
    if not sources:
        pytest.skip("hubcore.display.SOURCES not present")
    scope = Scope.admin()
    attacked = 0
    for name, source in sources.items():
        try:
            frame = source(demo_engine, scope)
        except HubcoreError:
            continue
        frame = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        base = "denominator" if "denominator" in frame.columns else "leavers"
        know = Knowledge(
            counts=tuple(c for c in PAGES.counts if c in frame.columns),
            pcts={p: (v[0], base if p == "neet_nk_pct" else v[1]) for p, v in PAGES.pcts.items()},
            sums=PAGES.sums,
            rests=((base, ("neet_nk_pct",)),),
        )
        _assert_safe(f"page source {name}", attack(frame, know))
        attacked += 1
    assert attacked >= 5


# --- a region (nine LAs, about 300 schools) ---------------------------------------------------


@pytest.fixture(scope="module")
def region_reports(tmp_path_factory):
    """Every report kind, unprotected, on the synthetic region (built once here, SQLite: the
    attack is on what is published, not on the database)."""
    from hubcore import demo

    eng = db.get_engine(db.sqlite_url(tmp_path_factory.mktemp("region") / "region.db"))
    db.upgrade(eng)
    demo.build(eng, size="region", seed=demo.DEFAULT_SEED, progress=False)
    opts = report.Options(as_of=dt.date(2026, 12, 1))
    yield {k: report.build(eng, k, Scope.admin(), opts) for k in report.KINDS}
    eng.dispose()


@pytest.mark.parametrize("kind", report.KINDS)
def test_no_suppressed_region_report_cell_is_recovered(kind, region_reports):
    published = _export(region_reports[kind], kind)
    _assert_safe(f"region {kind}", attack(published, REPORTS[kind], region_reports[kind]))


def test_attacker_wins_on_the_region_without_complementary_suppression(region_reports,
                                                                        monkeypatch):
    monkeypatch.setattr(disclosure_engine, "SECONDARY", False)
    raw = region_reports["transitions"]
    assert len(attack(_export(raw, "transitions"), TRANSITIONS, raw).recovered) > 0


# --- random small hubs ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty_engine(tmp_path_factory):
    eng = db.get_engine(db.sqlite_url(tmp_path_factory.mktemp("attack") / "empty.db"))
    db.upgrade(eng)
    yield eng
    eng.dispose()


STATUSES = ("engaged", "lost", "closed", "pending", "referred", "contacted")


@st.composite
def small_hub(draw):
    """Inputs of the transitions report for 1–3 schools, Year 11 and/or 13, one cohort:
    destination and status counts by category, leavers, and hand-overs to the NCS and to LA
    tracking (small numbers, so that suppression is everywhere)."""
    urns = list(range(900001, 900001 + draw(st.integers(1, 3))))
    years = draw(st.sampled_from([(11,), (13,), (11, 13)]))
    dest, status, people, hand, sust = [], [], [], [], []
    for urn in urns:
        for yg in years:
            n_cat = draw(st.lists(st.integers(0, 9), min_size=len(CATS), max_size=len(CATS)))
            no_record = draw(st.integers(0, 3))
            for cat, k in zip(CATS, n_cat, strict=True):
                if k:
                    dest.append((urn, 2024, yg, 1, cat, k))
                    status.append((urn, 2024, yg, 1, "snapshot", cat, k))
                    sust.append((urn, 2024, yg, cat if cat in ("education", "apprenticeship",
                                                               "employment") else "unknown", k))
            if no_record:
                status.append((urn, 2024, yg, 1, "snapshot", "no_record", no_record))
                sust.append((urn, 2024, yg, "unknown", no_record))
            people.append((urn, 2024, yg, sum(n_cat) + no_record))
            for org in ("ncs", "la_tracking"):
                for _ in range(draw(st.integers(0, 4))):
                    st_ = draw(st.sampled_from(STATUSES))
                    referred = st_ != "pending" or draw(st.booleans())
                    hand.append((urn, 2024, yg, org, st_, pd.Timestamp("2024-06-20"),
                                 pd.Timestamp("2024-07-10") if referred else pd.NaT,
                                 referred and (st_ in ("engaged", "contacted")
                                               or draw(st.booleans())),
                                 draw(st.integers(1, 4))))
    return urns, dest, status, people, hand, sust


def _frames(hub):
    urns, dest, status, people, hand, sust = hub
    k = ["urn", "cohort", "year_group"]
    dest = pd.DataFrame(dest, columns=[*k, "years_after", "category", "leavers"])
    status = pd.DataFrame(status, columns=[*k, "years_after", "point", "category", "leavers"])
    status["measured_on"] = dt.date(2024, 12, 1)
    status["measurement"] = "snapshot on 2024-12-01"
    people = pd.DataFrame(people, columns=[*k, "leavers"])
    hand = pd.DataFrame(hand, columns=[*k, "to_org_type", "status", "left_on", "referred_on",
                                       "contacted", "handovers"])
    sust = pd.DataFrame(sust, columns=[*k, "outcome", "leavers"])
    sust = sust.groupby([*k, "outcome"], as_index=False)["leavers"].sum()
    schools = pd.DataFrame({"urn": urns, "name": [f"S{u}" for u in urns], "kind": "academy",
                            "la_gss": "E06000001", "lsoa_code": "E01000001",
                            "geometry": None})
    return dest, status, people, hand, sust, schools


#: Examples per run (ATTACK_EXAMPLES=500 for a longer search).
EXAMPLES = int(os.environ.get("ATTACK_EXAMPLES", "15"))
#: CI draws the same examples every run, so a submission's result can be reproduced; a
#: developer's run draws new ones (a leak found there is pinned below with @example).
FIXED_DRAW = os.environ.get("CI", "").lower() in ("1", "true")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=FIXED_DRAW, database=None if FIXED_DRAW
          else settings.default.database,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(hub=small_hub())
# Found by this test in a CI run: school 2's Year 13 NEET + not known (0 + 6) was shown while
# its base and the hub's were hidden; as a rate's count is at most its base, school 2's base
# was at least 6, and the hub's 7 gave school 1's single leaver back.
@example(hub=([900001, 900002],
              [(900001, 2024, 13, 1, "apprenticeship", 1),
               (900002, 2024, 11, 1, "apprenticeship", 2),
               (900002, 2024, 11, 1, "training", 1), (900002, 2024, 11, 1, "neet_active", 1),
               (900002, 2024, 13, 1, "not_known", 5)],
              [(900001, 2024, 13, 1, "snapshot", "apprenticeship", 1),
               (900002, 2024, 11, 1, "snapshot", "apprenticeship", 2),
               (900002, 2024, 11, 1, "snapshot", "training", 1),
               (900002, 2024, 11, 1, "snapshot", "neet_active", 1),
               (900002, 2024, 13, 1, "snapshot", "not_known", 5),
               (900002, 2024, 13, 1, "snapshot", "no_record", 1)],
              [(900001, 2024, 11, 0), (900001, 2024, 13, 1), (900002, 2024, 11, 4),
               (900002, 2024, 13, 6)],
              [],
              [(900001, 2024, 13, "apprenticeship", 1), (900002, 2024, 11, "apprenticeship", 2),
               (900002, 2024, 11, "unknown", 1), (900002, 2024, 11, "unknown", 1),
               (900002, 2024, 13, "unknown", 5), (900002, 2024, 13, "unknown", 1)]))
def test_random_small_hubs_leak_nothing(hub, empty_engine, monkeypatch):
    dest, status, people, hand, sust, schools = _frames(hub)
    store = report.store
    for name, frame in {
        "destination_counts": dest, "neet_status_counts": status, "leaver_counts": people,
        # the destination mix counts people at one point: the status counts are its input
        "destination_status_counts": status,
        "handover_dates": hand, "sustained_counts": sust, "schools": schools,
    }.items():
        if hasattr(store, name):
            monkeypatch.setattr(store, name, lambda *a, _f=frame, **k: _f.copy())
    raw = report.build(empty_engine, "transitions", Scope.admin(),
                       report.Options(as_of=dt.date(2025, 3, 1)))
    published = _export(raw, "transitions")
    _assert_safe("random hub", attack(published, TRANSITIONS, raw))


# --- one figure, one value --------------------------------------------------------------------
#
# The same figure in `hubcore report` (export_table), in a page's data (hubcore.display) and
# in the briefing (gather) must be the same value, suppressed alike: a figure hidden in one and
# shown in another is a leak, and two values for one figure is a wrong number.


@pytest.fixture(scope="module")
def products(demo_engine):
    from hubcore.briefing import content

    scope, as_of = Scope.admin(), dt.date(2026, 12, 1)
    opts = report.Options(as_of=as_of)
    return {
        "benchmarks": report.export_table(demo_engine, "benchmarks", scope, opts),
        "transitions": report.export_table(demo_engine, "transitions", scope, opts),
        "briefing": content.gather(demo_engine, scope, as_of=as_of),
    }


def _text(value: object, decimals: int) -> str:
    """A report value as the briefing prints it."""
    number = _num(value)
    if number is None:
        return str(value) if isinstance(value, str) else "–"
    return f"{number:,.{decimals}f}"


def test_hub_bm5_share_is_one_value(products, demo_engine):
    """The hub's share of schools achieving BM5 at its latest assessment: report, page and
    briefing."""
    bench = products["benchmarks"]
    hub = bench[bench["level"].eq("hub")].sort_values("academic_year").iloc[-1]
    in_report = _text(hub["pct_bm5"], 1)
    column = f"{hub['framework']} framework, {hub['academic_year']}"
    table = products["briefing"].benchmarks
    row = next(r for r in table.rows if r[0].startswith("BM5 "))
    assert row[table.columns.index(column)] == in_report
    from hubcore import display

    page = display.profile_benchmarks(demo_engine, Scope.admin())
    shown = page[page["benchmark"].eq("BM5") & page["who"].str.startswith("hub")]["percent"]
    assert {_text(v, 1) for v in shown} == {in_report}


def _funnel_rows(frame: pd.DataFrame) -> dict[tuple, dict[str, str]]:
    out = {}
    for rec in frame.to_dict("records"):
        key = (int(rec["cohort"]), int(rec["year_group"]), str(rec["handed_to"]))
        out[key] = {c: _text(rec[c], 0) for c in ("leavers", "referred")}
    return out


def test_hub_funnel_figures_are_one_value(products, demo_engine):
    """Leavers and referrals per cohort, year group and receiving organisation: report's hub
    rows, the transitions page's funnel and the briefing's funnel table."""
    tr_ = products["transitions"]
    in_report = _funnel_rows(tr_[tr_["section"].eq("funnel_hub")])
    table = products["briefing"].funnel
    labels = {"National Careers Service": "ncs", "LA tracking": "la_tracking"}
    col = {name: i for i, name in enumerate(table.columns)}
    in_briefing = {
        (int(r[col["Cohort"]]), int(r[col["Year"]]), labels[r[col["Handed over to"]]]):
            {"leavers": r[col["Leavers"]], "referred": r[col["Referred"]]}
        for r in table.rows
    }
    assert in_briefing == {k: v for k, v in in_report.items() if k in in_briefing}
    assert in_briefing


def test_hub_funnel_figures_are_one_value_on_the_page(products, demo_engine):
    from hubcore import display

    tr_ = products["transitions"]
    in_report = _funnel_rows(tr_[tr_["section"].eq("funnel_hub")])
    page = _funnel_rows(display.transitions_funnel(demo_engine, Scope.admin()))
    assert page == in_report


def test_hub_neet_rate_is_one_value(products, demo_engine):
    """NEET + not known per cohort and year group for the hub: report, page and briefing."""
    tr_ = products["transitions"]
    hub = tr_[tr_["section"].eq("neet_hub")]
    in_report = {(int(r["cohort"]), int(r["year_group"])): _text(r["neet_nk_pct"], 1)
                 for r in hub.to_dict("records")}
    table = products["briefing"].neet
    col = {name: i for i, name in enumerate(table.columns)}
    in_briefing = {(int(r[col["Cohort"]]), int(r[col["Year"]])): r[col["NEET + NK %"]]
                   for r in table.rows}
    assert in_briefing == in_report
    from hubcore import display

    page = display.transitions_neet(demo_engine, Scope.admin())
    page = page[page["who"].eq("this hub")]
    in_page = {(int(r["cohort"]), int(r["year_group"])): _text(r["neet_nk_pct"], 1)
               for r in page.to_dict("records")}
    assert in_page == in_report
