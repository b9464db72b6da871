"""Smoke test of bench/ledger.py at a small size: it runs, and its numbers are sane."""

from __future__ import annotations

from bench.ledger import main, run


def test_the_ledger_benchmark_runs_small(capsys: object) -> None:
    m = run(entries=300, samples=50, baseline_samples=5, rounds=1)
    assert m["inclusion_p99"] > 0
    assert m["consistency_p99"] > 0
    assert m["inclusion_ratio_p50"] > 1  # the kept subtrees beat the recursion even at 300
    assert (
        main(["--entries", "200", "--samples", "20", "--baseline-samples", "3", "--rounds", "1"])
        == 0
    )
