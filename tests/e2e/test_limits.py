"""Request limits: a body above GRANTS_REQUEST_MAX_BODY_BYTES is refused before it is read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.e2e.conftest import csrf_of

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings


async def test_a_body_over_the_limit_is_413(
    client: AsyncTestClient[Litestar], web_settings: Settings
) -> None:
    token = csrf_of(await client.get("/login"))
    limit = web_settings.request_max_body_bytes
    small = await client.post("/login", data={"_csrf": token, "email": "a@b.ma", "password": "x"})
    assert small.status_code != 413
    big = await client.post(
        "/login", data={"_csrf": token, "email": "a@b.ma", "password": "x" * (limit + 1)}
    )
    assert big.status_code == 413
