"""Accounts: register, authenticate, change and reset passwords, create staff.

Personal data (display name, e-mail) is kept in the ``users`` table only, never in events, so a
person can later be erased by overwriting that row while events and the ledger stay intact.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import asyncpg

from service import sessions, throttle
from service.passwords import Passwords, check_policy

if TYPE_CHECKING:
    from service.throttle import ThrottlePolicy

INVESTOR, REVIEWER, CHAIR, OFFICER = "investor", "reviewer", "chair", "officer"
ROLES = (INVESTOR, REVIEWER, CHAIR, OFFICER)
RESET_LIFETIME = timedelta(hours=1)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_NAME = 120

USER_COLUMNS = "id, email, display_name, role, disabled"
SELECT_LOGIN = f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
SELECT_BY_ID = f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE id = $1"
INSERT_USER = """
INSERT INTO users (id, email, display_name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
"""
SELECT_ALL = f"SELECT {USER_COLUMNS} FROM users ORDER BY email"
UPDATE_HASH = "UPDATE users SET password_hash = $2 WHERE id = $1"
UPDATE_PASSWORD = "UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1"  # noqa: S105
INSERT_RESET = "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)"
VALID_RESET = "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()"
USE_RESET = """
UPDATE password_resets SET used_at = now()
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id
"""
USE_OTHER_RESETS = (
    "UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL"
)


@dataclass(frozen=True, kw_only=True)
class User:
    """A person who logs in; what pages may know about them."""

    id: uuid.UUID
    email: str
    display_name: str
    role: str
    disabled: bool = False


class AccountError(Exception):
    """Base of the account errors; ``field`` names the form field at fault, if any."""

    field: str | None = None


class InvalidEmailError(AccountError):
    """Raised when an e-mail address does not look like one."""

    field = "email"


class InvalidNameError(AccountError):
    """Raised when a display name is empty or too long."""

    field = "display_name"


class EmailTakenError(AccountError):
    """Raised when an account with this e-mail address already exists."""

    field = "email"


class WeakPasswordError(AccountError):
    """Raised when a new password breaks the policy; ``code`` says how."""

    field = "password"

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class InvalidCredentialsError(AccountError):
    """Raised when the e-mail and password do not match an enabled account."""


class InvalidResetTokenError(AccountError):
    """Raised when a reset link is unknown, used already or expired."""


def normalise_email(email: str) -> str:
    """The form in which an address is stored and compared."""
    return email.strip().lower()


def user_from_row(row: asyncpg.Record) -> User:
    """A ``User`` from a row holding ``USER_COLUMNS``."""
    return User(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        role=row["role"],
        disabled=row["disabled"],
    )


async def create_user(
    *,
    pool: asyncpg.Pool,
    passwords: Passwords,
    email: str,
    display_name: str,
    role: str,
    password: str,
) -> User:
    """Open an account; investors register themselves, staff are created by an officer or the CLI."""
    email, display_name = normalise_email(email), display_name.strip()
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if len(email) > 254 or not EMAIL.fullmatch(email):
        raise InvalidEmailError(email)
    if not display_name or len(display_name) > MAX_NAME:
        raise InvalidNameError(display_name)
    if problem := check_policy(password):
        raise WeakPasswordError(problem.code)
    user = User(id=uuid.uuid4(), email=email, display_name=display_name, role=role)
    password_hash = await passwords.hash(password)
    try:
        await pool.execute(INSERT_USER, user.id, email, display_name, role, password_hash)
    except asyncpg.UniqueViolationError:
        raise EmailTakenError(email) from None
    return user


async def list_users(pool: asyncpg.Pool) -> list[User]:
    """Every account, by e-mail address (for officers)."""
    return [user_from_row(row) for row in await pool.fetch(SELECT_ALL)]


async def authenticate(
    *,
    pool: asyncpg.Pool,
    passwords: Passwords,
    policy: ThrottlePolicy,
    email: str,
    password: str,
    client: str,
) -> User:
    """The enabled account matching ``email`` and ``password``; throttled before any hashing."""
    email = normalise_email(email)
    keys = throttle.keys(email=email, client=client)
    await throttle.check(pool, keys)  # raises LoginThrottledError
    row = await pool.fetchrow(SELECT_LOGIN, email) if len(password) <= 1024 else None
    usable = row is not None and not row["disabled"]
    if not await passwords.verify(row["password_hash"] if usable else None, password):
        failures = await throttle.record_failure(pool, keys, policy)
        await asyncio.sleep(policy.delay(failures))
        raise InvalidCredentialsError(email)
    assert row is not None
    await throttle.clear(pool, keys[0])
    if passwords.needs_rehash(row["password_hash"]):
        await pool.execute(UPDATE_HASH, row["id"], await passwords.hash(password))
    return user_from_row(row)


async def change_password(
    *, pool: asyncpg.Pool, passwords: Passwords, user_id: uuid.UUID, current: str, new: str
) -> None:
    """Replace the password after checking the current one; every session of the user ends."""
    row = await pool.fetchrow(SELECT_BY_ID, user_id)
    if row is None or not await passwords.verify(row["password_hash"], current):
        raise InvalidCredentialsError(str(user_id))
    await _set_password(pool, passwords, user_id, new)


async def request_password_reset(*, pool: asyncpg.Pool, email: str) -> tuple[User, str] | None:
    """A one-hour, single-use reset token for the account, or ``None`` if there is none."""
    row = await pool.fetchrow(SELECT_LOGIN, normalise_email(email))
    if row is None or row["disabled"]:
        return None
    token = secrets.token_urlsafe(32)
    await pool.execute(INSERT_RESET, _token_hash(token), row["id"], RESET_LIFETIME)
    return user_from_row(row), token


async def reset_token_is_valid(*, pool: asyncpg.Pool, token: str) -> bool:
    """True while the reset link can still be used."""
    return await pool.fetchval(VALID_RESET, _token_hash(token)) is not None


async def reset_password(*, pool: asyncpg.Pool, passwords: Passwords, token: str, new: str) -> None:
    """Set a new password through a reset link; the link and every session of the user end."""
    if not await reset_token_is_valid(pool=pool, token=token):
        raise InvalidResetTokenError
    if problem := check_policy(new):
        raise WeakPasswordError(problem.code)
    password_hash = await passwords.hash(new)
    async with pool.acquire() as conn, conn.transaction():
        user_id = await conn.fetchval(USE_RESET, _token_hash(token))
        if user_id is None:
            raise InvalidResetTokenError
        await conn.execute(USE_OTHER_RESETS, user_id)
        await conn.execute(UPDATE_PASSWORD, user_id, password_hash)
        await sessions.delete_for_user(conn, user_id)


async def _set_password(
    pool: asyncpg.Pool, passwords: Passwords, user_id: uuid.UUID, new: str
) -> None:
    if problem := check_policy(new):
        raise WeakPasswordError(problem.code)
    password_hash = await passwords.hash(new)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(UPDATE_PASSWORD, user_id, password_hash)
        await sessions.delete_for_user(conn, user_id)


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
