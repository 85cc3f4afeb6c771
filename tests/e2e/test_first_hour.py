"""The first hour of a new user, as the README tells it: run the demo, open ``/``, follow the
links to every page, change every filter of every page, reload, and find the same view (every
filter kept in the URL); a screenshot of each page at 1,280 × 800 and 1,920 × 1,080 is saved
in ``test-artifacts/first-hour/`` for review (generated, never committed).

Each page is also read for codes shown instead of words (``enterprise_adviser``), numbers not
rounded for people (``5.2168021680216805``) and plain tables cut off at the right at 1,280 px.

The pages change often, so nothing here knows their filters by name: each page's controls are
found the way a person finds them, by their labels (selects, check boxes, button groups and
sliders outside the tables), and each is changed to another value. A step that goes wrong is
recorded and the walk goes on; each test fails at its end listing every step that went wrong.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page

from dashboards.index import PAGES
from hubcore import vocabulary
from tests.e2e.conftest import SERVER_ERROR

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "first-hour"
SIZES = ((1280, 800), (1920, 1080))
#: Milliseconds given to a page to finish drawing after a change.
SETTLE_MS = 2500
#: Seconds a filter change may take to reach the URL (a redraw on a busy 2-core machine can
#: take several seconds; the URL is written once the server has applied the change).
URL_WAIT_S = 20

#: Every labelled control of the page outside the tables (Tabulator's header filters are not
#: page filters), in document order, through Bokeh's shadow roots.
CONTROLS = """() => {
  const out = [];
  const text = (el) => (el ? el.textContent : '').trim();
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const sr = el.shadowRoot;
      if (!sr) continue;
      if (el.closest && el.closest('.tabulator')) continue;
      const cls = String(el.className || '');
      const select = sr.querySelector('select');
      if (select && /Select/.test(cls)) {
        out.push({kind: 'select', label: text(sr.querySelector('label')),
                  value: select.options[select.selectedIndex]
                    ? select.options[select.selectedIndex].textContent : null,
                  options: Array.from(select.options).map(o => o.textContent)});
      } else if (/CheckboxGroup/.test(cls)) {
        const boxes = Array.from(sr.querySelectorAll('label')).filter(
          l => l.querySelector('input[type=checkbox]'));
        out.push({kind: 'checkboxes', label: boxes.map(b => text(b)).join(' | '),
                  boxes: boxes.map(b => text(b)),
                  value: boxes.filter(b => b.querySelector('input').checked).map(b => text(b))});
      } else if (/RadioButtonGroup|RadioGroup/.test(cls)) {
        const buttons = Array.from(sr.querySelectorAll('button, label'));
        out.push({kind: 'buttons', label: buttons.map(b => text(b)).join(' | '),
                  buttons: buttons.map(b => text(b)),
                  value: buttons.filter(b => b.classList.contains('bk-active')
                    || (b.querySelector('input') && b.querySelector('input').checked))
                    .map(b => text(b))});
      } else if (/Slider/.test(cls) && sr.querySelector('.noUi-target')) {
        const title = text(sr.querySelector('.bk-slider-title'));
        const handle = sr.querySelector('.noUi-handle');
        out.push({kind: 'slider', label: title.split(':')[0].trim(),
                  value: handle ? handle.getAttribute('aria-valuenow') : title});
      }
      walk(sr);
    }
  };
  walk(document);
  return out;
}"""
#: The text a person can read: text nodes outside scripts and styles, through shadow roots.
VISIBLE_TEXT = """() => {
  const out = [];
  const walk = (root) => {
    const it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = it.nextNode(); n; n = it.nextNode()) {
      const p = n.parentElement;
      if (p && !['SCRIPT', 'STYLE', 'TEMPLATE'].includes(p.tagName)) out.push(n.textContent);
    }
    for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) walk(el.shadowRoot); }
  };
  walk(document);
  return out.join('\\n');
}"""
#: Plain HTML tables wider than the box that shows them (columns cut off at the right; the
#: real tables scroll sideways with their name column frozen instead).
CUT_TABLES = """() => {
  const out = [];
  const up = (el) => el.parentElement || (el.getRootNode() && el.getRootNode().host) || null;
  const walk = (root) => {
    for (const el of root.querySelectorAll('table')) {
      if (el.closest('.tabulator')) continue;
      for (let box = up(el); box; box = up(box)) {
        if (box.clientWidth && box.clientWidth + 1 < el.scrollWidth) {
          const head = Array.from(el.querySelectorAll('th')).map(t => t.textContent.trim());
          out.push(head.slice(0, 2).join(', ') + ' … ' + head.slice(-1));
          break;
        }
      }
    }
    for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) walk(el.shadowRoot); }
  };
  walk(document);
  return out;
}"""
#: Codes people should never read (snake_case words of the vocabulary: enterprise_adviser…).
CODES = sorted(c for c in vocabulary.LABELS if "_" in c)
#: A number shown with more decimals than a person needs (5.2168021680216805).
RAW_NUMBER = re.compile(r"(?<![\w.])\d+\.\d{3,}(?![\w.])")
ALL_TEXT = """() => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) walk(el.shadowRoot); }
    out.push(root.textContent || '');
  };
  walk(document);
  return out.join('\\n');
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Demo:
    """``hubcore demo --port P`` as the README runs it (through ``scripts/demo.sh``), in a
    fresh ``HUBCORE_HOME``: it builds the demo, then serves it."""

    def __init__(self, home: Path):
        self.home = home
        self.port = _free_port()
        self.log = home / "demo.log"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("HUBCORE_", "PANEL_OAUTH"))}  # a new user's shell
        env.update(HUBCORE_HOME=str(home), PYTHONUNBUFFERED="1")
        self.env = env
        self._out = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hubcore.cli", "demo", "--port", str(self.port)],
            stdout=self._out, stderr=subprocess.STDOUT, env=env, cwd=home)
        deadline = time.monotonic() + 300  # build (~20 s) and warm-up on a busy machine
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hubcore demo exited:\n{self.log.read_text()}")
            if "Launching server" in self.log.read_text():
                return
            time.sleep(0.5)
        raise RuntimeError(f"hubcore demo did not start serving:\n{self.log.read_text()}")

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """A README command with no ``--db``, in the same shell as the demo."""
        return subprocess.run([sys.executable, "-m", "hubcore.cli", *args], env=self.env,
                              cwd=self.home, capture_output=True, text=True, timeout=300)

    def errors(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines()
                if SERVER_ERROR.search(line) and "WebSocketClosedError" not in line
                and "Stream is closed" not in line]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._out.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    server = Demo(tmp_path_factory.mktemp("first-hour"))
    yield server
    server.stop()


