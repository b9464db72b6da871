"""``create_app(settings)``: wires the database, the store and the pages. Nothing runs on import."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Litestar reads the annotations of handlers and dependency providers at run time, so the
# types they name are imported for real, not only under TYPE_CHECKING.
import asyncpg
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from litestar import Litestar, Request, Router, get
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.middleware import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from projections import registry, transparency
from projections.supervisor import Supervisor
from service import db, mail_delivery, notifier, sessions, upload_drafts
from service.checkpoints import ledger_signer
from service.live import PROJECTIONS_CHANNEL, Broadcast
from service.mail import LogSender, OutboxWorkerSender
from service.passwords import Passwords
from service.replica import ReadRouter
from service.settings import Settings
from service.store import EventStore
from service.throttle import ThrottlePolicy
from web.api import api_router
from web.api.docs import StrictStructSchemaPlugin, openapi_config
from web.api.documents import document_api
from web.api.drafts import draft_api
from web.common import auth, i18n
from web.common.downloads import MULTIPART_OVERHEAD
from web.common.errors import exception_handlers
from web.common.notifications import DIGEST_HOUR, MOROCCO, MailComposer
from web.common.replica import remember_position
from web.common.security import client_address, csp_nonce, security_headers
from web.common.sessions import SessionMiddleware, check_csrf, csrf_field
from web.pages import admin
from web.pages.accounts.accounts import AccountController
from web.pages.accounts.mfa import SecondFactorController
from web.pages.admin.privacy import PrivacyAdminController
from web.pages.committee import actions as committee_actions
from web.pages.committee import as_seen as committee_as_seen
from web.pages.committee import assignments as committee_assignments
from web.pages.committee import documents as committee_documents
from web.pages.committee import what_if as committee_what_if
from web.pages.committee import workspace as committee
from web.pages.committee.documents import committee_document_routes
from web.pages.portal.documents import portal_document_routes
from web.pages.portal.files import PortalController
from web.pages.public import calls as public_calls
from web.pages.public import language as pages
from web.pages.public import live, open_data
from web.pages.public import site as public
from web.pages.public import transparency as transparency_pages

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent
PURGE_EVERY_S = 300


def create_app(settings: Settings, *, database_url: str | None = None) -> Litestar:
    """The platform's ASGI application; ``database_url`` defaults to the settings' (or embedded)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        url = database_url or db.database_url(settings)
        pool = await db.create_pool(settings, url)
        replica: asyncpg.Pool | None = None
        try:
            replica = await _replica_pool(settings)
            app.state.read_router = ReadRouter(
                pool, replica, max_lag_ms=settings.replica_max_lag_ms
            )
            async with pool.acquire() as conn:
                await db.migrate(conn)
            app.state.pool = pool
            app.state.store = EventStore(pool)
            app.state.session_cache = sessions.SessionCache(app.state.store.feed)
            _live_broadcasts(app, pool, app.state.store)
            await registry.ensure_all(pool, settings.policy)
            purger = asyncio.create_task(_purge_sessions(pool))
            app.state.supervisor = Supervisor()
            async with (
                _projections(settings, pool, app.state.store, app.state.supervisor),
                _mail_worker(settings, pool),
                _notifier(settings, pool, app.state.store, catalogs),
            ):
                yield
            purger.cancel()
            await app.state.store.close()
        finally:
            if replica is not None:
                await replica.close()
            await pool.close()

    catalogs = i18n.load_catalogs()
    return Litestar(
        route_handlers=[
            # public transparency site, open data, live updates, erasure (helper "public")
            *public.ROUTES,
            *open_data.ROUTES,
            *public_calls.ROUTES,
            *transparency_pages.ROUTES,
            live.public_events,
            PrivacyAdminController,
            pages.choose_language,
            pages.dev_mail,
            AccountController,
            SecondFactorController,
            *admin.ROUTES,
            # investor portal; the application form carries its documents (body limit to match)
            Router(
                path="/",
                route_handlers=[PortalController],
                request_max_body_size=settings.documents_total_bytes + MULTIPART_OVERHEAD,
            ),
            portal_document_routes(settings),
            *committee_documents.ROUTES,
            committee_document_routes(settings),
            # committee workspace
            committee.queue_page,
            committee.file_view,
            committee.score_form,
            committee.score,
            committee.queue_events,
            *committee_actions.ROUTES,
            *committee_what_if.ROUTES,
            *committee_assignments.ROUTES,
            *committee_as_seen.ROUTES,
            healthz,
            create_static_files_router(path="/static", directories=[HERE / "static"]),
            # The JSON API and its OpenAPI document (/schema); pages stay out of the schema.
            api_router(),
            document_api(settings),
            draft_api(settings),
        ],
        openapi_config=openapi_config(settings),
        plugins=[StrictStructSchemaPlugin()],
        include_in_schema=False,
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "catalogs": catalogs,
                "passwords": Passwords(),
                "mailer": OutboxWorkerSender()
                if settings.smtp_url
                else LogSender(redact=settings.production),
                "throttle_policy": ThrottlePolicy(),
            }
        ),
        dependencies={
            "settings": _from_state("settings"),
            "pool": Provide(_pool, sync_to_thread=False),
            "store": Provide(_store, sync_to_thread=False),
            "passwords": _from_state("passwords"),
            "mailer": _from_state("mailer"),
            "throttle_policy": _from_state("throttle_policy"),
            "client": Provide(_client, sync_to_thread=False),
            "current_user": Provide(auth.current_user, sync_to_thread=False),
            "user": Provide(auth.signed_in_user, sync_to_thread=False),
        },
        middleware=[DefineMiddleware(SessionMiddleware, settings=settings)],
        before_request=check_csrf,
        before_send=[security_headers(settings), remember_position],
        exception_handlers=exception_handlers(),
        # Whole-app cap on request bodies; a route that takes uploads sets its own
        # request_max_body_size on its handler (see the README's limits table).
        request_max_body_size=settings.request_max_body_bytes,
        allowed_hosts=AllowedHostsConfig(allowed_hosts=_allowed_hosts(settings)),
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(_environment(catalogs, settings))
        ),
        debug=False,
        # Logging is configured once by `grants` (web/cli/main.py: UTC, one line per record, CR/LF
        # escaped); Litestar's default config would replace the root handler with its own.
        logging_config=None,
    )


