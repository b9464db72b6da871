"""Security headers, CSP nonces, CSRF, allowed hosts and error pages."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from litestar import get

from tests.e2e.conftest import csrf_of, log_in, make_user

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

PAGES = ["/", "/login", "/register", "/password/forgot", "/privacy", "/ledger"]


def assert_secure_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'", csp)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "camera=()" in response.headers["permissions-policy"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/no/such/page", 404),
        ("/static/app.css", 200),
        ("/static/fonts/noto-sans-arabic-arabic-400-normal.woff2", 200),
        ("/login", 200),
    ],
)
async def test_security_headers_everywhere(
    client: AsyncTestClient[Litestar], path: str, status: int
) -> None:
    response = await client.get(path)
    assert response.status_code == status
    assert_secure_headers(response)


async def test_404_is_a_page_in_the_visitors_language(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/no/such/page", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert "Page introuvable" in response.text


async def test_every_script_carries_this_responses_nonce(client: AsyncTestClient[Litestar]) -> None:
    for path in PAGES:
        response = await client.get(path)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])
        assert nonce
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts, path
        for tag in scripts:
            assert f'nonce="{nonce[1]}"' in tag, (path, tag)
            assert "src=" in tag  # no inline scripts at all
        assert " style=" not in response.text
        assert "//fonts.googleapis" not in response.text


async def test_post_without_csrf_token_is_refused(client: AsyncTestClient[Litestar]) -> None:
    await client.get("/login")
    for path, data in [
        ("/login", {"email": "a@b.ma", "password": "whatever1"}),
        ("/language", {"lang": "fr"}),
        ("/logout", {}),
    ]:
        response = await client.post(path, data=data)
        assert response.status_code == 403, path
    wrong = await client.post("/language", data={"lang": "fr", "_csrf": "forged"})
    assert wrong.status_code == 403


async def test_unknown_host_is_refused(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/", headers={"Host": "evil.example"})
    assert response.status_code == 400


async def test_signed_in_pages_are_not_stored(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    await log_in(client, user.email)
    response = await client.get("/my/files")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


async def test_visitor_is_sent_to_login_and_api_gets_problem_json(
    app: Litestar, client: AsyncTestClient[Litestar]
) -> None:
    response = await client.get("/my/files")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/my/files"

    from web.common.auth import requires_login

    @get("/api/whoami", guards=[requires_login], sync_to_thread=False)
    def whoami() -> dict[str, str]:
        return {}

    app.register(whoami)
    api = await client.get("/api/whoami")
    assert api.status_code == 401
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["status"] == 401


async def test_wrong_role_is_forbidden(client: AsyncTestClient[Litestar], db: asyncpg.Pool) -> None:
    officer = await make_user(db, role="officer")
    await log_in(client, officer.email)
    assert (await client.get("/my/files")).status_code == 403


async def test_a_bug_shows_a_reference_never_a_traceback(
    app: Litestar, client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    @get("/boom", sync_to_thread=False)
    def boom() -> str:
        raise RuntimeError("secret internals")

    app.register(boom)
    response = await client.get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    reference = re.search(r"reference: ([0-9a-f]{12})", response.text)
    assert reference
    assert reference[1] in caplog.text
    assert_secure_headers(response)


async def test_csrf_token_changes_at_login(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    before = csrf_of(await client.get("/login"))
    await log_in(client, user.email)
    after = csrf_of(await client.get("/"))
    assert before != after
