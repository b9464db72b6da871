"""Security headers with a per-request CSP nonce, and the client's address behind trusted proxies."""

from __future__ import annotations

import ipaddress
import secrets
from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import pass_context

from web.common.sessions import cookie_name

if TYPE_CHECKING:
    from jinja2.runtime import Context
    from litestar.types import Message, Scope

    from service.settings import Settings

NONCE_KEY = "grants.nonce"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)


def nonce(scope: Scope) -> str:
    """This request's CSP nonce, made on first use."""
    state: Any = scope
    if NONCE_KEY not in state:
        state[NONCE_KEY] = secrets.token_urlsafe(18)
    return str(state[NONCE_KEY])


@pass_context
def csp_nonce(context: Context) -> str:
    """Template global: ``<script nonce="{{ csp_nonce() }}" src=...>``."""
    return nonce(context["request"].scope)


def content_security_policy(request_nonce: str) -> str:
    """The policy: same-origin everything, scripts only with this request's nonce."""
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{request_nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


def security_headers(settings: Settings) -> Any:
    """A ``before_send`` hook adding the headers to every response, errors and static included."""

    cookie = cookie_name(settings).encode() + b"="

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = [(k, v) for k, v in message.get("headers", ()) if k != b"cache-control"]
        existing = {k.lower(): v for k, v in message.get("headers", ())}
        is_static = scope.get("path", "").startswith("/static/")
        add = {
            b"content-security-policy": content_security_policy(nonce(scope)),
            b"x-content-type-options": "nosniff",
            b"referrer-policy": "same-origin",
            b"permissions-policy": PERMISSIONS_POLICY,
            b"x-frame-options": "DENY",
            b"cross-origin-opener-policy": "same-origin",
        }
        if settings.production:
            add[b"strict-transport-security"] = "max-age=63072000; includeSubDomains"
        if scope.get("user") is not None or (not is_static and _has_cookie(scope, cookie)):
            cache_control = b"no-store"  # a signed-in page never sits in a shared or disk cache
        elif is_static:
            cache_control = existing.get(b"cache-control", b"public, max-age=3600")
        else:
            cache_control = existing.get(b"cache-control", b"no-cache")
        headers.append((b"cache-control", cache_control))
        headers.extend((k, v.encode()) for k, v in add.items() if k not in existing)
        message["headers"] = headers

    return add_headers


def _has_cookie(scope: Scope, prefix: bytes) -> bool:
    """True when the request carries a session cookie (even where no session was loaded)."""
    return any(k == b"cookie" and prefix in v for k, v in scope.get("headers", ()))


@cache
def _networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


def client_address(scope: Scope, trusted: tuple[str, ...]) -> str:
    """The peer's address; ``X-Forwarded-For`` is believed only when the peer is a trusted proxy."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not _is_trusted(peer, trusted):
        return peer
    forwarded = b",".join(v for k, v in scope.get("headers", ()) if k == b"x-forwarded-for")
    hops = [hop.strip() for hop in forwarded.decode("latin-1").split(",") if hop.strip()]
    for hop in reversed(hops):  # the right-most address no trusted proxy added
        if not _is_trusted(hop, trusted):
            return hop
    return peer
