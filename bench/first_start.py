"""From a fresh clone to the first page: ``python3 dev.py serve`` timed until ``GET /`` answers.

Clones each git ref into a temporary folder and times ``python3 dev.py serve`` there (creating
``.venv``, installing, starting the embedded PostgreSQL, migrating, loading the demo, serving)
until the home page answers 200, then stops it. Baseline and candidate run interleaved
(``ABBA...``: the first of each round alternates), ``--rounds`` times each, so that the machine's
load falls on both alike. As on a fresh machine, each run has empty package caches of its own
(``PIP_CACHE_DIR``, ``UV_CACHE_DIR`` and ``XDG_CACHE_HOME`` in its temporary folder).

Each line the run prints is timestamped; the profile gives, per ref, the median time at which
each step was reached (the steps a ref does not print are left out):

    python -m bench.first_start --baseline main --candidate HEAD --rounds 3
    python -m bench.first_start --baseline HEAD --candidate HEAD --candidate-env DEV_INSTALLER=pip
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
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 600.0
FIRST_PAGE = "first page answered"
#: (step, a piece of the line that marks its end), in the order they happen on a first start.
MARKS = (
    ("venv created", "Installing "),
    ("installer ready (uv: installed)", "Installing the platform"),
    ("packages installed", "Installed in"),
    ("imports + PostgreSQL started", "embedded PostgreSQL ready"),
    ("migrated", "applying migration 0100"),
    ("demo loaded (before serving)", "grants: demo loaded"),
    ("app created, listening", "grants: serving on"),
)


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


def first_start(ref: str, extra_env: dict[str, str] | None = None) -> dict[str, float]:
    """Seconds from ``python3 dev.py serve`` in a fresh clone of ``ref`` to each step reached,
    ``FIRST_PAGE`` included; ``extra_env`` is added to the run's environment."""
    with tempfile.TemporaryDirectory(prefix="first-start-") as name:
        folder = Path(name)
        clone = folder / "clone"
        git = shutil.which("git") or "git"
        subprocess.run([git, "clone", "--quiet", str(ROOT), str(clone)], check=True)
        subprocess.run([git, "-C", str(clone), "checkout", "--quiet", ref], check=True)
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRANTS_", "DEV_"))}
        caches = folder / "cache"
        env |= {
            "GRANTS_PORT": str(port),
            "PIP_CACHE_DIR": str(caches / "pip"),
            "UV_CACHE_DIR": str(caches / "uv"),
            "XDG_CACHE_HOME": str(caches),
        } | (extra_env or {})
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "dev.py", "serve"], cwd=clone, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        steps: dict[str, float] = {}
        log = folder / "serve.log"
        reader = threading.Thread(target=_read, args=(process, started, steps, log), daemon=True)
        reader.start()
        try:
            while not _answers(f"http://127.0.0.1:{port}/"):
                if process.poll() is not None:
                    reader.join(5)
                    raise RuntimeError(f"{ref}: dev.py serve exited:\n{log.read_text()[-3000:]}")
                if time.perf_counter() - started > LIMIT_S:
                    raise RuntimeError(f"{ref}: no page after {LIMIT_S:.0f} s")
                time.sleep(0.1)
            steps[FIRST_PAGE] = time.perf_counter() - started
            return dict(steps)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(60)
            reader.join(5)


def _read(
    process: subprocess.Popen[bytes], started: float, steps: dict[str, float], log: Path
) -> None:
    """Timestamp each line ``process`` prints; note when each step's mark first shows."""
    assert process.stdout is not None
    with log.open("w") as out:
        for raw in process.stdout:
            line, now = raw.decode(errors="replace").rstrip(), time.perf_counter() - started
            out.write(f"{now:7.2f} {line}\n")
            out.flush()
            for step, mark in MARKS:
                if mark in line and step not in steps:
                    steps[step] = now


def _load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--candidate", default="HEAD")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--candidate-env", action="append", default=[], metavar="NAME=VALUE",
        help="set for the candidate's runs only (DEV_INSTALLER=pip: the same ref with pip)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    extra = dict(item.split("=", 1) for item in args.candidate_env)
    if extra:
        args.candidate += " " + " ".join(args.candidate_env)
    refs = (args.baseline, args.candidate)
    runs: dict[str, list[dict[str, float]]] = {ref: [] for ref in refs}
    print(f"nproc {os.cpu_count()}, {_load()}; empty pip and uv caches for every run", flush=True)
    for round_ in range(1, args.rounds + 1):
        for ref in refs if round_ % 2 else refs[::-1]:
            steps = first_start(ref.split()[0], extra if ref == args.candidate else None)
            runs[ref].append(steps)
            print(f"round {round_}: {ref:>12}  {steps[FIRST_PAGE]:6.1f} s  ({_load()})", flush=True)
    print(f"profile: median seconds from start at which each step was reached ({_load()})")
    for ref in refs:
        print(f"  {ref}:")
        for step in [*(step for step, _mark in MARKS), FIRST_PAGE]:
            seen = [steps[step] for steps in runs[ref] if step in steps]
            if seen:
                print(f"    {step:<30} {statistics.median(seen):6.1f}")
    base, cand = (statistics.median(s[FIRST_PAGE] for s in runs[ref]) for ref in refs)
    print(f"median first page {args.baseline}: {base:.1f} s, {args.candidate}: {cand:.1f} s")
    print(f"{args.candidate} / {args.baseline} = {cand / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