@pytest.fixture(scope="module", autouse=True)
def shots_folder():
    # Overwritten, never emptied first: another run of the suite may be writing beside us.
    SHOTS.mkdir(parents=True, exist_ok=True)


def _settle(page: Page, ms: int = SETTLE_MS) -> None:
    page.wait_for_load_state("networkidle", timeout=60_000)
    page.wait_for_timeout(ms)


def _shots(page: Page, name: str) -> None:
    """Screenshots of the page at each of :data:`SIZES` (the whole page, as scrolled)."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(1500)  # Bokeh lays out again for the new width
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
    page.wait_for_timeout(1000)


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _change(page: Page, control: dict, slider_index: int) -> str | None:
    """Change one control to another value, as a person would; a reason when it cannot."""
    kind, label = control["kind"], control["label"]
    if kind == "select":
        others = [o for o in control["options"] if o != control["value"]]
        if not others:
            return "skip"
        target = page.get_by_label(label, exact=True)
        if target.count() != 1:
            return f"{target.count()} controls labelled {label!r}"
        target.select_option(label=others[-1])
    elif kind == "checkboxes":
        box = control["value"][-1] if control["value"] else control["boxes"][0]
        target = page.get_by_label(box, exact=True)
        if target.count() != 1:
            return f"{target.count()} check boxes labelled {box!r}"
        target.click()
    elif kind == "buttons":
        others = [b for b in control["buttons"] if b not in control["value"]]
        if not others:
            return "skip"
        page.get_by_role("button", name=others[0], exact=True).first.click()
    elif kind == "slider":
        handle = page.get_by_role("slider").nth(slider_index)
        handle.focus()
        handle.press("ArrowLeft")
    return None


def _open_from_landing(page: Page, demo: Demo, name: str) -> None:
    page.goto(demo.url())
    page.get_by_role("link", name=name).click()


@pytest.mark.parametrize("path,name", [(p, n) for p, n, _ in PAGES])
def test_every_filter_is_in_the_url_and_a_reload_shows_the_same_view(demo, browser, path,
                                                                     name):
    problems: list[str] = []
    context = browser.new_context(viewport={"width": SIZES[0][0], "height": SIZES[0][1]})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))

    _open_from_landing(page, demo, name)
    try:
        page.wait_for_url(re.compile(rf".*/{path}(\?.*)?$"), timeout=60_000)
    except Exception:  # noqa: BLE001 - recorded, and the walk goes on from the page itself
        problems.append(f"the landing page's link {name!r} did not lead to /{path}")
        page.goto(demo.url(path))
    _settle(page)
    _shots(page, path)

    readable = page.evaluate(VISIBLE_TEXT)
    codes = [c for c in CODES if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", readable)]
    if codes:
        problems.append(f"codes instead of words: {codes}")
    raw = sorted(set(RAW_NUMBER.findall(readable)))
    if raw:
        problems.append(f"numbers not rounded for people: {raw[:5]}")

    cut = page.evaluate(CUT_TABLES)
    if cut:
        problems.append(f"tables cut off at the right at {SIZES[0][0]} px: {cut}")

    controls = page.evaluate(CONTROLS)
    if not controls:
        problems.append("no labelled filter found on the page")
    changed = 0
    sliders = 0
    for index, control in enumerate(controls):
        # Read the control again: an earlier change may have refilled it (a hub's schools).
        now = page.evaluate(CONTROLS)
        control = now[index] if index < len(now) and now[index]["kind"] == control["kind"] \
            else control
        before = page.url
        reason = _change(page, control, sliders)
        if control["kind"] == "slider":
            sliders += 1
        if reason == "skip":
            continue
        if reason:
            problems.append(f"{control['kind']} {control['label']!r}: {reason}")
            continue
        changed += 1
        started = time.monotonic()
        while _query(page.url) == _query(before) and time.monotonic() - started < URL_WAIT_S:
            page.wait_for_timeout(250)
        if _query(page.url) == _query(before):
            problems.append(f"changing {control['kind']} {control['label']!r} left the URL "
                            f"as it was for {URL_WAIT_S} s ({page.url}): a reload or a shared "
                            "link loses it")
        page.wait_for_timeout(SETTLE_MS)  # let the page finish drawing before the next one

    _settle(page, 1000)
    wanted = page.url
    shown = page.evaluate(CONTROLS)
    _shots(page, f"{path}-filtered")
    page.reload()
    _settle(page)
    if _query(page.url) != _query(wanted):
        problems.append(f"the reload changed the URL: {wanted} → {page.url}")
    again = page.evaluate(CONTROLS)
    for old, new in zip(shown, again, strict=False):
        if (old["kind"], old["label"], old["value"]) != (new["kind"], new["label"],
                                                          new["value"]):
            problems.append(f"after a reload {old['kind']} {old['label']!r} shows "
                            f"{new['value']!r}, not {old['value']!r}")
    if len(shown) != len(again):
        problems.append(f"{len(shown)} filters before the reload, {len(again)} after")
    notices = [line for line in page.evaluate(ALL_TEXT).splitlines()
               if "isn't available" in line or "can't see" in line]
    if notices:
        problems.append(f"the page's own URL was refused after the reload: {notices[:2]}")

    context.close()
    problems += [f"browser console: {m[:200]}" for m in console]
    problems += [f"server log: {line[:200]}" for line in demo.errors()]
    assert changed or not controls, "no filter could be changed"
    assert not problems, f"{path}: {len(problems)} steps went wrong:\n" + "\n".join(problems)


def test_landing_page_screenshots_and_links(demo, browser):
    page = browser.new_page(viewport={"width": SIZES[0][0], "height": SIZES[0][1]})
    page.goto(demo.url())
    _settle(page, 1000)
    _shots(page, "landing")
    text = page.evaluate(ALL_TEXT)
    missing = [name for _path, name, _line in PAGES if name not in text]
    page.close()
    assert not missing, f"the landing page does not name {missing}"


def test_readme_commands_work_after_the_demo_without_db(demo):
    """The README's report command straight after the demo, with no ``--db``."""
    done = demo.cli("report", "benchmarks", "--hub", "DEMO", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("level,")
    assert not (demo.home / "hubcore.db").exists()  # no empty database left behind
