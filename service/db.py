"""The connection pool and the schema: created or upgraded idempotently, its version recorded."""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import asyncpg

from service import pooled
from service.embedded import start_embedded

if TYPE_CHECKING:
    from collections.abc import Mapping

    from service.settings import Settings

logger = logging.getLogger(__name__)

# Any fixed number works; it only has to be the same for every grants process.
MIGRATION_LOCK = 0x6772616E7473  # "grants"

CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_VERSION = "SELECT coalesce(max(version), 0) FROM schema_version"
SELECT_APPLIED = "SELECT version FROM schema_version"
INSERT_VERSION = "INSERT INTO schema_version (version, name) VALUES ($1, $2)"


class DatabaseError(RuntimeError):
    """Raised when the database cannot be reached or its schema is not one this code can use."""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file under ``service/migrations``."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All migrations shipped with the code, in order."""
    found = []
    for entry in resources.files("service.migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def code_schema_version() -> int:
    """The schema version this code expects."""
    return migrations()[-1].version


def database_url(settings: Settings) -> str:
    """The URL in use: ``GRANTS_DATABASE_URL``, or the embedded server's (started if needed)."""
    if settings.database_url is not None:
        return settings.database_url
    return start_embedded(settings.data_dir)


async def migrate(conn: asyncpg.Connection) -> int:
    """Bring the schema up to this code's version; refuse a schema newer than the code."""
    try:
        return await _migrate(conn)
    except asyncpg.PostgresError as error:
        raise DatabaseError(f"cannot create or upgrade the schema: {describe(error)}") from None


async def _migrate(conn: asyncpg.Connection) -> int:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(CREATE_VERSION_TABLE)
        applied = {row[0] for row in await conn.fetch(SELECT_APPLIED)}
        latest = code_schema_version()
        newest = max(applied, default=0)
        if newest > latest:
            raise DatabaseError(
                f"the database schema is version {newest} but this code knows only up to "
                f"{latest}; upgrade the platform before running it against this database"
            )
        # Every migration not yet applied runs, in order, even one numbered below the newest
        # applied: branches merge migrations from different number ranges.
        for migration in migrations():
            if migration.version not in applied:
                logger.info("applying migration %04d_%s", migration.version, migration.name)
                await conn.execute(migration.sql)
                await conn.execute(INSERT_VERSION, migration.version, migration.name)
        return latest


async def schema_version(conn: asyncpg.Connection) -> int:
    """The version recorded in the database (0 for an empty one)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    return await conn.fetchval(SELECT_VERSION) if exists else 0


class BoundedPool(asyncpg.Pool):  # type: ignore[misc]  # asyncpg ships no types: Pool is Any
    """An asyncpg pool whose ``acquire`` waits at most ``acquire_timeout`` seconds by default.

    asyncpg's own default is to wait forever, and its ``fetch``/``execute`` shortcuts acquire
    without a timeout: under a lock or an outage, requests would pile up behind the pool.
    Bounding every wait here makes them fail fast (``TimeoutError`` -> ``Unavailable`` -> 503).
    """

    acquire_timeout: float | None = None
    #: What :func:`create_pool` made it with (for :func:`sibling_pool`).
    url: str | None = None
    settings: Settings | None = None
    extra_settings: Mapping[str, str] | None = None

    def acquire(self, *, timeout: float | None = None) -> Any:
        """A connection, waiting at most ``timeout`` (or the pool's ``acquire_timeout``)."""
        return super().acquire(timeout=timeout if timeout is not None else self.acquire_timeout)


def server_settings(settings: Settings) -> dict[str, str]:
    """Per-connection server settings (sent at connect time); see the README's timeouts table."""
    return {
        "application_name": "grants",
        "statement_timeout": str(settings.statement_timeout_ms),
        "lock_timeout": str(settings.lock_timeout_ms),
        "idle_in_transaction_session_timeout": str(settings.idle_in_transaction_timeout_ms),
    }


async def create_pool(
    settings: Settings, url: str, *, extra_settings: Mapping[str, str] | None = None
) -> asyncpg.Pool:
    """Open the pool with the timeouts from the settings (and ``extra_settings``, per
    connection); one clear error when unreachable."""
    # A little longer than the server's own timeout, so that the server's error wins; it also
    # bounds a statement on a connection the network silently dropped (no reply ever comes).
    timeout_ms = settings.statement_timeout_ms
    pool = BoundedPool(
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=pooled.Connection,
        reset=pooled.reset,  # no reset round trip for a connection that holds no session state
        record_class=asyncpg.Record,
        timeout=settings.connect_timeout_s,
        command_timeout=timeout_ms / 1000 + 1 if timeout_ms else None,
        server_settings=server_settings(settings) | dict(extra_settings or {}),
    )
    pool.acquire_timeout = settings.pool_acquire_timeout_s
    pool.url, pool.settings, pool.extra_settings = url, settings, extra_settings
    try:
        await pool
    # asyncpg reports a bad URL or an unreachable server with whatever the layer below raised:
    # ValueError and ClientConfigurationError (URL parts), socket.gaierror and
    # ConnectionRefusedError (OSError), InvalidCatalogNameError and friends (PostgresError),
    # InterfaceError, TimeoutError. This is the boundary: one readable line from here on.
    except (ValueError, asyncpg.InterfaceError) as error:
        raise DatabaseError(
            f"GRANTS_DATABASE_URL {redact(url)} is not usable: {describe(error)}"
        ) from None
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        raise DatabaseError(
            f"cannot reach PostgreSQL at {redact(url)}: {describe(error)}"
        ) from None
    return pool


async def sibling_pool(pool: asyncpg.Pool, size: int, name: str) -> asyncpg.Pool | None:
    """A pool of ``size`` connections to ``pool``'s database, with its settings and the
    ``application_name`` ``name``; None when ``pool`` was not made by :func:`create_pool`."""
    if not isinstance(pool, BoundedPool) or pool.url is None or pool.settings is None:
        return None
    settings = dataclasses.replace(pool.settings, pool_min_size=size, pool_max_size=size)
    extra = {**(pool.extra_settings or {}), "application_name": name}
    return await create_pool(settings, pool.url, extra_settings=extra)


def describe(error: BaseException) -> str:
    """A one-line description of a connection error, without a traceback."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text or type(error).__name__


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    # Up to the last "@" of the authority, in case the password holds an unescaped "@".
    return re.sub(r"(://[^:/@]*):[^/?#]*@", r"\1:***@", url)
