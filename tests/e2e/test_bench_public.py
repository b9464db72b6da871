"""The public-site benchmark still runs end to end (tiny sizes: this checks it works, not its speed)."""

from __future__ import annotations

from bench.public import HEADER
from tests.e2e.bench_support import ROOT, run_bench


def test_the_public_benchmark_prints_its_table() -> None:
    sizes = ["--rounds", "1", "--grants", "12", "--clients", "2", "--requests", "8"]
    result = run_bench("bench.public", *sizes, "--latency-requests", "4")
    assert HEADER in result.stdout
    assert "| ledger uncached, 2 clients (req/s) |" in result.stdout
    assert "| ledger conditional (304), 2 clients (req/s) |" in result.stdout
    assert "| GET /open-data/360giving.json, 12 grants (s) |" in result.stdout
    assert "| grants export 360giving, 12 grants (s) |" in result.stdout
    assert "ledger entries=36 " in result.stdout  # decision, agreement and tranche per grant
    assert "Traceback" not in result.stderr
    assert not list((ROOT / "web" / "static").glob("bench-ledger-*")), "static file left behind"
