"""ASVS 7.2-7.4, 3.3: server-side sessions the store issued, new ids, timeouts, ending them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from litestar.testing import AsyncTestClient

from service import accounts, sessions
from tests.e2e.conftest import PASSWORD, log_in, make_user, post_form
from web.app import create_app

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar

    from service.settings import Settings

COOKIE = "grants_session"


async def live_sessions(db: asyncpg.Pool, user_id: object) -> int:
    return int(await db.fetchval("SELECT count(*) FROM web_sessions WHERE user_id = $1", user_id))


async def test_an_id_the_store_never_issued_is_refused(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    planted = sessions.new_id()
    client.cookies.set(COOKIE, planted, domain="testserver.local")
    response = await client.get("/login")
    assert response.status_code == 200
    assert planted not in response.headers.get("set-cookie", "")
    user = await make_user(db)
    await log_in(client, user.email)
    assert client.cookies[COOKIE] != planted  # the victim's session is not the attacker's id
    assert await sessions.load(db, planted) is None


async def test_login_issues_a_new_id_and_drops_the_old_one(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    await client.post("/language", data={})  # any request; then take a pre-login session
    await client.get("/login")
    before = client.cookies.get(COOKIE)
    assert before is not None
    await log_in(client, user.email)
    after = client.cookies[COOKIE]
    assert after != before
    assert await sessions.load(db, before) is None
    assert await sessions.load(db, after) is not None


async def test_role_change_and_disabling_end_every_session(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    staff = await make_user(db, email="reviewer@region.ma", role="reviewer")
    await log_in(client, staff.email)
    await accounts.set_role(db, staff.id, "chair")
    assert await live_sessions(db, staff.id) == 0
    assert (await client.get("/account/password")).status_code == 303
    user = await make_user(db)
    await log_in(client, user.email)
    # A role changed behind the use case's back still ends the session at the next request.
    await db.execute("UPDATE users SET role = 'chair' WHERE id = $1", user.id)
    assert (await client.get("/my/files")).status_code == 303
    assert await live_sessions(db, user.id) == 0
    await db.execute("UPDATE users SET role = 'investor' WHERE id = $1", user.id)
    await log_in(client, user.email)
    await accounts.set_active(db, user.id, False)
    assert await live_sessions(db, user.id) == 0
    assert (await client.get("/my/files")).status_code == 303


async def test_logout_and_password_change_end_sessions_server_side(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    await log_in(client, user.email)
    other = dict(client.cookies)
    client.cookies.clear()
    await log_in(client, user.email)
    assert await live_sessions(db, user.id) == 2
    new = "another long secret phrase"
    response = await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "password_confirm": new},
    )
    assert response.status_code == 200
    assert await live_sessions(db, user.id) == 1  # only this browser, under a new id
    client.cookies.clear()
    client.cookies.set(COOKIE, other[COOKIE], domain="testserver.local")
    assert (await client.get("/my/files")).status_code == 303
    await sessions.end_all_for_user(db, user.id)
    assert await live_sessions(db, user.id) == 0


@pytest.mark.parametrize(
    ("column", "age"),
    [("last_seen", timedelta(minutes=31)), ("created_at", timedelta(hours=12, minutes=1))],
)
async def test_idle_and_absolute_timeouts(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, column: str, age: timedelta
) -> None:
    user = await make_user(db)
    await log_in(client, user.email)
    assert (await client.get("/my/files")).status_code == 200
    # Just inside the limit still works (and activity does not extend the absolute lifetime).
    inside = age - timedelta(minutes=2)
    await db.execute(f"UPDATE web_sessions SET {column} = now() - $1::interval", inside)
    assert (await client.get("/my/files")).status_code == 200
    await db.execute(f"UPDATE web_sessions SET {column} = now() - $1::interval", age)
    assert (await client.get("/my/files")).status_code == 303
    assert sessions.IDLE_TIMEOUT.total_seconds() == 30 * 60
    assert sessions.ABSOLUTE_TIMEOUT.total_seconds() == 12 * 3600


async def test_cookie_is_host_only_secure_httponly_samesite_in_production(
    web_settings: Settings, database_url: str, db: asyncpg.Pool
) -> None:
    settings = dataclasses.replace(web_settings, env="production")
    app = create_app(settings, database_url=database_url)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        response = await client.get("/login")
        cookie = response.headers["set-cookie"]
    name, _, attributes = cookie.partition(";")
    assert name.startswith("__Host-grants=")
    parts = {p.strip().split("=")[0].lower(): p.strip() for p in attributes.split(";")}
    assert {"path", "httponly", "secure", "samesite"} <= parts.keys()
    assert parts["path"] == "Path=/"
    assert parts["samesite"] in ("SameSite=Lax", "SameSite=Strict")
    assert "domain" not in parts  # __Host-: this host only
