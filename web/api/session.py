"""Signing in and out over the API, and the signed-in user's own data."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from projections import dashboard
from service import accounts, mfa, personal_data
from service.accounts import INVESTOR, User
from service.passwords import Passwords
from service.settings import Settings
from service.store import EventStore
from service.throttle import LoginThrottledError, ThrottlePolicy
from web.api.schemas import ApplicationOut, LoginIn, MyDataOut, SessionOut, StepOut, UserOut
from web.api.support import convert
from web.common.auth import STAFF_ROLES, requires_login, requires_role
from web.common.errors import ProblemError
from web.common.sessions import csrf_token, log_in, log_out
from web.pages.accounts.mfa import check_second_factor


def user_out(user: User) -> UserOut:
    """The account as the API shows it (never the password hash)."""
    return convert(user, UserOut)


class SessionController(Controller):
    """``/api/v1/session``: cookie sessions with a CSRF token for unsafe requests."""

    path = "/session"
    tags = ("session",)

    @get(summary="The current session and its CSRF token", sync_to_thread=False)
    def current(self, request: Request[Any, Any, Any]) -> SessionOut:
        """Call this first: it starts a session whose token the log-in request must carry."""
        user = request.scope.get("user")
        return SessionOut(user=user_out(user) if user else None, csrf_token=csrf_token(request))

    @post(summary="Log in", status_code=HTTP_200_OK)
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginIn],
        pool: NamedDependency[asyncpg.Pool],
        passwords: NamedDependency[Passwords],
        throttle_policy: NamedDependency[ThrottlePolicy],
        client: NamedDependency[str],
        settings: NamedDependency[Settings],
    ) -> SessionOut:
        """Sets a new session cookie and returns the new CSRF token (the old one stops working).

        Wrong credentials: 401 ``invalid_credentials``; too many failures: 429 ``throttled``.
        Staff, and investors with an authenticator, also send ``totp`` (a code or a recovery
        code): without it 401 ``second_factor_required``, wrong 401 ``invalid_second_factor``.
        """
        user = await accounts.authenticate(
            pool=pool, passwords=passwords, policy=throttle_policy, email=data.email,
            password=data.password, client=client,
        )  # fmt: skip
        if user.role in STAFF_ROLES or await mfa.is_enrolled(pool, user.id):
            await _second_factor(request, user, data.totp, pool, settings, throttle_policy, client)
        else:
            log_in(request, user)
        return SessionOut(user=user_out(user), csrf_token=csrf_token(request))

    @delete(summary="Log out", status_code=HTTP_204_NO_CONTENT, guards=[requires_login])
    async def end(self, request: Request[Any, Any, Any]) -> None:
        """Ends the session server-side and expires the cookie."""
        log_out(request)


async def _second_factor(
    request: Request[Any, Any, Any],
    user: User,
    code: str | None,
    pool: asyncpg.Pool,
    settings: Settings,
    policy: ThrottlePolicy,
    client: str,
) -> None:
    """Sign ``user`` in only past the second factor (the same check, throttle and audit as the
    page); otherwise no session is left behind."""
    if code is None:
        raise ProblemError(401, "second_factor_required", "send the authenticator code as totp")
    log_in(request, user, second_factor=True)
    try:
        passed = await check_second_factor(
            request, code, pool=pool, settings=settings, policy=policy, client=client
        )
    except LoginThrottledError:
        log_out(request)
        raise
    if not passed:
        log_out(request)
        raise ProblemError(401, "invalid_second_factor", "wrong or used code")


class MeController(Controller):
    """``/api/v1/me``: who is signed in, and (investors) everything held about them."""

    path = "/me"
    tags = ("session",)
    guards = (requires_login,)

    @get(summary="The signed-in user", sync_to_thread=False)
    def me(self, user: NamedDependency[User]) -> UserOut:
        """The account of the session's user."""
        return user_out(user)

    @get("/data", summary="Download my data", guards=[requires_role(INVESTOR)])
    async def data(
        self,
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
    ) -> MyDataOut:
        """The account, every file with its timeline, and the contact data given in each."""
        files = await dashboard.files(pool, user.id)
        timelines, contacts = {}, {}
        for file in files:
            key = str(file["application_id"])
            steps = await dashboard.timeline(pool, user.id, file["application_id"])
            timelines[key] = [convert(s, StepOut) for s in steps]
            contact = await personal_data.contact_of(store, file["application_id"], user.id)
            if contact is not None:
                contacts[key] = contact
        return MyDataOut(
            account=user_out(user),
            applications=[convert(f, ApplicationOut) for f in files],
            timelines=timelines,
            contacts=contacts,
        )
