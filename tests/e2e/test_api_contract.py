"""The API keeps the contract its OpenAPI document states, checked by Schemathesis.

The app runs under uvicorn on a real port; the Schemathesis CLI reads ``/schema/openapi.json``
from it and sends generated requests (valid and invalid) to every operation the document lists,
anonymously and signed in as an investor. Any 5xx, any status, content type, header or body the
document does not declare fails the test. Generic over the whole document: an operation added
tomorrow is tested without a line here. Examples are bounded so that both runs take about a
minute on a small machine; the seed printed in a failure replays it (``--seed``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn

from service.throttle import ThrottlePolicy
from tests.e2e.conftest import PASSWORD, make_user
from tests.integration.service.support import open_programme
from web.app import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings
    from service.store import EventStore

INVESTOR = "contract.investor@example.ma"
#: What the issue asks of the API: no 5xx, and nothing the document does not declare.
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance",
])  # fmt: skip
MAX_EXAMPLES = "8"  # per operation and phase, beside the coverage phase's boundary cases
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def live(
    settings: Settings, database_url: str, pool: asyncpg.Pool, store: EventStore
) -> AsyncIterator[str]:
    """The app on a free port with a programme and an investor's account: its base URL."""
    await open_programme(store)
    await make_user(pool, INVESTOR, "investor")
    port = _free_port()
    app = create_app(dataclasses.replace(settings, port=port), database_url=database_url)
    # Anonymous runs send many wrong log-ins: the limits stay, the growing delay goes.
    app.state.throttle_policy = ThrottlePolicy(base_delay_s=0)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise AssertionError("uvicorn stopped before it started")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _investor_headers(url: str) -> list[str]:
    """``-H`` options carrying a signed-in investor's session cookie and CSRF token."""
    async with httpx.AsyncClient(base_url=url + "/api/v1", timeout=10) as client:
        csrf = (await client.get("/session")).json()["csrf_token"]
        signed_in = await client.post(
            "/session", json={"email": INVESTOR, "password": PASSWORD},
            headers={"X-CSRF-Token": csrf},
        )  # fmt: skip
        assert signed_in.status_code == 200, signed_in.text
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        return ["-H", f"Cookie: {cookie}", "-H", f"X-CSRF-Token: {signed_in.json()['csrf_token']}"]


@pytest.mark.parametrize("who", ["anonymous", "investor"])
async def test_the_api_keeps_its_documented_contract(live: str, who: str) -> None:
    options = ["--exclude-path", "/api/v1/session"] if who == "investor" else []  # stay signed in
    if who == "investor":
        options += await _investor_headers(live)
    run = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"{live}/schema/openapi.json",
        "--checks", CHECKS, "--max-examples", MAX_EXAMPLES, "--workers", "1",
        "--phases", "examples,coverage,fuzzing", "--request-timeout", "10",
        "--suppress-health-check", "all", "--no-color", *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output = (await asyncio.wait_for(run.communicate(), timeout=300))[0].decode()
    assert run.returncode == 0, output
    assert "Operations:" in output  # the document was read and operations were tested


async def test_a_cursor_beyond_bigint_is_refused_not_a_crash(
    client: AsyncTestClient[Litestar],
) -> None:
    too_big = await client.get("/api/v1/ledger", params={"after": str(2**63)})
    assert too_big.status_code == 422
    assert too_big.headers["content-type"] == "application/problem+json"
    assert too_big.json()["errors"][0]["field"] == "after"
    largest = await client.get("/api/v1/ledger", params={"after": str(2**63 - 1)})
    assert largest.status_code == 200
    assert largest.json()["items"] == []


async def test_every_operation_declares_its_refusals_as_they_are_sent(
    client: AsyncTestClient[Litestar],
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            refusals = [s for s in responses if s.startswith(("4", "5"))]
            assert all(
                list(responses[s]["content"]) == ["application/problem+json"] for s in refusals
            ), (method, path)
            assert responses["503"]["headers"]["Retry-After"]["required"] is True
    login = document["paths"]["/api/v1/session"]["post"]["responses"]
    assert "Retry-After" in login["429"]["headers"]
    session = document["components"]["securitySchemes"]["session"]
    assert session["name"] == "grants_session"  # this development server, over plain http
    assert "`__Host-grants` in production" in session["description"]
