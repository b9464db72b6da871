"""Settings from the environment: refused when unusable, with one readable reason."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

import pytest

from service import db
from service.checkpoints import Signer
from service.settings import LEDGER_ORIGIN, SettingsError, load_settings

if TYPE_CHECKING:
    from pathlib import Path

SECRET = "Vx3kP9qLm2Zt7Rb8Nw4Hc6Jd1Fg5Ys0TaQe"  # random-looking: placeholders are refused
LEDGER_KEY = {"GRANTS_LEDGER_SIGNING_KEY": Signer.generate(LEDGER_ORIGIN).skey}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://x", "must look like postgresql://"),
        ("postgresql://h:notaport/db", "bad port"),
        ("postgresql://h:99999/db", "bad port"),
        ("postgresql://[::1/db", "malformed"),
        ("postgresql:///db", "must look like"),
        ("not a url", "must look like"),
    ],
)
def test_a_malformed_database_url_is_refused(tmp_path: Path, url: str, reason: str) -> None:
    with pytest.raises(SettingsError, match=reason) as caught:
        load_settings({"GRANTS_DATABASE_URL": url, "GRANTS_DATA_DIR": str(tmp_path)})
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:pw@db.example:5432/grants",
        "postgres://u@[::1]:5433/grants",
        "postgresql:///grants?host=/run/postgresql",
        "postgresql://u@h1:5432,h2:5433/grants",
    ],
)
def test_a_well_formed_database_url_is_kept(tmp_path: Path, url: str) -> None:
    settings = load_settings({"GRANTS_DATABASE_URL": url, "GRANTS_DATA_DIR": str(tmp_path)})
    assert settings.database_url == url
    assert not settings.embedded


def test_production_without_a_secret_is_refused(tmp_path: Path) -> None:
    env = {
        "GRANTS_ENV": "production",
        "GRANTS_DATABASE_URL": "postgresql://u@h/db",
        "GRANTS_DATA_DIR": str(tmp_path),
    }
    with pytest.raises(SettingsError, match="GRANTS_SECRET_KEY"):
        load_settings(env)
    with pytest.raises(SettingsError, match="GRANTS_SECRET_KEY"):
        load_settings({**env, "GRANTS_SECRET_KEY": "short"})
    assert not (tmp_path / "secret_key").exists()  # never falls back to a generated one
    assert load_settings({**env, "GRANTS_SECRET_KEY": SECRET, **LEDGER_KEY}).secret_key == SECRET


def test_production_needs_a_ledger_signing_key_and_never_generates_one(tmp_path: Path) -> None:
    env = {
        "GRANTS_ENV": "production",
        "GRANTS_DATABASE_URL": "postgresql://u@h/db",
        "GRANTS_DATA_DIR": str(tmp_path),
        "GRANTS_SECRET_KEY": SECRET,
    }
    with pytest.raises(SettingsError, match="GRANTS_LEDGER_SIGNING_KEY"):
        load_settings(env)
    assert not (tmp_path / "ledger_signing_key").exists()
    key = LEDGER_KEY["GRANTS_LEDGER_SIGNING_KEY"]
    assert load_settings({**env, **LEDGER_KEY}).ledger_signing_key == key


def test_development_generates_a_ledger_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = load_settings({"GRANTS_DATA_DIR": str(tmp_path)}).ledger_signing_key
    assert first.startswith("PRIVATE+KEY+draa-tafilalet.ma/investment-support-grants+")
    assert load_settings({"GRANTS_DATA_DIR": str(tmp_path)}).ledger_signing_key == first


def test_production_needs_a_database_url(tmp_path: Path) -> None:
    env = {
        "GRANTS_ENV": "production",
        "GRANTS_SECRET_KEY": SECRET,
        "GRANTS_DATA_DIR": str(tmp_path),
        **LEDGER_KEY,
    }
    with pytest.raises(SettingsError, match="GRANTS_DATABASE_URL"):
        load_settings(env)


def test_development_generates_a_secret_once_and_keeps_it(tmp_path: Path) -> None:
    env = {"GRANTS_DATA_DIR": str(tmp_path / "data")}
    first = load_settings(env)
    second = load_settings(env)
    assert len(first.secret_key) >= 32
    assert second.secret_key == first.secret_key
    kept = tmp_path / "data" / "secret_key"
    assert kept.read_text().strip() == first.secret_key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    other = load_settings({"GRANTS_DATA_DIR": str(tmp_path / "other")})
    assert other.secret_key != first.secret_key
    assert SECRET not in repr(first)


def test_a_data_dir_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    # We run as root, for whom chmod 0o500 changes nothing: put the dir under a regular file.
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SettingsError, match="cannot keep the development secret"):
        load_settings({"GRANTS_DATA_DIR": str(blocker / "data")})


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"GRANTS_ENV": "staging"}, "GRANTS_ENV"),
        ({"GRANTS_PORT": "eighty"}, "GRANTS_PORT must be a whole number"),
        ({"GRANTS_PORT": "0"}, "between 1 and 65535"),
        ({"GRANTS_POOL_MAX_SIZE": "-1"}, "GRANTS_POOL_MAX_SIZE"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], reason: str) -> None:
    with pytest.raises(SettingsError, match=reason):
        load_settings({**env, "GRANTS_SECRET_KEY": SECRET})


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://u@127.0.0.1:1/db", "cannot reach PostgreSQL"),
        ("postgresql://u@no-such-host.invalid/db", "cannot reach PostgreSQL"),
        ("postgresql://u@127.0.0.1:1/db?sslmode=bogus", "not usable"),
        ("postgresql://u@127.0.0.1:1/db?target_session_attrs=zz", "not usable"),
        ("postgresql://u:hunter2@127.0.0.1:1/db", "u:\\*\\*\\*@"),
    ],
)
async def test_an_unusable_server_is_one_database_error(
    tmp_path: Path, url: str, reason: str
) -> None:
    settings = load_settings({"GRANTS_DATABASE_URL": url, "GRANTS_DATA_DIR": str(tmp_path)})
    with pytest.raises(db.DatabaseError, match=reason) as caught:
        await db.create_pool(settings, url)
    assert "\n" not in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_redact_hides_the_whole_password() -> None:
    assert db.redact("postgresql://u:p@ss@h:5432/db?x=@") == "postgresql://u:***@h:5432/db?x=@"
    assert db.redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_timeouts_and_limits_reach_every_connection(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "GRANTS_DATA_DIR": str(tmp_path),
            "GRANTS_SECRET_KEY": SECRET,
            "GRANTS_STATEMENT_TIMEOUT_MS": "7000",
            "GRANTS_LOCK_TIMEOUT_MS": "250",
            "GRANTS_IDLE_IN_TRANSACTION_TIMEOUT_MS": "9000",
            "GRANTS_CONNECT_TIMEOUT_MS": "1500",
            "GRANTS_POOL_ACQUIRE_TIMEOUT_MS": "0",
            "GRANTS_REQUEST_MAX_BODY_BYTES": "65536",
        }
    )
    assert db.server_settings(settings) == {
        "application_name": "grants",
        "statement_timeout": "7000",
        "lock_timeout": "250",
        "idle_in_transaction_session_timeout": "9000",
    }
    assert settings.connect_timeout_s == 1.5
    assert settings.pool_acquire_timeout_s is None  # 0: wait as long as it takes
    assert settings.request_max_body_bytes == 65_536
    with pytest.raises(SettingsError, match="GRANTS_LOCK_TIMEOUT_MS"):
        load_settings({"GRANTS_DATA_DIR": str(tmp_path), "GRANTS_LOCK_TIMEOUT_MS": "soon"})


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://mail.example.ma", "must look like smtp://"),
        ("smtp://", "must look like smtp://"),
        ("smtp://user:pw@mail.example.ma:25?tls=none", "never sent without TLS"),
    ],
)
def test_an_unusable_smtp_url_is_refused_in_one_line(tmp_path: Path, url: str, reason: str) -> None:
    with pytest.raises(SettingsError, match=reason) as caught:
        load_settings({"GRANTS_SMTP_URL": url, "GRANTS_DATA_DIR": str(tmp_path)})
    assert "\n" not in str(caught.value)
    assert "pw" not in str(caught.value)  # the password is never echoed


def test_document_limits_come_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings({
        "GRANTS_DOCUMENT_MAX_BYTES": "2048", "GRANTS_DOCUMENTS_TOTAL_BYTES": "8192",
        "GRANTS_DATA_DIR": str(tmp_path),
    })  # fmt: skip
    assert (settings.document_max_bytes, settings.documents_total_bytes) == (2048, 8192)
    assert load_settings({"GRANTS_DATA_DIR": str(tmp_path)}).document_max_bytes == 10 * 1_048_576
    assert "smtp_url" not in repr(load_settings({"GRANTS_SMTP_URL": "smtp://u:secretpw@h:587",
                                                  "GRANTS_DATA_DIR": str(tmp_path)}))  # fmt: skip
