"""The ``hubcore`` command.

``hubcore demo`` builds the synthetic demo database (if missing) and serves the dashboards;
``hubcore serve`` serves them over an existing database; ``hubcore db upgrade`` creates or
migrates a schema. Importers and reports add their own sub-commands. Errors print as one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from hubcore import data_version, db, rollups
from hubcore.cli_common import add_common, choose_database, open_engine, remember, say
from hubcore.errors import HubcoreError

DEFAULT_PORT = 5006
# Sub-command modules that register themselves (each has ``register(subparsers)``).
PLUGINS = ("hubcore.ingest.cli", "hubcore.metrics.cli", "hubcore.admin_cli", "hubcore.briefing.cli",
           "hubcore.fetch.cli", "hubcore.worklists.cli")


_say = say


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 5006)")
    parser.add_argument(
        "--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--show", action="store_true", help="open a browser tab")
    parser.add_argument(
        "--no-sign-in", action="store_true",
        help="serve without sign-in beyond loopback (no users file): anyone who can reach the "
        "port sees every page, including pupil rows. Refused without this option",
    )


def _serve(url: str, args: argparse.Namespace) -> int:
    # Imported here, and only here: the dashboards need Panel and Bokeh's server, which no other
    # command loads (tests/test_cli.py checks sys.modules after a report).
    from dashboards.common.server import serve

    serve(url, port=args.port, address=args.address, show=args.show, announce=_say,
          no_sign_in=args.no_sign_in)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo database if needed, then serve it (unless ``--no-serve``)."""
    from hubcore import demo

    if args.db:
        url = db.resolve_url(args.db)
    elif args.schools:
        url = db.sqlite_url(db.data_dir() / "demo-own-area.db")
    elif args.la:  # hubcore fetch's files (cached or downloaded) for these LAs
        from hubcore.fetch.demo import demo_file_name

        url = db.sqlite_url(db.data_dir() / demo_file_name(args.la))
    else:
        url = db.demo_url()
    path = _sqlite_path(url)
    if args.rebuild:
        if path is None:
            raise HubcoreError("--rebuild only removes SQLite files; drop the database yourself")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        db.get_engine.cache_clear()
    engine = db.get_engine(url)
    db.upgrade(engine)
    from hubcore import store

    if store.default_hub_id(engine) is None:
        real = _real_inputs(args)
        started = time.perf_counter()
        _say(f"Building the synthetic demo ({args.size}) in {db.describe(url)} …")
        records = real.pop("provenance", [])  # demo --la: the fetched files' credit
        counts = demo.build(engine, size=args.size, seed=args.seed, progress=True, **real)
        if records:
            import datetime as dt

            from hubcore.fetch import provenance

            with engine.begin() as conn:
                provenance.record(conn, records, dt.datetime.now(dt.UTC))
        _say(
            f"Built in {time.perf_counter() - started:.1f} s: "
            + ", ".join(
                f"{counts[t]:,} {t.replace('_', ' ')}s"
                for t in ("school", "encounter", "leaver", "handover")
            )
        )
    else:
        _say(f"Using the existing demo database {db.describe(url)} (--rebuild to start afresh)")
    # Later commands given no --db (report, brief, import, …) use this database.
    remember(url, "demo")
    if args.no_serve:
        print(url)
        return 0
    return _serve(url, args)


