"""Do wrong passwords slow other users down? (issue 13, item 6)

Starts one ``hubcore serve`` with sign-in on 127.0.0.1 (never another host) over ``--db``, signs
one user in, then times a light signed-in request (``GET /overview/metadata``: the sign-in
cookie and session are checked, little else) and the login page:

1. idle: ``--samples`` requests one after another;
2. during a burst: the same while 16 threads keep posting wrong passwords, each for an unknown
   name from its own address (``X-Real-IP``, believed from loopback: the worst case, which no
   per-user or per-address throttle slows down), until the samples are taken (at most
   ``--max-seconds``).

Prints the median (p50) and 90th percentile of each and the ratio burst / idle. The scrypt cost
is the production one (N = 2**15) unless ``HUBCORE_SCRYPT_N`` says otherwise.

    .venv/bin/python benchmarks/signin_load.py --db /path/to/demo.db
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password 1"  # noqa: S105 - a throw-away test user
BURST = 16


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(db: str, folder: Path) -> tuple[subprocess.Popen, str]:
    users_file = folder / "users.json"
    env = {**os.environ, "HUBCORE_USERS_FILE": str(users_file),
           "HUBCORE_COOKIE_SECRET": secrets.token_urlsafe(48), "PYTHONUNBUFFERED": "1"}
    subprocess.run(
        [sys.executable, "-m", "hubcore.cli", "users", "add", "bench@hub.test", "--role",
         "admin", "--password-stdin"],
        input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True,
    )
    port = _free_port()
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubcore.cli", "serve", "--db", db, "--port", str(port),
         "--address", "127.0.0.1"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit((folder / "server.log").read_text())
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}"
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start in 120 s")


def _time(get, samples: int, stop: float) -> list[float]:
    took = []
    for _ in range(samples):
        if time.monotonic() > stop:
            break
        started = time.perf_counter()
        get()
        took.append((time.perf_counter() - started) * 1000)
    return took


def _summary(label: str, took: list[float]) -> float:
    p50 = statistics.median(took)
    p90 = statistics.quantiles(took, n=10)[-1] if len(took) > 1 else took[0]
    print(f"  {label:<34} n={len(took):>3}  p50 {p50:8.1f} ms  p90 {p90:8.1f} ms")
    return p50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a hubcore database (e.g. the demo)")
    parser.add_argument("--samples", type=int, default=40, help="requests per phase")
    parser.add_argument("--max-seconds", type=float, default=120, help="longest burst")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="signin-load-") as tmp:
        proc, base = _start(args.db, Path(tmp))
        try:
            session = requests.Session()
            session.post(f"{base}/login", data={"username": "bench@hub.test",
                                                "password": PASSWORD}, timeout=60)
            if session.get(f"{base}/overview/metadata", allow_redirects=False,
                           timeout=60).status_code != 200:
                raise SystemExit("could not sign in")

            def signed_in():
                assert session.get(f"{base}/overview/metadata", allow_redirects=False,
                                   timeout=120).status_code == 200

            def login_page():
                requests.get(f"{base}/login", timeout=120)

            print(f"hubcore serve on {base}; {BURST} parallel wrong sign-ins in the burst")
            far = time.monotonic() + 600
            idle = {"signed-in GET /overview/metadata": _time(signed_in, args.samples, far),
                    "GET /login": _time(login_page, args.samples, far)}
            stop = threading.Event()
            attempts = [0]

            def attack(i: int) -> None:
                n = 0
                while not stop.is_set() and n < 10_000:
                    n += 1
                    requests.post(f"{base}/login",
                                  data={"username": f"guess{i}-{n}@x", "password": "wrong"},
                                  headers={"X-Real-IP": f"10.{i}.{n // 250}.{n % 250}"},
                                  allow_redirects=False, timeout=300)
                    attempts[0] += 1

            threads = [threading.Thread(target=attack, args=(i,), daemon=True)
                       for i in range(BURST)]
            for thread in threads:
                thread.start()
            time.sleep(1.0)  # let the burst fill the queue
            started = time.monotonic()
            half = args.max_seconds / 2  # each timed request gets half the burst at most
            busy = {"signed-in GET /overview/metadata":
                    _time(signed_in, args.samples, time.monotonic() + half),
                    "GET /login": _time(login_page, args.samples, time.monotonic() + half)}
            elapsed = time.monotonic() - started
            stop.set()
            for thread in threads:
                thread.join(timeout=600)
            print("idle:")
            ratios = {}
            for label, took in idle.items():
                ratios[label] = _summary(label, took)
            print(f"during the burst ({attempts[0]} wrong sign-ins answered in "
                  f"{elapsed + 1:.0f} s):")
            for label, took in busy.items():
                ratios[label] = _summary(label, took) / ratios[label]
            for label, ratio in ratios.items():
                print(f"  ratio burst/idle p50, {label}: {ratio:.1f}")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
