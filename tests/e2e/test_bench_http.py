"""The HTTP benchmark still runs end to end (tiny sizes: this checks it works, not its speed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.http import HEADER

ROOT = Path(__file__).resolve().parents[2]


def test_the_http_benchmark_prints_its_table() -> None:
    sizes = ["--rounds", "1", "--clients", "2", "--ops", "6", "--queue-rows", "40"]
    result = subprocess.run(
        [sys.executable, "-m", "bench.http", *sizes, "--queue-requests", "4"],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert HEADER in result.stdout
    assert "| submit, 2 concurrent clients (ops/s) |" in result.stdout
    assert "| queue page p99 (ms) |" in result.stdout
    assert "40 files, 4 requests of /api/v1/queue" in result.stdout
    assert "Traceback" not in result.stderr
