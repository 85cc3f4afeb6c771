"""Server capacity: N simultaneous new sessions per page, protocol-level (no browser).

Issue 18, item 1. For each database (the demo hub on SQLite; PostgreSQL with ``--pg``) and each
deployment (``--processes 1`` is one ``hubcore serve``; ``--processes 2`` or more is that many
behind nginx with ``deploy/nginx-hubcore.conf``), and for each page and each N:

1. records every server process's RSS and CPU time;
2. releases N client threads at once, each opening a new session with Bokeh's
   ``bokeh.client.pull_session`` (the websocket protocol a browser's page uses: the server runs
   the page's code, builds its models and sends the whole document; no browser, no JavaScript);
3. times each one to a complete document in the client, and records RSS and CPU time again
   while all N sessions are still open; then closes them.

The floor is ``blank``: the blank Panel page of ``benchmarks/blank_page.py`` (a heading and one
small Bokeh line plot) served by the same ``hubcore serve`` processes, through the same server
options, in the same run. ``shell`` (optional) is that plot in the suite's page template.

Reported per page and N: sessions/second (N / wall time until the last document arrived),
p50/p95/max time to a complete document, server CPU seconds per session (CPU time of all server
processes over the burst / N: the server's cost per new session, much less sensitive to the
machine's load than wall time), its ratio to the blank page's in the same run, RSS before and
with the N sessions open (MB, summed over processes) and MB per session. The machine's load
average is printed beside every table.

``--profile PAGE`` then runs cProfile inside one server process (main thread: Bokeh's IO loop,
where sessions are built and documents serialised) over N new sessions of PAGE only, and prints
the top functions by cumulative and own time. The switch lives in this script's own server
launcher (``_serve``), which wraps ``dashboards.common.server.serve`` without changing it.

    .venv/bin/python benchmarks/capacity.py                       # SQLite, N=20 50, 1 and 2 procs
    .venv/bin/python benchmarks/capacity.py --n 50 --pages blank overview --processes 2
    .venv/bin/python benchmarks/capacity.py --sqlite /path/demo.db --profile transitions --n 20
    .venv/bin/python benchmarks/capacity.py --pg postgresql+psycopg://u:p@127.0.0.1:PORT/postgres

Clients (``--client``): ``light`` (default) speaks Bokeh's protocol as ``pull_session`` does and
receives and parses each whole document, but builds no Python models from it; ``bokeh`` is
``pull_session`` itself, whose model building cost the client about as much CPU as the server's
work on this 2-core machine (see ``light_burst``).

Through nginx, the deployed config keeps a client on one process by its sign-in session cookie
(else by address). Each light client sends its own random ``hubcore_session`` cookie, as each
signed-in person has one. The clients also connect from 127.0.k.1 (k = 1 … 250), as people from
different networks would; ``--same-ip`` keeps them all on 127.0.0.1 (one school's network).

Only 127.0.0.1 (and 127.0.k.1) is contacted. Needs nginx (Debian's /usr/sbin/nginx) for
``--processes`` > 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX = os.environ.get("HUBCORE_NGINX", "/usr/sbin/nginx")
DEPLOY_CONF = ROOT / "deploy" / "nginx-hubcore.conf"
PAGES = ("blank", "overview", "profile", "transitions", "employers")
EXTRA_PAGES = ("shell",)
#: Environment switch read by ``_serve``: where to write a cProfile of the main thread, taken
#: between SIGUSR1 (start) and SIGUSR2 (stop and write).
ENV_PROFILE = "HUBCORE_CAPACITY_PROFILE"


# --- the server side: `hubcore serve` plus the floor pages --------------------------------------


def _blank_page():
    """The blank page of benchmarks/blank_page.py: a heading and one small line plot."""
    import panel as pn
    from bokeh.plotting import figure

    plot = figure(height=300, width=400)
    plot.line([1, 2, 3], [1, 3, 2])
    return pn.Column("# blank", pn.pane.Bokeh(plot))


def _shell_page():
    """The same plot in the suite's page template (benchmarks/blank_page.py's "shell")."""
    import panel as pn
    from bokeh.plotting import figure

    from dashboards.common import layout

    plot = figure(height=300, width=400)
    plot.line([1, 2, 3], [1, 3, 2])
    return layout.page("blank", [pn.pane.Bokeh(plot)],
                       [pn.widgets.Select(name="Hub", options=["a"])])


def _serve(argv: list[str]) -> int:
    """Child process: ``hubcore serve --no-sign-in`` on loopback with the floor pages added to
    the same server (same options, same process). With ``$HUBCORE_CAPACITY_PROFILE`` set,
    SIGUSR1 starts cProfile on the main thread and SIGUSR2 stops it and writes the stats."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from dashboards.common import server

    original = server.page_factories

    def with_floor(url: str) -> dict:
        return {**original(url), "blank": _blank_page, "shell": _shell_page}

    server.page_factories = with_floor
    out = os.environ.get(ENV_PROFILE)
    if out:
        import cProfile

        # CPU time, not wall time: on a loaded machine waiting for a core is not a cost.
        profiler = cProfile.Profile(time.process_time)

        def start(*_: object) -> None:
            profiler.enable()

        def stop(*_: object) -> None:
            profiler.disable()
            profiler.dump_stats(out)
            Path(out + ".done").write_text("1")

        signal.signal(signal.SIGUSR1, start)
        signal.signal(signal.SIGUSR2, stop)
    server.serve(args.db, port=args.port, address="127.0.0.1", no_sign_in=True,
                 announce=lambda s: print(s, flush=True))
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Server:
    """One server process and its log."""

    proc: subprocess.Popen
    port: int
    log: Path


