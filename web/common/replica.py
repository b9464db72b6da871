"""Public reads from the replica (``service.replica``): the pool dependency and the cookie.

Public routes take ``pool`` from :func:`public_pool` (``dependencies=PUBLIC_READS``): the router
picks the replica or the primary from the WAL position in the client's ``grants_seen`` cookie,
and :func:`remember_position` (a ``before_send`` hook) stores the position the page was served
at, so that the next page is never read from a server that is behind it. The cookie holds only a
number (a WAL position), no personal data; it is set only when a replica is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Litestar reads the dependency's annotations at run time: these are imported for real.
import asyncpg
from litestar import Request
from litestar.datastructures import Cookie, State
from litestar.di import Provide

from service.replica import Route

if TYPE_CHECKING:
    from litestar.types import Message, Scope

    from service.replica import ReadRouter

SEEN_COOKIE = "grants_seen"
ROUTE_KEY = "grants.read_route"
MAX_POSITION = 2**63 - 1


def seen_position(request: Request[Any, Any, Any]) -> int | None:
    """The WAL position the client was last served at (None when absent or malformed)."""
    raw = request.cookies.get(SEEN_COOKIE, "")
    if raw.isdecimal() and len(raw) <= 19 and int(raw) <= MAX_POSITION:
        return int(raw)
    return None


async def public_pool(request: Request[Any, Any, Any], state: State) -> asyncpg.Pool:
    """The pool this public read uses: the replica when it has what the client saw."""
    router: ReadRouter = state.read_router
    route = await router.route(seen_position(request))
    request.scope[ROUTE_KEY] = (route, seen_position(request))  # type: ignore[literal-required]
    return route.pool


#: ``dependencies=`` for the public read routes.
PUBLIC_READS = {"pool": Provide(public_pool)}


def primary_instead(request: Request[Any, Any, Any]) -> asyncpg.Pool | None:
    """The primary, for a read the replica turned out to be too far behind for (a request that
    names a tree size the replica has not replayed yet); None when it was read on the primary.

    The client's cookie is then set from the primary's position, as for any primary read."""
    chosen: tuple[Route, int | None] | None = request.scope.get(ROUTE_KEY)  # type: ignore[assignment]
    if chosen is None or not chosen[0].replica:
        return None
    router: ReadRouter = request.app.state.read_router
    router.routed["replica"] -= 1
    router.routed["primary"] += 1
    request.scope[ROUTE_KEY] = (Route(router.primary, replica=False), chosen[1])  # type: ignore[literal-required]
    return router.primary


async def remember_position(message: Message, scope: Scope) -> None:
    """Set ``grants_seen`` to the position the page was served at (when it moved forward)."""
    if message["type"] != "http.response.start":
        return
    chosen: tuple[Route, int | None] | None = scope.get(ROUTE_KEY)  # type: ignore[assignment]
    if chosen is None:
        return
    route, seen = chosen
    router: ReadRouter = scope["app"].state.read_router
    if not router.enabled:
        return
    served = await router.served(route)
    if seen is not None and served <= seen:
        return
    secure = bool(scope["app"].state.settings.production)
    cookie = Cookie(
        key=SEEN_COOKIE, value=str(served), path="/", httponly=True, samesite="lax", secure=secure
    )
    headers = list(message.get("headers", ()))
    headers.append((b"set-cookie", cookie.to_header(header="").strip().encode()))
    message["headers"] = headers
