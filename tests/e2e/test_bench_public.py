"""The public-site benchmark still runs end to end (tiny sizes: this checks it works, not its speed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.public import HEADER

ROOT = Path(__file__).resolve().parents[2]


def test_the_public_benchmark_prints_its_table() -> None:
    sizes = ["--rounds", "1", "--grants", "12", "--clients", "2", "--requests", "8"]
    result = subprocess.run(
        [sys.executable, "-m", "bench.public", *sizes, "--latency-requests", "4"],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert HEADER in result.stdout
    assert "| ledger uncached, 2 clients (req/s) |" in result.stdout
    assert "| ledger conditional (304), 2 clients (req/s) |" in result.stdout
    assert "| GET /open-data/360giving.json, 12 grants (s) |" in result.stdout
    assert "| grants export 360giving, 12 grants (s) |" in result.stdout
    assert "ledger entries=36 " in result.stdout  # decision, agreement and tranche per grant
    assert "Traceback" not in result.stderr
    assert not list((ROOT / "web" / "static").glob("bench-ledger-*")), "static file left behind"
