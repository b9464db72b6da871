"""Who is asking: the ``current_user`` dependency and the ``requires_role`` guard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from service.accounts import User

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import Guard


def current_user(request: Request[Any, Any, Any]) -> User | None:
    """Dependency: the signed-in user, or ``None`` for a visitor."""
    return request.scope.get("user")


def signed_in_user(request: Request[Any, Any, Any]) -> User:
    """Dependency: the signed-in user; a visitor gets the log-in page (HTML) or a 401 (API)."""
    user = current_user(request)
    if user is None:
        raise NotAuthorizedException
    return user


def requires_role(*roles: str) -> Guard:
    """Guard: a signed-in user, holding one of ``roles`` when any are given."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user: User | None = connection.scope.get("user")
        if user is None:
            raise NotAuthorizedException
        if roles and user.role not in roles:
            raise PermissionDeniedException

    return guard


requires_login = requires_role()
