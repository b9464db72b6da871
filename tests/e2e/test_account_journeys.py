"""Register, log in and out, change and reset passwords, throttling, session fixation."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.e2e.conftest import PASSWORD, csrf_of, log_in, make_user, post_form

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

COOKIE = "grants_session"  # development over http; __Host-grants when Secure


async def test_register_logs_in_and_shows_my_files(client: AsyncTestClient[Litestar]) -> None:
    response = await post_form(
        client,
        "/register",
        {
            "display_name": "Société Atlas Digital",
            "email": "Contact@Atlas.ma",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/my/files"
    files = await client.get("/my/files", headers={"Accept-Language": "en"})
    assert files.status_code == 200
    assert "You have not submitted an application yet." in files.text


async def test_register_errors_rerender_what_was_typed(client: AsyncTestClient[Litestar]) -> None:
    response = await post_form(
        client,
        "/register",
        {
            "display_name": "Amina",
            "email": "not-an-address",
            "password": "short",
            "password_confirm": "short",
        },
        page="/register",
    )
    assert response.status_code == 422
    assert 'value="not-an-address"' in response.text
    assert 'value="short"' not in response.text  # passwords are never sent back
    assert "أدخل بريدًا إلكترونيًا صحيحًا." in response.text or "استعمل 8 أحرف" in response.text
    assert 'aria-invalid="true"' in response.text


async def test_wrong_password_message_in_chosen_language(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    token = csrf_of(await client.get("/login"))
    await client.post("/language", data={"lang": "fr", "_csrf": token})
    response = await log_in(client, user.email, "not the password")
    assert response.status_code == 422
    assert "L'adresse e-mail ou le mot de passe est incorrect." in response.text
    assert f'value="{user.email}"' in response.text


async def test_login_then_logout_ends_the_session_server_side(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    response = await log_in(client, user.email)
    assert response.status_code == 303
    assert (await client.get("/my/files")).status_code == 200
    stolen = client.cookies[COOKIE]
    out = await post_form(client, "/logout", {}, page="/")
    assert out.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM web_sessions WHERE user_id = $1", user.id) == 0
    client.cookies.set(COOKIE, stolen, domain="testserver.local")
    assert (await client.get("/my/files")).status_code == 303  # the old cookie opens nothing


async def test_unknown_session_id_is_not_adopted_and_id_changes_at_login(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    planted = "attacker-chosen-session-id-0123456789"
    client.cookies.set(COOKIE, planted, domain="testserver.local")
    page = await client.get("/login")
    issued = client.cookies[COOKIE]
    assert issued != planted
    assert page.status_code == 200
    await log_in(client, user.email)
    assert client.cookies[COOKIE] not in (planted, issued)
    assert await db.fetchval("SELECT count(*) FROM web_sessions") == 1


async def test_throttling_blocks_even_the_right_password(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    for _ in range(5):
        assert (await log_in(client, user.email, "wrong password!")).status_code == 422
    blocked = await log_in(client, user.email)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 60


async def test_change_password_ends_other_sessions(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    await log_in(client, user.email)
    other = await db.fetchval("SELECT count(*) FROM web_sessions WHERE user_id = $1", user.id)
    assert other == 1
    old_cookie = client.cookies[COOKIE]
    response = await post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "an even longer secret",
            "password_confirm": "an even longer secret",
        },
    )
    assert response.status_code == 200
    assert client.cookies[COOKIE] != old_cookie
    assert (await client.get("/my/files")).status_code == 200
    await post_form(client, "/logout", {}, page="/")
    assert (await log_in(client, user.email, "an even longer secret")).status_code == 303


async def test_reset_password_through_the_mailed_link(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    sent = await post_form(client, "/password/forgot", {"email": user.email})
    assert sent.status_code == 200
    unknown = await post_form(client, "/password/forgot", {"email": "nobody@region.ma"})
    assert unknown.text.count("<h1>") == sent.text.count("<h1>")  # same answer either way
    body = await db.fetchval("SELECT body FROM mail_outbox WHERE recipient = $1", user.email)
    token = re.search(r"token=([\w-]+)", body)
    assert token
    assert (await client.get("/dev/mail")).status_code == 200
    form = await client.get(f"/password/reset?token={token[1]}")
    assert form.status_code == 200
    new = "a fresh secret sentence"
    done = await client.post(
        "/password/reset",
        data={
            "token": token[1],
            "password": new,
            "password_confirm": new,
            "_csrf": csrf_of(form),
        },
    )
    assert done.status_code == 200
    again = await client.post(
        "/password/reset",
        data={
            "token": token[1],
            "password": new,
            "password_confirm": new,
            "_csrf": csrf_of(form),
        },
    )
    assert again.status_code == 400
    assert (await log_in(client, user.email, new)).status_code == 303
