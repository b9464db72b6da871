"""``/events/public``: a Server-Sent Events stream that speaks when the public ledger advances.

Every viewer in the process follows one :class:`service.live.Broadcast` (``app.state.public_live``):
the ledger head and the envelope figures are read once each time a projection announces a page
(one LISTEN per process, :mod:`service.live`), not once per viewer per second, so the database
work does not grow with the audience. Each viewer only formats the amounts in its language.
The stream sends the current state at once, then each change; it ends when the client goes away
(Litestar cancels the generator on disconnect) and after ``Settings.stream_seconds`` in any case,
so a server shutting down never waits on it: the browser's EventSource reconnects after ``retry``.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent, ServerSentEventMessage

from projections import envelopes, ledger
from service.settings import Settings
from web.common.i18n import format_mad
from web.common.live import for_at_most
from web.pages.public.site import envelope_totals, use_query_language

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import asyncpg

    from service.live import Broadcast

POLL_SECONDS = 1.0
RETRY_MS = 3000


async def ledger_state(pool: asyncpg.Pool) -> str:
    """The ledger head and the envelope figures in centimes, as JSON: what every viewer is shown
    (a string, so that equal states compare equal and the formatting below can be cached)."""
    head = await ledger.head(pool)
    totals = envelope_totals(await envelopes.envelopes(pool))
    state = {"seq": head["seq"], "head": head["entry_hash"], "envelope": totals}
    return json.dumps(state, sort_keys=True)


def in_language(state: dict[str, Any], lang: str) -> dict[str, Any]:
    """``state`` with the amounts also formatted for ``lang`` (no database work)."""
    totals = state["envelope"]
    return {**state, "shown": {k: format_mad(v, lang) for k, v in totals.items() if k != "percent"}}


@functools.lru_cache(maxsize=64)
def message_data(state: str, lang: str) -> tuple[str, str]:
    """The event's data and id for ``state`` in ``lang``: formatted once, not once per viewer."""
    shown = in_language(json.loads(state), lang)
    return json.dumps(shown), str(shown["seq"])


async def updates(
    live: Broadcast[str], lang: str, *, seconds: float
) -> AsyncIterator[ServerSentEventMessage]:
    """One message now, then one each time the ledger or the envelopes change."""
    async for state in for_at_most(live.values(), seconds):
        data, seq = message_data(state, lang)
        yield ServerSentEventMessage(data=data, event="ledger", id=seq, retry=RETRY_MS)


@get("/events/public")
async def public_events(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings]
) -> ServerSentEvent:
    """The public stream (``?lang=`` picks the language of the formatted amounts)."""
    lang = use_query_language(request)
    stream = updates(request.app.state.public_live, lang, seconds=settings.stream_seconds)
    return ServerSentEvent(stream, headers={"cache-control": "no-store", "x-accel-buffering": "no"})
