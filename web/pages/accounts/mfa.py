"""Second-factor pages: enrol an authenticator app, and the code step after the password."""

from __future__ import annotations

import base64
from typing import Annotated, Any, NamedTuple

import asyncpg
import segno
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from service import mfa, throttle
from service.accounts import CHAIR, INVESTOR, OFFICER, REVIEWER
from service.settings import Settings
from service.throttle import LoginThrottledError, ThrottlePolicy
from web.common import audit
from web.common.auth import requires_password_step
from web.common.forms import Form
from web.common.i18n import N_
from web.common.sessions import complete_second_factor, second_factor_state, session_data
from web.common.views import page, safe_next, see_other

Data = URLEncodedBody[dict[str, str]]
Next = Annotated[str | None, QueryParameter(name="next")]
PENDING_KEY = "mfa_setup"
WRONG_CODE = N_("This code is not right, or was used already.")
THROTTLED = N_("Too many failed attempts. Try again in a few minutes.")


#: Everyone lands on their own work after signing in, not on the public home.
LANDINGS = {
    INVESTOR: "/my/files",
    REVIEWER: "/committee/assignments",
    CHAIR: "/committee/queue",
    OFFICER: "/committee/queue",
}


class QrCode(NamedTuple):
    """A QR code as an image source and its width (= height) in CSS pixels."""

    src: str
    size: int


def qr_code(text: str, scale: int = 4) -> QrCode:
    """``text`` as a QR code in an SVG ``data:`` URI: drawn here, so the secret never leaves
    the page for a third-party service, and allowed by the CSP (``img-src 'self' data:``)."""
    symbol = segno.make(text, error="m")
    src = symbol.svg_data_uri(scale=scale, border=4, dark="#000", light="#fff")
    return QrCode(src=str(src), size=int(symbol.symbol_size(scale=scale, border=4)[0]))


def landing(user: Any, target: str | None) -> str:
    """Where a user goes once fully signed in."""
    return safe_next(target, LANDINGS.get(user.role, "/"))


async def check_second_factor(
    request: Request[Any, Any, Any],
    code: str,
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    policy: ThrottlePolicy,
    client: str,
) -> bool:
    """Check the signed-in user's code, throttled; on success mark the session (new id).

    Shared by the page and any API endpoint that completes a staff log-in. Raises
    ``LoginThrottledError`` while the account or address is blocked (before any check)."""
    user = request.scope["user"]
    keys = (f"mfa:{user.id}", f"ip:{client}")
    try:
        await throttle.check(pool, keys)
    except LoginThrottledError:
        audit.audit(audit.LOGIN_THROTTLED, step="mfa", user_id=user.id, client=client)
        raise
    if not await mfa.verify_code(pool, settings.secret_key, user.id, code):
        await throttle.record_failure(pool, keys, policy)
        audit.audit(audit.MFA_FAILED, user_id=user.id, client=client)
        return False
    await throttle.clear(pool, keys[0])
    complete_second_factor(request)
    audit.audit(audit.MFA_SUCCEEDED, user_id=user.id, role=user.role, client=client)
    return True


class SecondFactorController(Controller):
    """The TOTP step and its enrolment; reachable after the password, before anything else."""

    guards = [requires_password_step]  # noqa: RUF012 - Litestar's class attribute

    @get("/login/mfa")
    async def verify_form(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        next_: Next = None,
    ) -> Template | Redirect:
        """Ask for the code from the app (or a recovery code)."""
        user = request.scope["user"]
        if second_factor_state(request) is True:
            return see_other(landing(user, next_))
        if not await mfa.is_enrolled(pool, user.id):
            return see_other(f"/account/mfa/setup?next={safe_next(next_, '')}")
        return page("mfa_verify.html", form=Form({"next": safe_next(next_, "")}))

    @post("/login/mfa")
    async def verify(
        self,
        request: Request[Any, Any, Any],
        data: Data,
        pool: NamedDependency[asyncpg.Pool],
        settings: NamedDependency[Settings],
        throttle_policy: NamedDependency[ThrottlePolicy],
        client: NamedDependency[str],
    ) -> Template | Redirect:
        """Check the code (throttled per account); on success the session gets a new id."""
        user = request.scope["user"]
        form = Form.from_data(data, ("next",))
        try:
            passed = await check_second_factor(
                request, form.raw(data, "code"), pool=pool, settings=settings,
                policy=throttle_policy, client=client,
            )  # fmt: skip
        except LoginThrottledError as blocked:
            response = page("mfa_verify.html", 429, form=form.error("code", THROTTLED))
            response.headers["Retry-After"] = str(blocked.retry_after)
            return response
        if not passed:
            return page("mfa_verify.html", 422, form=form.error("code", WRONG_CODE))
        return see_other(landing(user, form.values["next"]))

    @get("/account/mfa/setup")
    async def setup_form(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        settings: NamedDependency[Settings],
        next_: Next = None,
    ) -> Template | Redirect:
        """Show a new secret (text and otpauth URI) to type into an authenticator app."""
        user = request.scope["user"]
        enrolled = await mfa.is_enrolled(pool, user.id)
        if enrolled and second_factor_state(request) is not True:
            return see_other(f"/login/mfa?next={safe_next(next_, '')}")
        if enrolled and request.query_params.get("renew") != "1":
            left = await mfa.recovery_codes_left(pool, user.id)
            return page("mfa_enabled.html", codes_left=left)
        secret = mfa.new_secret()
        # Kept in the (server-side) session until confirmed, sealed like the stored one.
        sealed = mfa.seal(settings.secret_key, user.id, secret)
        session_data(request)[PENDING_KEY] = base64.b64encode(sealed).decode()
        return self._setup_page(user, secret, Form({"next": safe_next(next_, "")}))

    @post("/account/mfa/setup")
    async def setup(
        self,
        request: Request[Any, Any, Any],
        data: Data,
        pool: NamedDependency[asyncpg.Pool],
        settings: NamedDependency[Settings],
        client: NamedDependency[str],
    ) -> Template | Redirect:
        """Confirm the app with one code; show the recovery codes once."""
        user = request.scope["user"]
        form = Form.from_data(data, ("next",))
        session = session_data(request)
        enrolled = await mfa.is_enrolled(pool, user.id)
        if PENDING_KEY not in session or (enrolled and second_factor_state(request) is not True):
            return see_other("/account/mfa/setup")
        secret = mfa.unseal(settings.secret_key, user.id, base64.b64decode(session[PENDING_KEY]))
        code = form.raw(data, "code")
        codes = await mfa.confirm_enrolment(pool, settings.secret_key, user.id, secret, code)
        if codes is None:
            audit.audit(audit.MFA_FAILED, step="enrolment", user_id=user.id, client=client)
            return self._setup_page(user, secret, form.error("code", WRONG_CODE), 422)
        del session[PENDING_KEY]
        complete_second_factor(request)
        audit.audit(audit.MFA_ENROLLED, user_id=user.id, role=user.role, client=client)
        return page("mfa_recovery.html", codes=codes, next=landing(user, form.values["next"]))

    @staticmethod
    def _setup_page(user: Any, secret: str, form: Form, status: int = 200) -> Template:
        grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        uri = mfa.provisioning_uri(secret, user.email)
        return page("mfa_setup.html", status, form=form, secret=grouped, uri=uri, qr=qr_code(uri))
