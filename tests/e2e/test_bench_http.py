"""The HTTP benchmark still runs end to end (tiny sizes: this checks it works, not its speed)."""

from __future__ import annotations

from bench.http import HEADER
from tests.e2e.bench_support import run_bench


def test_the_http_benchmark_prints_its_table() -> None:
    sizes = ["--rounds", "1", "--clients", "2", "--ops", "6", "--queue-rows", "40"]
    result = run_bench("bench.http", *sizes, "--queue-requests", "4")
    assert HEADER in result.stdout
    assert "| submit, 2 concurrent clients (ops/s) |" in result.stdout
    assert "| queue page p99 (ms) |" in result.stdout
    assert "40 files, 4 requests of /api/v1/queue" in result.stdout
    assert "Traceback" not in result.stderr
