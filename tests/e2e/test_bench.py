"""The store benchmark still runs end to end (tiny sizes: this checks it works, not its speed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.store import HEADER

ROOT = Path(__file__).resolve().parents[2]


def test_grants_bench_store_prints_its_table(tmp_path: Path, admin_url: str) -> None:
    sizes = ["--events", "16", "--batch-events", "200", "--log", "300", "--rounds", "2"]
    result = subprocess.run(
        [sys.executable, "-m", "web.cli.main", "bench", "store", "--url", admin_url, *sizes],
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "GRANTS_DATA_DIR": str(tmp_path),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert HEADER in result.stdout
    for contender in ("grants EventStore", "eventsourcing recorder", "raw asyncpg"):
        assert f"| {contender} |" in result.stdout
    assert "Traceback" not in result.stderr
