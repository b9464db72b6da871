"""App processes with skewed clocks (``faketime``): order and deadlines come from the database."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from service import programme
from tests.faults.support import Acknowledged, assert_invariants, submit_keyed
from tests.integration.service.support import open_programme

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("faketime") is None, reason="needs faketime")
SUBMITTED_AT = """
SELECT originator_id, notification_id FROM events
WHERE topic = 'grants.application:Submitted' ORDER BY tx_id, notification_id
"""


async def skewed_submit(
    url: str, skew: str, envelope: UUID, call: UUID, key: str
) -> dict[str, str]:
    """Submit from another process whose clock is off by ``skew`` (faketime syntax: -2d, +1d)."""
    env = {**os.environ, "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    process = await asyncio.create_subprocess_exec(
        "faketime", "-f", skew, sys.executable, "-m", "tests.faults.clock_client",
        url, str(envelope), str(call), key,
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    result: dict[str, str] = json.loads(out.decode().strip().splitlines()[-1])
    # The skew took: this test would prove nothing with a process on the right time.
    off = datetime.fromisoformat(result["clock"]) - datetime.now(UTC)
    assert abs(off) > timedelta(hours=12), (skew, result)
    return result


async def _event_time(pool: asyncpg.Pool, store: EventStore, app_id: UUID) -> datetime:
    from service.repository import Repository

    app = await Repository(store).get(app_id)
    return app.created_on  # type: ignore[no-any-return]


async def test_log_order_and_event_times_ignore_the_app_clock(
    pool: asyncpg.Pool, store: EventStore, database_url: str
) -> None:
    prog, acked = await open_programme(store), Acknowledged()
    x1 = await submit_keyed(store, prog, "x1", acked)
    y1 = UUID(
        (await skewed_submit(database_url, "-2d", prog.envelope_id, prog.call_id, "y1"))["app_id"]
    )
    x2 = await submit_keyed(store, prog, "x2", acked)
    y2 = UUID(
        (await skewed_submit(database_url, "+3d", prog.envelope_id, prog.call_id, "y2"))["app_id"]
    )

    order = [row[0] for row in await pool.fetch(SUBMITTED_AT)]
    assert order == [x1, y1, x2, y2], "the log is not in the order the commands happened"
    times = [await _event_time(pool, store, a) for a in order]
    assert times == sorted(times), "event times follow an app's clock, not the database's"
    db_now = await pool.fetchval("SELECT now()")
    assert all(abs(db_now - t) < timedelta(minutes=5) for t in times)
    await assert_invariants(pool, store, acked=acked, ids=[y1, y2])


async def test_call_deadline_is_decided_by_the_database_clock(
    pool: asyncpg.Pool, store: EventStore, database_url: str
) -> None:
    prog = await open_programme(store)
    closes_at = await pool.fetchval("SELECT now() + interval '4 seconds'")
    call = await programme.open_call(
        store, envelope_id=prog.envelope_id, title="Appel court",
        min_request_centimes=100_000_00, max_request_centimes=12_000_000_00, closes_at=closes_at,
    )  # fmt: skip

    # A process a day ahead believes the call closed yesterday: the database says it is open.
    early = await skewed_submit(database_url, "+1d", prog.envelope_id, call, "ahead")
    assert "app_id" in early, early
    # The database's clock says when the call closed; wait for it, not for ours.
    await asyncio.sleep(
        max(0.0, (closes_at - await pool.fetchval("SELECT now()")).total_seconds()) + 0.1
    )
    assert await pool.fetchval("SELECT now()") > closes_at
    # A process a day behind believes there is a day left: the database says it closed.
    late = await skewed_submit(database_url, "-1d", prog.envelope_id, call, "behind")
    assert late.get("refused") == "CallClosedError", late
    await assert_invariants(pool, store, ids=[UUID(early["app_id"])])
