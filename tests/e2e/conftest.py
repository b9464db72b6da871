"""The app over HTTP on a fresh database: ``client`` plus helpers to read pages and log in."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pyotp
import pytest
from litestar.testing import AsyncTestClient

from service import accounts, mfa
from service.passwords import Passwords
from service.throttle import ThrottlePolicy
from web.app import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx
    from litestar import Litestar

    from service.settings import Settings

BASE_URL = "http://testserver.local"
PASSWORD = "a long enough secret"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, allowed_hosts=(*settings.allowed_hosts, "testserver.local")
    )


@pytest.fixture
async def app(web_settings: Settings, database_url: str) -> Litestar:
    app = create_app(web_settings, database_url=database_url)
    app.state.test_database_url = database_url  # for log_in's second factor, on the test's loop
    # No growing delay in tests; the limits stay the production ones.
    app.state.throttle_policy = ThrottlePolicy(base_delay_s=0)
    return app


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        client.follow_redirects = False  # tests look at the redirects themselves
        yield client


@pytest.fixture
async def db(pool: asyncpg.Pool, client: AsyncTestClient[Litestar]) -> asyncpg.Pool:
    """A pool on the app's database for the test's own loop (the app runs on another loop)."""
    return pool


def csrf_of(response: httpx.Response) -> str:
    """The CSRF token in a page's forms."""
    match = CSRF.search(response.text)
    assert match, "no CSRF field on the page"
    return match[1]


async def post_form(
    client: AsyncTestClient[Litestar],
    path: str,
    data: dict[str, str],
    page: str | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
) -> httpx.Response:
    """GET ``page`` (default ``path``) for its token, then POST the form (and ``files``) with it."""
    token = csrf_of(await client.get(page or path))
    return await client.post(path, data={**data, "_csrf": token}, files=files)


async def make_user(
    pool: asyncpg.Pool,
    email: str = "officer@region.ma",
    role: str = "investor",
    password: str = PASSWORD,
) -> accounts.User:
    return await accounts.create_user(
        pool=pool,
        passwords=Passwords(),
        email=email,
        display_name="Test Person",
        role=role,
        password=password,
    )


async def log_in(
    client: AsyncTestClient[Litestar], email: str, password: str = PASSWORD
) -> httpx.Response:
    """Log in through the pages; staff (and enrolled investors) also pass the second factor.

    Returns the last response: the password step's, or the code step's when there is one."""
    response = await post_form(client, "/login", {"email": email, "password": password})
    location = response.headers.get("location", "")
    if response.status_code == 303 and location.startswith("/login/mfa"):
        return await pass_second_factor(client, email, location)
    return response


async def totp_secret_for(client: AsyncTestClient[Litestar], email: str) -> str:
    """The user's TOTP secret, enrolling one through the service layer if there is none.

    Also forgets the last time step used: tests log the same person in several times within one
    30-second window, which the single-use rule would otherwise refuse."""
    settings = client.app.state.settings
    url = getattr(client.app.state, "test_database_url", None)
    assert url, "log_in for staff needs the `app` fixture of tests/e2e/conftest.py"
    conn = await asyncpg.connect(url)
    try:
        user_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", email.lower())
        found = await mfa.secret_of(conn, settings.secret_key, user_id)
        if found is None or not found[1]:
            secret = mfa.new_secret()
            await mfa.enrol(conn, settings.secret_key, user_id, secret)
        else:
            secret = found[0]
        await conn.execute(
            "UPDATE totp_credentials SET last_timestep = NULL WHERE user_id = $1", user_id
        )
    finally:
        await conn.close()
    return secret


async def pass_second_factor(
    client: AsyncTestClient[Litestar], email: str, location: str = "/login/mfa"
) -> httpx.Response:
    """Answer the code step with a code from the user's authenticator (computed here)."""
    secret = await totp_secret_for(client, email)
    form = await client.get(location)
    next_ = parse_qs(urlsplit(location).query).get("next", [""])[0]
    data = {"code": pyotp.TOTP(secret).now(), "_csrf": csrf_of(form), "next": next_}
    return await client.post("/login/mfa", data=data)
