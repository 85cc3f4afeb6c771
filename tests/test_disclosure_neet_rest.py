"""One rule for a NEET rate beside its base, in the report, the page and the briefing.

A hand-made hub of one school whose 8 Year 11 leavers of 2023 are 5 NEET (code 620), 2 not
known (810) and 1 in education (210), each with one record in October 2023, so every
December–February point counts the same people: denominator 8 (no custody), NEET 5,
not known 2, NEET + not known 7 (87.5 %), and 1 neither. The 5 and the 2 are under 6, so the
NEET and not-known rates are ``c`` on their own counts. The combined 87.5 % rests on 7, which
is not small, but beside the base 8 it says that 8 − 7 = 1 leaver is neither NEET nor not
known: a cell of one learner (DOMAIN.md §7, "any cell that would allow re-identification").
So the combined rate, and the difference from England taken from it, are ``c`` too, while the
base 8 stays shown (it is the base of every rate, the last cell hidden), in the report's school,
LA and hub rows, on the transitions page and in the briefing's NEET table alike.

A second group, Year 13 of 2023 (6 in education, 6 NEET: 6 of 12 are neither), has nothing
small and shows its rates: NEET 50.0 % of 12. A third, Year 11 of 2022 (3 NEET, 4 not known,
43 in education), hides the 3 and the 4 but shows their sum, 7 of 50 = 14.0 %: neither count
can be told from it (each is at least 1), and 43 neither is not small. The page and the
briefing show that 14.0 % too (protecting the report's rows again would read each ``c`` as 1,
pin both, and hide it: one figure with two values).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import insert

from hubcore import codes, display, models, rollups
from hubcore.access import Scope
from hubcore.metrics import report
from tests.test_disclosure_attack import TRANSITIONS, attack

C = "c"
URN = 100009
HUB = Scope.admin("H9")
AS_OF = dt.date(2026, 11, 1)


def _key(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


@pytest.fixture
def hub_of_eight(engine):
    with engine.begin() as conn:
        conn.execute(insert(models.Hub.__table__), [{"id": "H9", "name": "Hub of eight"}])
        conn.execute(insert(models.School.__table__), [{
            "urn": URN, "name": "Gamma School", "la_code": 800, "type_code": 1,
            "phase_code": 4, "kind": "mainstream_11_18", "pupils": 900,
            "la_gss": "E06000001", "lad_gss": "E06000001", "easting": 400000,
            "northing": 300000}])
        conn.execute(insert(models.HubMembership.__table__), [
            {"hub_id": "H9", "urn": URN, "start_date": dt.date(2020, 9, 1)}])
        leavers, records = [], []
        groups = {(2023, 11): {620: 5, 810: 2, 210: 1}, (2023, 13): {210: 6, 620: 6},
                  (2022, 11): {620: 3, 810: 4, 210: 43}}
        for (cohort, year_group), destinations in groups.items():
            n = 0
            for code, count in destinations.items():
                for _ in range(count):
                    key = _key(f"g{cohort}-{year_group}-{n}")
                    n += 1
                    leavers.append({"key": key, "urn": URN, "cohort": cohort,
                                    "year_group": year_group, "left_on": dt.date(cohort, 6, 30),
                                    "home_lsoa": "E01000001"})
                    records.append({"leaver_key": key, "recorded_on": dt.date(cohort, 10, 15),
                                    "kind": "actual", "nccis_code": code,
                                    "category": codes.NCCIS_CATEGORY[code]})
        conn.execute(insert(models.Leaver.__table__), leavers)
        conn.execute(insert(models.DestinationRecord.__table__), records)
        rollups.refresh(conn)
    return engine


def _rows(frame, **where):
    for column, value in where.items():
        frame = frame[frame[column].astype(object) == value]
    return frame


def test_report_hides_the_rate_that_gives_back_the_one_leaver_neither(hub_of_eight):
    table = report.export_table(hub_of_eight, "transitions", HUB,
                                report.Options(as_of=AS_OF))
    for section in ("neet_school", "neet_la", "neet_hub"):
        y11 = _rows(table, section=section, cohort=2023, year_group=11)
        assert len(y11) == 1, section
        row = y11.iloc[0]
        assert row["denominator"] == 8, section
        assert (row["neet"], row["not_known"]) == (C, C), section
        assert (row["neet_pct"], row["not_known_pct"], row["neet_nk_pct"]) == (C, C, C), section
        assert row["vs_england_neet_nk"] == C, section
        assert "_rest" not in table.columns
        # 6 neither NEET nor not known of 12: nothing small, the rates are shown
        y13 = _rows(table, section=section, cohort=2023, year_group=13).iloc[0]
        assert (y13["denominator"], y13["neet"], y13["neet_pct"]) == (12, 6, 50.0), section
        y22 = _rows(table, section=section, cohort=2022, year_group=11).iloc[0]
        assert (y22["denominator"], y22["neet"], y22["not_known"]) == (50, C, C), section
        assert y22["neet_nk_pct"] == 14.0, section
    # the attacker, who reads the table and not the rules, finds no group of 1–5 either
    result = attack(table, TRANSITIONS)
    assert not result.primary_leaks and not result.recovered, result


def test_page_and_briefing_hide_the_same_cells_as_the_report(hub_of_eight):
    page = display.transitions_neet(hub_of_eight, HUB)
    hub_rows = _rows(page, who="this hub")
    y11 = _rows(hub_rows, cohort=2023, year_group=11).iloc[0]
    assert (y11["denominator"], y11["neet_nk_pct"]) == (8, C)
    y13 = _rows(hub_rows, cohort=2023, year_group=13).iloc[0]
    assert (y13["denominator"], y13["neet_nk_pct"]) == (12, 50.0)
    y22 = _rows(hub_rows, cohort=2022, year_group=11).iloc[0]
    assert (y22["denominator"], y22["neet_nk_pct"]) == (50, 14.0)

    brief = display.briefing_neet(hub_of_eight, HUB, AS_OF)
    y11 = _rows(brief, cohort=2023, year_group=11).iloc[0]
    assert y11["denominator"] == 8
    assert (y11["neet_pct"], y11["not_known_pct"], y11["neet_nk_pct"]) == (C, C, C)
    y13 = _rows(brief, cohort=2023, year_group=13).iloc[0]
    assert (y13["denominator"], y13["neet_pct"]) == (12, 50.0)
    y22 = _rows(brief, cohort=2022, year_group=11).iloc[0]
    assert (y22["denominator"], y22["neet_pct"], y22["neet_nk_pct"]) == (50, C, 14.0)


def test_spec_derived_rest_is_a_hidden_count_and_not_published():
    """The rule on a bare frame: 7 NEET, 0 not known of 8 (1 neither) hides the NEET count and
    both rates resting on it (0 not known stays 0); 6 of 12 (6 neither) shows everything."""
    import pandas as pd

    from hubcore import disclosure
    from hubcore.disclosure import rules

    frame = pd.DataFrame({"section": ["neet_hub", "neet_hub"], "cohort": [2023, 2024],
                          "year_group": [11, 11], "cohort_leavers": [8, 12],
                          "custody": [0, 0], "denominator": [8, 12], "neet": [7, 6],
                          "not_known": [0, 0], "neet_pct": [87.5, 50.0],
                          "not_known_pct": [0.0, 0.0], "neet_nk_pct": [87.5, 50.0]})
    out = disclosure.apply_spec(frame, rules.SPECS["transitions"])
    assert list(out.columns) == list(frame.columns)  # the helper count is not published
    assert out.loc[0, ["denominator", "neet", "not_known"]].tolist() == [8, C, 0]
    assert out.loc[0, ["neet_pct", "neet_nk_pct"]].tolist() == [C, C]
    assert out.loc[1, ["neet", "neet_pct", "neet_nk_pct"]].tolist() == [6, 50.0, 50.0]
