"""Accounts: list them, create staff (who set their own password by mail), disable, change role."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from service import accounts, mail
from service.accounts import ROLES, STAFF_ROLES, AccountError, User
from service.mail import MailSender
from service.passwords import Passwords
from service.settings import Settings
from web.common.forms import Form
from web.common.i18n import N_, translations_of
from web.common.views import page, see_other
from web.pages.admin.common import OFFICERS_ONLY, REQUIRED, notice

Data = URLEncodedBody[dict[str, str]]
ROLE_LABELS = {
    "investor": N_("Investor"),
    "reviewer": N_("Reviewer"),
    "chair": N_("Committee chair"),
    "officer": N_("Programme officer"),
}
ERRORS = {
    "InvalidEmailError": N_("Enter a valid e-mail address."),
    "InvalidNameError": N_("Enter a name (at most 120 characters)."),
    "EmailTakenError": N_("An account already uses this e-mail address."),
    "InvalidRoleError": N_("Choose a staff role: reviewer, committee chair or programme officer."),
    "SelfLockoutError": N_("You cannot disable your own account or change your own role."),
}
INVITATION = N_(
    "Hello %(name)s,\n\nAn account (%(role)s) has been opened for you on the Drâa-Tafilalet "
    "investment-support platform. To choose your password, open this link within three days:\n"
    "%(link)s\n\nIf you did not expect this message, ignore it."
)


def _message(error: AccountError) -> str:
    return ERRORS.get(type(error).__name__, REQUIRED)


#: Shown when a disabling form comes without its ticked confirmation.
NOT_CONFIRMED = N_("Tick the box to confirm that this account is disabled.")


class UserController(Controller):
    """Who may log in, with which role."""

    path = "/admin/users"
    guards = OFFICERS_ONLY

    @get("/")
    async def index(
        self,
        pool: NamedDependency[asyncpg.Pool],
        role: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        """Accounts (optionally of one role) and the staff-account form."""
        return await self._page(pool, Form({"role": "reviewer"}), role=role, notice=notice(done))

    @post("/")
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: Data,
        pool: NamedDependency[asyncpg.Pool],
        passwords: NamedDependency[Passwords],
        settings: NamedDependency[Settings],
        mailer: NamedDependency[MailSender],
    ) -> Template | Redirect:
        """Open a staff account and mail the person a link to choose their password."""
        form = Form.from_data(data, ("email", "display_name", "role"))
        for name in ("email", "display_name"):
            if not form.values[name]:
                form.error(name, REQUIRED)
        if form.valid:
            try:
                user, token = await accounts.create_staff(
                    pool=pool, passwords=passwords, email=form.values["email"],
                    display_name=form.values["display_name"], role=form.values["role"],
                )  # fmt: skip
            except AccountError as error:
                form.error(error.field or "email", _message(error))
            else:
                await _invite(request, pool, mailer, settings, user, token)
                return see_other("/admin/users?done=user_created")
        return await self._page(pool, form, status=422)

    @post("/{user_id:uuid}/active")
    async def set_active(
        self, user_id: FromPath[UUID], data: Data, pool: NamedDependency[asyncpg.Pool],
        user: NamedDependency[User],
    ) -> Template | Redirect:  # fmt: skip
        """Disable or enable an account; its sessions end either way. Disabling asks for the
        ticked confirmation (a misclick would lock a colleague out mid-work)."""
        active = data.get("active") == "1"
        if not active and data.get("confirm") != "yes":
            return await self._page(pool, Form({"role": "reviewer"}), 422, error=NOT_CONFIRMED)
        try:
            await accounts.set_active(pool, user_id, active, by=user.id)
        except accounts.UnknownUserError:
            raise NotFoundException from None
        except AccountError as error:
            return await self._page(pool, Form({"role": "reviewer"}), 409, error=_message(error))
        return see_other("/admin/users?done=user_changed")

    @post("/{user_id:uuid}/role")
    async def set_role(
        self, user_id: FromPath[UUID], data: Data, pool: NamedDependency[asyncpg.Pool],
        user: NamedDependency[User],
    ) -> Template | Redirect:  # fmt: skip
        """Move a staff member to another staff role; their sessions end."""
        try:
            await accounts.set_role(pool, user_id, data.get("role", ""), by=user.id)
        except accounts.UnknownUserError:
            raise NotFoundException from None
        except accounts.InvalidRoleError as error:
            return await self._page(pool, Form({"role": "reviewer"}), 422, error=_message(error))
        except AccountError as error:
            return await self._page(pool, Form({"role": "reviewer"}), 409, error=_message(error))
        return see_other("/admin/users?done=user_changed")

    async def _page(
        self, pool: asyncpg.Pool, form: Form, status: int = 200, *, role: str | None = None,
        notice: str | None = None, error: str | None = None,
    ) -> Template:  # fmt: skip
        role = role if role in ROLES else None
        users = await accounts.list_users(pool, role=role)
        return page(
            "admin/users.html", status, form=form, users=users, role=role, notice=notice,
            error=error, roles=ROLE_LABELS, staff_roles=STAFF_ROLES,
            role_options=[(key, ROLE_LABELS[key]) for key in STAFF_ROLES],
        )  # fmt: skip


async def _invite(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    mailer: MailSender,
    settings: Settings,
    user: User,
    token: str,
) -> None:
    """The set-password mail, in the officer's language (the person can switch afterwards)."""
    t = translations_of(request)
    link = f"{settings.public_url}/password/reset?token={token}"
    body = t.gettext(INVITATION) % {
        "name": user.display_name,
        "role": t.gettext(ROLE_LABELS[user.role]),
        "link": link,
    }
    subject = t.gettext("Your account on the Drâa-Tafilalet investment-support platform")
    await mail.send(
        pool, mailer, mail.Message(recipient=user.email, subject=subject, body=body, secret=token)
    )
