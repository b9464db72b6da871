"""``grants bench all`` runs every part end to end and writes the JSON the issue asks for
(tiny sizes: this checks that it works and finishes, not its speed)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.e2e.bench_support import run_bench

if TYPE_CHECKING:
    from pathlib import Path

KEYS = (
    "rebuild_events_per_s", "rebuild_vs_eventsourcing", "rebuild_vs_catchup", "live_lag_p99_ms",
    "live_rate_per_s", "queue_p99_ms", "submit_vs_save", "sse_db_queries_per_s_1_vs_500",
    "ledger_inclusion_p99_ms", "ledger_consistency_p99_ms", "funding_with_publisher_vs_without",
)  # fmt: skip
TINY = ("clients=2", "ops=4", "rounds=1", "queue_rows=60", "queue_requests=5",
        "baseline_events=100", "events=300", "live_seconds=1", "viewers=3", "sse_seconds=1",
        "ledger_entries=300", "ledger_requests=5", "ledger_rounds=1", "fund_ops=4",
        "fund_rounds=2")  # fmt: skip


def test_bench_all_quick_writes_every_ratio_as_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    sizes = [arg for size in TINY for arg in ("--size", size)]
    result = run_bench("web.cli.main", "bench", "all", "--quick", "--json", str(out), *sizes)
    results = json.loads(out.read_text())
    for key in KEYS:
        assert isinstance(results[key], float), key
        assert f"| {key} |" in result.stdout or key in results
    assert results["rebuild_events"] >= 300  # the eventsourcing baseline completed, too
    assert results["eventsourcing_runner_per_s"] > 0
    assert results["queue_files"] == 60
    assert set(results["met"]) >= {"queue_p99_ms", "submit_vs_save", "rebuild_vs_catchup",
                                   "funding_with_publisher_vs_without"}  # fmt: skip
    assert results["ledger_entries"] == 300
    assert "Traceback" not in result.stderr
