"""Settings, read once from ``GRANTS_*`` environment variables and passed down."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Mapping

DEVELOPMENT = "development"
PRODUCTION = "production"
MIN_SECRET_LENGTH = 32
# A random 32-character secret has ~25 distinct characters; 'aaaa...' or '0123012301...' have few.
MIN_DISTINCT_SECRET_CHARACTERS = 12
LEDGER_ORIGIN = "draa-tafilalet.ma/investment-support-grants"
PLACEHOLDER_WORDS = ("change", "secret", "example", "default", "password", "replace", "xxxx")


@dataclass(frozen=True, kw_only=True)
class Policy:
    """The funding rules the committee applies: quorum, score threshold, maximum share."""

    review_quorum: int = 2
    funding_threshold_hundredths: int = 5_000  # 50.00 points out of 100
    max_share_basis_points: int = 3_000  # 30 % of the total investment


class SettingsError(ValueError):
    """Raised when the environment holds a setting the platform cannot run with."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the platform can be configured with; see the README's configuration table."""

    env: str = DEVELOPMENT
    database_url: str | None = None
    #: A streaming replica for public reads (ledger, grant pages, statistics, open data);
    #: None: everything reads the primary.
    read_database_url: str | None = None
    #: Public reads fall back to the primary while the replica is further behind than this.
    replica_max_lag_ms: int = 1_000
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = field(default="", repr=False)
    log_level: str = "INFO"
    pool_min_size: int = 2
    pool_max_size: int = 10
    #: Connections of the projection runners' own pool (0: they share the pool above).
    projection_pool_size: int = 4
    # Timeouts and limits: the README's "Timeouts and limits" table explains each one.
    statement_timeout_ms: int = 15_000
    lock_timeout_ms: int = 2_000
    idle_in_transaction_timeout_ms: int = 30_000
    connect_timeout_ms: int = 5_000
    pool_acquire_timeout_ms: int = 5_000
    request_max_body_bytes: int = 1_048_576
    run_projections: bool = True
    stream_seconds: float = 300.0
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
    trusted_proxies: tuple[str, ...] = ()
    base_url: str = ""
    review_quorum: int = 2
    funding_threshold_hundredths: int = 5_000
    max_share_basis_points: int = 3_000
    document_max_bytes: int = 10 * 1_048_576
    documents_total_bytes: int = 50 * 1_048_576
    smtp_url: str | None = field(default=None, repr=False)  # may carry a password
    mail_from: str = "no-reply@localhost"
    # The transparency log: its name (the checkpoints' origin line and the key name), the
    # Ed25519 signing key (PRIVATE+KEY+... form) and how long changes gather before a checkpoint.
    ledger_origin: str = LEDGER_ORIGIN
    ledger_signing_key: str = field(default="", repr=False)
    ledger_checkpoint_seconds: float = 1.0
    #: How long a proof may be answered from the process's cached Merkle tree without comparing
    #: it with the database (0: every proof asks; docs/operations.md, scale-out step 4).
    ledger_tree_fresh_seconds: float = 1.0
    #: The programme's public contact, shown in every page's footer (an office, never a person).
    contact_email: str = "invest@draa-tafilalet.example"

    @property
    def connect_timeout_s(self) -> float:
        """``connect_timeout_ms`` in seconds, as asyncpg takes it."""
        return self.connect_timeout_ms / 1000

    @property
    def pool_acquire_timeout_s(self) -> float | None:
        """How long a command waits for a free pool connection (None: no limit)."""
        return self.pool_acquire_timeout_ms / 1000 if self.pool_acquire_timeout_ms else None

    @property
    def policy(self) -> Policy:
        """The programme's funding rules, as the use cases take them."""
        return Policy(
            review_quorum=self.review_quorum,
            funding_threshold_hundredths=self.funding_threshold_hundredths,
            max_share_basis_points=self.max_share_basis_points,
        )

    @property
    def production(self) -> bool:
        """True when running with ``GRANTS_ENV=production``."""
        return self.env == PRODUCTION

    @property
    def embedded(self) -> bool:
        """True when the platform runs its own PostgreSQL under the data dir."""
        return self.database_url is None

    @property
    def public_url(self) -> str:
        """The address links in e-mails point to (never taken from a request's Host header)."""
        return self.base_url or f"http://{self.host}:{self.port}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from the environment (``os.environ`` unless one is given)."""
    env = os.environ if environ is None else environ
    mode = env.get("GRANTS_ENV", DEVELOPMENT).strip().lower()
    if mode not in (DEVELOPMENT, PRODUCTION):
        raise SettingsError(f"GRANTS_ENV must be 'development' or 'production', not {mode!r}")
    data_dir = Path(env.get("GRANTS_DATA_DIR", "var")).expanduser()
    database_url = env.get("GRANTS_DATABASE_URL") or None
    if database_url is not None:
        _check_database_url(database_url)
    read_database_url = env.get("GRANTS_READ_DATABASE_URL") or None
    if read_database_url is not None:
        _check_database_url(read_database_url, "GRANTS_READ_DATABASE_URL")
    settings = Settings(
        env=mode,
        database_url=database_url,
        read_database_url=read_database_url,
        replica_max_lag_ms=_integer(env, "GRANTS_REPLICA_MAX_LAG_MS", 1_000, 0, 3_600_000),
        data_dir=data_dir,
        host=env.get("GRANTS_HOST", "127.0.0.1"),
        port=_integer(env, "GRANTS_PORT", 8000, 1, 65535),
        log_level=env.get("GRANTS_LOG_LEVEL", "INFO").upper(),
        pool_min_size=_integer(env, "GRANTS_POOL_MIN_SIZE", 2, 0, 1000),
        pool_max_size=_integer(env, "GRANTS_POOL_MAX_SIZE", 10, 1, 1000),
        projection_pool_size=_integer(env, "GRANTS_PROJECTION_POOL_SIZE", 4, 0, 100),
        statement_timeout_ms=_integer(env, "GRANTS_STATEMENT_TIMEOUT_MS", 15_000, 0, 3_600_000),
        lock_timeout_ms=_integer(env, "GRANTS_LOCK_TIMEOUT_MS", 2_000, 0, 3_600_000),
        idle_in_transaction_timeout_ms=_integer(
            env, "GRANTS_IDLE_IN_TRANSACTION_TIMEOUT_MS", 30_000, 0, 3_600_000
        ),
        connect_timeout_ms=_integer(env, "GRANTS_CONNECT_TIMEOUT_MS", 5_000, 100, 600_000),
        pool_acquire_timeout_ms=_integer(env, "GRANTS_POOL_ACQUIRE_TIMEOUT_MS", 5_000, 0, 600_000),
        request_max_body_bytes=_integer(
            env, "GRANTS_REQUEST_MAX_BODY_BYTES", 1_048_576, 1_024, 1_073_741_824
        ),
        run_projections=env.get("GRANTS_RUN_PROJECTIONS", "1") not in ("0", "false", "no"),
        stream_seconds=_integer(env, "GRANTS_STREAM_SECONDS", 300, 1, 86_400),
        allowed_hosts=_words(env, "GRANTS_ALLOWED_HOSTS", ("127.0.0.1", "localhost", "[::1]")),
        trusted_proxies=_words(env, "GRANTS_TRUSTED_PROXIES", ()),
        base_url=env.get("GRANTS_BASE_URL", "").rstrip("/"),
        review_quorum=_integer(env, "GRANTS_REVIEW_QUORUM", 2, 1, 20),
        funding_threshold_hundredths=_integer(env, "GRANTS_FUNDING_THRESHOLD", 5_000, 0, 10_000),
        # Given in percent, kept in basis points like every share in the domain.
        max_share_basis_points=_integer(env, "GRANTS_MAX_SHARE_PERCENT", 30, 1, 100) * 100,
        document_max_bytes=_integer(
            env, "GRANTS_DOCUMENT_MAX_BYTES", 10 * 1_048_576, 1_024, 1_073_741_824
        ),
        documents_total_bytes=_integer(
            env, "GRANTS_DOCUMENTS_TOTAL_BYTES", 50 * 1_048_576, 1_024, 10_737_418_240
        ),
        smtp_url=env.get("GRANTS_SMTP_URL") or None,
        mail_from=env.get("GRANTS_MAIL_FROM", "no-reply@localhost"),
        ledger_origin=env.get("GRANTS_LEDGER_ORIGIN", LEDGER_ORIGIN).strip() or LEDGER_ORIGIN,
        ledger_checkpoint_seconds=_integer(env, "GRANTS_LEDGER_CHECKPOINT_MS", 1_000, 0, 3_600_000)
        / 1000,
        ledger_tree_fresh_seconds=_integer(env, "GRANTS_LEDGER_TREE_FRESH_MS", 1_000, 0, 60_000)
        / 1000,
        contact_email=env.get("GRANTS_CONTACT_EMAIL", "").strip() or Settings.contact_email,
    )
    if settings.smtp_url is not None:
        _check_smtp_url(settings.smtp_url)
    secret = env.get("GRANTS_SECRET_KEY", "")
    if settings.production:
        if len(secret) < MIN_SECRET_LENGTH or _looks_like_a_placeholder(secret):
            raise SettingsError(
                f"GRANTS_SECRET_KEY must be set to at least {MIN_SECRET_LENGTH} random characters "
                "in production"
            )
        if database_url is None:
            raise SettingsError("GRANTS_DATABASE_URL must be set in production")
        if not env.get("GRANTS_LEDGER_SIGNING_KEY", "").strip():
            raise SettingsError(
                "GRANTS_LEDGER_SIGNING_KEY must be set in production "
                "(`grants ledger keygen` prints a new one)"
            )
    settings = _with_secret(settings, secret)
    return with_ledger_key(settings, env.get("GRANTS_LEDGER_SIGNING_KEY", "").strip())


