"""Projection workers killed mid-page, and started two at a time: no double application."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from projections.registry import ALL_PROJECTIONS, status
from service import decisions
from tests.faults.support import assert_invariants, until_caught_up
from tests.integration.service.support import CHAIR, open_programme, reviewed

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

ROOT = Path(__file__).resolve().parents[2]
HOLDERS = """
SELECT l.pid FROM pg_locks l
WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.objid::bigint = (hashtext($1)::bigint & 4294967295)
"""


def worker(url: str, mode: str, arg: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.worker", url, mode, str(arg)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


async def finished(process: subprocess.Popen[str], within: float = 60) -> int:
    deadline = time.monotonic() + within
    while process.poll() is None:
        assert time.monotonic() < deadline, "worker hung"
        await asyncio.sleep(0.05)
    return process.returncode


async def some_history(store: EventStore, files: int = 8) -> list[object]:
    prog = await open_programme(store, total_centimes=10_000_000_00)
    apps = [await reviewed(store, prog) for _ in range(files)]
    for app in apps[:3]:
        await decisions.fund(store, application_id=app, decided_by=CHAIR, amount_centimes=1_000_00)
    return apps


async def test_worker_killed_inside_a_page_resumes_without_double_application(
    pool: asyncpg.Pool, store: EventStore, database_url: str
) -> None:
    await some_history(store)
    total = await pool.fetchval("SELECT count(*) FROM events")

    assert await finished(worker(database_url, "die-in-page", 7)) == 3
    before = {s.name: s for s in await status(pool, store)}
    assert any(s.lag_events for s in before.values()), "the worker died after catching up"

    restarted = worker(database_url, "catch-up", 30)
    assert await finished(restarted) == 0, restarted.stderr.read() if restarted.stderr else ""

    for s in await status(pool, store):
        assert s.lag_events == 0
        assert s.error is None
        assert s.applied + s.skipped == total, (s.name, s.applied, s.skipped, total)
    await assert_invariants(pool, store, catch_up=False)


async def test_two_workers_started_at_once_one_leads_each_projection(
    pool: asyncpg.Pool, store: EventStore, database_url: str
) -> None:
    await some_history(store, files=4)
    pair = [worker(database_url, "run", 20) for _ in range(2)]
    try:
        await _until_every_projection_led(pool, {p.pid for p in pair})
        await some_history(store, files=3)  # written while both run
        await until_caught_up(pool, store)
        await assert_invariants(pool, store, catch_up=False)

        # The leader of the ledger dies: the other takes over and follows new events.
        leader = await _lock_holder_process(pool, "projection:ledger", pair)
        os.kill(leader.pid, signal.SIGKILL)
        await some_history(store, files=2)
        await until_caught_up(pool, store)
        await assert_invariants(pool, store, catch_up=False)
    finally:
        for process in pair:
            if process.poll() is None:
                process.kill()
            process.wait()


async def _until_every_projection_led(pool: asyncpg.Pool, pids: set[int]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        holders = [await pool.fetch(HOLDERS, p.lock_key) for p in ALL_PROJECTIONS]
        if all(len(h) == 1 for h in holders):
            return
        assert all(len(h) <= 1 for h in holders), "two leaders for one projection"
        await asyncio.sleep(0.1)
    raise AssertionError("some projection found no leader")


async def _lock_holder_process(
    pool: asyncpg.Pool, key: str, processes: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    (row,) = await pool.fetch(HOLDERS, key)
    # Workers name their connections grants-worker-PID (see tests/faults/worker.py).
    name = await pool.fetchval(
        "SELECT application_name FROM pg_stat_activity WHERE pid = $1", row["pid"]
    )
    for process in processes:
        if name == f"grants-worker-{process.pid}":
            return process
    raise AssertionError(f"no worker holds the lock {key} (its backend is {name!r})")
