"""Run a benchmark script at tiny sizes in its own process, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m <module> <args>`` from the repository root; fails the test on a non-zero exit."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result
