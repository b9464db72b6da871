"""Throw-away databases for tests and benchmarks, on the embedded or a configured server."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from service.embedded import start_embedded

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


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