@contextlib.asynccontextmanager
async def _notifier(
    settings: Settings, pool: asyncpg.Pool, store: EventStore, catalogs: dict[str, Any]
) -> AsyncIterator[None]:
    """Mail what happens (receipts, questions, decisions ...) and each staff member's daily
    digest, where background work runs: with the projections, or wherever SMTP is set."""
    if not (settings.run_projections or settings.smtp_url):
        yield
        return
    composer = MailComposer(store, catalogs, settings.public_url)
    digest = composer.digest(pool)

    async def daily() -> None:
        now = datetime.now(MOROCCO)
        if now.hour >= DIGEST_HOUR:
            await notifier.send_digests(pool, now.date(), digest)

    stop = asyncio.Event()
    task = asyncio.create_task(notifier.run(pool, store, composer, stop, digest=daily))
    try:
        yield
    finally:
        stop.set()
        await task


@contextlib.asynccontextmanager
async def _mail_worker(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """With ``GRANTS_SMTP_URL``: deliver the outbox in this process (safe in every replica)."""
    if not settings.smtp_url:
        yield
        return
    server = mail_delivery.SmtpServer.from_url(settings.smtp_url, settings.mail_from)
    stop = asyncio.Event()
    task = asyncio.create_task(mail_delivery.run(pool, server, stop))
    try:
        yield
    finally:
        stop.set()
        await task


@contextlib.asynccontextmanager
async def _projections(
    settings: Settings, pool: asyncpg.Pool, store: EventStore, supervisor: Supervisor
) -> AsyncIterator[None]:
    """Run every projection inside this process (the default), so one command is a live system."""
    if not settings.run_projections:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(
        registry.run_all(pool, store, stop_event=stop, supervisor=supervisor)
    )
    publisher = asyncio.create_task(
        transparency.run_publisher(
            pool,
            ledger_signer(settings),
            settings.ledger_origin,
            every_s=settings.ledger_checkpoint_seconds,
            stop=stop,
        )
    )
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.gather(task, publisher), 10)
        except TimeoutError:
            logger.warning("projections did not stop within 10 s; cancelled")
        except Exception:
            logger.exception("projections ended with an error")


async def _replica_pool(settings: Settings) -> asyncpg.Pool | None:
    """The pool on the streaming replica for public reads, when one is configured."""
    if settings.read_database_url is None:
        return None
    return await db.create_pool(settings, settings.read_database_url)


