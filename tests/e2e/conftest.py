"""Browser tests: the dashboards served by ``hubcore serve`` in a subprocess, driven by
Playwright through Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page

CHROMIUM = os.environ.get("HUBCORE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
#: Lines in a server log that mean something went wrong server-side.
SERVER_ERROR = re.compile(r"Traceback|ERROR|Exception|error:", re.IGNORECASE)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium not installed at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A ``hubcore serve`` subprocess and its log."""

    def __init__(self, db_url: str, log: Path):
        self.port = _free_port()
        self.log = log
        self._out = log.open("w")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hubcore.cli",
                "serve",
                "--db",
                db_url,
                "--port",
                str(self.port),
            ],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        # Generous: on a loaded 2-core machine the server has taken over a minute to bind.
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"server did not start:\n{log.read_text()}")

    def url(self, page: str) -> str:
        return f"http://localhost:{self.port}/{page}"

    def errors(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if SERVER_ERROR.search(line)]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._out.close()


def serve_signed_in(db_url: str, folder: Path, password: str,
                    accounts: list[tuple[str, str, dict]], log_name: str = "server.log") -> Server:
    """``hubcore serve`` with sign-in on: a users file in ``folder`` holding ``accounts``
    ((user, role, scope keywords of :func:`hubcore.users.add_user`)), each with ``password``.
    Scrypt is made cheap (test speed) and the cookie secret strong (a weak one is refused); only
    the server process sees these settings, not the other tests' servers."""
    from hubcore import users

    path = folder / "users.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users, "SCRYPT_N", 2**10)
        for user, role, scope in accounts:
            users.add_user(user, role, password, path=path, **scope)
        mp.setenv(users.ENV_USERS_FILE, str(path))
        mp.setenv("HUBCORE_COOKIE_SECRET", secrets.token_urlsafe(48))
        mp.setenv("HUBCORE_SCRYPT_N", str(2**10))
        return Server(db_url, folder / log_name)


def sign_in(page: Page, server: Server, user: str, password: str) -> None:
    """Sign ``user`` in through the login form of ``server`` in ``page``."""
    page.goto(server.url("login"))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()


@pytest.fixture(scope="session")
def server(demo_engine, tmp_path_factory):
    url = demo_engine.url.render_as_string(hide_password=False)
    srv = Server(url, tmp_path_factory.mktemp("server") / "server.log")
    yield srv
    srv.stop()


def wait_for_canvases(page: Page, minimum: int = 1, timeout_s: float = 30) -> list[dict]:
    """Wait until at least ``minimum`` canvases (Bokeh draws inside shadow roots, which
    Playwright's locators pierce) have a non-zero size; return their sizes."""
    deadline = time.monotonic() + timeout_s
    sizes: list[dict] = []
    while time.monotonic() < deadline:
        sizes = [box for box in (c.bounding_box() for c in page.locator("canvas").all()) if box]
        if sum(1 for b in sizes if b["width"] > 0 and b["height"] > 0) >= minimum:
            return sizes
        page.wait_for_timeout(250)
    raise AssertionError(f"no drawn canvas after {timeout_s} s (canvases: {sizes})")


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def colorbar_titles(page: Page) -> list[str]:
    """Titles of every colour bar in the page's Bokeh document (what a map legend says)."""
    return page.evaluate(
        "() => Bokeh.documents.flatMap(d => Array.from(d.all_models))"
        ".filter(m => m.type == 'ColorBar').map(m => m.title)"
    )


def map_pixel(page: Page, easting: float, northing: float) -> tuple[float, float]:
    """Where a point in British National Grid metres is drawn on the page's map, in page
    pixels (found through Bokeh's own scales, so the test clicks what a user would)."""
    return tuple(
        page.evaluate(
            """([x, y]) => {
          const views = []; const seen = new Set();
          const walk = v => { if (!v || seen.has(v)) return; seen.add(v); views.push(v);
            for (const k of ['child_views', 'renderer_views']) { const c = v[k];
              if (c) for (const w of (c.values ? c.values() : c)) walk(w); } };
          Object.values(Bokeh.index).forEach(walk);
          const plot = views.find(v => v.frame && v.model && v.model.type == 'Figure');
          const box = plot.canvas_view.el.getBoundingClientRect();
          return [box.x + plot.frame.x_scale.compute(x), box.y + plot.frame.y_scale.compute(y)];
        }""",
            [easting, northing],
        )
    )
