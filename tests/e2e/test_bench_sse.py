"""The live-stream benchmark still runs end to end (tiny sizes: this checks it works, not its speed)."""

from __future__ import annotations

from bench.sse import HEADER
from tests.e2e.bench_support import run_bench


def test_the_sse_benchmark_prints_its_table() -> None:
    result = run_bench("bench.sse", "--viewers", "3", "--seconds", "1", "--rate", "2")
    assert HEADER.replace("N viewers", "3 viewers") in result.stdout
    for name in ("grants", "per-viewer polling"):
        for rate in ("0", "2"):
            assert f"| {name}, {rate} applications/s: database transactions/s |" in result.stdout
    assert "messages heard by the viewers: grants, 0 applications/s: " in result.stdout
    assert "Traceback" not in result.stderr
