"""The package as a container runs it: built into a wheel, installed into a fresh virtualenv,
the install made read-only, ``grants serve`` started as ``nobody`` against PostgreSQL.

No Docker daemon here, so this is the image's contract checked without the image: the message
catalogs come compiled in the wheel and nothing is written into the install at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.faults.proxy import FaultProxy

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
SECRET = "installed-test-secret-that-is-long-enough-0123456789"
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="switching to an unprivileged user needs root and setpriv (util-linux)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.fixture(scope="module")
def installed() -> Iterator[Path]:
    """A fresh virtualenv holding the built wheel, read-only and world-readable."""
    # Not pytest's tmp_path: it is private to root, and ``nobody`` must read the install.
    top = Path(tempfile.mkdtemp(prefix="grants-installed-"))
    top.chmod(0o755)
    try:
        wheels, env = top / "wheels", top / "venv"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--quiet", "--wheel-dir", str(wheels), str(ROOT)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
        wheel = next(wheels.glob("draa_grants-*.whl"))
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install",
             "--no-deps", "--no-compile", "--quiet", str(wheel)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        site = Path(
            subprocess.check_output(
                [
                    env / "bin" / "python",
                    "-c",
                    "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                ],
                text=True,
            ).strip()
        )
        # The dependencies come from this test's own environment (no network, seconds not
        # minutes); a path line in a .pth does not run that environment's editable finder,
        # so ``web`` and friends can only come from the wheel.
        (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        for path in [env, *env.rglob("*")]:
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode):
                path.chmod((mode | 0o444 | (0o111 if stat.S_ISDIR(mode) else 0)) & ~0o222)
        yield env
    finally:
        for path in top.rglob("*"):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(top, ignore_errors=True)


def test_the_wheel_carries_compiled_catalogs_and_no_sources(installed: Path) -> None:
    locales = next(installed.glob("lib/python*/site-packages/web/locales"))
    compiled = {p.relative_to(locales).with_suffix("") for p in locales.rglob("*.mo")}
    sources = {
        p.relative_to(ROOT / "web" / "locales").with_suffix("")
        for p in (ROOT / "web" / "locales").rglob("*.po")
    }
    assert compiled == sources
    assert not list(locales.rglob("*.po"))


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data dir that ``nobody`` owns (outside pytest's root-only temporary folders)."""
    nobody = pwd.getpwnam("nobody")
    folder = Path(tempfile.mkdtemp(prefix="grants-data-"))
    os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def test_grants_serve_starts_as_nobody_from_a_read_only_install(
    installed: Path, database_url: str, data_dir: Path
) -> None:
    nobody = pwd.getpwnam("nobody")
    before = _snapshot(installed)
    port = _free_port()
    # The embedded server answers on a socket in its private data dir: a loopback TCP proxy
    # lets ``nobody`` reach it, as a container reaches its database over the network.
    async with FaultProxy(database_url) as proxy:
        env = {
            "PATH": "/usr/bin:/bin", "HOME": str(data_dir), "LANG": "C.UTF-8",
            "GRANTS_DATABASE_URL": proxy.database_url, "GRANTS_DATA_DIR": str(data_dir),
            "GRANTS_SECRET_KEY": SECRET, "GRANTS_PORT": str(port), "GRANTS_RUN_PROJECTIONS": "1",
        }  # fmt: skip
        server = await asyncio.create_subprocess_exec(
            "setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
            str(installed / "bin" / "grants"), "serve",
            env=env, cwd=str(data_dir),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            health = await _first_health(port, server)
            assert health.status_code == 200, health.text
            assert health.json()["status"] == "ok"
            home = await _get(port, "/", {"Accept-Language": "fr"})
            assert home.status_code == 200
            assert 'lang="fr"' in home.text
            assert ">Accueil</a>" in home.text  # the French catalog, read from its .mo
        finally:
            with contextlib.suppress(ProcessLookupError):
                server.terminate()
            output = (await asyncio.wait_for(server.communicate(), 30))[0].decode()
    assert "Traceback" not in output, output
    assert _snapshot(installed) == before  # nothing was written into the install


async def _get(port: int, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        return await client.get(path, headers=headers)


async def _first_health(port: int, server: asyncio.subprocess.Process) -> httpx.Response:
    """``/healthz`` as soon as the server answers (60 s at most)."""
    for _ in range(600):
        if server.returncode is not None:
            output = (await server.communicate())[0].decode()
            pytest.fail(f"grants serve exited with {server.returncode}:\n{output}")
        with contextlib.suppress(httpx.TransportError):
            return await _get(port, "/healthz")
        await asyncio.sleep(0.1)
    pytest.fail("grants serve did not answer within 60 s")
