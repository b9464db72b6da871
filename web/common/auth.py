"""Who is asking: the ``current_user`` dependency and the ``requires_role`` guard.

Deny by default: a guard refuses a visitor, a user without the role, and a user whose second
factor is due in this session. Staff (reviewer, chair, officer) always owe the second factor; an
investor owes it once enrolled. Every route guarded here, present or future, gets that rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from service.accounts import CHAIR, OFFICER, REVIEWER, User
from web.common import audit
from web.common.security import client_address
from web.common.sessions import second_factor_state

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import Guard

STAFF_ROLES = frozenset({REVIEWER, CHAIR, OFFICER})


class SecondFactorRequiredError(NotAuthorizedException):
    """Raised when a signed-in user must still give (or enrol) a second factor."""


def needs_second_factor(connection: ASGIConnection[Any, Any, Any, Any], user: User) -> bool:
    """True while ``user`` has not passed the second factor this session and owes it."""
    state = second_factor_state(connection)
    return state is not True and (user.role in STAFF_ROLES or state is False)


def current_user(request: Request[Any, Any, Any]) -> User | None:
    """Dependency: the fully signed-in user, or ``None`` (a visitor, or second factor pending)."""
    user: User | None = request.scope.get("user")
    return None if user is None or needs_second_factor(request, user) else user


def signed_in_user(request: Request[Any, Any, Any]) -> User:
    """Dependency: the signed-in user; a visitor gets the log-in page (HTML) or a 401 (API)."""
    user: User | None = request.scope.get("user")
    if user is None:
        raise NotAuthorizedException
    if needs_second_factor(request, user):
        raise SecondFactorRequiredError
    return user


def requires_role(*roles: str) -> Guard:
    """Guard: a signed-in user past the second factor, holding one of ``roles`` when any are given."""

    # async although it awaits nothing: Litestar runs a sync guard in a worker thread, two
    # thread hand-offs per request (bench.profile_submit), where this takes microseconds.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user: User | None = connection.scope.get("user")
        if user is None:
            raise NotAuthorizedException
        if needs_second_factor(connection, user):
            raise SecondFactorRequiredError
        if roles and user.role not in roles:
            _refused(connection, user)
            raise PermissionDeniedException

    return guard


async def requires_password_step(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard for the second-factor pages: a user who has given their password."""
    if connection.scope.get("user") is None:
        raise NotAuthorizedException


def _refused(connection: ASGIConnection[Any, Any, Any, Any], user: User) -> None:
    settings = connection.app.state.settings
    audit.audit(
        audit.ACCESS_REFUSED,
        user_id=user.id,
        role=user.role,
        method=connection.scope.get("method"),
        path=connection.scope.get("path"),
        client=client_address(connection.scope, settings.trusted_proxies),
    )


requires_login = requires_role()
