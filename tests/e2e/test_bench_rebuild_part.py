"""``python -m bench.rebuild_part`` runs the rebuild part of ``bench all`` alone and writes its
two ratios (tiny sizes: this checks that it works, not its speed)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.e2e.bench_support import run_bench

if TYPE_CHECKING:
    from pathlib import Path


def test_the_rebuild_part_alone_writes_both_ratios(tmp_path: Path) -> None:
    out = tmp_path / "rebuild.json"
    sizes = ("--size", "baseline_events=100", "--size", "events=300", "--size", "rounds=1")
    result = run_bench("bench.rebuild_part", "--quick", "--json", str(out), *sizes)
    results = json.loads(out.read_text())
    for key in ("rebuild_vs_catchup", "rebuild_vs_eventsourcing"):
        assert results[key] > 0, key
        assert f"| {key} |" in result.stdout
    assert results["rebuild_events"] >= 300
    assert results["baseline_events"] >= 100
    assert "Traceback" not in result.stderr
