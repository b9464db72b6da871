"""ASVS 6.2, 11.4.2: password policy, argon2id parameters, rehash, hashing off the loop,
throttling before hashing."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from service import accounts, throttle
from service.passwords import MAX_LENGTH, Passwords, check_policy
from service.throttle import LoginThrottledError, ThrottlePolicy
from tests.e2e.conftest import PASSWORD, make_user, post_form

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient


def test_argon2id_with_at_least_owasp_minimum_parameters() -> None:
    stored = Passwords().hasher.hash("x" * 12)
    params = extract_parameters(stored)
    assert params.type is Type.ID
    assert params.time_cost >= 2
    assert params.memory_cost >= 19 * 1024  # KiB
    assert params.parallelism == 1


@pytest.mark.parametrize(
    "password",
    [
        "eight ch",  # 8: the minimum
        "x" * MAX_LENGTH,  # 128: the maximum is at least this
        "كلمة سر طويلة بما يكفي",  # Arabic
        "mot de passe très sûr ☀️🐪",  # accents and emoji
        "all lower case words only",  # no composition rules
    ],
)
def test_accepted_passwords(password: str) -> None:
    assert check_policy(password) is None


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("seven c", "too_short"),
        ("x" * (MAX_LENGTH + 1), "too_long"),
        ("password", "too_common"),
        ("Password2024!", "too_common"),  # a listed word with the usual decorations
        ("qwertyuiop", "too_common"),
        ("Draa-Tafilalet 2026", "too_common"),  # the programme's name
        ("DRÂA2022!!", "too_common"),
        ("zagora-ouarzazate", "too_common"),  # the region's provinces
    ],
)
def test_refused_passwords(password: str, problem: str) -> None:
    found = check_policy(password)
    assert found is not None
    assert found.code == problem


async def test_no_truncation_every_character_counts() -> None:
    passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    long = "a long passphrase " * 7  # 126 characters, beyond bcrypt's 72 bytes
    stored = await passwords.hash(long)
    assert await passwords.verify(stored, long)
    assert not await passwords.verify(stored, long[:72])
    assert not await passwords.verify(stored, long[:-1] + "X")


async def test_rehash_on_login_when_parameters_rise(db: asyncpg.Pool) -> None:
    weak = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    user = await accounts.create_user(
        pool=db, passwords=weak, email="old@region.ma", display_name="Old", role="investor",
        password=PASSWORD,
    )  # fmt: skip
    before = await db.fetchval("SELECT password_hash FROM users WHERE id = $1", user.id)
    assert extract_parameters(before).time_cost == 1
    await accounts.authenticate(
        pool=db, passwords=Passwords(), policy=ThrottlePolicy(base_delay_s=0),
        email=user.email, password=PASSWORD, client="192.0.2.1",
    )  # fmt: skip
    after = await db.fetchval("SELECT password_hash FROM users WHERE id = $1", user.id)
    assert extract_parameters(after) == extract_parameters(Passwords().hasher.hash("x"))


class RecordingHasher(PasswordHasher):
    """argon2 itself, noting which thread ran it and how many ran at once."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.calls = 0
        self.threads: set[int] = set()
        self.running = self.peak = 0
        self._lock = threading.Lock()

    def _record(self) -> None:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        self.threads.add(threading.get_ident())
        time.sleep(0.05)
        with self._lock:
            self.running -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self._record()
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self._record()
        return super().verify(hash, password)


async def test_hashing_runs_off_the_loop_at_most_one_per_core() -> None:
    assert Passwords()._slots._value == (os.cpu_count() or 1)
    hasher = RecordingHasher()
    passwords = Passwords(hasher, concurrency=2)
    hasher.threads.clear()  # the dummy hash made once at construction, before serving
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await asyncio.gather(*(passwords.hash("a long enough secret") for _ in range(6)))
    task.cancel()
    assert threading.get_ident() not in hasher.threads
    assert hasher.peak <= 2  # never more hashes at once than slots
    assert ticks > 10  # the loop kept serving while six hashes ran


async def test_a_blocked_login_never_reaches_the_hasher(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    keys = throttle.keys(email=user.email, client="testclient")
    policy = ThrottlePolicy(base_delay_s=0)
    for _ in range(policy.account_limit):
        await throttle.record_failure(db, keys, policy)
    hasher = RecordingHasher()
    app.state.passwords = Passwords(hasher)
    hasher.calls = 0  # the dummy hash made at construction
    response = await post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert hasher.calls == 0
    with pytest.raises(LoginThrottledError):
        await accounts.authenticate(
            pool=db, passwords=Passwords(hasher), policy=policy, email=user.email,
            password=PASSWORD, client="testclient",
        )  # fmt: skip
    assert hasher.calls == 1  # only the new Passwords' own dummy hash
