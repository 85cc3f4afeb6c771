"""The documented deployment, on loopback: two `hubcore serve` processes behind nginx with the
proxy settings of deploy/nginx-hubcore.conf (sticky sessions, websocket upgrade), sign-in on.
Skipped where nginx is not installed."""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from hubcore import users
from tests.e2e.conftest import Server, _free_port, wait_for_canvases

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nginx-hubcore.conf"
PASSWORD = "nginx test password"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx not installed"),
]


def _conf(prefix: Path, listen: int, backends: list[int]) -> str:
    shipped = DEPLOY.read_text()
    location = re.search(r"\n    location / \{.*?\n    \}", shipped, re.S).group(0)
    maps = "\n".join(re.findall(r"^map .*?\n\}", shipped, re.S | re.M))
    # The shipped balancing (the upstream's lines before its servers), not a copy of it.
    balancing = re.search(r"upstream hubcore \{\n((?:(?!\s*server )[^\n]*\n)*)", shipped).group(1)
    servers = "\n".join(f"    server 127.0.0.1:{port};" for port in backends)
    return f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 256; }}
http {{
    log_format sticky '$upstream_addr $cookie_hubcore_session';
    access_log {prefix}/access.log sticky;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream hubcore {{
{balancing}{servers}
    }}
{maps}
    server {{
        listen 127.0.0.1:{listen};
        server_name localhost;
{location}
    }}
}}
"""


@pytest.fixture
def behind_nginx(demo_engine, tmp_path, monkeypatch):
    users_file = tmp_path / "users.json"
    monkeypatch.setenv(users.ENV_USERS_FILE, str(users_file))
    monkeypatch.setattr(users, "SCRYPT_N", 2**10)
    users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO")
    listen = _free_port()
    monkeypatch.setenv("HUBCORE_COOKIE_SECRET", secrets.token_urlsafe(48))  # weak ones refused
    monkeypatch.setenv("HUBCORE_WEBSOCKET_ORIGIN", f"localhost:{listen},127.0.0.1:{listen}")
    url = demo_engine.url.render_as_string(hide_password=False)
    backends = [Server(url, tmp_path / f"server{i}.log") for i in range(2)]
    conf = tmp_path / "nginx.conf"
    conf.write_text(_conf(tmp_path, listen, [b.port for b in backends]))
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(conf)],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "nginx.out").open("w"),
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", listen)) == 0:
                break
        if nginx.poll() is not None:
            raise RuntimeError((tmp_path / "nginx.out").read_text())
        time.sleep(0.1)
    yield f"http://localhost:{listen}", backends
    nginx.terminate()
    nginx.wait(10)
    for backend in backends:
        backend.stop()


def test_dashboards_behind_nginx_with_sign_in(behind_nginx, page):
    base, backends = behind_nginx
    page.goto(f"{base}/overview")
    page.wait_for_url(re.compile(r".*/login.*"))
    page.fill("input[name=username]", "lead@hub.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(re.compile(r".*/overview.*"), timeout=60_000)
    wait_for_canvases(page, minimum=1, timeout_s=60)  # drawn over the websocket through nginx
    errors = [line for b in backends for line in b.errors()]
    assert not errors, errors


def test_nginx_sends_the_security_headers_once(behind_nginx):
    """The shipped proxy block sends the app's policy: one copy on the app's answers, and the
    same on nginx's own (a body over client_max_body_size never reaches the app)."""
    import requests

    from dashboards.common import security

    base, _ = behind_nginx
    for path in ("/login", "/overview", "/static/js/bokeh.min.js"):
        answer = requests.get(base + path, allow_redirects=False, timeout=60)
        for name, value in security.HEADERS.items():
            assert answer.raw.headers.getlist(name) == [value], (path, name)
        assert answer.raw.headers.getlist("Strict-Transport-Security") == [security.HSTS]
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Length: 60000000\r\n\r\n")
        head = sock.recv(65536).decode("latin-1").split("\r\n\r\n")[0]
    assert head.startswith("HTTP/1.1 413")
    lines = head.split("\r\n")
    for name, value in security.HEADERS.items():
        assert f"{name}: {value}" in lines, (name, head)


def test_sticky_by_sign_in_session_not_by_address(behind_nginx, tmp_path):
    """People behind one address (a school's network: every request here is from 127.0.0.1)
    are spread over the processes by their sign-in session cookie, each session stays on one
    process, and before sign-in (no cookie) the address decides, as ip_hash did."""
    import requests

    from dashboards.common.auth import SESSION_COOKIE

    base, backends = behind_nginx
    sessions = [secrets.token_urlsafe(16) for _ in range(24)]
    for _ in range(2):
        for session in sessions:
            requests.get(base + "/login", cookies={SESSION_COOKIE: session},
                         allow_redirects=False, timeout=60)
    for _ in range(4):
        requests.get(base + "/login", allow_redirects=False, timeout=60)
    served: dict[str, set[str]] = {}
    for line in (tmp_path / "access.log").read_text().splitlines():
        upstream, cookie = line.split(" ", 1)
        served.setdefault(cookie, set()).add(upstream)
    ports = {f"127.0.0.1:{b.port}" for b in backends}
    assert set(sessions) <= set(served), "every session's requests reached nginx's log"
    for session in sessions:
        assert len(served[session]) == 1, f"a session moved between processes: {served[session]}"
        assert served[session] <= ports
    # 24 random sessions all on one of two processes would happen once in 2**23 runs.
    assert set().union(*(served[s] for s in sessions)) == ports
    assert len(served["-"]) == 1, "requests without a session cookie stay on one process"
