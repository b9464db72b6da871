"""The transparency-log benchmark still runs end to end (tiny sizes: it works, not its speed)."""

from __future__ import annotations

from tests.e2e.bench_support import run_bench


def test_the_ledger_http_benchmark_prints_its_table() -> None:
    sizes = [
        "--entries",
        "300",
        "--requests",
        "10",
        "--rounds",
        "1",
        "--fund-ops",
        "8",
        "--fund-rounds",
        "2",
    ]
    result = run_bench("bench.ledger_http", *sizes)
    assert "| inclusion proof |" in result.stdout
    assert "| consistency proof |" in result.stdout
    assert "| baseline: /ledger/key |" in result.stdout
    assert "| fund ops/s, 8 at a time, ledger projection live |" in result.stdout
    assert "Traceback" not in result.stderr
