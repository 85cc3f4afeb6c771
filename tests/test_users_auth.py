"""Users file, hashed passwords, `hubcore users`, and sign-in on the served dashboards."""

from __future__ import annotations

import json
import os
import secrets
import socket
import stat
import subprocess
import sys
import time

import pytest
import requests

from hubcore import cli, users
from hubcore.access import Role
from hubcore.errors import AccessDenied, HubcoreError

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def users_path(tmp_path, monkeypatch):
    path = tmp_path / "users.json"
    monkeypatch.setenv(users.ENV_USERS_FILE, str(path))
    monkeypatch.setattr(users, "SCRYPT_N", 2**10)  # fast hashes in tests
    return path


def test_passwords_are_hashed_and_checked(users_path):
    users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO")
    text = users_path.read_text()
    assert PASSWORD not in text and "scrypt$" in text
    assert stat.S_IMODE(users_path.stat().st_mode) == 0o600
    assert users.authenticate("lead@hub.test", PASSWORD).role == "hub_lead"
    assert users.authenticate("lead@hub.test", PASSWORD + "!") is None
    assert users.authenticate("nobody", PASSWORD) is None
    # Two users with the same password get different hashes (per-user salt).
    users.add_user("other@hub.test", "analyst", PASSWORD, hub_id="DEMO")
    entries = json.loads(users_path.read_text())["users"]
    assert entries["lead@hub.test"]["password"] != entries["other@hub.test"]["password"]


def test_scope_from_users_file():
    users.add_user("cl@school.test", "careers_leader", PASSWORD, urn=900003)
    users.add_user("ncs@ncs.test", "ncs_adviser", None, ncs_area="X06000001")
    scope = users.user_scope("cl@school.test")
    assert (scope.role, scope.urn, scope.user) == (Role.CAREERS_LEADER, 900003, "cl@school.test")
    assert users.load_users()["ncs@ncs.test"].sign_in == "oidc"
    assert users.authenticate("ncs@ncs.test", "") is None  # OIDC users have no password here
    with pytest.raises(AccessDenied):
        users.user_scope("stranger")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "x y", "role": "admin"}, "user name"),
        ({"name": "a", "role": "boss"}, "unknown role"),
        ({"name": "a", "role": "careers_leader"}, "URN"),
        ({"name": "a", "role": "hub_lead"}, "needs a hub"),
        ({"name": "a", "role": "admin", "password": "short"}, "too short"),
    ],
)
def test_bad_users_refused(kwargs, message):
    with pytest.raises(HubcoreError, match=message):
        users.add_user(**kwargs)


def test_users_cli(users_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["users", "add", "lead@hub.test", "--role", "hub_lead", "--hub", "DEMO",
                     "--password-stdin"]) == 0  # fmt: skip
    assert cli.main(["users", "add", "ncs@x.test", "--role", "ncs_adviser", "--ncs-area",
                     "X06000001", "--oidc"]) == 0  # fmt: skip
    assert cli.main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "lead@hub.test" in out and "hub_lead" in out and "oidc" in out
    assert "scrypt" not in out and PASSWORD not in out
    assert cli.main(["users", "add", "lead@hub.test", "--role", "admin", "--oidc"]) == 1
    assert "exists already" in capsys.readouterr().err
    assert cli.main(["users", "remove", "lead@hub.test"]) == 0
    assert list(users.load_users()) == ["ncs@x.test"]


# --- served ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(db_url: str, env: dict, log) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubcore.cli", "serve", "--db", db_url, "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc, port
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_serve_refuses_users_without_cookie_secret(demo_engine, users_path, tmp_path):
    users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO")
    url = demo_engine.url.render_as_string(hide_password=False)
    env = {users.ENV_USERS_FILE: str(users_path), "HUBCORE_COOKIE_SECRET": ""}
    with (tmp_path / "log").open("w+") as log:
        proc, _ = _serve(url, env, log)
        proc.wait(30)
        log.seek(0)
        text = log.read()
    assert proc.returncode == 1
    assert "HUBCORE_COOKIE_SECRET is not set" in text and "Traceback" not in text


def test_served_pages_need_sign_in(demo_engine, users_path, tmp_path):
    users.add_user("lead@hub.test", "hub_lead", PASSWORD, hub_id="DEMO")
    users.add_user("gone@hub.test", "analyst", PASSWORD, hub_id="DEMO")
    url = demo_engine.url.render_as_string(hide_password=False)
    env = {
        users.ENV_USERS_FILE: str(users_path),
        "HUBCORE_COOKIE_SECRET": secrets.token_urlsafe(48),  # a weak secret is refused
        "HUBCORE_SCRYPT_N": str(2**10),
    }
    with (tmp_path / "log").open("w+") as log:
        proc, port = _serve(url, env, log)
        try:
            base = f"http://127.0.0.1:{port}"
            anon = requests.get(f"{base}/overview", allow_redirects=False, timeout=30)
            assert anon.status_code == 302 and "/login" in anon.headers["Location"]
            # The websocket refuses an anonymous upgrade too.
            ws = requests.get(f"{base}/overview/ws", allow_redirects=False, timeout=30)
            assert ws.status_code in (302, 401, 403)

            bad = requests.Session()
            bad.post(f"{base}/login", data={"username": "lead@hub.test", "password": "nope"},
                     timeout=30)  # fmt: skip
            assert "user" not in bad.cookies
            assert bad.get(f"{base}/overview", allow_redirects=False, timeout=30).status_code == 302

            good = requests.Session()
            good.post(f"{base}/login", data={"username": "lead@hub.test", "password": PASSWORD},
                      allow_redirects=False, timeout=30)  # fmt: skip
            assert "user" in good.cookies
            page = good.get(f"{base}/overview", allow_redirects=False, timeout=60)
            assert page.status_code == 200

            # A user removed from the file is locked out at once, cookie or not.
            gone = requests.Session()
            gone.post(f"{base}/login", data={"username": "gone@hub.test", "password": PASSWORD},
                      allow_redirects=False, timeout=30)  # fmt: skip
            assert "user" in gone.cookies
            users.remove_user("gone@hub.test")
            refused = gone.get(f"{base}/overview", allow_redirects=False, timeout=60)
            assert refused.status_code != 200 or "Authorization Error" in refused.text
        finally:
            _stop(proc)
        log.seek(0)
        text = log.read()
    assert "Traceback" not in text


def test_page_scope_comes_from_the_signed_in_user(demo_engine, monkeypatch):
    """dashboards.common.context.default_scope: the users file decides, not the page's ?hub=."""
    import panel as pn

    from dashboards.common import context

    users.add_user("cl@school.test", "careers_leader", PASSWORD, urn=900003)
    users.add_user("ops@hub.test", "admin", PASSWORD)
    signed_in = {"user": "cl@school.test"}
    monkeypatch.setattr(type(pn.state), "user_info", property(lambda self: signed_in))
    scope = context.default_scope(demo_engine, hub_id="DEMO")
    assert (scope.role, scope.urn, scope.user) == (Role.CAREERS_LEADER, 900003, "cl@school.test")
    signed_in["user"] = "ops@hub.test"
    assert context.default_scope(demo_engine, hub_id="DEMO").hub_id == "DEMO"
    signed_in["user"] = "stranger@x"
    with pytest.raises(AccessDenied):
        context.default_scope(demo_engine, hub_id="DEMO")
