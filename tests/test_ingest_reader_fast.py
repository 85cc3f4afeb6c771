"""The fast (pyarrow) CSV path of the reader must read every file exactly as the careful pandas
path does, or step aside for it; and the vectorised validators must agree with plain Python
rules on awkward values."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hubcore.errors import HubcoreError
from hubcore.ingest import reader
from hubcore.ingest.reader import read_table
from hubcore.ingest.spec import SPECS, parse_columns
from hubcore.ingest.validate import Checker

KNOWN = ["urn", "date", "kind", "participants", "employer_ref"]

CASES = {
    "plain": "urn,date,kind\n108055,2025-03-14,talk\n108076,2025-03-15,mentoring\n",
    "bom_crlf": "\ufeffurn,date,kind\r\n108055,2025-03-14,talk\r\n",
    "comments": "# urn: school URN\n# date: when\n\nurn,date,kind\n1,2,3\n",
    "title_rows": "Encounter log 2025\nExported today\nurn,date,kind\n1,2025-01-01,talk\n",
    "semicolons": "urn;date;kind\n1;2025-01-01;talk\n2;2025-01-02;talk\n",
    "tabs": "urn\tdate\tkind\n1\t2025-01-01\ttalk\n",
    "quoted": 'urn,kind,employer_ref\n1,"talk","a, b"\n2,"x ""y""",z\n',
    "newline_in_quotes": 'urn,kind\n1,"two\nlines"\n2,plain\n',
    "trailing_spaces": "urn,kind\n1 ,talk \n2,talk\n",
    "quoted_spaces": 'urn,kind\n1," talk"\n2,"talk "\n',
    "leading_spaces": "urn, kind\n1, talk\n2,  mentoring\n",
    "nbsp": "urn,kind\n1,talk\u00a0\n",
    "blank_lines": "urn,kind\n1,talk\n\n2,talk\n\n",
    "empty_cells": "urn,kind,employer_ref\n1,,\n,,x\n",
    "short_row": "urn,kind,employer_ref\n1,talk\n2,talk,x\n",
    "long_row": "urn,kind\n1,talk,extra\n",
    "blank_header_cell": "urn,,kind\n1,x,talk\n",
    "trailing_separator": "urn,kind,\n1,talk,\n",
    "duplicate_header": "urn,urn,kind\n1,2,talk\n",
    "quote_in_comment": '# say "hi\nurn,kind\n1,talk\n',
    "header_only": "urn,kind\n",
    "unicode": "urn,employer_ref\n1,Café Ltd\n2,Łódź Sp\n",
    "cp1252": None,  # written as bytes below
    "unclosed_quote": 'urn,kind\n1,"talk\n',
}


def _write(tmp_path, name: str):
    path = tmp_path / f"{name}.csv"
    if name == "cp1252":
        path.write_bytes("urn,employer_ref\n1,Caf\u00e9 Ltd\n".encode("cp1252"))
    else:
        path.write_text(CASES[name], encoding="utf-8", newline="")
    return path


def _read(path, fast: bool, monkeypatch):
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(reader, "_read_csv_arrow", lambda *a: None)
        try:
            return read_table(path, known_columns=KNOWN)
        except HubcoreError as exc:
            return str(exc)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_csv_path_reads_like_pandas(tmp_path, monkeypatch, name):
    path = _write(tmp_path, name)
    fast, careful = _read(path, True, monkeypatch), _read(path, False, monkeypatch)
    if isinstance(careful, str):
        assert fast == careful
        return
    pd.testing.assert_frame_equal(fast.frame, careful.frame)
    assert (fast.first_row, fast.encoding) == (careful.first_row, careful.encoding)
    # The flag only lets validators skip stripping: it may be set more often, never less.
    assert fast.needs_strip or not careful.needs_strip
    values = [v for c in fast.frame.columns for v in fast.frame[c] if isinstance(v, str)]
    if any(v != v.strip() for v in values):
        assert fast.needs_strip


def test_validators_match_python_rules(tmp_path):
    """Awkward cells, many of them repeated, parse exactly as the per-value rules say."""
    rows = [
        "108055,2025-03-14,TALK,5,10,11,120,EMP-1,,Prov,virtual,yes,1.5,2024/25",
        "108055,14/03/2025,talk,5,10,11,120.0,EMP-1,,Prov,,no,,",
        "108055, 2025-03-14 ,Talk,5,10,11,1e2,EMP-1,100000,,MIXED,Y,0,2024/25",
        "abc,2025-02-30,nope,9,6,15,-1,,99,,boat,maybe,x,2024-25",
        ",,,,,,,,,,,,,",
        "108055,2030-01-01,talk,5.5,10,11,1_000,EMP-1,,,in_person,,366,2024/25",
        "999999999999999999999,1999-12-31,talk,5,10,11,inf,EMP-1,,,,1,,",
    ] * 3
    header = ("urn,date,kind,benchmark,year_from,year_to,participants,employer_ref,"
              "provider_urn,provider_name,mode,provider_access,duration_days,academic_year")
    path = tmp_path / "enc.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    table = read_table(path)
    checker = Checker(table, today=dt.date(2026, 1, 1))
    typed = parse_columns(checker, SPECS["encounters"])
    assert list(typed["urn"].astype(object).where(typed["urn"].notna(), None)[:7]) == [
        108055, 108055, 108055, None, None, 108055, None
    ]
    assert list(typed["date"][:3]) == [dt.date(2025, 3, 14)] * 3
    assert list(typed["kind"][:3]) == ["talk"] * 3
    assert list(typed["mode"][:4]) == ["virtual", "in_person", "mixed", "boat"]
    assert list(typed["provider_access"][:5]) == [True, False, True, False, False]
    rejects = checker.rejects()
    got = set(zip(rejects["row"], rejects["column"], rejects["rule"], strict=True))
    assert (5, "urn", "not_integer") in got
    assert (5, "date", "not_date") in got
    assert (5, "kind", "unknown_code") in got
    assert (5, "provider_access", "not_yes_no") in got
    assert (5, "academic_year", "bad_format") in got
    assert (5, "duration_days", "not_number") in got
    assert (6, "urn", "required") in got
    assert (7, "date", "future_date") in got
    assert (7, "benchmark", "not_integer") in got
    assert (7, "duration_days", "out_of_range") in got
    assert (8, "urn", "out_of_range") in got
    assert (8, "date", "date_too_early") in got
    assert (8, "participants", "not_integer") in got
    assert (4, "participants", "not_integer") not in got  # 1e2 is a whole number
    # Every repeat of a bad row is reported, with its own row number.
    assert {r for r, c, _ in got if c == "kind"} == {5, 6, 12, 13, 19, 20}
    assert checker.bad.sum() == 12
