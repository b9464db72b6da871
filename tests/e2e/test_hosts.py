"""A browser sends the port in its Host header; the allowed hosts must accept it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.testing import AsyncTestClient

from web.app import create_app

if TYPE_CHECKING:
    from service.settings import Settings


async def test_host_with_our_port_is_allowed_and_a_forged_host_is_not(
    settings: Settings, database_url: str
) -> None:
    app = create_app(settings, database_url=database_url)
    async with AsyncTestClient(app=app, base_url=f"http://127.0.0.1:{settings.port}") as client:
        assert (await client.get("/healthz")).status_code == 200
        forged = await client.get("/healthz", headers={"Host": "evil.example:8000"})
        assert forged.status_code == 400
