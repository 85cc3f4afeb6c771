"""The analysts' notebooks are stored without outputs and run top to bottom against the demo
database (``HUBCORE_DATABASE_URL`` is set for the kernel)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
#: Seconds one cell may take (a loaded CI machine included).
CELL_TIMEOUT = 180


def test_there_are_at_least_three_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 3
    for expected in ("01_getting_started", "02_custom_indicator_map", "03_custom_briefing_map",
                     "04_holoviews_and_dashboards"):
        assert any(n.startswith(expected) for n in names)


def _code(path: Path) -> str:
    book = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in book.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_extensions_load_inline(path):
    """Offline: every Panel/HoloViews extension is loaded from the installed packages
    (``inline=True``), never from a CDN, and no notebook imports ``hvplot.pandas`` (the import
    loads Bokeh from the CDN itself; ``hubcore.plots.hvplot`` gives the same interface)."""
    code = _code(path)
    calls = re.findall(r"\b(?:pn|hv|panel|holoviews)\.extension\(([^)]*)\)", code)
    for args in calls:
        assert "inline=True" in args, f"{path.name}: extension({args}) loads from a CDN"
    assert not re.search(r"^\s*(import|from) hvplot\.pandas", code, re.MULTILINE)


def test_holoviews_maps_and_a_linked_selection():
    code = {p.stem: _code(p) for p in NOTEBOOKS}
    # Maps are HoloViews objects; matplotlib stays only where a static print is the point
    # (the indicator's PNG, the briefing map).
    assert "plots.area_map" in code["01_getting_started"]
    assert "matplotlib" not in code["01_getting_started"]
    assert "plots.area_polygons" in code["02_custom_indicator_map"]
    assert any("link_selections" in c and "plots.area_map" in c for c in code.values())
    assert any("AreaOverview" in c for c in code.values())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_demo(path, demo_engine, tmp_path, monkeypatch):
    url = demo_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("HUBCORE_DATABASE_URL", url)
    # Keep the kernel's caches and any demo build away from the user's data folder.
    monkeypatch.setenv("HUBCORE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError with the failing cell's traceback
    errors = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "error"
    ]
    assert errors == []
    # Nothing in the outputs loads a script from a CDN (BokehJS and Panel are inline).
    scripts = re.findall(r"<script[^>]+src=[\\\"']+(https?://[^\"'\\ ]+)", nbformat.writes(book))
    assert scripts == []


@pytest.mark.slow
def test_a_filter_changed_in_a_notebook_output_redraws_the_map(demo_engine, monkeypatch):
    """A component shown in a notebook, its "Map layer" select changed the way a message from
    the browser changes it (Panel's comm handler: the document held, the patch applied, then
    released): the map's new colours and data must be pushed over the cell's comm. They were
    not (Panel's hold() takes a notebook comm callback for a threaded one and drops direct
    Bokeh changes), so the map never redrew in JupyterLab."""
    import panel as pn
    from bokeh.models import Select
    from panel.config import panel_extension
    from panel.io import notebook
    from panel.io.model import diff
    from panel.io.state import state

    from dashboards.overview import AreaOverview

    pushed: list[set] = []

    def push(doc, comm, binary=True, msg=None):
        message = diff(doc, binary=False)
        if message is not None:
            pushed.append({(e["kind"], e.get("attr") or "data") for e in message.content["events"]})

    monkeypatch.setattr(notebook, "push", push)
    monkeypatch.setattr(pn.config, "inline", True)
    # As after pn.extension() in a notebook (without loading anything into this process).
    monkeypatch.setattr(panel_extension, "_loaded", True)
    url = demo_engine.url.render_as_string(hide_password=False)
    overview = AreaOverview(db_url=url)
    overview._repr_mimebundle_()  # what a notebook cell's display does
    ref, (_, _, doc, _) = next(reversed(state._views.items()))
    select = next(m for m in doc.models if isinstance(m, Select) and m.title == "Map layer")
    assert any(isinstance(m, Select) and m.title == "Local authority" for m in doc.models), \
        "the component shows its own filters"
    held = doc.callbacks.hold_value
    doc.hold()
    select.value = "cold"
    doc.unhold()
    if held:
        doc.hold(held)
    assert overview.layer == "cold"
    events = set().union(*pushed) if pushed else set()
    # The areas' new values (their data source) and the cold-spot colours reach the browser.
    assert ("ColumnDataChanged", "data") in events, events
    assert ("ModelChanged", "palette") in events, events
    state._views.pop(ref, None)
