"""Importing ``hubcore`` loads no Panel, no Bokeh server and no served page, in the manner of
Panel's own import tests: a fresh interpreter imports the package and its parts, then
``sys.modules`` is read. Only ``hubcore serve`` loads the app (``dashboards.common.server``).

Each check runs in a subprocess: the test process itself has usually imported Panel already
(other tests drive the pages), so its ``sys.modules`` proves nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

#: The parts of hubcore a notebook, the CLI or the briefing import (issue #14 item 1).
PARTS = (
    "hubcore",
    "hubcore.store",
    "hubcore.metrics",
    "hubcore.metrics.report",
    "hubcore.display",
    "hubcore.briefing",
    "hubcore.briefing.cli",
    "hubcore.briefing.render_pdf",
    "hubcore.briefing.render_png",
    "hubcore.briefing.render_html",
    "hubcore.cli",
)

#: Reads sys.modules in the child and prints, as JSON, every module the suite must not load
#: without serving.
_FORBIDDEN = """
def forbidden():
    import sys
    def bad(name):
        return (name == "panel" or name.startswith("panel.")
                or name == "bokeh.server" or name.startswith("bokeh.server.")
                or name == "dashboards" or name.startswith("dashboards."))
    return sorted(m for m in sys.modules if bad(m))
"""

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a fresh interpreter from the project root; it prints one JSON line."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_FORBIDDEN) + textwrap.dedent(code)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _forbidden_after_import(parts: tuple[str, ...]) -> list[str]:
    code = (
        "import importlib, json\n"
        f"for name in {list(parts)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(forbidden()))\n"
    )
    return _run(code)


def test_importing_hubcore_loads_no_panel_bokeh_server_or_pages():
    # One interpreter for every part: a part that loads Panel shows up whichever it is, and
    # the module list printed names it.
    assert _forbidden_after_import(PARTS) == []


def test_the_check_sees_panel_when_it_is_imported():
    """The check can fail: importing Panel beside hubcore is reported (the same check, one
    more import)."""
    found = _forbidden_after_import(("hubcore.display", "panel"))
    assert "panel" in found and any(m.startswith("bokeh.server") for m in found)


def test_hubcore_serve_is_what_loads_the_app(tmp_path):
    """``hubcore serve`` imports the served app; nothing before it does. The server itself is
    stopped before it starts: the child swaps ``dashboards.common.server.serve`` for a stub
    the moment that module is imported, and records what was loaded by then."""
    from hubcore import db

    url = db.sqlite_url(tmp_path / "serve.db")
    db.upgrade(db.get_engine(url))
    code = f"""
        import builtins, json, sys
        import hubcore.cli
        before = forbidden()
        calls = []
        real_import = builtins.__import__

        def spy(name, globals=None, locals=None, fromlist=(), level=0):
            module = real_import(name, globals, locals, fromlist, level)
            if name == "dashboards.common.server":
                module.serve = lambda url, **options: calls.append(url)
            return module

        builtins.__import__ = spy
        code = hubcore.cli.main(["serve", "--db", {url!r}, "--port", "0"])
        builtins.__import__ = real_import
        print(json.dumps({{"before": before, "after": forbidden(), "calls": calls,
                           "code": code}}))
    """
    # HUBCORE_HOME: `serve` remembers the database it served; keep that out of the user's home.
    got = _run(code, env={"HUBCORE_HOME": str(tmp_path / "home")})
    assert got["before"] == []
    assert got["code"] == 0 and got["calls"] == [url]
    assert "dashboards.common.server" in got["after"] and "panel" in got["after"]
