"""Hardening of the served hub (issue 13, items 3 and 6, and the headers of item 1): serving
without users only on loopback, the cookie secret judged by entropy, sign-in throttled per user
and per address with refusals audited, server-side sessions that /logout revokes, cookie flags,
security headers, pages without inline script, /components importing nothing, and the password
check kept off the event loop."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from hubcore import audit, signin, users
from hubcore.errors import HubcoreError

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def users_path(tmp_path, monkeypatch):
    path = tmp_path / "users.json"
    monkeypatch.setenv(users.ENV_USERS_FILE, str(path))
    monkeypatch.setattr(users, "SCRYPT_N", 2**10)  # fast hashes in tests
    return path


# --- the cookie secret ---------------------------------------------------------------------------


def test_secret_judged_by_entropy_not_length():
    from dashboards.common import auth

    # 32 × "a": one symbol, so 0 bits whatever the length (the issue forged a cookie with it).
    assert users.secret_bits("a" * 32) == 0
    with pytest.raises(HubcoreError, match="too predictable"):
        auth.check_cookie_secret("a" * 32)
    with pytest.raises(HubcoreError, match="too predictable"):
        auth.check_cookie_secret("a" * 200)
    # "ab" × 16: the steps alternate +1, −1 (16 and 15 of them), at most 31 × 1 bit.
    assert users.secret_bits("ab" * 16) <= 31
    # "abcd" × 8: steps +1 (24 times) and −3 (7 times): 31 × H(24/31, 7/31) = 23.9 bits at most.
    assert users.secret_bits("abcd" * 8) <= 23.9
    # A password repeated to reach the length is no stronger than once.
    with pytest.raises(HubcoreError, match="too predictable"):
        auth.check_cookie_secret("Tr0ub4dor&3x" * 6)
    for _ in range(200):  # what `hubcore secret` makes always passes
        made = users.make_secret()
        assert auth.check_cookie_secret(made) == made


def test_secret_command(capsys, monkeypatch):
    from dashboards.common import auth
    from hubcore import cli

    assert cli.main(["secret"]) == 0
    made = capsys.readouterr().out.strip()
    assert len(made) == 64 and auth.check_cookie_secret(made) == made
    monkeypatch.setenv("HUBCORE_COOKIE_SECRET", "a" * 32)
    assert cli.main(["secret", "--check"]) == 1
    assert "128 needed" in capsys.readouterr().err
    monkeypatch.setenv("HUBCORE_COOKIE_SECRET", made)
    assert cli.main(["secret", "--check"]) == 0


# --- serving without users -----------------------------------------------------------------------


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("127.4.5.6", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False),  # noqa: S104
    ("hub.example.org", False),
])
def test_loopback_addresses(address, loopback):
    from dashboards.common.server import is_loopback

    assert is_loopback(address) is loopback


@pytest.mark.parametrize("users_file", ["missing", "mistyped", "empty"])
def test_no_users_means_loopback_only(users_file, users_path, monkeypatch):
    from dashboards.common.server import auth_options

    if users_file == "mistyped":
        users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO")
        monkeypatch.setenv(users.ENV_USERS_FILE, str(users_path) + "n")  # users.jsonn
    elif users_file == "empty":
        users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO")
        users.remove_user("lead@hub.test")
    said: list[str] = []
    with pytest.raises(HubcoreError, match="refusing to serve on 0.0.0.0 without sign-in"):
        auth_options(said.append, address="0.0.0.0")  # noqa: S104
    assert auth_options(said.append, address="127.0.0.1") == {}
    assert "No sign-in, loopback only" in said[-1]
    assert auth_options(said.append, address="0.0.0.0", no_sign_in=True) == {}  # noqa: S104
    assert said[-1].startswith("  WARNING: no sign-in, listening on 0.0.0.0")


def test_no_sign_in_with_users_is_refused(monkeypatch):
    from dashboards.common.server import auth_options

    users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO")
    monkeypatch.setenv("HUBCORE_COOKIE_SECRET", users.make_secret())
    with pytest.raises(HubcoreError, match="names users"):
        auth_options(print, address="0.0.0.0", no_sign_in=True)  # noqa: S104
    said: list[str] = []
    options = auth_options(said.append, address="0.0.0.0")  # noqa: S104
    assert "auth_provider" in options and said == [
        f"  Sign-in on: 1 users in {users.users_file()}; /logout to sign out"
    ]


def test_serve_refuses_public_address_without_users(engine, tmp_path):
    """`hubcore serve --address 0.0.0.0` with a mistyped users file exits at once (it served
    the overdue list to anyone before)."""
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, users.ENV_USERS_FILE: str(tmp_path / "typo.json")}
    done = subprocess.run(
        [sys.executable, "-m", "hubcore.cli", "serve", "--db", url, "--address",
         "0.0.0.0", "--port", str(_free_port())],  # noqa: S104
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "refusing to serve on 0.0.0.0 without sign-in" in done.stderr
    assert "typo.json does not exist" in done.stderr and "Traceback" not in done.stderr


# --- throttling and sessions (hubcore.signin, over the audit table) ------------------------------


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(signin, "_now", fake)
    return fake


def test_backoff_doubles_after_the_free_failures():
    assert [signin.backoff(n, 5) for n in (0, 4, 5, 6, 7, 9)] == [0, 0, 1, 2, 4, 16]
    assert signin.backoff(40, 5) == signin.MAX_WAIT


def test_user_throttled_after_wrong_passwords_and_refusals_audited(engine, clock):
    users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO")
    for _ in range(signin.FREE_FAILURES_USER):
        assert signin.attempt(engine, "lead@hub.test", "guess", "10.0.0.1").user is None
        clock.advance(0.1)
    # Sixth attempt 0.1 s after the fifth failure: 2**0 = 1 s to wait, so even the right
    # password is not checked.
    refused = signin.attempt(engine, "lead@hub.test", PASSWORD, "10.0.0.1")
    assert refused.user is None and refused.retry_after == pytest.approx(0.9)
    # From another address the per-user back-off holds as well.
    assert signin.attempt(engine, "lead@hub.test", PASSWORD, "10.0.0.2").user is None
    clock.advance(1.0)  # 1.1 s after the fifth failure
    accepted = signin.attempt(engine, "lead@hub.test", PASSWORD, "10.0.0.1")
    assert accepted.user.name == "lead@hub.test" and accepted.session_id
    events = audit.events(engine)
    refusals = events[events["action"] == "sign-in-refused"]
    assert len(refusals) == 7  # five wrong passwords, two throttled
    assert list(refusals["detail"]).count("wrong password") == 5
    assert sum(d.startswith("throttled") for d in refusals["detail"]) == 2
    assert set(refusals["subject"]) == {"address:10.0.0.1", "address:10.0.0.2"}
    assert PASSWORD not in events.to_string() and "guess" not in events.to_string()
    # A sign-in forgives that user's earlier failures: four more are still free.
    for _ in range(signin.FREE_FAILURES_USER - 1):
        clock.advance(0.1)
        assert signin.attempt(engine, "lead@hub.test", "guess", "10.0.0.1").retry_after == 0


def test_address_throttled_across_user_names(engine, clock):
    for i in range(signin.FREE_FAILURES_ADDRESS):  # one guess each at many names
        assert signin.attempt(engine, f"user{i}@x", "guess", "10.9.9.9").retry_after == 0
        clock.advance(0.01)
    users.add_user("fresh@hub.test", "analyst", PASSWORD, hub_id="DEMO")
    assert signin.attempt(engine, "fresh@hub.test", PASSWORD, "10.9.9.9").retry_after > 0
    assert signin.attempt(engine, "fresh@hub.test", PASSWORD, "10.9.9.8").user is not None
    # A quiet window forgives the address.
    clock.advance(signin.WINDOW.total_seconds() + 1)
    assert signin.attempt(engine, "fresh@hub.test", PASSWORD, "10.9.9.9").user is not None


def test_sessions_end_at_sign_out_and_expire(engine, clock):
    users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO")
    first = signin.attempt(engine, "lead@hub.test", PASSWORD, "10.0.0.1").session_id
    second = signin.attempt(engine, "lead@hub.test", PASSWORD, "10.0.0.1").session_id
    assert first != second
    assert signin.session_user(engine, first) == "lead@hub.test"
    assert signin.session_user(engine, "made-up") is None
    assert signin.session_user(engine, None) is None
    signin.sign_out(engine, first, "lead@hub.test")
    assert signin.session_user(engine, first) is None
    assert signin.session_user(engine, second) == "lead@hub.test"  # the other device stays in
    clock.advance(signin.SESSION_HOURS * 3600 + 1)
    assert signin.session_user(engine, second) is None
    # Only hashes of session ids are stored.
    assert first not in audit.events(engine).to_string()


# --- served ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: A module the server has never imported; importing it leaves a file behind.
PROBE_MODULE = "hubcore_import_probe"


@pytest.fixture(scope="module")
def served(demo_engine, tmp_path_factory):
    """`hubcore serve` with sign-in, a slow scrypt for unknown names (HUBCORE_SCRYPT_N=2**16,
    about a quarter to half a second a check here) and a probe module on its path."""
    folder = tmp_path_factory.mktemp("hardening")
    path = folder / "users.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users, "SCRYPT_N", 2**10)
        users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO", path=path)
    marker = folder / "imported"
    (folder / f"{PROBE_MODULE}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n"
        "class C:\n    _css = []\n"
    )
    port = _free_port()
    env = {
        **os.environ,
        users.ENV_USERS_FILE: str(path),
        "HUBCORE_COOKIE_SECRET": secrets.token_urlsafe(48),
        "HUBCORE_SCRYPT_N": str(2**16),
        "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]),
    }
    url = demo_engine.url.render_as_string(hide_password=False)
    log = (folder / "server.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubcore.cli", "serve", "--db", url, "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, (folder / "server.log").read_text()
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    yield {"base": f"http://127.0.0.1:{port}", "marker": marker, "engine": demo_engine,
           "log": folder / "server.log"}
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _sign_in(base: str, headers: dict | None = None) -> requests.Session:
    session = requests.Session()
    session.headers.update(headers or {})
    answer = session.post(f"{base}/login", data={"username": "lead@hub.test",
                                                 "password": PASSWORD},
                          allow_redirects=False, timeout=60)
    assert answer.status_code == 302 and "error" not in answer.headers["Location"]
    return session


def _check_headers(headers) -> None:
    policy = headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_security_headers_everywhere(served):
    base = served["base"]
    for path in ("/login", "/overview", "/static/js/bokeh.min.js", "/no-such-page"):
        answer = requests.get(base + path, allow_redirects=False, timeout=60)
        _check_headers(answer.headers)
        assert "Strict-Transport-Security" not in answer.headers  # plain HTTP
    # Through a proxy on this host that terminated HTTPS: HSTS, and Secure cookies.
    https = {"X-Forwarded-Proto": "https"}
    login = requests.get(f"{base}/login?next=/overview", headers=https, timeout=60)
    assert login.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    session = _sign_in(base, https)
    page = session.get(f"{base}/overview", timeout=60)
    assert page.status_code == 200
    _check_headers(page.headers)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script(served):
    page = _sign_in(served["base"]).get(f"{served['base']}/profile", timeout=60)
    assert page.status_code == 200
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts
    for attributes, body in scripts:
        if 'type="application/json"' in attributes or 'type="esms-options"' in attributes:
            continue  # data, never executed
        assert "src=" in attributes and not body.strip(), attributes + body[:200]
    assert "hubcore-start" in page.text


def test_cookie_flags_and_logout_revokes(served):
    base = served["base"]
    session = requests.Session()
    answer = session.post(f"{base}/login", data={"username": "lead@hub.test",
                                                 "password": PASSWORD},
                          allow_redirects=False, timeout=60)
    cookies = answer.raw.headers.getlist("Set-Cookie")
    named = {c.split("=", 1)[0]: c for c in cookies}
    for name in ("user", "id_token", "hubcore_session"):
        assert "HttpOnly" in named[name] and "SameSite=Lax" in named[name], named[name]
        assert "Secure" not in named[name]  # plain HTTP here; see the header test for HTTPS
    kept = dict(session.cookies)
    assert session.get(f"{base}/overview", allow_redirects=False, timeout=60).status_code == 200
    session.get(f"{base}/logout", timeout=60)
    # The cookies from before the logout, replayed (as a copied cookie would be): refused.
    replay = requests.get(f"{base}/overview", cookies=kept, allow_redirects=False, timeout=60)
    assert replay.status_code == 302 and "/login" in replay.headers["Location"]
    # Cookies signed with the right secret but without a live session are refused too.
    no_session = {k: v for k, v in kept.items() if k != "hubcore_session"}
    answer = requests.get(f"{base}/overview", cookies=no_session, allow_redirects=False,
                          timeout=60)
    assert answer.status_code == 302
    events = audit.events(served["engine"], user="lead@hub.test")
    assert {"sign-in", "sign-out"} <= set(events["action"])


def test_components_route_imports_nothing(served):
    base, marker = served["base"], served["marker"]
    target = f"{base}/components/{PROBE_MODULE}/C/_css/x.css"
    anonymous = requests.get(target, allow_redirects=False, timeout=60)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    signed_in = _sign_in(base).get(target, allow_redirects=False, timeout=60)
    assert signed_in.status_code == 404
    assert not marker.exists(), "a URL made the server import a module"


def test_login_page_shows_only_its_own_messages(served):
    base = served["base"]
    planted = requests.get(f"{base}/login?error=Account+locked:+call+0800+123", timeout=60)
    assert "0800" not in planted.text
    wrong = requests.post(f"{base}/login", data={"username": "nobody@x", "password": "x"},
                          headers={"X-Real-IP": "10.1.1.1"}, timeout=60)
    assert "Invalid username or password." in wrong.text


def test_password_checks_do_not_block_other_requests(served):
    """While slow wrong-password checks run (unknown names, each from its own address, so none
    is throttled), the login page still answers at once: the checks run in a thread pool.
    Before, each check held the event loop for its whole duration."""
    base = served["base"]
    requests.get(f"{base}/login", timeout=60)  # warm

    def wrong(i: int, took: list) -> None:
        started = time.perf_counter()
        requests.post(f"{base}/login", data={"username": f"x{i}@y", "password": "wrong"},
                      headers={"X-Real-IP": f"10.2.0.{i}"}, timeout=120)
        took.append(time.perf_counter() - started)

    took: list[float] = []
    threads = [threading.Thread(target=wrong, args=(i, took)) for i in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    during = []
    while any(t.is_alive() for t in threads) and len(during) < 20:
        started = time.perf_counter()
        requests.get(f"{base}/login", timeout=60)
        during.append(time.perf_counter() - started)
    for thread in threads:
        thread.join()
    assert during, "the checks ended before the page could be timed"
    # Six checks queue on the pool: the slowest waited for all, the page for none of them.
    assert statistics.median(during) < max(took) / 4, (during, took)


def test_no_server_errors(served):
    text = Path(served["log"]).read_text()
    assert "Traceback" not in text, text[-3000:]
