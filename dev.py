#!/usr/bin/env python3
"""Bootstrap and run the platform with nothing but Python 3.11+.

    python3 dev.py serve      # the platform on the embedded PostgreSQL, with demo data
    python3 dev.py test       # the whole test suite

The first run creates ``.venv`` and installs what the command needs: ``serve`` (and any other
``grants`` command) only the platform, ``test`` the test and benchmark tools too. Later runs
reinstall only when ``pyproject.toml`` changed or more extras are needed. Any other arguments
go to the ``grants`` CLI.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def ensure_venv(extras: tuple[str, ...] = ()) -> None:
    """Create the virtual environment and (re)install the project with ``extras`` when its
    metadata changed or an extra is missing (the stamp records the hash and the extras)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py is what an older Python runs first
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = STAMP.read_text().split() if STAMP.exists() else []
    if stamp[:1] == [digest] and set(extras) <= set(stamp[1:]):
        return
    # This Python's own pip installs into the new environment when it can (``--python``, pip
    # 22.3+): seeding the environment with a pip of its own costs 5 to 15 s on a small machine.
    outer_pip = _outer_pip()
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=outer_pip is None).create(VENV)
    wanted = sorted(set(extras) | (set(stamp[1:]) if stamp[:1] == [digest] else set()))
    what = "the platform" + (f" with its {' and '.join(wanted)} tools" if wanted else "")
    print(f"Installing {what} into .venv ...", flush=True)
    if outer_pip is not None and not (BIN / "pip").exists():
        pip = [*outer_pip, "--python", str(BIN / "python"), "install"]
    else:
        pip = [str(BIN / "python"), "-m", "pip", "install"]
    # --no-compile: modules are byte-compiled when first imported, not all of them up front.
    pip += ["--quiet", "--disable-pip-version-check", "--no-compile"]
    target = f"{ROOT}[{','.join(wanted)}]" if wanted else str(ROOT)
    subprocess.run([*pip, "-e", target], check=True)
    if "test" in wanted and not (BIN / "pip").exists():
        # The suite builds and installs a wheel itself (tests/e2e/test_installed.py): it needs
        # a pip of the environment's own, which serving does not.
        subprocess.run([str(BIN / "python"), "-m", "ensurepip", "--default-pip"], check=True)
    STAMP.write_text(" ".join([digest, *wanted]))


def _outer_pip() -> list[str] | None:
    """This Python's pip, if it is recent enough to install into another environment."""
    try:
        found = subprocess.run(
            [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=True
        )
        major, minor = (int(part) for part in found.stdout.split()[1].split(".")[:2])
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return None
    return [sys.executable, "-m", "pip"] if (major, minor) >= (22, 3) else None


def server_answers(host: str, port: int) -> bool:
    """True when something accepts TCP connections at host:port."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "serve"
    ensure_venv(("test", "bench") if command == "test" else ())
    if command == "test":
        # Unit, integration and end-to-end tests first; the browser suite runs in its own
        # process because Playwright's sync API starts an event loop of its own.
        pytest = [str(BIN / "python"), "-m", "pytest"]
        code = subprocess.call([*pytest, "-m", "not browser", *argv[1:]], cwd=ROOT)
        if code == 0 and not argv[1:]:
            code = subprocess.call([*pytest, "-m", "browser", "tests/browser"], cwd=ROOT)
            code = 0 if code == 5 else code  # no browser test collected yet is not a failure
        if code == 0 and not argv[1:] and server_answers("127.0.0.1", 5432):
            # A second PostgreSQL (the machine's own) for the store's integration tests.
            print("Store tests again, against the PostgreSQL at 127.0.0.1:5432 ...", flush=True)
            env = {**os.environ, "GRANTS_TEST_DATABASE_URL": LOCAL_SERVER}
            code = subprocess.call([*pytest, "-m", "store"], cwd=ROOT, env=env)
        return code
    args = ["serve", "--demo"] if command == "serve" and len(argv) <= 1 else argv
    os.execv(str(BIN / "grants"), [str(BIN / "grants"), *args])  # noqa: S606 - our own CLI
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
