"""Forwarded addresses, HSTS and the session cookie's name, without a server."""

from __future__ import annotations

from typing import Any

from service.settings import Settings
from web.common.security import client_address, security_headers
from web.common.sessions import cookie_name


def scope(peer: str, forwarded: str | None = None) -> Any:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 1234), "headers": headers, "path": "/"}


def test_forwarded_for_ignored_from_an_untrusted_peer() -> None:
    assert client_address(scope("203.0.113.9", "1.2.3.4"), ()) == "203.0.113.9"
    assert client_address(scope("203.0.113.9", "1.2.3.4"), ("10.0.0.0/8",)) == "203.0.113.9"


def test_forwarded_for_believed_from_a_trusted_proxy_rightmost_untrusted_hop() -> None:
    trusted = ("10.0.0.0/8",)
    assert (
        client_address(scope("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.5"), trusted)
        == "198.51.100.7"
    )


async def test_hsts_only_in_production() -> None:
    for production, expected in ((True, True), (False, False)):
        settings = Settings(env="production" if production else "development")
        message: Any = {"type": "http.response.start", "status": 200, "headers": []}
        await security_headers(settings)(message, scope("127.0.0.1"))
        names = {k for k, _ in message["headers"]}
        assert (b"strict-transport-security" in names) is expected


def test_secure_host_cookie_in_production() -> None:
    assert cookie_name(Settings(env="production")) == "__Host-grants"
    assert cookie_name(Settings()) == "grants_session"
