"""From a fresh clone to the first page: ``python3 dev.py serve`` timed until ``GET /`` answers.

Clones each git ref into a temporary folder and times ``python3 dev.py serve`` there (creating
``.venv``, installing, starting the embedded PostgreSQL, loading the demo, serving) until the
home page answers 200, then stops it. Baseline and candidate run alternately, ``--rounds`` times
each, so that the machine's load falls on both alike; prints each run, the medians and the
candidate's time as a share of the baseline's. The pip cache is shared, as on a developer's
machine after any earlier install.

    python -m bench.first_start --baseline main --candidate HEAD --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 600.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def first_page_seconds(ref: str) -> float:
    """Seconds from ``python3 dev.py serve`` in a fresh clone of ``ref`` to the first page."""
    with tempfile.TemporaryDirectory(prefix="first-start-") as folder:
        clone = Path(folder) / "clone"
        git = shutil.which("git") or "git"
        subprocess.run([git, "clone", "--quiet", str(ROOT), str(clone)], check=True)
        subprocess.run([git, "-C", str(clone), "checkout", "--quiet", ref], check=True)
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRANTS_")}
        env["GRANTS_PORT"] = str(port)
        log = (Path(folder) / "serve.log").open("wb")
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "dev.py", "serve"], cwd=clone, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            while not _answers(f"http://127.0.0.1:{port}/"):
                if process.poll() is not None:
                    raise RuntimeError(f"{ref}: dev.py serve exited; see {log.name}")
                if time.perf_counter() - started > LIMIT_S:
                    raise RuntimeError(f"{ref}: no page after {LIMIT_S:.0f} s")
                time.sleep(0.2)
            return time.perf_counter() - started
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(60)
            log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--candidate", default="HEAD")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {args.baseline: [], args.candidate: []}
    for round_ in range(1, args.rounds + 1):
        for ref in (args.baseline, args.candidate):
            seconds = first_page_seconds(ref)
            times[ref].append(seconds)
            print(f"round {round_}: {ref:>12}  {seconds:6.1f} s", flush=True)
    base, cand = (statistics.median(times[r]) for r in (args.baseline, args.candidate))
    print(f"median {args.baseline}: {base:.1f} s, {args.candidate}: {cand:.1f} s")
    print(f"{args.candidate} / {args.baseline} = {cand / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
