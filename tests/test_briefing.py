"""Briefing packs: PDF pages and headings read back as text, PNG size, standalone HTML,
disclosure control in every table and rendered file, deterministic bytes, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from hubcore import briefing, disclosure, store
from hubcore.access import Role, Scope
from hubcore.briefing import content, maps, pages, render_html, render_pdf, style
from hubcore.metrics import report

AS_OF = dt.date(2026, 11, 1)
HUB = "DEMO"
#: The demo's smallest institution (an AP centre): its hand-over counts are all under 6.
SMALL_SCHOOL = 900030
#: A4 landscape in PDF points.
A4_PT = (841.89, 595.28)


@pytest.fixture(scope="module")
def pack(demo_engine) -> dict[str, bytes]:
    return briefing.build_pack(demo_engine, Scope.admin(hub_id=HUB), briefing.FORMATS, AS_OF)


@pytest.fixture(scope="module")
def small(demo_engine) -> content.Briefing:
    return content.gather(demo_engine, Scope(Role.CAREERS_LEADER, urn=SMALL_SCHOOL), AS_OF)


def _one(pack: dict[str, bytes], suffix: str) -> bytes:
    (name,) = [n for n in pack if n.endswith(suffix)]
    return pack[name]


def _pdf_pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


# --- what the pack contains -------------------------------------------------------------------


def test_pack_files(pack):
    stem = f"briefing-{HUB}-{AS_OF.isoformat()}"
    assert sorted(pack) == sorted(
        [f"{stem}.pdf", f"{stem}.html"] + [f"{stem}-map_{k}.png" for k in maps.MAPS]
    )


def test_pdf_pages_headings_and_notice(pack):
    data = _one(pack, ".pdf")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == len(pages.HEADINGS) == 6
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (width, height) == pytest.approx(A4_PT, abs=1), "A4 landscape"
    texts = _pdf_pages(data)
    for text, heading in zip(texts, pages.HEADINGS, strict=True):
        assert heading in text
        assert "SYNTHETIC DATA" in text, "every page of a synthetic pack says so"
        assert AS_OF.isoformat() in text
    first = texts[0]
    for expected in ("Eastmere Careers Hub", "Data sources", "Key figures", "Disclosure control"):
        assert expected in first
    assert "2024 framework" in texts[1] and "National figures" in texts[1]
    assert "Year 11 leavers" in texts[5] and "Year 13 leavers" in texts[5]
    assert "England NEET + NK %" in texts[5]
    assert "Median days" in texts[5] and "90th pct days" in texts[5]


def test_pdf_metadata_has_no_clock(pack):
    info = PdfReader(io.BytesIO(_one(pack, ".pdf"))).metadata
    assert "/CreationDate" not in info and "/ModDate" not in info
    assert AS_OF.isoformat() in info["/Title"]


def test_png_maps_at_print_resolution(pack):
    pngs = {n: d for n, d in pack.items() if n.endswith(".png")}
    assert len(pngs) == 3
    for data in pngs.values():
        image = Image.open(io.BytesIO(data))
        assert image.size == (3507, 2480)  # A4 landscape at 300 dpi
        assert image.info["dpi"] == pytest.approx((style.PRINT_DPI, style.PRINT_DPI), abs=0.1)


class _Resources(HTMLParser):
    """Collects every src/href and the tags seen."""

    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.refs += [v for k, v in attrs if k in ("src", "href") and v is not None]


def test_html_is_standalone(pack):
    text = _one(pack, ".html").decode("utf-8")
    parser = _Resources()
    parser.feed(text)
    assert parser.refs and all(r.startswith("data:image/png;base64,") for r in parser.refs)
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//)", text, re.I)
    outside_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    assert "http" not in outside_images.lower(), "no URL of any kind"
    assert not {"script", "link", "iframe"} & parser.tags
    for heading in pages.HEADINGS[1:]:
        assert f"<h2>{heading}</h2>" in text
    assert "SYNTHETIC DATA" in text


def test_same_data_same_bytes(demo_engine, pack):
    again = briefing.build_pack(demo_engine, Scope.admin(hub_id=HUB), briefing.FORMATS, AS_OF)
    assert sorted(again) == sorted(pack)
    for name, data in pack.items():
        assert again[name] == data, f"{name} differs between two builds"


def test_same_bytes_in_another_process(demo_engine, pack, tmp_path):
    """No dependence on hash seeds or process state: a fresh interpreter with another
    PYTHONHASHSEED writes the same PDF and HTML."""
    url = demo_engine.url.render_as_string(hide_password=False)
    code = (
        "import datetime as dt, sys; from hubcore import db, briefing; "
        "from hubcore.access import Scope; "
        f"briefing.write_pack(db.get_engine({url!r}), Scope.admin(hub_id={HUB!r}), "
        f"sys.argv[1], ('pdf', 'html'), dt.date.fromisoformat({AS_OF.isoformat()!r}))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env)
    for path in tmp_path.iterdir():
        assert path.read_bytes() == pack[path.name], path.name


# --- disclosure control -----------------------------------------------------------------------


def _small_count(text: str) -> bool:
    value = text.replace(",", "")
    return value.isdigit() and 0 < int(value) < disclosure.THRESHOLD


def _check_tables(b: content.Briefing) -> int:
    """Every count-of-people cell is "c", zero, missing or at least 6; returns how many "c"."""
    suppressed = 0
    for table in b.tables():
        for header in table.counts:
            i = table.columns.index(header)
            for row in table.rows:
                assert not _small_count(row[i]), f"{table.title}: {header} = {row[i]}"
                suppressed += row[i] == disclosure.SUPPRESSED
    for stages in b.funnel_chart.values():
        for _, value in stages:
            assert value == disclosure.SUPPRESSED or not 0 < int(value) < disclosure.THRESHOLD
    return suppressed


def test_tables_are_disclosure_controlled(demo_engine, small):
    hub = content.gather(demo_engine, Scope.admin(hub_id=HUB), AS_OF)
    _check_tables(hub)
    assert _check_tables(small) > 0, "the small school's hand-over counts are suppressed"


#: Lines of the transitions tables as printed (cohort, year, then cells) and, per table, the
#: positions of the count-of-people cells.
_ROW = re.compile(r"^\s*(20\d\d)\s+(11|13)\s+(.*)$")


def _printed_count_cells(text: str) -> list[str]:
    cells = []
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            rest = match.group(3).split()
            # funnel: left..engaged (0-3); lag: referred (0), not referred, overdue (3, 4);
            # NEET: leavers (0). Position 0 is a count in all three.
            cells.append(rest[0])
            if len(rest) == 7 and "." not in rest[3]:  # the funnel row
                cells += rest[1:4]
            if len(rest) == 5:  # the lag row
                cells += rest[3:5]
    return cells


def test_rendered_pack_shows_no_small_count(demo_engine, small):
    pdf = render_pdf.render_pdf(small)
    texts = _pdf_pages(pdf)
    cells = _printed_count_cells(texts[5])
    assert cells and disclosure.SUPPRESSED in cells
    assert not [c for c in cells if _small_count(c)]
    # The HTML: every cell under a count-of-people header.
    html_text = render_html.render_html(small).decode("utf-8")
    assert html_text.count("data-count") >= 4
    parser = _CountCells()
    parser.feed(html_text)
    assert disclosure.SUPPRESSED in parser.cells
    assert not [c for c in parser.cells if _small_count(c)]


class _CountCells(HTMLParser):
    """The text of every <td> in a column whose <th> carries ``data-count``."""

    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self._count_cols: set[int] = set()
        self._col = -1
        self._in_td = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._count_cols = set()
        elif tag == "tr":
            self._col = -1
        elif tag in ("th", "td"):
            self._col += 1
            if tag == "th" and any(k == "data-count" for k, _ in attrs):
                self._count_cols.add(self._col)
            self._in_td = tag == "td" and self._col in self._count_cols

    def handle_endtag(self, tag):
        if tag == "td":
            self._in_td = False

    def handle_data(self, data):
        if self._in_td:
            self.cells.append(data.strip())


def test_priority_matches_the_report(demo_engine):
    """The briefing computes the priority index from reads it already has; it must equal the
    report's table."""
    scope = Scope.admin(hub_id=HUB)
    b = content.gather(demo_engine, scope, AS_OF)
    ours = b.layers.schools[["urn", "priority_index", "rank"]].sort_values("urn")
    # NEET rates are measured at a date: the report on the briefing's date
    opts = report.Options(as_of=AS_OF)
    theirs = report.export_table(demo_engine, "priority", scope, opts)
    theirs = theirs[["urn", "priority_index", "rank"]]
    theirs = theirs.sort_values("urn")
    assert (
        ours["priority_index"].astype(float).tolist()
        == theirs["priority_index"].astype(float).tolist()
    )
    assert ours["rank"].astype(int).tolist() == theirs["rank"].astype(int).tolist()


