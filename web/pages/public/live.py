"""``/events/public``: a Server-Sent Events stream that speaks when the public ledger advances.

The stream polls the ledger head and the envelope figures about once a second (cheap indexed
reads, the same on every replica, no LISTEN connection held per visitor) and sends an event when
either changes, the first one at once. It ends when the client goes away (Litestar cancels the
generator on disconnect) and after ``Settings.stream_seconds`` in any case, so a server shutting down
never waits on it: the browser's EventSource reconnects by itself after ``retry``.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import asyncpg
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent, ServerSentEventMessage

from projections import envelopes, ledger
from service.settings import Settings
from web.common.i18n import format_mad
from web.pages.public.site import envelope_totals, use_query_language

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

POLL_SECONDS = 1.0
RETRY_MS = 3000


async def snapshot(pool: asyncpg.Pool, lang: str) -> dict[str, Any]:
    """The ledger head and the envelope figures (raw centimes and formatted for ``lang``)."""
    head = await ledger.head(pool)
    totals = envelope_totals(await envelopes.envelopes(pool))
    shown = {k: format_mad(v, lang) for k, v in totals.items() if k != "percent"}
    return {"seq": head["seq"], "head": head["entry_hash"], "envelope": totals, "shown": shown}


async def updates(
    pool: asyncpg.Pool, lang: str, *, seconds: float, poll: float
) -> AsyncIterator[ServerSentEventMessage]:
    """One message now, then one each time the snapshot changes, for ``seconds`` at most."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    last: dict[str, Any] | None = None
    while True:
        current: dict[str, Any] | None
        try:
            current = await snapshot(pool, lang)
        except (OSError, asyncpg.PostgresError):
            current = last  # a passing database error: try again at the next tick
        if current is not None and current != last:
            yield ServerSentEventMessage(
                data=json.dumps(current), event="ledger", id=str(current["seq"]), retry=RETRY_MS
            )
            last = current
        if loop.time() + poll > deadline:
            return
        await asyncio.sleep(poll)


@get("/events/public")
async def public_events(
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    settings: NamedDependency[Settings],
) -> ServerSentEvent:
    """The public stream (``?lang=`` picks the language of the formatted amounts)."""
    lang = use_query_language(request)
    state = request.app.state
    stream = updates(
        pool, lang,
        seconds=settings.stream_seconds,
        poll=state.get("public_stream_poll", POLL_SECONDS),
    )  # fmt: skip
    return ServerSentEvent(stream, headers={"cache-control": "no-store", "x-accel-buffering": "no"})
