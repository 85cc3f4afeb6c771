"""The attacker of ``tests/test_disclosure_attack.py`` against the issue 15 reports:
``hubcore report guarantee``, ``chase`` and ``trajectory``.

What the attacker knows is written here from what each column means (the code computing it,
``hubcore.metrics.guarantee`` / ``chase`` / ``trajectory``), not from the reports' ``SPEC``s:

- guarantee: ``leavers`` = ``offer_made`` + ``no_offer`` + ``not_known`` (people); each
  percentage is its status over ``leavers``; school rows add up to the hub row of the same
  cohort and year group;
- chase: the four states add up to ``leavers``; ``chase_school`` = the people missing a
  destination + the others with a hand-over the school has not referred, and there are at
  most ``handovers_not_referred`` of those; ``chase_la`` (Year 11–12) and ``chase_ncs`` (Year
  13+) = not known + stale + the others with a hand-over to that service nobody contacted;
  those others and the people the *other* service has to contact are at most
  ``handovers_no_contact``; school rows add up to the hub's per year group;
- trajectory: shares of schools and benchmark scores, no count of people.

Each table is attacked on small hand-made hubs built to be awkward and on the demo hub; a
recovery counts only when it is the true value (``raw``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from hubcore import codes, disclosure
from hubcore.access import Scope
from hubcore.disclosure import engine as disclosure_engine
from hubcore.metrics import chase as ch
from hubcore.metrics import guarantee as g
from hubcore.metrics import trajectory as tr
from tests.test_disclosure_attack import Knowledge, Sum, _assert_safe, attack

# --- what the attacker knows -------------------------------------------------------------------

G_COUNTS = ("leavers", "offer_made", "no_offer", "not_known")
GUARANTEE = Knowledge(
    counts=G_COUNTS,
    pcts={"pct_offer_made_of_leavers": ("offer_made", "leavers"),
          "pct_no_offer_of_leavers": ("no_offer", "leavers"),
          "pct_not_known_of_leavers": ("not_known", "leavers")},
    sums=(
        Sum("leavers", ("offer_made", "no_offer", "not_known")),
        *(Sum(c, (c,), "hub", "school", ("cohort", "year_group")) for c in G_COUNTS),
    ),
    rows_by="level",
)

C_STATES = ("current_record", "not_known", "stale", "missing")
C_COUNTS = ("leavers", *C_STATES, "handovers_not_referred", "handovers_no_contact",
            "chase_school", "chase_la", "chase_ncs")
#: People chased by the school only for an unreferred hand-over (not missing); by LA tracking
#: or the NCS only for an uncontacted hand-over (not not-known or stale).
HAND_ONLY = ("_school_hand", "_la_hand", "_ncs_hand")
_LA_YEARS = ("Year 11", "Year 12")  # LA tracking chases their activity (DOMAIN.md §4.1)
_NCS_YEARS = ("Year 13", "Year 14")  # the NCS does


def _in(years: tuple[str, ...], *sums: Sum) -> tuple[Sum, ...]:
    return tuple(Sum(s.total, s.parts, s.rows, s.part_rows, s.keys, s.extra,
                     (("year_group", y),), s.le) for y in years for s in sums)


CHASE = Knowledge(
    counts=C_COUNTS,
    pcts={"pct_current_of_leavers": ("current_record", "leavers"),
          "pct_not_known_of_leavers": ("not_known", "leavers"),
          "pct_stale_of_leavers": ("stale", "leavers"),
          "pct_missing_of_leavers": ("missing", "leavers")},
    sums=(
        Sum("leavers", C_STATES),
        Sum("chase_school", ("missing", "_school_hand")),
        # one person may have several hand-overs, so people ≤ hand-overs
        Sum("handovers_not_referred", ("_school_hand",), le=True),
        *_in(_LA_YEARS,
             Sum("chase_la", ("not_known", "stale", "_la_hand")),
             Sum("handovers_no_contact", ("_la_hand", "chase_ncs"), le=True)),
        *_in(_NCS_YEARS,
             Sum("chase_ncs", ("not_known", "stale", "_ncs_hand")),
             Sum("handovers_no_contact", ("_ncs_hand", "chase_la"), le=True)),
        *(Sum(c, (c,), "hub", "school", ("year_group",)) for c in (*C_COUNTS, *HAND_ONLY)),
    ),
    rows_by="level",
    unknowns=HAND_ONLY,
)


# --- hand-made hubs ----------------------------------------------------------------------------

G_AS_OF = dt.date(2025, 12, 1)  # after the 2025 deadline
#: A record that gives each guarantee status (None: no record, so not known).
G_RECORD = {"offer": 230, "no_offer": 330, "not_known": None}


def _key(*parts: object) -> str:
    return "-".join(str(p) for p in parts).ljust(20, "x")


def _guarantee_raw(cells: dict[tuple[int, int], dict[str, int]], urns: list[int]
                   ) -> pd.DataFrame:
    """The unprotected guarantee table of schools ``urns`` whose (urn, year group) have the
    given number of leavers per status (cohort 2025)."""
    leavers, records = [], []
    for (urn, yg), counts in cells.items():
        for status, n in counts.items():
            for k in range(n):
                key = _key(urn, yg, status, k)
                leavers.append({"key": key, "urn": urn, "cohort": 2025, "year_group": yg,
                                "left_on": dt.date(2025, 7, 18)})
                if G_RECORD[status] is not None:
                    records.append({"leaver_key": key, "recorded_on": dt.date(2025, 9, 1),
                                    "kind": "actual", "nccis_code": G_RECORD[status],
                                    "category": codes.NCCIS_CATEGORY[G_RECORD[status]]})
    cols = ["leaver_key", "recorded_on", "kind", "nccis_code", "category"]
    people = g.person_status(pd.DataFrame(leavers), pd.DataFrame(records, columns=cols),
                             G_AS_OF)
    schools = pd.DataFrame({"urn": urns, "name": [f"School {u}" for u in urns]})
    return g.guarantee_table(people, schools, G_AS_OF)


C_AS_OF = dt.date(2026, 3, 1)
#: A record that gives each chase state on C_AS_OF (None: no record, so missing): FE to
#: 31 Aug 2026 is current; 810 is not known; NEET from 1 Oct 2025 lapsed after 92 days.
C_RECORD = {"current": 230, "not_known": 810, "stale": 619, "missing": None}


def _chase_raw(cells: dict[tuple[int, int], dict[str, int]], urns: list[int],
               hands: list[tuple[int, int, str, int, str, str]] = ()) -> pd.DataFrame:
    """The unprotected chase table: leavers of summer 2025 per (urn, year group) and state;
    ``hands``: (urn, year group, state, person number, handed to, "not_referred" or
    "no_contact"), a hand-over of that person."""
    leavers, records = [], []
    for (urn, yg), counts in cells.items():
        for state, n in counts.items():
            for k in range(n):
                key = _key(urn, yg, state, k)
                leavers.append({"key": key, "urn": urn, "cohort": 2025, "year_group": yg,
                                "left_on": dt.date(2025, 7, 18)})
                if C_RECORD[state] is not None:
                    records.append({"leaver_key": key, "recorded_on": dt.date(2025, 10, 1),
                                    "kind": "actual", "nccis_code": C_RECORD[state],
                                    "category": codes.NCCIS_CATEGORY[C_RECORD[state]]})
    handovers = pd.DataFrame([
        {"leaver_key": _key(urn, yg, state, k), "from_urn": urn, "to_org_type": to,
         "status": "pending" if issue == "not_referred" else "referred",
         "left_on": dt.date(2025, 7, 18),
         "referred_on": None if issue == "not_referred" else dt.date(2025, 9, 1),
         "contacted_on": None, "year_group": yg}
        for urn, yg, state, k, to, issue in hands
    ], columns=["leaver_key", "from_urn", "to_org_type", "status", "left_on", "referred_on",
                "contacted_on", "year_group"])  # fmt: skip
    cols = ["leaver_key", "recorded_on", "kind", "nccis_code", "category"]
    schools = pd.DataFrame({"urn": urns, "name": [f"School {u}" for u in urns]})
    return ch.chase_table(pd.DataFrame(leavers), pd.DataFrame(records, columns=cols),
                          handovers, schools, C_AS_OF)


A, B, C_ = 900001, 900002, 900003

GUARANTEE_HUBS = {
    # one school: the hub row equals the school row
    "single school, 3 not known": ({(A, 11): {"offer": 10, "no_offer": 6, "not_known": 3}},
                                   [A]),
    # a school with no leavers beside one with a small cell in each status
    "zero leavers beside small cells": ({(A, 11): {"offer": 2, "no_offer": 1, "not_known": 9}},
                                        [A, B]),
    "two schools, one small cell each": ({(A, 11): {"offer": 12, "no_offer": 7, "not_known": 1},
                                          (B, 11): {"offer": 8, "no_offer": 6, "not_known": 0},
                                          (A, 12): {"offer": 6, "not_known": 4}},
                                         [A, B]),
    # the hub row shows every status, so the hub minus school B is school A
    "hub minus a school": ({(A, 11): {"offer": 10, "no_offer": 6, "not_known": 3},
                            (B, 11): {"offer": 10, "no_offer": 10, "not_known": 10}}, [A, B]),
    "three schools, one all-small": ({(A, 11): {"offer": 1, "no_offer": 1, "not_known": 1},
                                      (B, 11): {"offer": 20, "no_offer": 6},
                                      (C_, 11): {"offer": 7, "not_known": 6}},
                                     [A, B, C_]),
}

CHASE_HUBS = {
    # chase_school gives back the missing count that complements the hidden not known
    "missing shown through chase_school": (
        {(A, 11): {"current": 10, "not_known": 3, "missing": 6}}, [A], []),
    # chase_la = not known + stale for Year 11, the NCS's for Year 13
    "chase_la gives the states back": (
        {(A, 11): {"current": 9, "not_known": 4, "stale": 2, "missing": 7},
         (A, 13): {"current": 8, "not_known": 2, "stale": 7}}, [A], []),
    "hand-overs beside states": (
        {(A, 11): {"current": 12, "not_known": 6, "missing": 2},
         (B, 11): {"current": 6, "stale": 8},
         (A, 13): {"current": 7, "missing": 1}},
        [A, B, C_],
        [(A, 11, "missing", 0, "ncs", "not_referred"),
         (A, 11, "current", 0, "ncs", "not_referred"),
         (A, 11, "current", 1, "la_tracking", "no_contact"),
         (B, 11, "stale", 0, "ncs", "no_contact"),
         (A, 13, "current", 0, "ncs", "no_contact")]),
    # 8 chased by the school, 6 of them missing: 2 only for a hand-over; 7 for LA tracking,
    # 6 of them not known: 1 only for a hand-over
    "groups chased only for a hand-over": (
        {(A, 11): {"current": 10, "not_known": 6, "missing": 6},
         (B, 11): {"current": 9, "not_known": 7, "missing": 8}},
        [A, B],
        [(A, 11, "current", 0, "ncs", "not_referred"),
         (A, 11, "current", 1, "la_tracking", "not_referred"),
         (A, 11, "current", 2, "la_tracking", "no_contact")]),
    "one school all small, zero leavers elsewhere": (
        {(A, 11): {"current": 1, "not_known": 2, "stale": 1, "missing": 1}}, [A, B], []),
}


#: The chase SPEC as first written (states add up, school rows to the hub's), for mutation runs.
_OLD_CHASE_SPEC = replace(ch.SPEC, counts=C_COUNTS, relations=(
    disclosure.Relation("leavers", C_STATES),
    *(disclosure.Relation(c, (c,), rows="hub", part_rows="school", keys=("year_group",))
      for c in C_COUNTS)))


def _protect_guarantee(raw: pd.DataFrame) -> pd.DataFrame:
    """What ``guarantee.table_for_scope`` publishes for ``raw``."""
    return disclosure.apply_spec(raw, g.SPEC)


@pytest.mark.parametrize("name", GUARANTEE_HUBS)
def test_guarantee_hand_made_hubs_leak_nothing(name):
    raw = _guarantee_raw(*GUARANTEE_HUBS[name])
    result = attack(_protect_guarantee(raw), GUARANTEE, raw)
    _assert_safe(f"guarantee, {name}", result)
    assert result.suppressed > 0  # the data are awkward: there is something to attack


@pytest.mark.parametrize("name", CHASE_HUBS)
def test_chase_hand_made_hubs_leak_nothing(name):
    raw = _chase_raw(*CHASE_HUBS[name])
    result = attack(ch.protect(raw), CHASE, raw)
    _assert_safe(f"chase, {name}", result)
    assert result.suppressed > 0


def _hand_only_groups_shown(published: pd.DataFrame) -> list:
    """Groups of people a reader gets by subtraction from shown cells of one row: the people
    chased only for a hand-over (``chase_school`` − missing; ``chase_la`` − not known − stale
    in Year 11–12, ``chase_ncs`` − not known − stale in Year 13+), 1–5 is a leak."""
    years = published["year_group"].astype(str)
    leaks = attack(published, Knowledge(rests=(("chase_school", ("missing",)),))).primary_leaks
    for chaser, group in (("chase_la", _LA_YEARS), ("chase_ncs", _NCS_YEARS)):
        rows = published[years.isin(group)]
        know = Knowledge(rests=((chaser, ("not_known", "stale")),))
        leaks += attack(rows, know).primary_leaks if len(rows) else []
    return leaks


@pytest.mark.parametrize("name", CHASE_HUBS)
def test_chase_hand_made_hubs_show_no_small_group_by_subtraction(name):
    assert not _hand_only_groups_shown(ch.protect(_chase_raw(*CHASE_HUBS[name])))


def test_small_groups_by_subtraction_are_found_in_the_raw_table():
    """The check above can fail: on the unprotected table it finds the 2 people chased by
    school A for a hand-over only and the 1 LA tracking has to contact."""
    raw = _chase_raw(*CHASE_HUBS["groups chased only for a hand-over"])
    got = sorted((name, v) for _, name, v in _hand_only_groups_shown(raw.astype(object)))
    assert got == [("chase_la - not_known - stale", 1.0), ("chase_la - not_known - stale", 1.0),
                   ("chase_school - missing", 2.0), ("chase_school - missing", 2.0)]


def test_small_groups_by_subtraction_are_shown_without_the_hand_over_relations(monkeypatch):
    monkeypatch.setattr(ch, "SPEC", _OLD_CHASE_SPEC)
    raw = _chase_raw(*CHASE_HUBS["groups chased only for a hand-over"])
    assert _hand_only_groups_shown(ch.protect(raw))


def test_chase_knowledge_holds_on_the_hand_made_hubs():
    """The attacker's relations are true of the unprotected tables (else they would blind it
    or, with ``raw``, make it miss recoveries): no contradiction on the raw tables."""
    for name, hub in CHASE_HUBS.items():
        raw = _chase_raw(*hub)
        result = attack(raw.astype(object), CHASE, raw)  # nothing hidden: nothing to recover
        assert result.suppressed == 0, name


def test_attacker_wins_on_the_chase_without_the_hand_over_relations(monkeypatch):
    """The chase SPEC before this test (states add up, school rows to the hub's; nothing tying
    chase_school to missing): chase_school = 6 with no hand-over gives the hidden missing
    complement (6) back, then not known = 19 − 10 − 6 = 3."""
    monkeypatch.setattr(ch, "SPEC", _OLD_CHASE_SPEC)
    raw = _chase_raw(*CHASE_HUBS["missing shown through chase_school"])
    got = {(name, value) for _, name, value in attack(ch.protect(raw), CHASE, raw).recovered}
    assert ("missing", 6.0) in got and ("not_known", 3.0) in got


def test_attacker_wins_on_the_guarantee_without_complementary_suppression(monkeypatch):
    monkeypatch.setattr(disclosure_engine, "SECONDARY", False)
    raw = _guarantee_raw(*GUARANTEE_HUBS["single school, 3 not known"])
    got = attack(_protect_guarantee(raw), GUARANTEE, raw).recovered
    # 19 leavers − 10 − 6 = 3 not known, in the school row and in the hub row
    assert sorted((n, v) for _, n, v in got) == [("not_known", 3.0), ("not_known", 3.0)]


def test_attacker_wins_on_the_guarantee_without_the_hub_rollup(monkeypatch):
    """Without school rows adding up to the hub's, the hub's 16 no offer − school B's 10 give
    school A's hidden complement (6) back, then A's not known: 19 − 10 − 6 = 3."""
    monkeypatch.setattr(g, "SPEC", replace(g.SPEC, relations=g.SPEC.relations[:1]))
    raw = _guarantee_raw(*GUARANTEE_HUBS["hub minus a school"])
    got = {(n, v) for _, n, v in attack(_protect_guarantee(raw), GUARANTEE, raw).recovered}
    assert got == {("no_offer", 6.0), ("not_known", 3.0)}


# --- the demo hub ------------------------------------------------------------------------------


def test_guarantee_on_the_demo_leaks_nothing(demo_engine):
    schools = pd.DataFrame(
        g.store.schools(demo_engine, Scope.admin()).drop(columns="geometry"))
    for as_of in (dt.date(2026, 9, 15), dt.date(2026, 12, 1)):
        people = g.people_for_scope(demo_engine, Scope.admin(), as_of)
        raw = g.guarantee_table(people, schools, as_of)
        published = g.table_for_scope(demo_engine, Scope.admin(), as_of)
        pd.testing.assert_frame_equal(published, _protect_guarantee(raw))
        _assert_safe(f"demo guarantee {as_of}", attack(published, GUARANTEE, raw))


def test_chase_on_the_demo_leaks_nothing(demo_engine):
    scope = Scope.admin()
    leavers, records = g.read_people(demo_engine, scope)
    handovers = ch._read_handovers(demo_engine, scope)
    schools = pd.DataFrame(g.store.schools(demo_engine, scope).drop(columns="geometry"))
    for as_of in (dt.date(2026, 3, 1), dt.date(2026, 12, 1)):
        raw = ch.chase_table(leavers, records, handovers, schools, as_of)
        published = ch.table_for_scope(demo_engine, scope, as_of)
        pd.testing.assert_frame_equal(published, ch.protect(raw))
        result = attack(published, CHASE, raw)
        _assert_safe(f"demo chase {as_of}", result)
        assert not _hand_only_groups_shown(published)
        assert result.suppressed > 0


def test_attacker_wins_on_the_demo_chase_without_the_hand_over_relations(demo_engine,
                                                                          monkeypatch):
    """The demo on 1 Dec 2026, under the chase SPEC without the relations tying the chase
    columns to the states: hidden uncontacted hand-overs come back (e.g. school 900003's
    Year 11 shows ``chase_la`` 11 beside 10 not known and no stale, so one person is LA
    tracking's only for a hand-over: its hidden uncontacted hand-overs are at least 1, and
    with the hub row exactly 1)."""
    monkeypatch.setattr(ch, "SPEC", _OLD_CHASE_SPEC)
    scope, as_of = Scope.admin(), dt.date(2026, 12, 1)
    leavers, records = g.read_people(demo_engine, scope)
    schools = pd.DataFrame(g.store.schools(demo_engine, scope).drop(columns="geometry"))
    raw = ch.chase_table(leavers, records, ch._read_handovers(demo_engine, scope), schools,
                         as_of)
    assert attack(ch.protect(raw), CHASE, raw).recovered


# --- trajectory: no count of people -------------------------------------------------------------

#: Trajectory columns and what they are: none counts people (schools, assessments, benchmarks,
#: scores, dates, words). A new column must be placed here, so a count of people cannot slip in
#: unprotected.
TRAJECTORY_COLUMNS = {
    "schools": "schools", "projected": "schools", "projected_achieving": "schools",
    "not_enough_history": "schools", "schools_short": "schools",
    "pct_projected_achieving": "share of schools", "target_pct": "share of schools",
    "meets_target": "flag", "will_miss": "school names", "assessments": "assessments",
    "benchmarks_short": "benchmarks", "held_back_by": "words", "latest_pct": "score",
    "slope_pp_per_year": "score", "projected_pct": "score", "projected_achieved": "flag",
    "trend": "words", "method": "words", "framework": "words", "snapshot": "date",
    "first_on": "date", "latest_on": "date", "level": "row", "urn": "school",
    "name": "school", "benchmark": "benchmark",
}


def test_trajectory_has_no_count_of_people(demo_engine):
    scope = Scope.admin()
    table = tr.table_for_scope(demo_engine, scope, dt.date(2026, 12, 1))
    unknown = set(table.columns) - set(TRAJECTORY_COLUMNS)
    assert not unknown, f"trajectory columns not classified (people?): {sorted(unknown)}"
    assert not tr.SPEC.counts  # nothing to suppress, since nothing counts people
    assert (table["level"] == "hub").sum() == 8  # the table is built, not empty


# --- random small hubs --------------------------------------------------------------------------


def _random_chase_hub(seed: int):
    """1–3 schools, Year 11 and/or 13 (and 12), 0–8 leavers per state, and 0–2 open hand-overs
    per person class, to the NCS or LA tracking (small numbers: suppression everywhere)."""
    rng = np.random.default_rng(seed)
    urns = [A, B, C_][: int(rng.integers(1, 4))]
    years = [(11,), (13,), (11, 13), (11, 12, 13)][int(rng.integers(0, 4))]
    cells, hands = {}, []
    for urn in urns:
        for yg in years:
            counts = {s: int(rng.integers(0, 9)) for s in C_RECORD}
            cells[(urn, yg)] = counts
            for state, n in counts.items():
                for k in range(min(n, int(rng.integers(0, 3)))):
                    to = ("ncs", "la_tracking")[int(rng.integers(0, 2))]
                    issue = ("not_referred", "no_contact")[int(rng.integers(0, 2))]
                    hands.append((urn, yg, state, k, to, issue))
    return cells, urns, hands


def _random_guarantee_hub(seed: int):
    rng = np.random.default_rng(seed)
    urns = [A, B, C_][: int(rng.integers(1, 4))]
    years = [(11,), (11, 12)][int(rng.integers(0, 2))]
    cells = {(u, y): {s: int(rng.integers(0, 9)) for s in G_RECORD} for u in urns
             for y in years}
    return cells, urns


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_small_chase_hubs_leak_nothing(seed):
    raw = _chase_raw(*_random_chase_hub(seed))
    published = ch.protect(raw)
    _assert_safe(f"chase seed {seed}", attack(published, CHASE, raw))
    assert not _hand_only_groups_shown(published)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_small_guarantee_hubs_leak_nothing(seed):
    raw = _guarantee_raw(*_random_guarantee_hub(seed))
    _assert_safe(f"guarantee seed {seed}", attack(_protect_guarantee(raw), GUARANTEE, raw))


def test_attacker_wins_on_random_chase_hubs_without_the_hand_over_relations(monkeypatch):
    monkeypatch.setattr(ch, "SPEC", _OLD_CHASE_SPEC)
    won = 0
    for seed in SEEDS:
        raw = _chase_raw(*_random_chase_hub(seed))
        won += bool(attack(ch.protect(raw), CHASE, raw).recovered)
    assert won > 0