def start_servers(url: str, count: int, folder: Path, env: dict, profile: Path | None = None,
                  timeout: float = 300.0) -> list[Server]:
    """Start ``count`` servers over ``url`` and wait until each listens and has warmed every
    benchmark's layers (its background warm-up would otherwise run during the measurements)."""
    from dashboards.common.server import WARM_DONE

    servers = []
    for i in range(count):
        port = _free_port()
        log = folder / f"server{i}-{port}.log"
        child_env = dict(env)
        if profile is not None and i == 0:
            child_env[ENV_PROFILE] = str(profile)
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and this script
            [sys.executable, str(Path(__file__).resolve()), "_serve", "--db", url,
             "--port", str(port)],
            stdout=log.open("w"), stderr=subprocess.STDOUT, env=child_env, cwd=ROOT,
        )  # fmt: skip
        servers.append(Server(proc, port, log))
    deadline = time.monotonic() + timeout
    for s in servers:
        while not (_listening(s.port) and WARM_DONE in s.log.read_text()):
            if s.proc.poll() is not None or time.monotonic() > deadline:
                stop_servers(servers)
                raise SystemExit(f"server on {s.port} did not start:\n{s.log.read_text()}")
            time.sleep(0.3)
    return servers


def stop_servers(servers: list[Server]) -> None:
    for s in servers:
        if s.proc.poll() is None:
            s.proc.terminate()
    for s in servers:
        try:
            s.proc.wait(15)
        except subprocess.TimeoutExpired:
            s.proc.kill()


