"""Accounts, sessions and throttling against a real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher

from service import accounts, sessions
from service.passwords import Passwords, check_policy
from service.throttle import LoginThrottledError, ThrottlePolicy

if TYPE_CHECKING:
    import asyncpg

FAST = ThrottlePolicy(base_delay_s=0)


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords()


async def make_user(
    pool: asyncpg.Pool, passwords: Passwords, email: str = "A@Example.ma"
) -> accounts.User:
    return await accounts.create_user(
        pool=pool,
        passwords=passwords,
        email=email,
        display_name="Amina",
        role=accounts.INVESTOR,
        password="correct horse battery",
    )


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "too_short"),
        ("x" * 129, "too_long"),
        ("password123", "too_common"),
        ("MyDrâa2025!", "too_common"),
        ("tafilalet-investor", "too_common"),
    ],
)
def test_policy_refuses_weak_passwords(password: str, code: str) -> None:
    problem = check_policy(password)
    assert problem is not None
    assert problem.code == code


def test_policy_accepts_long_unicode_passwords() -> None:
    assert check_policy("كلمة سر طويلة جدا") is None


async def test_email_is_stored_lower_case_and_unique(
    pool: asyncpg.Pool, passwords: Passwords
) -> None:
    user = await make_user(pool, passwords)
    assert user.email == "a@example.ma"
    with pytest.raises(accounts.EmailTakenError):
        await make_user(pool, passwords, "a@EXAMPLE.ma")


async def test_login_rehashes_when_parameters_rise(pool: asyncpg.Pool) -> None:
    weak = Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    user = await make_user(pool, weak)
    strong = Passwords()
    await accounts.authenticate(
        pool=pool,
        passwords=strong,
        policy=FAST,
        email=user.email,
        password="correct horse battery",
        client="1.2.3.4",
    )
    stored = await pool.fetchval("SELECT password_hash FROM users WHERE id = $1", user.id)
    assert "m=19456,t=2,p=1" in stored


async def test_account_blocked_after_five_failures_even_with_right_password(
    pool: asyncpg.Pool, passwords: Passwords
) -> None:
    user = await make_user(pool, passwords)
    for _ in range(5):
        with pytest.raises(accounts.InvalidCredentialsError):
            await accounts.authenticate(
                pool=pool,
                passwords=passwords,
                policy=FAST,
                email=user.email,
                password="wrong password",
                client="1.2.3.4",
            )
    with pytest.raises(LoginThrottledError) as blocked:
        await accounts.authenticate(
            pool=pool,
            passwords=passwords,
            policy=FAST,
            email=user.email,
            password="correct horse battery",
            client="5.6.7.8",
        )
    assert 0 < blocked.value.retry_after <= 15 * 60


async def test_reset_token_works_once(pool: asyncpg.Pool, passwords: Passwords) -> None:
    user = await make_user(pool, passwords)
    sid = await sessions.create(pool, {"uid": str(user.id)}, user.id)
    issued = await accounts.request_password_reset(pool=pool, email="a@example.ma")
    assert issued is not None
    _, token = issued
    stored = await pool.fetchval("SELECT token_hash FROM password_resets")
    assert token.encode() not in stored
    await accounts.reset_password(
        pool=pool, passwords=passwords, token=token, new="a brand new secret"
    )
    assert await sessions.load(pool, sid) is None
    with pytest.raises(accounts.InvalidResetTokenError):
        await accounts.reset_password(
            pool=pool, passwords=passwords, token=token, new="another new secret"
        )


async def test_expired_reset_token_is_refused(pool: asyncpg.Pool, passwords: Passwords) -> None:
    await make_user(pool, passwords)
    issued = await accounts.request_password_reset(pool=pool, email="a@example.ma")
    assert issued is not None
    await pool.execute(
        "UPDATE password_resets SET expires_at = now() - $1::interval", timedelta(seconds=1)
    )
    with pytest.raises(accounts.InvalidResetTokenError):
        await accounts.reset_password(
            pool=pool, passwords=passwords, token=issued[1], new="a brand new secret"
        )


async def test_unknown_and_idle_sessions_load_nothing(pool: asyncpg.Pool) -> None:
    assert await sessions.load(pool, sessions.new_id()) is None
    sid = await sessions.create(pool, {"lang": "fr"}, None)
    loaded = await sessions.load(pool, sid)
    assert loaded is not None
    assert loaded.data == {"lang": "fr"}
    assert loaded.user is None
    await pool.execute("UPDATE web_sessions SET last_seen = now() - interval '31 minutes'")
    assert await sessions.load(pool, sid) is None
    assert await sessions.purge_expired(pool) == 1
