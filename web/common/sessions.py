"""Our session middleware over ``service.sessions``, CSRF tokens bound to the session, log-in helpers.

Litestar's own server-side sessions adopt any id a client presents; this middleware accepts only
ids the store issued, issues a new id whenever the user changes, and writes before the response
starts so that the next request (on any worker) sees the change.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException, ServiceUnavailableException
from markupsafe import Markup, escape

from service import sessions
from service.accounts import user_from_row
from service.errors import DATABASE_ERRORS, classify
from web.common import audit

if TYPE_CHECKING:
    import uuid

    from jinja2.runtime import Context
    from litestar import Request
    from litestar.connection import ASGIConnection
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from service.accounts import User
    from service.settings import Settings

HANDLE_KEY = "grants.session"
MFA_KEY = "mfa"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
logger = logging.getLogger(__name__)


class CSRFError(PermissionDeniedException):
    """Raised when a state-changing request lacks this session's CSRF token."""


@dataclass
class SessionHandle:
    """What the middleware knows about this request's session, and what the handler asked for."""

    id: str | None = None
    original: dict[str, Any] = field(default_factory=dict)
    user_id: uuid.UUID | None = None
    stale: bool = False
    rotate: bool = False
    end: bool = False
    presented: bool = False
    wrote: bool = False  # the session's row was written or deleted by this request


def cookie_name(settings: Settings) -> str:
    """``__Host-grants`` (Secure, whole host) except in development over plain http."""
    return "__Host-grants" if cookie_secure(settings) else "grants_session"


def cookie_secure(settings: Settings) -> bool:
    """Whether the session cookie is marked Secure."""
    return settings.production or settings.public_url.startswith("https://")


class SessionMiddleware:
    """Loads the session and its user into ``scope['session']``/``scope['user']``; saves on reply."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.name = cookie_name(settings)
        self.attributes = "; Path=/; HttpOnly; SameSite=Lax" + (
            "; Secure" if cookie_secure(settings) else ""
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        pool = scope["app"].state.pool
        cache: sessions.SessionCache | None = scope["app"].state.get("session_cache")
        handle = SessionHandle()
        user: User | None = None
        session_id = self._cookie(scope)
        if session_id is not None:
            handle.presented = True
            try:
                stored = await sessions.load(pool, session_id, cache)
            except DATABASE_ERRORS as error:
                # Never fall back to an anonymous request: the caller may be signed in. A
                # database that is away or busy is a 503; anything else is a bug (a 500).
                if not classify(error).retryable:
                    raise
                logger.warning("session store unavailable: %s", type(error).__name__)
                raise ServiceUnavailableException from None
            if stored is not None:
                handle.id, handle.original, handle.stale = session_id, stored.data, stored.stale
                user = _bound_user(stored)
                if user is None and stored.data.get("uid"):
                    handle.end = True  # account disabled or removed, or its role changed
                handle.user_id = user.id if user else None
        state: Any = scope
        state[HANDLE_KEY] = handle
        state["session"] = dict(handle.original) if user or not handle.original.get("uid") else {}
        state["user"] = user

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = await self._commit(pool, handle, state.get("session"))
                if cache is not None and session_id is not None and handle.wrote:
                    # This process sees its own change at once; others by the trigger's notice.
                    cache.forget(sessions.cache_key(session_id))
                if cookie:
                    message["headers"] = [*message.get("headers", ()), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, scope: Scope) -> str | None:
        for key, value in scope.get("headers", ()):
            if key == b"cookie":
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:  # noqa: S112 - a malformed cookie header is no session
                    continue
                if self.name in jar:
                    return jar[self.name].value
        return None

    async def _commit(self, pool: Any, handle: SessionHandle, data: Any) -> bytes | None:
        data = data if isinstance(data, dict) else {}
        handle.wrote = handle.end or handle.rotate or data != handle.original or handle.stale
        if handle.end:
            if handle.id:
                await sessions.delete(pool, handle.id)
            return self._expire() if handle.presented else None
        if handle.rotate or (handle.id is None and data):
            if handle.id:
                await sessions.delete(pool, handle.id)
            handle.id = await sessions.create(pool, data, handle.user_id)
            return f"{self.name}={handle.id}{self.attributes}".encode()
        if handle.id is None:
            return self._expire() if handle.presented else None  # forget an unknown id
        if data != handle.original:
            await sessions.save(pool, handle.id, data, handle.user_id)
        elif handle.stale:
            await sessions.touch(pool, handle.id)
        return None

    def _expire(self) -> bytes:
        return f"{self.name}=; Max-Age=0{self.attributes}".encode()


def _bound_user(stored: sessions.StoredSession) -> User | None:
    """The session's user, unless the account went or its role differs from the one logged in."""
    if stored.user is None:
        return None
    user = user_from_row(stored.user)
    role = stored.data.get("role")
    return user if role is None or role == user.role else None


def _handle(connection: ASGIConnection[Any, Any, Any, Any]) -> SessionHandle:
    scope: Any = connection.scope
    return scope[HANDLE_KEY]  # type: ignore[no-any-return]


def session_data(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    """This request's session dict (created empty when there is none), typed for callers."""
    scope: Any = connection.scope
    if not isinstance(scope.get("session"), dict):
        scope["session"] = {}
    return scope["session"]  # type: ignore[no-any-return]


def log_in(request: Request[Any, Any, Any], user: User, *, second_factor: bool = False) -> None:
    """Bind the session to ``user`` under a new id and a new CSRF token (keeps the language).

    With ``second_factor`` the session is only half signed in: guards refuse it until
    ``complete_second_factor``. The role is recorded, so that a role change ends the session."""
    handle, data = _handle(request), session_data(request)
    kept = {"lang": data["lang"]} if "lang" in data else {}
    data.clear()
    data.update(kept, uid=str(user.id), role=user.role, csrf=secrets.token_urlsafe(32))
    if second_factor:
        data[MFA_KEY] = False
    handle.user_id, handle.rotate, handle.end = user.id, True, False
    request.scope["user"] = user


def complete_second_factor(request: Request[Any, Any, Any]) -> None:
    """The second factor was verified: mark it, under a new session id and CSRF token."""
    data = session_data(request)
    data.update({MFA_KEY: True, "csrf": secrets.token_urlsafe(32)})
    _handle(request).rotate = True


def second_factor_state(connection: ASGIConnection[Any, Any, Any, Any]) -> bool | None:
    """``True`` verified, ``False`` still to do in this session, ``None`` not asked for."""
    value = session_data(connection).get(MFA_KEY)
    return value if isinstance(value, bool) else None


def log_out(request: Request[Any, Any, Any]) -> None:
    """End the session server-side and expire the cookie."""
    _handle(request).end = True
    session_data(request).clear()
    request.scope["user"] = None


def csrf_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """This session's CSRF token (creates the session if there is none yet)."""
    data = session_data(connection)
    if "csrf" not in data:
        data["csrf"] = secrets.token_urlsafe(32)
    return str(data["csrf"])


def csrf_field(context: Context) -> Markup:
    """Template global: the hidden CSRF input, the one piece of markup templates may not escape."""
    request = context["request"]
    if HANDLE_KEY not in request.scope:  # unrouted 404: no session loaded, no form will work
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token(request))
    )


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: refuse unsafe methods without this session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = session_data(request).get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        given = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        user = request.scope.get("user")
        audit.audit(
            audit.CSRF_REFUSED,
            user_id=user.id if user else None,
            method=request.method,
            path=request.url.path,
        )
        raise CSRFError