def test_cold_spots_match_the_report(demo_engine):
    scope = Scope.admin(hub_id=HUB)
    b = content.gather(demo_engine, scope, AS_OF)
    ours = sorted(b.layers.areas.loc[b.layers.areas["cold_spot"], "code"])
    theirs = sorted(report.export_table(demo_engine, "coldspots", scope)["code"])
    assert ours == theirs


# --- scopes and the command -------------------------------------------------------------------


def test_area_briefing(demo_engine):
    la = pd.DataFrame(store.schools(demo_engine, Scope.admin()))["la_gss"][0]
    out = briefing.build_pack(demo_engine, briefing.area_scope(demo_engine, la), ("pdf",), AS_OF)
    (data,) = out.values()
    first = _pdf_pages(data)[0]
    assert f"Local authority {la}" in first


def test_briefing_pdf_for_a_download_button(demo_engine, pack):
    lead = Scope(Role.HUB_LEAD, hub_id=HUB, user="lead")
    name, data = briefing.briefing_pdf(demo_engine, lead, AS_OF)
    assert name == f"briefing-{HUB}-{AS_OF.isoformat()}.pdf"
    assert data == _one(pack, ".pdf"), "a hub lead's pack equals the admin's (aggregates only)"


def test_unknown_area_is_a_clear_error(demo_engine):
    from hubcore.errors import HubcoreError

    with pytest.raises(HubcoreError, match="no schools in LA"):
        briefing.area_scope(demo_engine, "E06999999")


