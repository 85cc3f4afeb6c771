"""Property-based tests of the row validators: valid rows are accepted, and any single
out-of-range or malformed value is rejected with its column named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubcore import codes
from hubcore.ingest.reader import Table
from hubcore.ingest.spec import COMPASS, ENCOUNTERS, parse_columns
from hubcore.ingest.validate import Checker

TODAY = dt.date(2026, 6, 30)
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def check(rows: list[dict], spec) -> Checker:
    frame = pd.DataFrame(rows).astype(str)
    checker = Checker(Table(frame=frame, first_row=2, encoding="utf-8", path=Path("x.csv")),
                      today=TODAY)
    parse_columns(checker, spec)
    return checker


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=TODAY)


@st.composite
def encounter(draw) -> dict:
    year_from = draw(st.integers(7, 14))
    return {
        "urn": draw(st.integers(100000, 999999)),
        "date": draw(dates).isoformat(),
        "kind": draw(st.sampled_from(codes.ENCOUNTER_KINDS)),
        "benchmark": draw(st.integers(1, 8)),
        "year_from": year_from,
        "year_to": draw(st.integers(year_from, 14)),
        "participants": draw(st.integers(0, 100_000)),
        "mode": draw(st.sampled_from(codes.ENCOUNTER_MODES + ("", "VIRTUAL"))),
        "provider_access": draw(st.sampled_from(["yes", "no", "", "TRUE", "0"])),
        "duration_days": draw(st.one_of(st.just(""), st.floats(0, 365).map(str))),
    }


@SETTINGS
@given(st.lists(encounter(), min_size=1, max_size=20))
def test_valid_encounters_are_accepted(rows):
    checker = check(rows, ENCOUNTERS)
    assert not checker.bad.any(), checker.rejects().to_dict("records")


BAD_VALUES = {
    "urn": st.one_of(st.integers(max_value=99999), st.integers(min_value=1_000_000),
                     st.just("12a456")),
    "benchmark": st.one_of(st.integers(max_value=0), st.integers(min_value=9),
                           st.just("5.5")),
    "year_from": st.one_of(st.integers(max_value=6), st.integers(min_value=15)),
    "participants": st.one_of(st.integers(max_value=-1), st.just("lots")),
    "date": st.one_of(
        st.dates(min_value=TODAY + dt.timedelta(days=1)).map(dt.date.isoformat),
        st.just("31/02/2025"), st.just("yesterday"),
        st.dates(max_value=dt.date(1999, 12, 31)).map(dt.date.isoformat),
    ),
    "kind": st.text(alphabet="xyzq_", min_size=1, max_size=12),
    "duration_days": st.one_of(st.floats(max_value=-0.01, allow_nan=False,
                                         allow_infinity=False), st.floats(min_value=366)),
}


@SETTINGS
@given(encounter(), st.sampled_from(sorted(BAD_VALUES)), st.data())
def test_one_bad_value_is_rejected_with_its_column(row, column, data):
    bad = data.draw(BAD_VALUES[column])
    row = {**row, column: bad}
    checker = check([row], ENCOUNTERS)
    assert checker.bad.tolist() == [True]
    rejects = checker.rejects()
    assert column in set(rejects["column"]), rejects.to_dict("records")
    assert (rejects["row"] == 2).all()


@SETTINGS
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=8, max_size=8),
       st.integers(1, 8), st.one_of(st.floats(100.001, 1e6), st.floats(-1e6, -0.001)))
def test_compass_percent_outside_0_100_names_the_benchmark(percents, benchmark, bad):
    row = {"urn": 108055, "assessed_on": "2025-03-31",
           **{f"bm{n}": p for n, p in zip(range(1, 9), percents, strict=True)}}
    assert not check([row], COMPASS).bad.any()
    row[f"bm{benchmark}"] = bad
    checker = check([row], COMPASS)
    assert checker.rejects()["column"].tolist() == [f"bm{benchmark}"]
