"""The served pages compute and suppress no figure themselves (issue #14 item 1): every number
they show comes from :mod:`hubcore.display`. Read from the pages' source (AST), in the manner
of ``tests/test_briefing.py::test_briefing_modules_compute_no_figure``: no page imports the
disclosure engine, the report builders, the roll-ups or a metrics module (constants only), and
no page calls a pandas aggregation or does arithmetic other than joining text.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The four pages of issue #14, the regional view (issue #16), the landing page (its
#: freshness facts come from the display layer too) and the worklists (issue #15).
PAGES = ("overview", "profile", "transitions", "employers", "region", "index", "worklists")


def test_every_served_page_is_checked():
    """A page added to the server's list is checked here too."""
    from dashboards.common.server import PAGES as SERVED

    assert set(SERVED) <= set(PAGES)

COMPUTING_MODULES = ("hubcore.disclosure", "hubcore.metrics", "hubcore.rollups")
#: pandas/numpy calls that make a figure out of several values, and the disclosure calls.
AGGREGATING = {"sum", "mean", "median", "agg", "aggregate", "count", "nunique", "value_counts",
               "pivot_table", "size", "std", "quantile", "cumsum", "describe", "crosstab",
               "round", "apply_spec", "protect", "suppress", "disclose"}
#: Arithmetic that changes a number (``+`` is left out: pages join text with it).
ARITHMETIC = (ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


def computations(source: str, name: str = "<page>") -> list[str]:
    """Every place in ``source`` that imports a computing module, calls an aggregation or
    does arithmetic, as ``name:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            found += [f"{where}: imports {m}" for m in modules
                      if m.startswith(COMPUTING_MODULES)][:1]
        elif isinstance(node, ast.Import):
            found += [f"{where}: imports {a.name}" for a in node.names
                      if a.name.startswith(COMPUTING_MODULES)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in AGGREGATING:
            found.append(f"{where}: calls .{node.func.attr}()")
        elif isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ARITHMETIC):
            found.append(f"{where}: arithmetic {type(node.op).__name__}")
    return found


@pytest.mark.parametrize("page", PAGES)
def test_page_computes_no_figure(page):
    path = ROOT / "dashboards" / f"{page}.py"
    assert computations(path.read_text(encoding="utf-8"), path.name) == []


def test_the_check_finds_a_computed_figure():
    """The check can fail: each kind of computation is reported."""
    source = (
        "from hubcore.metrics import report\n"
        "import hubcore.disclosure\n"
        "from hubcore import rollups\n"
        "share = frame['engaged'].sum() / frame['leavers'].sum() * 100\n"
        "mean = frame.groupby('la')['bm5'].mean()\n"
        "kept = hubcore.disclosure.apply_spec(frame, spec)\n"
        "total -= 1\n"
        "title = 'BM' + str(5)\n"  # joining text is fine
    )
    found = computations(source)
    assert [f.split(": ", 1)[1] for f in found if f.startswith("<page>:1:")] == [
        "imports hubcore.metrics"]
    assert any("imports hubcore.disclosure" in f for f in found)
    assert any("imports hubcore.rollups" in f for f in found)
    assert sum(".sum()" in f for f in found) == 2 and any(".mean()" in f for f in found)
    assert any("Div" in f for f in found) and any("Mult" in f for f in found)
    assert any(".apply_spec()" in f for f in found) and any("Sub" in f for f in found)
    assert not any(f.startswith("<page>:8:") for f in found)
