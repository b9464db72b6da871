"""``create_app(settings)``: wires the database, the store and the pages. Nothing runs on import."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Litestar reads the annotations of handlers and dependency providers at run time, so the
# types they name are imported for real, not only under TYPE_CHECKING.
import asyncpg
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from service import db
from service.settings import Settings
from service.store import EventStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent


def create_app(settings: Settings, *, database_url: str | None = None) -> Litestar:
    """The platform's ASGI application; ``database_url`` defaults to the settings' (or embedded)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        url = database_url or db.database_url(settings)
        pool = await db.create_pool(settings, url)
        try:
            async with pool.acquire() as conn:
                await db.migrate(conn)
            app.state.pool = pool
            app.state.store = EventStore(pool)
            yield
            await app.state.store.close()
        finally:
            await pool.close()

    return Litestar(
        route_handlers=[home, healthz],
        lifespan=[lifespan],
        state=State({"settings": settings}),
        dependencies={
            "settings": Provide(_settings, sync_to_thread=False),
            "pool": Provide(_pool, sync_to_thread=False),
            "store": Provide(_store, sync_to_thread=False),
        },
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine),
        debug=False,
    )


def _settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


def _pool(state: State) -> asyncpg.Pool:
    return state.pool  # type: ignore[no-any-return]


def _store(state: State) -> EventStore:
    return state.store  # type: ignore[no-any-return]


@get("/", sync_to_thread=False)
def home() -> Template:
    """The placeholder home page."""
    return Template(template_name="home.html")


@get("/healthz")
async def healthz(
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Database reachable, schema version and the event log's head."""
    async with pool.acquire() as conn:
        version = await db.schema_version(conn)
    head = await store.max_notification_id()
    return {
        "status": "ok",
        "schema_version": version,
        "log_head": {"tx_id": head.tx_id, "notification_id": head.notification_id}
        if head
        else None,
    }
