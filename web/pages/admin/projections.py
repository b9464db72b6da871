"""The projection status page: each read model's position, lag and error; rebuild one."""

from __future__ import annotations

import asyncpg
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from projections import registry
from service.store import EventStore
from web.common.i18n import N_
from web.common.views import page, see_other
from web.pages.admin.common import OFFICERS_ONLY, notice


def _known(name: str) -> str:
    try:
        registry.select([name])
    except registry.UnknownProjectionError:
        raise NotFoundException from None
    return name


class ProjectionController(Controller):
    """Read models as the projection runners keep them."""

    path = "/admin/projections"
    guards = OFFICERS_ONLY

    @get("/")
    async def index(
        self,
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        done: FromQuery[str | None] = None,
    ) -> Template:
        """Name, version, position, lag (events and seconds), counts and error of each."""
        statuses = await registry.status(pool, store)
        return page("admin/projections.html", statuses=statuses, notice=notice(done))

    @get("/{name:str}/rebuild", sync_to_thread=False)
    def confirm_rebuild(self, name: FromPath[str]) -> Template:
        """Ask before rebuilding."""
        return page(
            "admin/confirm.html",
            title=N_("Rebuild this projection?"),
            subject=_known(name),
            text=N_("Its tables are rebuilt from the whole event log and swapped in at the end; "
                    "pages keep showing the current tables meanwhile. With a long log this "
                    "takes a while."),
            action=f"/admin/projections/{name}/rebuild",
            button=N_("Rebuild"),
            back="/admin/projections",
        )  # fmt: skip

    @post("/{name:str}/rebuild")
    async def rebuild(
        self,
        name: FromPath[str],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
    ) -> Redirect:
        """Replay the log into fresh tables and swap them in (readers never see half a table).

        It runs within the request: the officer sees the result, and two rebuilds of one
        projection exclude each other by an advisory lock (``projections.rebuild``).
        """
        await registry.rebuild(pool, store, _known(name))
        return see_other("/admin/projections?done=rebuilt")
