"""The demo's console output reads well in a log, where stderr is not a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from web.cli import demo

if TYPE_CHECKING:
    import asyncpg
    import pytest


async def test_demo_progress_is_one_line_per_step_when_not_on_a_terminal(
    pool: asyncpg.Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await demo.load_if_empty(pool, "demo-secret-key-that-is-long-enough-0123456789")
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    counts = [line for line in lines if line.startswith("grants: demo applications ")]
    assert counts[-1] == "grants: demo applications 200/200"
    assert all(line.startswith("grants: ") for line in lines), lines
    assert all(line.count("demo applications") <= 1 for line in lines), lines
    assert any(line.startswith("grants: demo loaded: 200 applications") for line in lines)