def with_ledger_key(settings: Settings, key: str) -> Settings:
    """Use the given ledger signing key, or one generated once under the data dir (development).

    The key itself is parsed and checked where it is used (:mod:`service.checkpoints`).
    """
    if key:
        return replace(settings, ledger_signing_key=key)
    from service.checkpoints import Signer  # cryptography, only when a key must be made

    path = settings.data_dir / "ledger_signing_key"
    try:
        if not path.exists():
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(Signer.generate(settings.ledger_origin).skey + "\n")
            path.chmod(0o600)
        return replace(settings, ledger_signing_key=path.read_text().strip())
    except OSError as error:
        raise SettingsError(
            f"cannot keep the development ledger key in {settings.data_dir}: {error.strerror}"
        ) from error


def _looks_like_a_placeholder(secret: str) -> bool:
    """A documented example or a repeated pattern, not a random value."""
    folded = secret.lower()
    return len(set(secret)) < MIN_DISTINCT_SECRET_CHARACTERS or any(
        word in folded for word in PLACEHOLDER_WORDS
    )


def _with_secret(settings: Settings, secret: str) -> Settings:
    """Use the given secret, or one generated once and kept under the data dir (development)."""
    if secret:
        return replace(settings, secret_key=secret)
    path = settings.data_dir / "secret_key"
    try:
        if not path.exists():
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return replace(settings, secret_key=path.read_text().strip())
    except OSError as error:
        raise SettingsError(
            f"cannot keep the development secret in {settings.data_dir}: {error.strerror}"
        ) from error


def _check_smtp_url(url: str) -> None:
    from service.mail_delivery import SmtpServer  # imported here: aiosmtplib only when mail is set

    try:
        SmtpServer.from_url(url, "x@localhost")
    except ValueError as error:
        raise SettingsError(str(error)) from None


def _check_database_url(url: str, name: str = "GRANTS_DATABASE_URL") -> None:
    example = "postgresql://user:password@host:5432/dbname"
    try:
        parts = urlsplit(url)
    except ValueError as error:  # an unclosed "[" of an IPv6 address, say
        raise SettingsError(f"{name} is malformed ({error}); use {example}") from None
    if parts.scheme not in ("postgresql", "postgres") or not (parts.hostname or "host=" in url):
        raise SettingsError(f"{name} must look like {example}")
    if "," in parts.netloc:
        return  # several hosts, libpq style: asyncpg checks each host:port itself
    try:
        _ = parts.port
    except ValueError as error:
        raise SettingsError(f"{name} has a bad port: {error}") from None


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _words(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(word for word in raw.replace(",", " ").split() if word)