def test_cli_brief_writes_files(demo_engine, tmp_path, capsys):
    from hubcore.cli import main

    url = demo_engine.url.render_as_string(hide_password=False)
    code = main(
        [
            "brief",
            "--db",
            url,
            "--hub",
            HUB,
            "--out",
            str(tmp_path),
            "--format",
            "pdf,html",
            "--as-of",
            AS_OF.isoformat(),
        ]
    )
    assert code == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    stem = f"briefing-{HUB}-{AS_OF.isoformat()}"
    assert written == [f"{stem}.html", f"{stem}.pdf"]
    assert capsys.readouterr().out.split() == [str(tmp_path / n) for n in written[::-1]]


# That the briefing imports no Panel: tests/test_import_isolation.py (every part of hubcore).


# --- figures from the display layer, in words -------------------------------------------------


def test_briefing_modules_compute_no_figure():
    """hubcore.briefing draws every figure from hubcore.display (issue #14): none of its
    modules imports the disclosure engine, the report builders or the metrics that compute
    figures, and metrics modules it does import are read for constants only (upper-case
    names such as OVERDUE_DAYS, NOTE_NO_ENCOUNTERS)."""
    import ast
    from pathlib import Path

    import hubcore.briefing as package

    computing = {"hubcore.disclosure", "hubcore.metrics.report", "hubcore.metrics.priority",
                 "hubcore.metrics.employers", "hubcore.metrics.benchmarks", "hubcore.rollups"}
    found = []
    for path in sorted(Path(package.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        metrics_names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {f"{node.module}.{a.name}" for a in node.names}
                if node.module in computing or names & computing:
                    found.append(f"{path.name}: from {node.module} import ...")
                if node.module == "hubcore.metrics" or node.module.startswith("hubcore.metrics."):
                    metrics_names |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Import):
                found += [f"{path.name}: import {a.name}" for a in node.names
                          if a.name in computing or a.name.startswith("hubcore.metrics")]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in metrics_names and not node.attr.isupper()):
                found.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert found == []


