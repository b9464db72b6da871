"""The app under uvicorn on a real port, for fault tests whose requests must truly overlap.

litestar's AsyncTestClient hands requests to the app one at a time, so fifty "concurrent"
requests through it never race; fifty httpx requests to a real server do.
"""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import httpx
import uvicorn

from tests.e2e.api_support import API
from web.app import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings
    from tests.e2e.api_support import Api


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(settings: Settings, database_url: str) -> AsyncIterator[str]:
    """A second instance of the app (its own pool, same database) on a free port: its URL."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(replace(settings, port=port), database_url=database_url),  # the Host it allows
        host="127.0.0.1", port=port, log_level="warning", lifespan="on",
    )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
            raise AssertionError("uvicorn stopped before it started")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def session_client(api: Api, url: str) -> httpx.AsyncClient:
    """An HTTP client to ``url`` carrying ``api``'s signed-in session (kept in the database, so
    any instance of the app knows it) and its CSRF header."""
    client: AsyncTestClient[Litestar] = api.client
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return httpx.AsyncClient(
        base_url=url + API,
        headers={"Cookie": cookie, "X-CSRF-Token": api.csrf},
        limits=httpx.Limits(max_connections=100),
        timeout=30,
    )
