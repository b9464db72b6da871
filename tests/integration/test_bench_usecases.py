"""The use-case benchmark runs end to end at minimal sizes (it is a script, not a measurement)."""

from __future__ import annotations

from bench.usecases import bench, table


async def test_the_usecase_benchmark_runs_and_prints_its_table(admin_url: str) -> None:
    rows = await bench(admin_url, rounds=1, ops=8)
    lines = list(table(rows, 1, 8))
    assert len(lines) == 5
    assert all(len(r.ops_per_s) == 1 and r.ops_per_s[0] > 0 for r in rows)
