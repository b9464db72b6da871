"""``grants check``: all invariants from the log, exit 1 and one line per violation."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import asyncpg

from projections.registry import ALL_PROJECTIONS, ensure_all
from projections.runner import ProjectionRunner
from service import db, decisions
from service.store import EventStore
from tests.faults.conftest import FAULT_SETTINGS
from tests.faults.support import catch_up_fully
from tests.integration.service.support import CHAIR, open_programme, reviewed
from web.cli import main as cli

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


async def _funded_programme(url: str) -> None:
    pool = await db.create_pool(FAULT_SETTINGS, url)
    try:
        async with pool.acquire() as conn:
            await db.migrate(conn)
        store = EventStore(pool)
        prog = await open_programme(store, total_centimes=10_000_000_00)
        app = await reviewed(store, prog)
        await decisions.fund(store, application_id=app, decided_by=CHAIR, amount_centimes=5_000_00)
        await ensure_all(pool)
        for projection in ALL_PROJECTIONS:
            await catch_up_fully(ProjectionRunner(pool, store, projection))
        await store.close()
    finally:
        await pool.close()


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def test_check_passes_then_names_a_tampered_read_model(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GRANTS_DATABASE_URL", database_url)
    monkeypatch.setenv("GRANTS_DATA_DIR", str(tmp_path))
    asyncio.run(_funded_programme(database_url))
    assert cli.main(["check"]) == 0
    assert "all invariants hold" in capsys.readouterr().out

    asyncio.run(_execute(database_url, "UPDATE envelope_status SET reserved_centimes = 1"))
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    assert "projection envelopes: table envelope_status differs from a rebuild" in out
    assert "Traceback" not in out
