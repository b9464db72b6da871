"""ASVS 3.4, 13.4, 14.2, 16.5: headers on every response, no-store when signed in, allowed hosts
and e-mailed links, generic 500 pages with an id in the log, 503 when the session store is down."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import asyncpg
import pytest
from litestar import get
from litestar.response import ServerSentEvent
from litestar.testing import AsyncTestClient

from tests.e2e.conftest import csrf_of, log_in, make_user
from tests.security.support import act_as, actors, endpoints, fill, load_matrix
from web.app import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx
    from litestar import Litestar

    from service.settings import Settings


def assert_headers(response: httpx.Response, where: str) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'", csp), where
    for forbidden in ("'unsafe-inline'", "'unsafe-eval'"):
        assert forbidden not in csp, where
    for directive in ("frame-ancestors 'none'", "object-src 'none'"):
        assert directive in csp, where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "same-origin", where
    assert "camera=()" in headers.get("permissions-policy", ""), where
    assert headers.get("x-frame-options") == "DENY", where


async def test_every_route_and_error_carries_the_headers(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    @get("/api/v1/probe", sync_to_thread=False)
    def api_probe() -> dict[str, int]:
        return {"ok": 1}

    @get("/events/probe", sync_to_thread=False)
    def sse_probe() -> ServerSentEvent:
        async def one() -> AsyncIterator[str]:
            yield "hello"

        return ServerSentEvent(one())

    @get("/boom", sync_to_thread=False)
    def boom() -> str:
        raise RuntimeError("internals")

    for handler in (api_probe, sse_probe, boom):
        app.register(handler)
    people = await actors(client, db)
    samples = load_matrix().get("params", {})
    extra = [
        "/no/such/page",
        "/api/v1/no-such",
        "/static/app.js",
        "/static/missing.css",
        "/boom",
        "/api/v1/probe",
        "/events/probe",
    ]
    for actor in (people["visitor"], people["officer"]):
        act_as(client, actor)
        paths = [
            fill(e, samples) for e in endpoints(app) if e.method == "GET" and "{" not in e.path
        ]
        for path in [*paths, *extra]:
            response = await client.get(path)
            assert_headers(response, f"{actor.role} {path} {response.status_code}")
            if actor.user is not None and not path.startswith("/static/"):
                assert response.headers["cache-control"] == "no-store", path
        # Unsafe methods too, refused or not.
        response = await client.post("/login", data={})
        assert response.status_code == 403
        assert_headers(response, "POST /login without token")


async def test_hsts_in_production(
    web_settings: Settings, database_url: str, db: asyncpg.Pool
) -> None:
    for env, expected in (("production", True), ("development", False)):
        app = create_app(dataclasses.replace(web_settings, env=env), database_url=database_url)
        async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
            for path in ("/", "/no/such/page", "/static/app.css"):
                hsts = (await client.get(path)).headers.get("strict-transport-security")
                assert (hsts is not None) is expected, (env, path)
                if expected:
                    assert int(re.search(r"max-age=(\d+)", hsts)[1]) >= 31536000
            if env == "production":
                assert (await client.get("/dev/mail")).status_code == 404


async def test_forged_host_gets_400_and_links_never_use_the_request_host(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, web_settings: Settings
) -> None:
    user = await make_user(db)
    token = csrf_of(await client.get("/password/forgot"))
    forged = await client.post(
        "/password/forgot",
        data={"email": user.email, "_csrf": token},
        headers={"Host": "evil.example"},
    )
    assert forged.status_code == 400
    assert await db.fetchval("SELECT count(*) FROM mail_outbox") == 0
    sent = await client.post(
        "/password/forgot",
        data={"email": user.email, "_csrf": token},
        headers={"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"},
    )
    assert sent.status_code == 200
    body = await db.fetchval("SELECT body FROM mail_outbox")
    assert f"{web_settings.public_url}/password/reset?token=" in body
    assert "evil.example" not in body


async def test_a_500_is_generic_with_an_id_that_is_in_the_log(
    app: Litestar, client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    @get("/sql-bug", sync_to_thread=False)
    def sql_bug() -> str:
        raise asyncpg.UndefinedColumnError(
            'column "secret" does not exist in SELECT secret FROM users'
        )

    app.register(sql_bug)
    for path, accept in (("/sql-bug", "text/html"), ("/sql-bug", "application/json")):
        response = await client.get(path, headers={"Accept": accept, "Accept-Language": "en"})
        assert response.status_code == 500
        for leak in ("Traceback", "SELECT", "users", "asyncpg", "UndefinedColumn", 'File "'):
            assert leak not in response.text, leak
        error_id = re.search(r"\b([0-9a-f]{12})\b", response.text)
        assert error_id
        assert any(error_id[1] in r.getMessage() and r.exc_info for r in caplog.records)


async def test_session_store_down_gives_503_never_anonymous_access(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, database_url: str, admin_url: str
) -> None:
    user = await make_user(db)
    await log_in(client, user.email)
    assert (await client.get("/my/files")).status_code == 200
    name = urlsplit(database_url).path.lstrip("/")  # the embedded server's URL has ?host=/dir
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await asyncio.sleep(0.2)
        for path in ("/my/files", "/account/password", "/"):
            response = await client.get(path)
            assert response.status_code == 503, path
            assert_headers(response, path)
        refused = await client.post("/logout", data={})
        assert refused.status_code == 503
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
