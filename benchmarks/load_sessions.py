"""Load test: simultaneous browser sessions on the served dashboards while an import runs.

For each backend (SQLite in WAL mode, and PostgreSQL when a server URL is given):

1. builds the synthetic demo hub in a fresh database;
2. starts ``hubcore serve`` over it (a subprocess, sign-in on, as deployed);
3. counts the encounter rows, then starts ``hubcore import encounters`` of ``--rows`` new rows
   in another subprocess and, at the same time, opens ``--sessions`` Chromium pages (one
   browser, one context per user: separate cookies and sessions), each signing in and waiting
   for the overview map to be drawn;
4. checks: every page drew its map, the server log has no error, the import accepted every row
   and the table grew by exactly that many rows (no lost rows).

Only 127.0.0.1 is contacted. Debian's Chromium at /usr/bin/chromium is used (no download).

    .venv/bin/python benchmarks/load_sessions.py [--sessions 20] [--rows 200000]
        [--postgres postgresql+psycopg://user:pw@127.0.0.1:PORT/postgres]  # an admin URL
        [--no-sqlite]

``scripts/load.sh`` starts a throw-away PostgreSQL server and runs both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_encounters  # noqa: E402  (the CSV generator of the import benchmark)

from hubcore import db, demo, users  # noqa: E402
from hubcore.models import Employer, Encounter, School  # noqa: E402

CHROMIUM = os.environ.get("HUBCORE_CHROMIUM", "/usr/bin/chromium")
SERVER_ERROR = re.compile(r"Traceback|ERROR|Exception|error:", re.IGNORECASE)
PASSWORD = "load test password"  # noqa: S105 - throw-away users of this test only


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _count(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(Encounter.__table__)).scalar_one()
    engine.dispose()
    return n


def _fresh_database(backend: str, folder: Path, admin_url: str | None) -> str:
    if backend == "sqlite":
        return db.sqlite_url(folder / "load.db")
    name = f"hubcore_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str, admin_url: str) -> None:
    db.get_engine(url).dispose()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _encounter_csv(url: str, path: Path, rows: int) -> None:
    engine = db.get_engine(url)
    with engine.connect() as conn:
        urns = np.array([r[0] for r in conn.execute(select(School.urn))])
        refs = [r[0] for r in conn.execute(select(Employer.ref))]
    import_encounters.make_csv(path, rows, urns, refs, seed=7)


async def _session(browser, base: str, index: int, timeout_s: float) -> dict:
    started = time.perf_counter()
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(timeout_s * 1000)  # one server process: sign-ins queue too
    result = {"session": index, "ok": False, "seconds": None, "error": None}
    try:
        await page.goto(f"{base}/overview", timeout=timeout_s * 1000)
        await page.fill("input[name=username]", f"user{index}@load.test")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit], input[type=submit]")
        await page.wait_for_url(re.compile(r".*/overview.*"), timeout=timeout_s * 1000)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            boxes = [await c.bounding_box() for c in await page.locator("canvas").all()]
            if any(b and b["width"] > 0 and b["height"] > 0 for b in boxes):
                result.update(ok=True, seconds=time.perf_counter() - started)
                break
            await page.wait_for_timeout(250)
        else:
            result["error"] = "no map drawn"
    except Exception as exc:  # noqa: BLE001 - a failed session is a result, not a crash
        result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        await context.close()
    return result


async def _browse(base: str, sessions: int, timeout_s: float) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            return await asyncio.gather(
                *(_session(browser, base, i, timeout_s) for i in range(sessions))
            )
        finally:
            await browser.close()


def run(backend: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"hubcore-load-{backend}-") as tmp:
        folder = Path(tmp)
        url = _fresh_database(backend, folder, args.postgres)
        try:
            return _run(backend, url, folder, args)
        finally:
            if backend == "postgresql":
                _drop_database(url, args.postgres)


def _run(backend: str, url: str, folder: Path, args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    engine = db.get_engine(url)
    db.upgrade(engine)
    demo.build(engine, size="hub", progress=False)
    build_s = time.perf_counter() - t0
    csv_path = folder / "encounters.csv"
    _encounter_csv(url, csv_path, args.rows)

    users_file = folder / "users.json"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        users.ENV_USERS_FILE: str(users_file),
        "HUBCORE_COOKIE_SECRET": os.environ.get("HUBCORE_COOKIE_SECRET") or os.urandom(32).hex(),
        "HUBCORE_SCRYPT_N": str(2**14),
    }
    os.environ[users.ENV_USERS_FILE] = str(users_file)
    users.SCRYPT_N = 2**14
    for i in range(args.sessions):
        users.add_user(f"user{i}@load.test", "hub_lead", PASSWORD, hub_id="DEMO")

    port = _free_port()
    log_path = folder / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "hubcore.cli", "serve", "--db", url, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            before = _count(url)
            t1 = time.perf_counter()
            importer = subprocess.Popen(
                [sys.executable, "-m", "hubcore.cli", "import", "encounters", str(csv_path),
                 "--db", url, "--no-progress"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            )  # fmt: skip
            import_done: dict = {}

            def wait_import() -> None:
                import_done["out"], _ = importer.communicate(timeout=3600)
                import_done["s"] = time.perf_counter() - t1

            waiter = threading.Thread(target=wait_import)
            waiter.start()
            results = asyncio.run(_browse(f"http://127.0.0.1:{port}", args.sessions, args.timeout))
            browse_s = time.perf_counter() - t1
            waiter.join()
            import_out, import_s = import_done["out"], import_done["s"]
            after = _count(url)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    errors = [line for line in log_path.read_text().splitlines() if SERVER_ERROR.search(line)]
    times = sorted(r["seconds"] for r in results if r["ok"])
    return {
        "backend": backend,
        "demo_build_s": build_s,
        "sessions": args.sessions,
        "sessions_ok": len(times),
        "failures": [r for r in results if not r["ok"]],
        "page_ready_median_s": statistics.median(times) if times else None,
        "page_ready_p95_s": times[int(0.95 * (len(times) - 1))] if times else None,
        "page_ready_max_s": times[-1] if times else None,
        "all_sessions_s": browse_s,
        "import_rc": importer.returncode,
        "import_s": import_s,
        "import_summary": import_out.strip().splitlines()[-1] if import_out.strip() else "",
        "rows_before": before,
        "rows_after": after,
        "rows_expected": before + args.rows,
        "server_errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=180, help="seconds per page")
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        default=os.environ.get("HUBCORE_TEST_DATABASE_URL"))  # fmt: skip
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    backends = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    ok = True
    for backend in backends:
        r = run(backend, args)
        good = (
            r["sessions_ok"] == r["sessions"]
            and not r["server_errors"]
            and r["import_rc"] == 0
            and r["rows_after"] == r["rows_expected"]
        )
        ok &= good
        print(f"\n== {backend}: {'PASS' if good else 'FAIL'}")
        print(f"  demo built in {r['demo_build_s']:.1f} s")
        print(
            f"  {r['sessions_ok']}/{r['sessions']} sessions drew the map; page ready (sign-in "
            f"to map) median {r['page_ready_median_s'] or float('nan'):.1f} s, p95 "
            f"{r['page_ready_p95_s'] or float('nan'):.1f} s, max "
            f"{r['page_ready_max_s'] or float('nan'):.1f} s; all {r['all_sessions_s']:.1f} s"
        )
        print(
            f"  import of {args.rows:,} encounters alongside: {r['import_s']:.1f} s, "
            f"exit {r['import_rc']}: {r['import_summary']}"
        )
        print(
            f"  encounter rows {r['rows_before']:,} → {r['rows_after']:,} "
            f"(expected {r['rows_expected']:,})"
        )
        print(f"  server log errors: {len(r['server_errors'])}")
        for line in r["server_errors"][:10]:
            print(f"    {line}")
        for failure in r["failures"][:10]:
            print(f"  failed session {failure['session']}: {failure['error']}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
