"""The language switch and the development mailbox."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from service import mail, notifier
from service.settings import Settings
from web.common.i18n import LANGUAGES
from web.common.sessions import session_data
from web.common.views import page, safe_next, see_other


@post("/language")
async def choose_language(
    request: Request[Any, Any, Any],
    data: URLEncodedBody[dict[str, str]],
    pool: NamedDependency[asyncpg.Pool],
) -> Redirect:
    """Keep the visitor's explicit language choice in the session (and, signed in, for mails)."""
    if data.get("lang") in LANGUAGES:
        session_data(request)["lang"] = data["lang"]
        if (user := request.scope.get("user")) is not None:
            await notifier.set_language(pool, user.id, data["lang"])
    return see_other(safe_next(data.get("next")))


@get("/dev/mail")
async def dev_mail(
    pool: NamedDependency[asyncpg.Pool], settings: NamedDependency[Settings]
) -> Template:
    """Mails the platform sent, for development only (links included)."""
    if settings.production:
        raise NotFoundException
    return page("dev_mail.html", messages=await mail.recent(pool))