def nginx_conf(ports: list[int], listen: int, prefix: Path) -> str:
    """``deploy/nginx-hubcore.conf`` for this machine: its upstream balancing (sticky by sign-in
    cookie, else address), maps and proxy location as deployed; the upstream lines point at
    ``ports``; plain HTTP on 127.0.0.1:``listen`` instead of TLS (no certificate here); no
    port-80 redirect; logs and temporary files under ``prefix`` (run as a non-daemon,
    unprivileged)."""
    text = DEPLOY_CONF.read_text()
    text = re.sub(r"^#.*\n", "", text, flags=re.M)
    upstream = "".join(f"    server 127.0.0.1:{p};\n" for p in ports)
    text, n = re.subn(r"(upstream hubcore \{\n(?:(?!\s*server )[^\n]*\n)*)(?:\s*server [^\n]+\n)+",
                      lambda m: m.group(1) + upstream, text)
    assert n == 1, "deploy/nginx-hubcore.conf: upstream block not found"  # noqa: S101
    text = text.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen};")
    text = re.sub(r"^\s*ssl_certificate(_key)?\s[^\n]*\n", "", text, flags=re.M)
    # The port-80 redirect server (the last server block) is not needed here.
    text = re.sub(r"server \{\s*listen 80;.*?\}\s*$", "", text, flags=re.S)
    text = text.replace("server_name hub.example.org;", "server_name localhost;")
    temps = "".join(f"    {k}_temp_path {prefix / k};\n"
                    for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'error.log'} warn;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{\n    access_log off;\n{temps}{text}\n}}\n")


