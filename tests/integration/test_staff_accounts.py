"""Staff accounts: created without a known password, disabled, moved between roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from service import accounts, sessions
from service.passwords import Passwords
from service.throttle import ThrottlePolicy

if TYPE_CHECKING:
    import asyncpg

FAST = ThrottlePolicy(base_delay_s=0)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords()


async def staff(pool: asyncpg.Pool, passwords: Passwords, role: str = "reviewer") -> accounts.User:
    user, token = await accounts.create_staff(
        pool=pool, passwords=passwords, email=f"{role}@region.ma", display_name="Staff", role=role
    )
    await accounts.reset_password(pool=pool, passwords=passwords, token=token, new=PASSWORD)
    return user


async def sign_in(pool: asyncpg.Pool, passwords: Passwords, email: str) -> accounts.User:
    return await accounts.authenticate(
        pool=pool, passwords=passwords, policy=FAST, email=email, password=PASSWORD, client="t"
    )


async def test_a_staff_member_sets_the_password_through_the_link(
    pool: asyncpg.Pool, passwords: Passwords
) -> None:
    user, token = await accounts.create_staff(
        pool=pool, passwords=passwords, email="R@Region.ma", display_name="Rachid", role="chair"
    )
    assert await accounts.reset_token_is_valid(pool=pool, token=token)
    with pytest.raises(accounts.InvalidCredentialsError):
        await sign_in(pool, passwords, "r@region.ma")
    await accounts.reset_password(pool=pool, passwords=passwords, token=token, new=PASSWORD)
    assert (await sign_in(pool, passwords, "r@region.ma")).role == "chair"
    assert user.email == "r@region.ma"


async def test_staff_accounts_are_staff_only(pool: asyncpg.Pool, passwords: Passwords) -> None:
    with pytest.raises(accounts.InvalidRoleError):
        await accounts.create_staff(
            pool=pool, passwords=passwords, email="i@x.ma", display_name="I", role="investor"
        )
    assert await pool.fetchval("SELECT count(*) FROM users") == 0


async def test_disabling_ends_sessions_and_refuses_login(
    pool: asyncpg.Pool, passwords: Passwords
) -> None:
    user = await staff(pool, passwords)
    session_id = await sessions.create(pool, {"uid": str(user.id)}, user.id)
    await accounts.set_active(pool, user.id, False)
    assert await sessions.load(pool, session_id) is None
    with pytest.raises(accounts.InvalidCredentialsError):
        await sign_in(pool, passwords, user.email)
    await accounts.set_active(pool, user.id, True)
    assert (await sign_in(pool, passwords, user.email)).id == user.id


async def test_a_role_change_ends_sessions(pool: asyncpg.Pool, passwords: Passwords) -> None:
    user = await staff(pool, passwords)
    kept = await sessions.create(pool, {"uid": str(user.id)}, user.id)
    await accounts.set_role(pool, user.id, "reviewer")  # no change: nothing ends
    assert await sessions.load(pool, kept) is not None
    await accounts.set_role(pool, user.id, "officer")
    assert await sessions.load(pool, kept) is None
    assert (await accounts.get_user(pool, user.id)).role == "officer"


async def test_officers_cannot_lock_themselves_out(
    pool: asyncpg.Pool, passwords: Passwords
) -> None:
    officer = await staff(pool, passwords, "officer")
    with pytest.raises(accounts.SelfLockoutError):
        await accounts.set_active(pool, officer.id, False, by=officer.id)
    with pytest.raises(accounts.SelfLockoutError):
        await accounts.set_role(pool, officer.id, "chair", by=officer.id)
    assert (await accounts.get_user(pool, officer.id)).role == "officer"


async def test_investors_stay_investors_and_unknown_ids_are_refused(
    pool: asyncpg.Pool, passwords: Passwords
) -> None:
    investor = await accounts.create_user(
        pool=pool, passwords=passwords, email="inv@x.ma", display_name="I", role="investor",
        password=PASSWORD,
    )  # fmt: skip
    with pytest.raises(accounts.InvalidRoleError):
        await accounts.set_role(pool, investor.id, "officer")
    with pytest.raises(accounts.InvalidRoleError):
        await accounts.set_role(pool, investor.id, "investor")
    unknown = accounts.uuid.uuid4()
    with pytest.raises(accounts.UnknownUserError):
        await accounts.set_active(pool, unknown, False)
    with pytest.raises(accounts.UnknownUserError):
        await accounts.set_role(pool, unknown, "chair")


async def test_accounts_are_listed_officers_first(pool: asyncpg.Pool, passwords: Passwords) -> None:
    await staff(pool, passwords, "reviewer")
    await staff(pool, passwords, "officer")
    assert [u.role for u in await accounts.list_users(pool)] == ["officer", "reviewer"]
    assert [u.role for u in await accounts.list_users(pool, role="reviewer")] == ["reviewer"]
