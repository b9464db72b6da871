"""Account pages: register, log in, log out, change password, forgotten password."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from service import accounts, mail, mfa, registration
from service.accounts import AccountError, InvalidCredentialsError
from service.mail import MailSender
from service.passwords import Passwords, check_policy, names_the_programme
from service.settings import Settings
from service.throttle import LoginThrottledError, ThrottlePolicy
from web.common import audit
from web.common.auth import STAFF_ROLES, requires_login
from web.common.forms import Form
from web.common.i18n import LANGUAGES, N_, remember_language, translations_of
from web.common.sessions import (
    complete_second_factor,
    log_in,
    log_out,
    second_factor_state,
    session_data,
)
from web.common.views import page, safe_next, see_other
from web.pages.accounts.mfa import landing

Data = URLEncodedBody[dict[str, str]]
ERRORS = {
    "InvalidEmailError": N_("Enter a valid e-mail address."),
    "InvalidNameError": N_("Enter your name (at most 120 characters)."),
    "EmailTakenError": N_("An account already uses this e-mail address."),
    "too_short": N_("Use at least 8 characters."),
    "too_long": N_("Use at most 128 characters."),
    "too_common": N_("This password is too common or too easy to guess."),
}
WRONG_CREDENTIALS = N_("The e-mail address or the password is not right.")
MISMATCH = N_("The two passwords are not the same.")
NAMES_THE_PROGRAMME = N_(
    "The password contains the name of the region, the programme or a province, which anyone "
    "can guess: choose other words."
)
REQUIRED = N_("This field is required.")
TOO_MANY_ACCOUNTS = N_(
    "Too many accounts were opened from your connection. Try again in a few minutes."
)


def _audit_attempt(event: str, settings: Settings, email: str, client: str) -> None:
    """A failed or throttled log-in, with a keyed digest of the address, never the address."""
    audit.audit(event, account=audit.digest(settings.secret_key, email.lower()), client=client)


def _account_error(form: Form, error: AccountError) -> Form:
    code = getattr(error, "code", type(error).__name__)
    return form.error(error.field or "email", ERRORS.get(code, REQUIRED))


def _new_password(form: Form, data: dict[str, str], name: str = "password") -> str:
    """The new password, with every problem flagged at once: empty, refused (and why), or not
    typed the same twice."""
    password, confirm = form.raw(data, name), form.raw(data, "password_confirm")
    if not password:
        form.error(name, REQUIRED)
    elif problem := check_policy(password):
        form.error(name, _refusal(problem.code, password))
    if not confirm:
        form.error("password_confirm", REQUIRED)
    elif password and password != confirm:
        form.error("password_confirm", MISMATCH)
    return password


def _refusal(code: str, password: str) -> str:
    """Why a password is refused, as precisely as the policy knows it."""
    if code == "too_common" and names_the_programme(password):
        return NAMES_THE_PROGRAMME
    return ERRORS.get(code, REQUIRED)


def _required(form: Form, *names: str) -> Form:
    """Flag each empty field among ``names`` (every one, not only the first)."""
    for name in names:
        if not form.values.get(name):
            form.error(name, REQUIRED)
    return form


class AccountController(Controller):
    """Pages where people get in and out."""

    @get("/register", sync_to_thread=False)
    def register_form(self, request: Request[Any, Any, Any]) -> Template:
        """The investor registration form (a ``?lang=`` choice is kept for what follows)."""
        remember_language(request)
        return page("register.html", form=Form())

    @post("/register")
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: Data,
        pool: NamedDependency[asyncpg.Pool],
        passwords: NamedDependency[Passwords],
        client: NamedDependency[str],
    ) -> Template | Redirect:
        """Open an investor account and sign in (throttled per address, as the API)."""
        form = _required(Form.from_data(data, ("display_name", "email")), "display_name", "email")
        password = _new_password(form, data)
        if form.valid:
            try:
                user = await registration.register_investor(
                    pool=pool,
                    passwords=passwords,
                    client=client,
                    email=form.values["email"],
                    display_name=form.values["display_name"],
                    password=password,
                )
            except AccountError as error:
                _account_error(form, error)
            except LoginThrottledError as blocked:
                form.error("email", TOO_MANY_ACCOUNTS)
                response = page("register.html", 429, form=form)
                response.headers["Retry-After"] = str(blocked.retry_after)
                return response
            else:
                log_in(request, user)
                return see_other("/my/files")
        return page("register.html", 422, form=form)

    @get("/login", sync_to_thread=False)
    def login_form(
        self,
        request: Request[Any, Any, Any],
        next_: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Template:
        """The log-in form (a ``?lang=`` choice is kept for what follows)."""
        remember_language(request)
        return page("login.html", form=Form({"next": safe_next(next_, "")}))

    @post("/login")
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Data,
        pool: NamedDependency[asyncpg.Pool],
        passwords: NamedDependency[Passwords],
        throttle_policy: NamedDependency[ThrottlePolicy],
        client: NamedDependency[str],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        """Check the credentials (throttled) and bind a fresh session to the user."""
        form = Form.from_data(data, ("email", "next"))
        password = form.raw(data, "password")
        for name, value in (("email", form.values["email"]), ("password", password)):
            if not value:
                form.error(name, REQUIRED)
        if not form.valid:
            return page("login.html", 422, form=form)
        try:
            user = await accounts.authenticate(
                pool=pool,
                passwords=passwords,
                policy=throttle_policy,
                email=form.values["email"],
                password=password,
                client=client,
            )
        except InvalidCredentialsError:
            _audit_attempt(audit.LOGIN_FAILED, settings, form.values["email"], client)
            return page("login.html", 422, form=form.error("password", WRONG_CREDENTIALS))
        except LoginThrottledError as blocked:
            _audit_attempt(audit.LOGIN_THROTTLED, settings, form.values["email"], client)
            form.error("email", N_("Too many failed attempts. Try again in a few minutes."))
            response = page("login.html", 429, form=form)
            response.headers["Retry-After"] = str(blocked.retry_after)
            return response
        second_factor = user.role in STAFF_ROLES or await mfa.is_enrolled(pool, user.id)
        log_in(request, user, second_factor=second_factor)
        audit.audit(audit.LOGIN_SUCCEEDED, user_id=user.id, role=user.role, client=client)
        if second_factor:
            return see_other(f"/login/mfa?next={quote(safe_next(form.values['next'], ''))}")
        return see_other(landing(user, form.values["next"]))

    @post("/logout")
    async def logout(
        self, request: Request[Any, Any, Any], client: NamedDependency[str]
    ) -> Redirect:
        """End the session on the server; a language chosen in it goes on in the link."""
        user = request.scope.get("user")
        chosen = session_data(request).get("lang")
        log_out(request)
        audit.audit(audit.LOGOUT, user_id=user.id if user else None, client=client)
        return see_other(f"/?lang={chosen}" if chosen in LANGUAGES else "/")

    @get("/account/password", guards=[requires_login], sync_to_thread=False)
    def password_form(self) -> Template:
        """The change-password form."""
        return page("password_change.html", form=Form())

    @post("/account/password", guards=[requires_login])
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        data: Data,
        pool: NamedDependency[asyncpg.Pool],
        passwords: NamedDependency[Passwords],
    ) -> Template:
        """Change the password; every other session of the user ends."""
        form = Form()
        current = form.raw(data, "current_password")
        new = _new_password(form, data, "new_password")
        if form.valid:
            user = request.scope["user"]
            try:
                await accounts.change_password(
                    pool=pool, passwords=passwords, user_id=user.id, current=current, new=new
                )
            except InvalidCredentialsError:
                form.error("current_password", N_("This is not your current password."))
            except AccountError as error:
                form.error("new_password", ERRORS.get(getattr(error, "code", ""), REQUIRED))
            else:
                # The old sessions are gone; this one gets a new id, second factor kept.
                had_second_factor = second_factor_state(request) is True
                log_in(request, user)
                if had_second_factor:
                    complete_second_factor(request)
                audit.audit(audit.PASSWORD_CHANGED, user_id=user.id)
                return page("message.html", title=N_("Your password has been changed."))
        return page("password_change.html", 422, form=form)

    @get("/password/forgot", sync_to_thread=False)
    def forgot_form(self) -> Template:
        """Ask for a reset link."""
        return page("password_forgot.html", form=Form())

    @post("/password/forgot")
    async def forgot(
        self,
        request: Request[Any, Any, Any],
        data: Data,
        pool: NamedDependency[asyncpg.Pool],
        settings: NamedDependency[Settings],
        mailer: NamedDependency[MailSender],
    ) -> Template:
        """Mail a reset link if the account exists; say the same thing either way."""
        form = Form.from_data(data, ("email",))
        if not form.values["email"]:
            return page("password_forgot.html", 422, form=form.error("email", REQUIRED))
        issued = await accounts.request_password_reset(pool=pool, email=form.values["email"])
        if issued is not None:
            user, token = issued
            t = translations_of(request)
            link = f"{settings.public_url}/password/reset?token={token}"
            body = t.gettext(
                "Hello %(name)s,\n\nTo choose a new password, open this link within one hour:\n"
                "%(link)s\n\nIf you did not ask for it, ignore this message."
            ) % {"name": user.display_name, "link": link}
            message = mail.Message(
                recipient=user.email,
                subject=t.gettext("Reset your password"),
                body=body,
                secret=token,
            )
            await mail.send(pool, mailer, message)
        return page(
            "message.html",
            title=N_("Check your e-mail"),
            text=N_(
                "If an account uses this address, we have sent it a link to choose a new password. The link works once, for one hour."
            ),
        )

    @get("/password/reset")
    async def reset_form(
        self, pool: NamedDependency[asyncpg.Pool], token: FromQuery[str] = ""
    ) -> Template:
        """Choose a new password through an e-mailed link."""
        if not await accounts.reset_token_is_valid(pool=pool, token=token):
            return page(
                "message.html",
                400,
                title=N_("This link is no longer valid."),
                link=("/password/forgot", N_("Ask for a new link")),
            )
        return page("password_reset.html", form=Form({"token": token}))

    @post("/password/reset")
    async def reset(
        self, data: Data, pool: NamedDependency[asyncpg.Pool], passwords: NamedDependency[Passwords]
    ) -> Template:
        """Set the new password; the link and every session of the user end."""
        form = Form.from_data(data, ("token",))
        password = _new_password(form, data)
        if form.valid:
            try:
                await accounts.reset_password(
                    pool=pool, passwords=passwords, token=form.values["token"], new=password
                )
            except accounts.InvalidResetTokenError:
                return page(
                    "message.html",
                    400,
                    title=N_("This link is no longer valid."),
                    link=("/password/forgot", N_("Ask for a new link")),
                )
            except AccountError as error:
                _account_error(form, error)
            else:
                return page(
                    "message.html",
                    title=N_("Your password has been changed."),
                    link=("/login", N_("Log in")),
                )
        return page("password_reset.html", 422, form=form)
