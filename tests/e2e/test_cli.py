"""The ``grants`` command fails with one readable line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.testing import with_database

ROOT = Path(__file__).resolve().parents[2]


def grants(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI from this checkout with exactly the GRANTS_* variables given."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "web.cli.main", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("grants: ")
    assert reason in lines[0]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://x", "must look like postgresql://"),
        ("postgresql://h:notaport/db", "bad port"),
        ("postgresql://[::1/db", "malformed"),
        (
            "postgresql://u@127.0.0.1:1/db",
            "cannot reach PostgreSQL at postgresql://u@127.0.0.1:1/db",
        ),
        ("postgresql://u@no-such-host.invalid/db", "cannot reach PostgreSQL"),
        ("postgresql://u:hunter2@127.0.0.1:1/db?sslmode=bogus", "u:***@"),
    ],
)
def test_an_unusable_database_url(tmp_path: Path, url: str, reason: str) -> None:
    env = {"GRANTS_DATABASE_URL": url, "GRANTS_DATA_DIR": str(tmp_path / "data")}
    result = grants("db", "migrate", env=env, cwd=tmp_path)
    assert_one_line_failure(result, reason)
    assert "hunter2" not in result.stderr


def test_a_database_that_does_not_exist(tmp_path: Path, admin_url: str) -> None:
    url = with_database(admin_url, "no_such_database_here")
    env = {"GRANTS_DATABASE_URL": url, "GRANTS_DATA_DIR": str(tmp_path / "data")}
    assert_one_line_failure(grants("db", "migrate", env=env, cwd=tmp_path), "does not exist")


@pytest.mark.parametrize("secret", ["", "x" * 40])
def test_a_data_dir_that_cannot_be_written(tmp_path: Path, secret: str) -> None:
    # As root, chmod 0o500 would not stop us: a path under a regular file cannot be created.
    (tmp_path / "file").write_text("")
    env = {"GRANTS_DATA_DIR": str(tmp_path / "file" / "data"), "GRANTS_SECRET_KEY": secret}
    result = grants("db", "migrate", env=env, cwd=tmp_path)
    assert_one_line_failure(result, str(tmp_path / "file" / "data"))


def test_production_without_a_secret_is_refused(tmp_path: Path) -> None:
    env = {
        "GRANTS_ENV": "production",
        "GRANTS_DATABASE_URL": "postgresql://u@127.0.0.1:1/db",
        "GRANTS_DATA_DIR": str(tmp_path / "data"),
    }
    result = grants("db", "url", env=env, cwd=tmp_path)
    assert_one_line_failure(result, "GRANTS_SECRET_KEY")
    assert not (tmp_path / "data").exists()


def test_migrate_works_and_development_keeps_its_secret(tmp_path: Path, database_url: str) -> None:
    env = {"GRANTS_DATABASE_URL": database_url, "GRANTS_DATA_DIR": str(tmp_path / "data")}
    first = grants("db", "migrate", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("schema version ")
    secret = (tmp_path / "data" / "secret_key").read_text()
    again = grants("db", "migrate", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert (tmp_path / "data" / "secret_key").read_text() == secret


def test_an_export_before_any_read_model_is_built_says_how_to_build_them(
    tmp_path: Path, database_url: str
) -> None:
    """A migrated database no server has projected yet has no read-model tables: the export
    said so with a traceback; it now says what to run."""
    env = {"GRANTS_DATABASE_URL": database_url, "GRANTS_DATA_DIR": str(tmp_path / "data")}
    assert grants("db", "migrate", env=env, cwd=tmp_path).returncode == 0
    before = grants("export", "360giving", "--csv", env=env, cwd=tmp_path)
    assert_one_line_failure(before, "run `grants projections rebuild all`")
    rebuilt = grants("projections", "rebuild", "all", env=env, cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    after = grants("export", "360giving", "--csv", env=env, cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert after.stdout.startswith("Identifier,Title,")
