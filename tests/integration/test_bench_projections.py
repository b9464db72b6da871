"""The projection benchmark runs end to end at minimal sizes (a script, not a measurement)."""

from __future__ import annotations

import argparse

from bench import rebuild_designs
from bench.projections import bench, programme_events, table


def test_the_generated_log_holds_the_events_asked_for() -> None:
    batches = list(programme_events(300))
    topics = {e.topic for batch in batches for e in batch}
    assert 300 <= sum(len(b) for b in batches) < 320  # stops after the application that crosses
    assert {"grants.application:Funded", "grants.application:TrancheDisbursed"} <= topics


async def test_the_projection_benchmark_runs_and_prints_its_table(admin_url: str) -> None:
    args = argparse.Namespace(
        events=300, baseline_events=200, rounds=2, large_rounds=1, rate=20, seconds=0.5,
        live_only=False,
    )  # fmt: skip
    results = await bench(admin_url, args)
    lines = list(table(results, 2))
    assert any(line.startswith("| review_queue |") for line in lines)
    assert any(line.startswith("| ledger |") for line in lines)
    assert len(results.es_small) == 2  # a second rebuild starts from zero again
    assert min(results.es_small) > 0
    assert results.lags, "no submission reached the review queue"


async def test_the_rebuild_designs_run_side_by_side(admin_url: str) -> None:
    times = await rebuild_designs.bench(admin_url, 300, 2, rebuild_designs.EMBEDDED_PID)
    assert set(times) == set(rebuild_designs.ARMS)
    assert all(len(runs) == 2 and all(wall > 0 for wall, _, _ in runs) for runs in times.values())


async def test_the_live_part_runs_alone(admin_url: str) -> None:
    args = argparse.Namespace(
        events=300, baseline_events=200, rounds=1, large_rounds=1, rate=20, seconds=0.5,
        live_only=True,
    )  # fmt: skip
    results = await bench(admin_url, args)
    lines = list(table(results, 1))
    assert results.lags, "no submission reached the review queue"
    assert not results.es_small
    assert not results.ours_small
    assert any(line.startswith("| review queue |") for line in lines)
    assert not any(line.startswith("| ledger |") for line in lines)
