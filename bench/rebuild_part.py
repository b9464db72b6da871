"""The rebuild part of ``bench all`` alone: its two ratios, as ``bench.all.projections_part``
measures them, without the HTTP, SSE, live-lag and ledger parts around it.

    python -m bench.rebuild_part [--quick] [--size events=N] [--size baseline_events=N]
                                 [--size rounds=N] [--json FILE]

Same sizes, same calls, same order as ``bench.all``: on a log of ``baseline_events``, our
rebuild of the review queue and the ledger together (``bench.all.ours``) against
eventsourcing's ``ProjectionRunner`` (``rebuild_vs_eventsourcing``); on a log of ``events``,
our read+decode of the log (``bench.all.catch_up_rate``) and the same rebuild, rounds
interleaved (``rebuild_vs_catchup``). One embedded server under a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import shutil
import sys
import tempfile
from pathlib import Path

from bench.all import TARGETS, build_parser, rebuild_part, sizes_of
from service.embedded import start_embedded


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="grants-bench-rebuild-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    admin = start_embedded(data_dir, "postgres")  # outside the event loop
    results = asyncio.run(rebuild_part(admin, sizes_of(args)))
    for key, value in results.items():
        target = " ".join(map(str, TARGETS[key])) if key in TARGETS else ""
        print(f"| {key} | {value:,.2f} | {target} |")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
