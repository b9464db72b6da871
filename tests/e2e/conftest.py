"""The app over HTTP on a fresh database: ``client`` plus helpers to read pages and log in."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

import pytest
from litestar.testing import AsyncTestClient

from service import accounts
from service.passwords import Passwords
from service.throttle import ThrottlePolicy
from web.app import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import asyncpg
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
    client: AsyncTestClient[Litestar], path: str, data: dict[str, str], page: str | None = None
) -> httpx.Response:
    """GET ``page`` (default ``path``) for its token, then POST the form with it."""
    token = csrf_of(await client.get(page or path))
    return await client.post(path, data={**data, "_csrf": token})


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
    return await post_form(client, "/login", {"email": email, "password": password})
