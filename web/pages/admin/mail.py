"""The outbox as officers see it: messages waiting, dead letters, and a retry for each.

No recipient and no body is shown: a dead letter's subject, age, attempts and error class are
enough to act on, and the page never becomes a window on someone's mail.
"""

from __future__ import annotations

import asyncpg
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from service import mail_delivery
from web.common.i18n import N_
from web.common.views import page, see_other
from web.pages.admin.common import OFFICERS_ONLY

RETRIED = N_("The message will be tried again.")


class MailController(Controller):
    """``/admin/mail``: delivery counts and dead letters."""

    path = "/admin/mail"
    guards = OFFICERS_ONLY

    @get("/")
    async def index(
        self, pool: NamedDependency[asyncpg.Pool], done: FromQuery[str | None] = None
    ) -> Template:
        """Waiting, sent and dead messages; the latest dead letters."""
        return page(
            "admin/mail.html", counts=await mail_delivery.counts(pool),
            dead=await mail_delivery.dead_letters(pool), notice=RETRIED if done == "retried" else None,
        )  # fmt: skip

    @post("/{outbox_id:int}/retry")
    async def retry(
        self, outbox_id: FromPath[int], pool: NamedDependency[asyncpg.Pool]
    ) -> Redirect:
        """Give a dead letter a fresh set of attempts."""
        if not await mail_delivery.revive(pool, outbox_id):
            raise NotFoundException
        return see_other("/admin/mail?done=retried")
