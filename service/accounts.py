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
STAFF_ROLES = (REVIEWER, CHAIR, OFFICER)
RESET_LIFETIME = timedelta(hours=1)
# A new staff member chooses a password through a set-password link; give them a few days.
INVITATION_LIFETIME = timedelta(days=3)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_NAME = 120

USER_COLUMNS = "id, email, display_name, role, disabled"
SELECT_LOGIN = f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
SELECT_BY_ID = f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE id = $1"
INSERT_USER = """
INSERT INTO users (id, email, display_name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
"""
UPDATE_HASH = "UPDATE users SET password_hash = $2 WHERE id = $1"
UPDATE_PASSWORD = "UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1"  # noqa: S105
INSERT_RESET = "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)"
VALID_RESET = "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()"
USE_RESET = """
UPDATE password_resets SET used_at = now()
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id
"""
SELECT_USERS = f"""
SELECT {USER_COLUMNS} FROM users WHERE $1::text IS NULL OR role = $1
ORDER BY role <> 'officer', role, email LIMIT $2
"""
SELECT_ROLE_FOR_UPDATE = "SELECT role FROM users WHERE id = $1 FOR UPDATE"
UPDATE_ACTIVE = "UPDATE users SET disabled = NOT $2 WHERE id = $1"
UPDATE_ROLE = "UPDATE users SET role = $2 WHERE id = $1"
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


class UnknownUserError(AccountError):
    """Raised when no account has the given id."""


class InvalidRoleError(AccountError):
    """Raised when a role change leaves the staff roles (investors stay investors)."""

    field = "role"


class SelfLockoutError(AccountError):
    """Raised when officers would disable or demote themselves (and maybe the last officer)."""


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


async def create_staff(
    *, pool: asyncpg.Pool, passwords: Passwords, email: str, display_name: str, role: str
) -> tuple[User, str]:
    """Open a staff account nobody knows the password of; return it with a set-password token.

    The officer never chooses (nor sees) the password: the new member sets it through the link.
    """
    if role not in STAFF_ROLES:
        raise InvalidRoleError(role)
    unknowable = secrets.token_urlsafe(32)
    user = await create_user(
        pool=pool, passwords=passwords, email=email, display_name=display_name, role=role,
        password=unknowable,
    )  # fmt: skip
    token = secrets.token_urlsafe(32)
    await pool.execute(INSERT_RESET, _token_hash(token), user.id, INVITATION_LIFETIME)
    return user, token


async def list_users(
    pool: asyncpg.Pool, *, role: str | None = None, limit: int = 500
) -> list[User]:
    """Accounts, officers first, then by role and e-mail (``role`` filters)."""
    return [user_from_row(row) for row in await pool.fetch(SELECT_USERS, role, limit)]


async def get_user(pool: asyncpg.Pool, user_id: uuid.UUID) -> User:
    """One account, or ``UnknownUserError``."""
    row = await pool.fetchrow(SELECT_BY_ID, user_id)
    if row is None:
        raise UnknownUserError(str(user_id))
    return user_from_row(row)


async def set_active(
    pool: asyncpg.Pool, user_id: uuid.UUID, active: bool, *, by: uuid.UUID | None = None
) -> None:
    """Enable or disable an account; every session of the user ends in the same transaction.

    ``by`` is the officer acting: nobody disables their own account.
    """
    if by == user_id and not active:
        raise SelfLockoutError(str(user_id))
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval(SELECT_ROLE_FOR_UPDATE, user_id) is None:
            raise UnknownUserError(str(user_id))
        await conn.execute(UPDATE_ACTIVE, user_id, active)
        await sessions.end_all_for_user(conn, user_id)


async def set_role(
    pool: asyncpg.Pool, user_id: uuid.UUID, role: str, *, by: uuid.UUID | None = None
) -> None:
    """Move a staff member to another staff role; every session of the user ends with it.

    Investors stay investors (their account holds their files), and officers acting (``by``)
    cannot demote themselves.
    """
    if role not in STAFF_ROLES:
        raise InvalidRoleError(role)
    async with pool.acquire() as conn, conn.transaction():
        current = await conn.fetchval(SELECT_ROLE_FOR_UPDATE, user_id)
        if current is None:
            raise UnknownUserError(str(user_id))
        if current not in STAFF_ROLES:
            raise InvalidRoleError(role)
        if role == current:
            return
        if by == user_id:
            raise SelfLockoutError(str(user_id))
        await conn.execute(UPDATE_ROLE, user_id, role)
        await sessions.end_all_for_user(conn, user_id)


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
    if not await passwords.verify(
        row["password_hash"] if row is not None and usable else None, password
    ):
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
        await sessions.end_all_for_user(conn, user_id)


async def _set_password(
    pool: asyncpg.Pool, passwords: Passwords, user_id: uuid.UUID, new: str
) -> None:
    if problem := check_policy(new):
        raise WeakPasswordError(problem.code)
    password_hash = await passwords.hash(new)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(UPDATE_PASSWORD, user_id, password_hash)
        await sessions.end_all_for_user(conn, user_id)


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


SELECT_BY_ROLE = (
    f"SELECT {USER_COLUMNS} FROM users WHERE role = $1 AND NOT disabled ORDER BY display_name, id"
)
SELECT_BY_IDS = f"SELECT {USER_COLUMNS} FROM users WHERE id = ANY($1::uuid[])"


async def users_with_role(*, pool: asyncpg.Pool, role: str) -> list[User]:
    """Active accounts holding ``role`` (e.g. the reviewers an officer may assign), by name."""
    return [user_from_row(r) for r in await pool.fetch(SELECT_BY_ROLE, role)]


async def users_by_id(*, pool: asyncpg.Pool, ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
    """The accounts among ``ids`` (missing ones are left out)."""
    return {r["id"]: user_from_row(r) for r in await pool.fetch(SELECT_BY_IDS, ids)}