def _sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def _real_inputs(args: argparse.Namespace) -> dict:
    """Real schools and boundaries for ``demo --schools/--boundaries``, read by the importers."""
    if args.la:
        if args.schools or args.boundaries:
            raise HubcoreError("--la takes the place of --schools and --boundaries")
        from hubcore.fetch import load_settings
        from hubcore.fetch.demo import real_inputs

        return real_inputs(args.la, load_settings(args.sources), say=_say)
    if not args.schools and not args.boundaries:
        return {}
    if not (args.schools and args.boundaries):
        raise HubcoreError("--schools and --boundaries go together")
    from hubcore.ingest.boundaries import read_areas
    from hubcore.ingest.gias import read_schools

    return {"schools": read_schools(Path(args.schools)), "areas": read_areas(Path(args.boundaries))}


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the dashboards over an existing, current database."""
    engine = open_engine(args)
    url = engine.url.render_as_string(hide_password=False)
    remember(url, "serve")
    return _serve(url, args)


def cmd_db(args: argparse.Namespace) -> int:
    """Create or upgrade the schema, print its revision, or rebuild the summary tables."""
    if args.action == "upgrade":
        # The one command that may name a database that is not there yet (it creates it).
        choice = db.choose(args.db)
        if choice.source != "--db":
            _say(f"hubcore: {choice.explain()}")
        url = choice.url
    else:
        url = choose_database(args).url
    engine = db.get_engine(url)
    if args.action == "upgrade":
        before = db.current_revision(engine)
        db.upgrade(engine)
        after = db.current_revision(engine)
        remember(url, "db upgrade")
        print(
            f"{db.describe(url)}: schema {before or 'empty'} → {after}"
            if before != after
            else f"{db.describe(url)}: schema already at {after}"
        )
    elif args.action == "refresh-rollups":
        db.ensure_current(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            data_version.bump(conn)  # served pages' caches read the rebuilt summaries
            rollups.refresh(conn)
        print(f"{db.describe(url)}: summary tables rebuilt in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    else:
        db.check_exists(url)  # "current" reports on a database; it never creates one
        print(
            f"{db.describe(url)}: {db.current_revision(engine) or 'empty'} "
            f"(this hubcore: {db.head_revision()})"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubcore",
        description="Careers Hub coordination suite: Gatsby Benchmark coverage, employer supply "
        "and NEET hand-overs for England's Careers Hubs.",
    )
    add_common(parser, database=False)
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="build the synthetic demo database if missing, then serve the dashboards",
        description="Build the synthetic demo hub (clearly labelled synthetic) into an embedded "
        "SQLite file if it is not there yet, then serve the dashboards and print the URL.",
    )
    add_common(demo, db_help="SQLAlchemy URL or SQLite file for the demo (default: demo.db in "
               "$HUBCORE_HOME or ~/.local/share/hubcore, kept apart from a hub's own data)")
    demo.add_argument("--no-serve", action="store_true", help="only build; print the DB URL")
    demo.add_argument("--rebuild", action="store_true", help="delete and rebuild the demo file")
    demo.add_argument(
        "--size",
        choices=["hub", "region", "england"],
        default="hub",
        help="one hub of 36 schools (default), a region (~300) or England (~4,500)",
    )
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--schools", metavar="GIAS.csv", help="lay the demo over real schools")
    demo.add_argument("--boundaries", metavar="FILE", help="…and real small-area boundaries")
    demo.add_argument("--la", action="append", metavar="CODE",
                      help="lay the demo over an LA's real schools and small areas (GSS code or "
                      "name; repeat for more), from `hubcore fetch`'s cache or downloaded")
    demo.add_argument("--sources", metavar="TOML", help="with --la: fetch settings (see "
                      "docs/fetch.md)")
    _add_serve_options(demo)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve the dashboards over an existing database")
    add_common(serve)
    _add_serve_options(serve)
    serve.set_defaults(func=cmd_serve)

    dbp = sub.add_parser(
        "db",
        help="create or upgrade the database schema",
        description="upgrade: create or upgrade the schema; current: print its revision; "
        "refresh-rollups: rebuild the summary tables from the records (imports keep them "
        "current; this is for repairs).",
    )
    add_common(dbp)
    dbp.add_argument("action", choices=["upgrade", "current", "refresh-rollups"])
    dbp.set_defaults(func=cmd_db)

    for name in PLUGINS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except HubcoreError as exc:
        _say(f"hubcore: error: {exc}")
        return 1
    except KeyboardInterrupt:
        _say("hubcore: stopped")
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        if args.debug:
            raise
        _say(f"hubcore: error: {type(exc).__name__}: {exc} (run `hubcore --debug …` for details)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