def test_key_figures_name_their_source_and_base(demo_engine):
    b = content.gather(demo_engine, Scope.admin(hub_id=HUB), AS_OF)
    measures = [m for m, _ in b.key_figures.rows]
    # Benchmarks achieved (Compass) and coverage (encounter log) say which is which.
    assert any("Compass" in m and "Mean benchmarks achieved" in m for m in measures)
    assert any(m.startswith("Meeting BM5, from the hub's encounter log") for m in measures)
    assert "encounter log" in b.coverage_gaps.title and "Compass" in b.benchmarks.title
    # The funnel's leavers and the NEET table's base are named apart.
    assert any("leavers (everyone in the cohort)" in m for m in measures)
    assert "Leavers" in b.funnel.columns and "Leavers excl. custody" in b.neet.columns
    assert "custody included" in b.funnel.note and "minus those in custody" in b.neet.note
    # The demo's one LA has no published rate: the empty column says why.
    la_column = b.neet.columns.index("LA NEET + NK %")
    assert {r[la_column] for r in b.neet.rows} == {content.MISSING}
    assert "LA rate column empty: no published NEET rate for X06000001" in b.neet.note


def test_printed_sentences_agree_with_their_counts_at_zero_one_and_many(demo_engine, small):
    """The smallest school's pack: "1 of 1 school" (it used to print "1 of 1 schools"); the
    hub's: "36 schools". No "(s)" anywhere."""
    assert ("Meeting BM5, from the hub's encounter log (2025/26)", "1 of 1 school") in (
        small.key_figures.rows)
    assert any(v.endswith("(1 school)") for _, v in small.key_figures.rows)
    hub = content.gather(demo_engine, Scope.admin(hub_id=HUB), AS_OF)
    assert any(v.endswith("(36 schools)") for _, v in hub.key_figures.rows)
    assert hub.coldspots.note == "2 cold spots of 180 small areas."
    for b in (small, hub):
        for table in b.tables():
            assert "(s)" not in table.note and "(s)" not in table.title
            assert not any("(s) " in c for row in table.rows for c in row[1:])


def test_la_note_says_why_the_comparator_is_empty():
    from hubcore.display import briefing as shown

    none = pd.DataFrame(columns=["la_gss", "la_time_period", "la_neet_nk_pct"])
    one = pd.DataFrame({"la_gss": ["E06000001"], "la_time_period": ["202425"],
                        "la_neet_nk_pct": [5.1]})
    two = pd.concat([one, one.assign(la_gss="E06000002")], ignore_index=True)
    nan = float("nan")
    assert shown._la_note([], none, nan) == (
        "LA rate column empty: the schools have no LA recorded")
    assert shown._la_note(["E06000001"], none, nan) == (
        "LA rate column empty: no published NEET rate for E06000001 is in the data (import "
        "DfE's NEET and not known statistics by LA to fill it)")
    assert shown._la_note(["E06000001", "E06000002"], two, nan) == (
        "LA rate column empty: the schools are in 2 LAs, each with its own published rate, "
        "so no one LA figure applies")
    assert shown._la_note(["E06000001"], one.assign(la_neet_nk_pct=nan), nan) == (
        "LA rate column empty: the latest published rate for E06000001 is suppressed at "
        "source")
    assert shown._la_note(["E06000001"], one, 5.1).startswith(
        "LA rate: latest published for E06000001, ages 16-17 (202425), Year 11 rows only")