def _live_broadcasts(app: Litestar, pool: asyncpg.Pool, store: EventStore) -> None:
    """The values behind the live streams: each read once per change for all its viewers."""
    poll = app.state.get("public_stream_poll", live.POLL_SECONDS)
    moved = frozenset({PROJECTIONS_CHANNEL})
    app.state.public_live = Broadcast(
        store.feed, functools.partial(live.ledger_state, pool), channels=moved, poll_interval=poll
    )
    app.state.queue_live = Broadcast(
        store.feed, functools.partial(committee.queue_position, pool), channels=moved
    )


def _allowed_hosts(settings: Settings) -> list[str]:
    """Litestar compares the Host header with its port: allow each name bare and on our port."""
    return [name for host in settings.allowed_hosts for name in (host, f"{host}:{settings.port}")]


def _environment(catalogs: dict[str, Any], settings: Settings) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(env, catalogs)
    env.globals["csp_nonce"] = csp_nonce
    env.globals["csrf_field"] = pass_context(csrf_field)
    env.globals["programme_contact"] = settings.contact_email
    return env


async def _purge_sessions(pool: asyncpg.Pool) -> None:
    while True:
        await asyncio.sleep(PURGE_EVERY_S)
        try:
            await sessions.purge_expired(pool)
            await upload_drafts.expire(pool)  # API drafts left alone, with their files
        except (OSError, asyncpg.PostgresError):
            logger.warning("could not purge expired sessions or drafts; will retry", exc_info=True)


def _from_state(name: str) -> Provide:
    """A dependency handing out ``app.state.<name>``, set once in ``create_app``."""

    def provide(state: State) -> Any:
        return state[name]

    return Provide(provide, sync_to_thread=False)


def _pool(state: State) -> asyncpg.Pool:
    pool: asyncpg.Pool = state.pool
    return pool


def _store(state: State) -> EventStore:
    return state.store  # type: ignore[no-any-return]


def _client(request: Request[Any, Any, Any], state: State) -> str:
    return client_address(request.scope, state.settings.trusted_proxies)


@get("/healthz")
async def healthz(
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    store: NamedDependency[EventStore],
    state: State,
) -> dict[str, Any]:
    """Database reachable, schema version, the event log's head, the live feed and each
    projection's state: ``ok``, ``stopped`` (a handler failed), ``restarting`` (its runner in
    this process is down, waiting for its restart), ``stale`` (events wait longer than
    ``STALE_AFTER_S``) or ``polling`` (this process has lost its LISTEN connection).

    ``status`` is ``degraded`` (still 200: the site serves) when any projection is not ``ok``,
    and ``ledger_inconsistent`` when the ledger no longer extends what was published."""
    async with pool.acquire() as conn:
        version = await db.schema_version(conn)
    head = await store.max_notification_id()
    projections = await registry.status(pool, store)
    feed = store.feed.status()
    supervisor: Supervisor | None = getattr(state, "supervisor", None)
    down = set(supervisor.degraded()) if supervisor is not None else set()
    polling = feed["mode"] == "polling"
    states = {
        p.name: "restarting" if p.name in down else _projection_state(p, polling=polling)
        for p in projections
    }
    ledger_status = await transparency.status(pool)
    if not ledger_status["consistent"]:
        status = "ledger_inconsistent"
    else:
        status = "ok" if all(s == "ok" for s in states.values()) else "degraded"
    return {
        "status": status,
        "ledger": ledger_status,
        "schema_version": version,
        "log_head": {"tx_id": head.tx_id, "notification_id": head.notification_id}
        if head
        else None,
        "live": feed,
        "public_reads": request.app.state.read_router.status(),
        "projections": {
            p.name: {
                "state": states[p.name],
                "lag_events": p.lag_events,
                "lag_seconds": p.lag_seconds,
                "error": p.error,
            }
            for p in projections
        },
    }


#: A projection with events waiting and no progress for this long is reported ``stale``.
STALE_AFTER_S = 30.0


def _projection_state(status: registry.ProjectionStatus, *, polling: bool) -> str:
    if status.error is not None:
        return "stopped"
    if status.lag_events and status.lag_seconds > STALE_AFTER_S:
        return "stale"
    return "polling" if polling else "ok"