def start_nginx(ports: list[int], folder: Path) -> tuple[subprocess.Popen, int]:
    prefix = folder / "nginx"
    prefix.mkdir(exist_ok=True)
    listen = _free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(ports, listen, prefix))
    proc = subprocess.Popen(  # noqa: S603 - Debian's nginx on a config we just wrote
        [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=(prefix / "stderr.log").open("w"),
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not _listening(listen):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("nginx did not start: " + (prefix / "stderr.log").read_text()
                             + (prefix / "error.log").read_text() if (prefix / "error.log")
                             .exists() else "")
        time.sleep(0.1)
    return proc, listen


# --- the client side ----------------------------------------------------------------------------


_source = threading.local()


def _route_from_source_address() -> None:
    """Make Bokeh's client connect from the address in ``_source.ip`` (when set), so nginx's
    ip_hash sees different clients (Tornado's websocket honours ``network_interface``), and
    wait as long as a browser would."""
    from bokeh.client import connection
    from tornado.httpclient import HTTPRequest

    def request(url: str, **kw: object) -> HTTPRequest:
        # Tornado gives up on a handshake after 20 s; a browser waits longer. While 50 sessions
        # queue on one busy process the last handshakes wait that long: measure, don't drop.
        kw = {"connect_timeout": 600.0, "request_timeout": 600.0, **kw}
        ip = getattr(_source, "ip", None)
        return HTTPRequest(url, network_interface=ip, **kw) if ip else HTTPRequest(url, **kw)

    connection.HTTPRequest = request


def _client_models() -> None:
    """Register Panel's own Bokeh models in this (client) process, as a browser loads
    panel.min.js: pull_session must be able to read every model the server sends."""
    import importlib
    import pkgutil

    import panel.models

    for module in pkgutil.iter_modules(panel.models.__path__):
        with contextlib.suppress(Exception):  # optional extras (e.g. vtk) may not import
            importlib.import_module(f"panel.models.{module.name}")


def _proc_stats(pids: list[int]) -> tuple[float, float]:
    """(CPU seconds, RSS in MB) summed over ``pids``."""
    try:
        import psutil

        cpu = rss = 0.0
        for pid in pids:
            p = psutil.Process(pid)
            t = p.cpu_times()
            cpu += t.user + t.system
            rss += p.memory_info().rss
        return cpu, rss / 2**20
    except ImportError:
        tick = os.sysconf("SC_CLK_TCK")
        page = os.sysconf("SC_PAGE_SIZE")
        cpu = rss = 0.0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        return cpu, rss / 2**20


def _per_pid(pids: list[int]) -> list[float]:
    return [_proc_stats([p])[0] for p in pids]


@dataclass
class Burst:
    """One page, N simultaneous new sessions."""

    page: str
    n: int
    ok: int = 0
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    times_s: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    cpu_by_process_s: list[float] = field(default_factory=list)
    client_cpu_s: float = 0.0
    rss_before_mb: float = 0.0
    rss_open_mb: float = 0.0
    #: Bokeh models in one session's document (the first that arrived).
    models: int = 0
    load: str = ""

    @property
    def rate(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0

    def pct(self, q: float) -> float:
        t = sorted(self.times_s)
        return t[min(len(t) - 1, round(q * (len(t) - 1)))] if t else float("nan")

    @property
    def cpu_per_session(self) -> float:
        return self.cpu_s / self.n


#: Which client opens the sessions: "light" (default) or "bokeh" (``pull_session``); see
#: ``light_burst``.
CLIENT = {"kind": "light"}


def burst(base: str, page: str, n: int, pids: list[int], spread: bool,
          timeout: float = 330.0) -> Burst:
    """Open ``n`` sessions of ``page`` at once; measure; close them. A session not complete
    after ``timeout`` seconds counts as failed: Bokeh's session token expires after 300 s, and
    a websocket the server opens after that is refused while the client waits on for ever."""
    if CLIENT["kind"] == "light":
        return light_burst(base, page, n, pids, spread, timeout)
    from bokeh.client import pull_session

    result = Burst(page, n, load=_load())
    gate = threading.Barrier(n + 1)
    sessions: list = []
    lock = threading.Lock()

    def one(i: int) -> None:
        _source.ip = _source_ip(i, spread)
        gate.wait()
        started = time.perf_counter()
        try:
            session = pull_session(url=f"{base}/{page}")
            took = time.perf_counter() - started
            if not session.document.roots:
                raise RuntimeError("empty document")
            with lock:
                sessions.append(session)
                result.times_s.append(took)
        except Exception as exc:  # noqa: BLE001 - a failed session is a result
            with lock:
                result.errors.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # every thread at the gate
    result.rss_before_mb = _proc_stats(pids)[1]
    cpu0, by0 = _proc_stats(pids)[0], _per_pid(pids)
    client0 = time.process_time()
    gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join(max(0.0, timeout - (time.perf_counter() - t0)))
    result.wall_s = time.perf_counter() - t0
    result.client_cpu_s = time.process_time() - client0
    cpu1, result.rss_open_mb = _proc_stats(pids)
    result.cpu_s = cpu1 - cpu0
    result.cpu_by_process_s = [b - a for a, b in zip(by0, _per_pid(pids), strict=True)]
    result.ok = len(result.times_s)
    if result.ok + len(result.errors) < n:
        result.errors.append(f"{n - result.ok - len(result.errors)} not complete after "
                             f"{timeout:.0f} s")
    if sessions:
        result.models = len(sessions[0].document.models)
    for s in sessions:
        with contextlib.suppress(Exception):
            s.close()
    time.sleep(1.0)  # let the server see the closes before the next burst
    return result


def _source_ip(i: int, spread: bool) -> str | None:
    return f"127.0.{i % 250 + 1}.1" if spread else None


async def _read_message(ws) -> tuple[dict, str]:
    """One whole Bokeh protocol message from ``ws``: (header, content JSON text). A message is
    a header, metadata and content frame, then a (buffer header, payload) pair per buffer."""
    frames = []
    for _ in range(3):
        frame = await ws.read_message()
        if frame is None:
            raise ConnectionError("the server closed the websocket")
        frames.append(frame)
    header = json.loads(frames[0])
    for _ in range(2 * int(header.get("num_buffers", 0))):
        if await ws.read_message() is None:
            raise ConnectionError("the server closed the websocket")
    return header, frames[2]


async def _light_session(url: str, ip: str | None):
    """Open one new session of the page at ``url`` as ``pull_session`` does (a new session id
    and token, websocket, ACK, PULL-DOC-REQ) and return (websocket, the document's JSON
    text) once the whole PULL-DOC-REPLY has arrived. The server's work is the same as for
    ``pull_session``; only the client's model building is skipped."""
    from bokeh.client.util import websocket_url_for_server_url
    from bokeh.protocol import Protocol
    from bokeh.util.token import generate_jwt_token, generate_session_id
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    token = generate_jwt_token(generate_session_id())
    # Each client has its own sign-in session cookie, as each signed-in person has: the
    # deployed nginx keeps a client on one process by it (the app, without sign-in here,
    # ignores it).
    kw = {"connect_timeout": 600.0, "request_timeout": 600.0,
          "headers": {"Cookie": f"hubcore_session={uuid.uuid4().hex}"}}
    ws_url = websocket_url_for_server_url(url)
    request = HTTPRequest(ws_url, network_interface=ip, **kw) if ip else HTTPRequest(ws_url, **kw)
    ws = await websocket_connect(request, subprotocols=["bokeh", token],
                                 max_message_size=200 * 2**20)
    header, _ = await _read_message(ws)
    if header.get("msgtype") != "ACK":
        raise RuntimeError(f"expected ACK, got {header.get('msgtype')}")
    ask = Protocol().create("PULL-DOC-REQ")
    for frame in (ask.header_json, ask.metadata_json, ask.content_json):
        await ws.write_message(frame)
    while True:
        header, content = await _read_message(ws)
        if header.get("msgtype") == "PULL-DOC-REPLY":
            return ws, content
        if header.get("msgtype") == "ERROR":
            raise RuntimeError(f"server error: {content[:200]}")


def count_models(doc: dict) -> int:
    """Bokeh models under a serialised document's roots (as ``Document.models`` counts them;
    the document's own config objects are not counted): each is written in full once, as an
    object with ``"type": "object"`` and an ``id`` (later mentions are ``{"id": ...}`` only)."""
    ids, stack = set(), [doc.get("roots", [])]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") == "object" and "id" in item:
                ids.add(item["id"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return len(ids)


def light_burst(base: str, page: str, n: int, pids: list[int], spread: bool,
                timeout: float) -> Burst:
    """``burst`` with light protocol clients, all on one event loop in this process.

    ``pull_session`` turns every document back into Python Bokeh models in the client; on this
    2-core machine that cost as much CPU as the server's work (11.6 CPU-s for 50 overview
    sessions, all under one GIL), so the clients, not the server, set the wall time. Here each
    client speaks the same protocol, receives the whole document and parses its JSON (a
    session whose document has no roots fails), and builds no models: a browser's rendering
    happens on its own machine. The model count is read from the first document's JSON."""
    import asyncio

    result = Burst(page, n, load=_load())
    url = f"{base}/{page}"

    async def one(i: int, t0: float) -> object:
        ws, content = await _light_session(url, _source_ip(i, spread))
        took = time.perf_counter() - t0
        doc = json.loads(content)["doc"]
        if not doc.get("roots"):
            ws.close()
            raise RuntimeError("empty document")
        result.times_s.append(took)
        if not result.models:
            result.models = count_models(doc)
        return ws

    async def run() -> None:
        result.rss_before_mb = _proc_stats(pids)[1]
        cpu0, by0 = _proc_stats(pids)[0], _per_pid(pids)
        client0 = time.process_time()
        t0 = time.perf_counter()
        tasks = [asyncio.ensure_future(one(i, t0)) for i in range(n)]
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        result.wall_s = time.perf_counter() - t0
        result.client_cpu_s = time.process_time() - client0
        cpu1, result.rss_open_mb = _proc_stats(pids)
        result.cpu_s = cpu1 - cpu0
        result.cpu_by_process_s = [b - a for a, b in zip(by0, _per_pid(pids), strict=True)]
        for task in pending:
            task.cancel()
        if pending:
            result.errors.append(f"{len(pending)} not complete after {timeout:.0f} s")
        for task in done:
            if task.exception() is not None:
                exc = task.exception()
                result.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            else:
                task.result().close()

    asyncio.run(run())
    result.ok = len(result.times_s)
    time.sleep(1.0)  # let the server see the closes before the next burst
    return result


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# --- databases ----------------------------------------------------------------------------------


def sqlite_demo(folder: Path) -> str:
    """Build the demo hub with ``hubcore demo --no-serve`` in a temporary HUBCORE_HOME."""
    home = folder / "home"
    home.mkdir()
    env = {**os.environ, "HUBCORE_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "hubcore.cli", "demo", "--no-serve"],  # noqa: S603
                   env=env, cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    from hubcore import db

    return db.sqlite_url(home / "demo.db")


def pg_demo(admin_url: str) -> str:
    """A fresh database on the PostgreSQL server of ``admin_url`` with the demo hub in it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from hubcore import db, demo

    name = f"hubcore_capacity_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = db.get_engine(url)
    db.upgrade(engine)
    demo.build(engine, size="hub", progress=False)
    engine.dispose()
    return url


def drop_pg(url: str, admin_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


# --- running and reporting ----------------------------------------------------------------------


def run_deployment(db_label: str, url: str, processes: int, args: argparse.Namespace,
                   folder: Path, env: dict) -> list[Burst]:
    servers = start_servers(url, processes, folder, env)
    nginx = None
    try:
        pids = [s.proc.pid for s in servers]
        if processes == 1:
            base = f"http://127.0.0.1:{servers[0].port}"
        else:
            nginx, listen = start_nginx([s.port for s in servers], folder)
            base = f"http://127.0.0.1:{listen}"
        # One session of each page first, so every process has run each page's code once (as
        # after `hubcore serve`'s own warm-up for the real pages; the floor pages too).
        for page in args.pages:
            burst(base, page, max(2, processes), pids, spread=not args.same_ip)
        results = []
        for n in args.n:
            for page in args.pages:
                r = burst(base, page, n, pids, spread=not args.same_ip and processes > 1)
                results.append(r)
                print(f"  [{db_label}, {processes} proc, N={n}] {page}: {r.ok}/{n} in "
                      f"{r.wall_s:.1f} s, server CPU {r.cpu_per_session * 1000:.0f} ms/session "
                      f"(load {r.load})", flush=True)
                # The whole row at once too: a run cut short keeps what it measured.
                print("    " + json.dumps({"db": db_label, "processes": processes,
                                           **asdict(r)}), flush=True)
        return results
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        stop_servers(servers)


def report(db_label: str, processes: int, results: list[Burst]) -> str:
    lines = [f"\n== {db_label}, {processes} process(es)"
             + (" behind nginx (deploy/nginx-hubcore.conf)" if processes > 1 else "")]
    head = ("| page | N | ok | sessions/s | p50 s | p95 s | max s | server CPU ms/session | "
            "× blank | RSS before MB | RSS open MB | MB/session | CPU split by process s | "
            "client CPU s | models | load (1/5/15 min) |")
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for n in sorted({r.n for r in results}):
        floor = next((r for r in results if r.n == n and r.page == "blank"), None)
        for r in (x for x in results if x.n == n):
            ratio = (r.cpu_per_session / floor.cpu_per_session
                     if floor and floor.cpu_per_session else float("nan"))
            split = " / ".join(f"{c:.1f}" for c in r.cpu_by_process_s)
            lines.append(
                f"| {r.page} | {n} | {r.ok} | {r.rate:.1f} | {r.pct(0.5):.2f} | "
                f"{r.pct(0.95):.2f} | {max(r.times_s, default=float('nan')):.2f} | "
                f"{r.cpu_per_session * 1000:.0f} | {ratio:.1f} | {r.rss_before_mb:.0f} | "
                f"{r.rss_open_mb:.0f} | {(r.rss_open_mb - r.rss_before_mb) / n:.2f} | "
                f"{split} | {r.client_cpu_s:.1f} | {r.models} | {r.load} |")
        for r in (x for x in results if x.n == n and x.errors):
            lines.append(f"  {r.page} N={n} errors: {r.errors[:3]}")
    return "\n".join(lines)


def profile(url: str, page: str, n: int, folder: Path, env: dict, top: int) -> str:
    """cProfile of the server's main thread over ``n`` simultaneous new sessions of ``page``."""
    import io
    import pstats

    out = folder / f"profile-{page}.prof"
    servers = start_servers(url, 1, folder, env, profile=out)
    try:
        pid = servers[0].proc.pid
        base = f"http://127.0.0.1:{servers[0].port}"
        burst(base, page, 2, [pid], spread=False)
        os.kill(pid, signal.SIGUSR1)
        time.sleep(0.3)
        r = burst(base, page, n, [pid], spread=False)
        os.kill(pid, signal.SIGUSR2)
        done = Path(str(out) + ".done")
        deadline = time.monotonic() + 60
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop_servers(servers)
    buf = io.StringIO()
    stats = pstats.Stats(str(out), stream=buf)
    if r.errors:
        buf.write(f"errors: {r.errors[:3]}\n")
    buf.write(f"cProfile of {page}, {r.ok}/{n} sessions in {r.wall_s:.1f} s, server CPU "
              f"{r.cpu_per_session * 1000:.0f} ms/session, load {r.load}; stats in {out}\n")
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_serve"]:
        return _serve(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20, 50],
                        help="simultaneous sessions per burst (default 20 50)")
    parser.add_argument("--pages", nargs="+", default=list(PAGES),
                        choices=list(PAGES + EXTRA_PAGES),
                        help="pages (default: blank and the four dashboards)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2],
                        help="server processes; more than one runs behind nginx (default 1 2)")
    parser.add_argument("--sqlite", metavar="FILE_OR_URL",
                        help="an existing demo database (default: build one in a temp home)")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument("--pg", metavar="ADMIN_URL",
                        help="also a PostgreSQL server: a fresh database with the demo in it")
    parser.add_argument("--same-ip", action="store_true",
                        help="through nginx, every client from 127.0.0.1 (one school's network)")
    parser.add_argument("--profile", metavar="PAGE", choices=list(PAGES + EXTRA_PAGES),
                        help="after the runs, cProfile N (first --n) sessions of PAGE")
    parser.add_argument("--profile-only", action="store_true", help="skip the capacity runs")
    parser.add_argument("--top", type=int, default=40, help="profile rows shown")
    parser.add_argument("--json", metavar="FILE", help="also write every burst as JSON")
    parser.add_argument("--client", choices=("light", "bokeh"), default="light",
                        help="light: protocol clients that build no models (default); bokeh: "
                             "pull_session, which builds every model in the client")
    args = parser.parse_args(argv)
    CLIENT["kind"] = args.client
    if "blank" not in args.pages:
        args.pages.insert(0, "blank")  # the floor of every ratio
    sys.path.insert(0, str(ROOT))
    _route_from_source_address()
    _client_models()

    folder = Path(tempfile.mkdtemp(prefix="hubcore-capacity-"))
    home = folder / "serve-home"
    home.mkdir()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HUBCORE_HOME": str(home),
           # No users file: no sign-in, loopback only (as --no-sign-in on 127.0.0.1).
           "HUBCORE_USERS_FILE": str(home / "no-users.json"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    print(f"capacity benchmark: load {_load()}, {os.cpu_count()} cores; files in {folder}")
    dbs: list[tuple[str, str]] = []
    if not args.no_sqlite:
        if args.sqlite:
            from hubcore import db

            target = args.sqlite if "://" in args.sqlite else db.sqlite_url(args.sqlite)
        else:
            target = sqlite_demo(folder)
        dbs.append(("SQLite", target))
    if args.pg:
        dbs.append(("PostgreSQL", pg_demo(args.pg)))
    everything = []
    try:
        for label, url in dbs:
            if not args.profile_only:
                for processes in args.processes:
                    results = run_deployment(label, url, processes, args, folder, env)
                    print(report(label, processes, results), flush=True)
                    everything += [{"db": label, "processes": processes, **asdict(r)}
                                   for r in results]
            if args.profile:
                print(f"\n== {label}: " + profile(url, args.profile, args.n[0], folder, env,
                                                  args.top), flush=True)
    finally:
        if args.pg:
            for label, url in dbs:
                if label == "PostgreSQL":
                    drop_pg(url, args.pg)
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))
    print(f"\nload at the end {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
