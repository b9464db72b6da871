"""ASVS 6.3.3, 6.5: TOTP second factor, mandatory for staff before any guarded page."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from cryptography.exceptions import InvalidTag
from litestar import get

from service import mfa, programme
from tests.e2e.api_support import catch_up
from tests.e2e.conftest import (
    PASSWORD,
    csrf_of,
    log_in,
    make_user,
    pass_second_factor,
    post_form,
    totp_secret_for,
)
from web.common.auth import requires_role

if TYPE_CHECKING:
    from pathlib import Path

    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore

COOKIE = "grants_session"


async def password_only(client: AsyncTestClient[Litestar], email: str) -> str:
    """Give only the password; where the app sends the user next."""
    response = await post_form(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 303
    return response.headers["location"]


@pytest.mark.parametrize("role", ["reviewer", "chair", "officer"])
async def test_staff_password_alone_opens_no_guarded_page(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool, role: str
) -> None:
    # A route added later by another branch, guarded like theirs will be.
    @get(f"/future/{role}", guards=[requires_role(role)], sync_to_thread=False)
    def future() -> str:
        return "staff only"

    @get(f"/api/v1/future/{role}", guards=[requires_role(role)], sync_to_thread=False)
    def future_api() -> dict[str, str]:
        return {}

    app.register(future)
    app.register(future_api)
    staff = await make_user(db, email=f"{role}@region.ma", role=role)
    assert (await password_only(client, staff.email)).startswith("/login/mfa")
    for path in (f"/future/{role}", "/account/password"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login/mfa"), path
    api = await client.get(f"/api/v1/future/{role}")
    assert api.status_code == 401
    assert api.json()["code"] == "second_factor_required"
    assert "second factor" in api.json()["detail"]
    # Not enrolled yet: the code step sends the user to enrolment.
    step = await client.get("/login/mfa")
    assert step.headers["location"].startswith("/account/mfa/setup")
    await pass_second_factor(client, staff.email)
    assert (await client.get(f"/future/{role}")).text == "staff only"


async def test_enrolment_through_the_pages_then_codes_are_single_use(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    officer = await make_user(db, email="officer@region.ma", role="officer")
    await password_only(client, officer.email)
    setup = await client.get("/account/mfa/setup")
    assert setup.status_code == 200
    uri = re.search(r"otpauth://totp/[^<\"]+", setup.text)
    assert uri
    secret = parse_qs(urlsplit(uri[0].replace("&amp;", "&")).query)["secret"][0]
    key = re.sub(
        r"\s", "", re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', setup.text)[1]
    )
    assert key == secret  # the key is shown as text too: no QR service needed
    token = csrf_of(setup)
    wrong = await client.post("/account/mfa/setup", data={"code": "000000", "_csrf": token})
    assert wrong.status_code == 422
    before = client.cookies[COOKIE]
    code = pyotp.TOTP(secret).now()
    done = await client.post("/account/mfa/setup", data={"code": code, "_csrf": csrf_of(wrong)})
    assert done.status_code == 200
    recovery = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", done.text)
    assert len(recovery) == mfa.RECOVERY_CODES
    assert client.cookies[COOKIE] != before  # a new session id once the second factor passed
    assert (await client.get("/account/password")).status_code == 200

    # Next log-in: the code used for enrolment is refused (same time step), a recovery code works once.
    await post_form(client, "/logout", {}, page="/")
    await password_only(client, officer.email)
    reused = await post_form(client, "/login/mfa", {"code": code})
    assert reused.status_code == 422
    ok = await post_form(client, "/login/mfa", {"code": recovery[0]})
    assert ok.status_code == 303
    await post_form(client, "/logout", {}, page="/")
    await password_only(client, officer.email)
    again = await post_form(client, "/login/mfa", {"code": recovery[0]})
    assert again.status_code == 422


async def test_a_code_cannot_be_used_twice_even_concurrently(db: asyncpg.Pool) -> None:
    user = await make_user(db, role="chair")
    key = "k" * 40
    secret = mfa.new_secret()
    await mfa.enrol(db, key, user.id, secret)
    code = pyotp.TOTP(secret).now()
    results = await asyncio.gather(*(mfa.verify_code(db, key, user.id, code) for _ in range(8)))
    assert results.count(True) == 1
    # An older step is refused after a newer one was used.
    previous_step = pyotp.TOTP(secret).at(time.time() - mfa.STEP_S)
    assert await mfa.verify_code(db, key, user.id, previous_step) is False


async def test_secret_is_encrypted_at_rest_and_bound_to_the_user(db: asyncpg.Pool) -> None:
    user = await make_user(db, role="reviewer")
    secret = mfa.new_secret()
    await mfa.enrol(db, "k" * 40, user.id, secret)
    sealed = await db.fetchval("SELECT secret_sealed FROM totp_credentials")
    assert secret.encode() not in sealed
    assert mfa.unseal("k" * 40, user.id, sealed) == secret
    with pytest.raises(InvalidTag):
        mfa.unseal("k" * 40, uuid.uuid4(), sealed)
    with pytest.raises(InvalidTag):
        mfa.unseal("another secret key" * 3, user.id, sealed)
    codes = await db.fetch("SELECT code_hash FROM recovery_codes")
    assert len(codes) == mfa.RECOVERY_CODES
    assert all(len(row["code_hash"]) == 32 for row in codes)  # SHA-256, never the code


async def test_wrong_codes_are_throttled(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    officer = await make_user(db, role="officer")
    await totp_secret_for(client, officer.email)
    await password_only(client, officer.email)
    statuses = [
        (await post_form(client, "/login/mfa", {"code": "123456"})).status_code for _ in range(6)
    ]
    assert statuses[:5] == [422] * 5
    assert statuses[5] == 429


async def test_second_factor_is_optional_for_investors_until_enrolled(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    investor = await make_user(db, email="investor@atlas.ma")
    first = await post_form(client, "/login", {"email": investor.email, "password": PASSWORD})
    assert first.headers["location"] == "/my/files"
    assert (await client.get("/my/files")).status_code == 200
    await totp_secret_for(client, investor.email)  # the investor turns it on
    await post_form(client, "/logout", {}, page="/")
    assert (await password_only(client, investor.email)).startswith("/login/mfa")
    assert (await client.get("/my/files")).headers["location"].startswith("/login/mfa")
    final = await log_in(client, investor.email)  # the helper answers the step
    assert final.status_code == 303
    assert (await client.get("/my/files")).status_code == 200


def grants(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "web.cli.main", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


async def test_an_operator_can_reset_a_lost_second_factor(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, database_url: str, tmp_path: Path
) -> None:
    officer = await make_user(db, email="officer@region.ma", role="officer")
    await log_in(client, officer.email)
    env = {**os.environ, "GRANTS_DATABASE_URL": database_url, "GRANTS_DATA_DIR": str(tmp_path)}
    done = await asyncio.to_thread(grants, "users", "reset-mfa", "--email", officer.email, env=env)
    assert done.returncode == 0, done.stderr
    assert not await mfa.is_enrolled(db, officer.id)
    assert await db.fetchval("SELECT count(*) FROM recovery_codes") == 0
    assert (
        await db.fetchval("SELECT count(*) FROM web_sessions WHERE user_id = $1", officer.id) == 0
    )
    assert (await password_only(client, officer.email)).startswith("/login/mfa")
    assert (await client.get("/login/mfa")).headers["location"].startswith("/account/mfa/setup")
    unknown = await asyncio.to_thread(
        grants, "users", "reset-mfa", "--email", "x@region.ma", env=env
    )
    assert unknown.returncode != 0
    assert "Traceback" not in unknown.stderr


async def test_a_staff_session_owing_the_second_factor_sees_only_public_data(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    # Unguarded routes that show staff more (draft rubrics) must not count a half session.
    draft = await programme.draft_rubric(store)
    await catch_up(db, store)
    officer = await make_user(db, email="officer@region.ma", role="officer")
    assert (await password_only(client, officer.email)).startswith("/login/mfa")
    listed = [r["rubric_id"] for r in (await client.get("/api/v1/rubrics")).json()]
    assert str(draft) not in listed
    await log_in(client, officer.email)
    assert str(draft) in [r["rubric_id"] for r in (await client.get("/api/v1/rubrics")).json()]
