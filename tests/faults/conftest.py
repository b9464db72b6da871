"""Fault tests: short timeouts so that every fault is felt in well under a second or two."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from service.settings import Settings
from tests.faults.cluster import Cluster, own_cluster
from tests.integration.service.support import open_programme

if TYPE_CHECKING:
    from collections.abc import Iterator

    from service.store import EventStore
    from tests.integration.service.support import Programme

FAULT_SETTINGS = Settings(
    secret_key="test-secret-key-that-is-long-enough-0123456789",
    pool_min_size=1,
    pool_max_size=12,
    run_projections=False,
    statement_timeout_ms=3_000,
    lock_timeout_ms=500,
    idle_in_transaction_timeout_ms=5_000,
    connect_timeout_ms=2_000,
    pool_acquire_timeout_ms=1_000,
)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The root conftest's pool and store, with the fault suite's short timeouts."""
    from dataclasses import replace

    return replace(FAULT_SETTINGS, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture
async def programme(store: EventStore) -> Programme:
    """An open envelope, call and published rubric."""
    return await open_programme(store)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL server of this test's own, which it may crash."""
    with own_cluster() as own:
        yield own
