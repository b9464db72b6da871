"""``grants users create`` in a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

ROOT = Path(__file__).resolve().parents[2]


def grants(
    *args: str, database_url: str, data_dir: Path, password: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GRANTS_DATABASE_URL": database_url,
        "GRANTS_DATA_DIR": str(data_dir),
        "GRANTS_NEW_PASSWORD": password,
    }
    return subprocess.run(
        [sys.executable, "-m", "web.cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_users_create_makes_a_staff_account(
    pool: asyncpg.Pool, database_url: str, tmp_path: Path
) -> None:
    done = grants(
        "users",
        "create",
        "--email",
        "Chair@Region.ma",
        "--role",
        "chair",
        database_url=database_url,
        data_dir=tmp_path,
        password="committee chair secret",
    )
    assert done.returncode == 0, done.stderr
    row = await pool.fetchrow(
        "SELECT role, password_hash FROM users WHERE email = 'chair@region.ma'"
    )
    assert row["role"] == "chair"
    assert row["password_hash"].startswith("$argon2id$")
    assert "committee chair secret" not in done.stdout + done.stderr


async def test_users_create_refuses_a_common_password(database_url: str, tmp_path: Path) -> None:
    done = grants(
        "users",
        "create",
        "--email",
        "r@region.ma",
        "--role",
        "reviewer",
        database_url=database_url,
        data_dir=tmp_path,
        password="password123",
    )
    assert done.returncode == 2
    assert "WeakPasswordError" in done.stderr
