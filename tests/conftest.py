"""Shared fixtures: a real PostgreSQL (embedded, or GRANTS_TEST_DATABASE_URL) and a fresh database per test."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from service import db
from service.settings import Settings
from service.store import EventStore
from service.testing import scratch_database, server_url

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import asyncpg


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="run the heavier variants too")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="heavy variant: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def admin_url() -> str:
    """The test server: GRANTS_TEST_DATABASE_URL when set, else the embedded one under var/test."""
    return server_url(os.environ.get("GRANTS_TEST_DATABASE_URL"))


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        pool_min_size=1,
        pool_max_size=12,
        run_projections=False,
    )


@pytest.fixture
async def database_url(admin_url: str) -> AsyncIterator[str]:
    """A fresh, empty database for one test."""
    async with scratch_database(admin_url) as url:
        yield url


@pytest.fixture
async def pool(settings: Settings, database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's database, with the schema migrated."""
    pool = await db.create_pool(settings, database_url)
    async with pool.acquire() as conn:
        await db.migrate(conn)
    yield pool
    await pool.close()


@pytest.fixture
async def store(pool: asyncpg.Pool) -> AsyncIterator[EventStore]:
    store = EventStore(pool)
    yield store
    await store.close()
