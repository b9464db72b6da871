"""The signed checkpoints and the verifier key, as plain text and JSON any proxy may cache.

``/ledger/checkpoint`` is the latest checkpoint (C2SP tlog-checkpoint in a signed note),
``/ledger/checkpoints`` every checkpoint ever issued (newest first, a page at a time) and
``/ledger/key`` the verifier key that checks them (signed-note vkey form). The checkpoints are
read from the streaming replica when one is configured, never older than the client has seen
(``web.common.replica``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

import asyncpg
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter

from projections import transparency
from service.checkpoints import ledger_signer
from service.settings import Settings
from web.common import caching
from web.common.replica import PUBLIC_READS

TEXT = "text/plain; charset=utf-8"
#: The latest checkpoint changes at most once per publishing interval; a short shared cache
#: lifetime keeps witnesses current while a proxy absorbs the load.
CHECKPOINT_MAX_AGE = 5


def _etag(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def _answer(
    request: Request[Any, Any, Any], body: str, media_type: str, max_age: int
) -> Response[Any]:
    etag = _etag(body)
    if caching.not_modified(request, etag):
        return caching.not_modified_response(etag)
    headers = {"etag": etag, "cache-control": f"public, max-age={max_age}"}
    return Response(content=body, media_type=media_type, headers=headers)


@get("/ledger/checkpoint", dependencies=PUBLIC_READS)
async def checkpoint(
    request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
) -> Response[Any]:
    """The latest signed checkpoint (404 before the first one is issued)."""
    latest = await transparency.latest_checkpoint(pool)
    if latest is None:
        raise NotFoundException("no checkpoint has been issued yet")
    return _answer(request, latest["note"], TEXT, CHECKPOINT_MAX_AGE)


@get("/ledger/checkpoints", dependencies=PUBLIC_READS)
async def checkpoints(
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    below: Annotated[int | None, QueryParameter(ge=1, le=2**53)] = None,
) -> Response[Any]:
    """Every checkpoint ever issued, newest first, 100 at a time (``below``: the next page)."""
    found = await transparency.checkpoints(pool, below=below, limit=100)
    more = len(found) == 100 and found[-1]["size"] > 0
    body = {"checkpoints": found, "next_below": found[-1]["size"] if more else None}
    text = json.dumps(body, ensure_ascii=False)
    return _answer(request, text, "application/json", CHECKPOINT_MAX_AGE)


@get("/ledger/key")
async def key(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings]
) -> Response[Any]:
    """The verifier key of the checkpoints, ``<name>+<hex key ID>+<base64 key>``."""
    return _answer(request, ledger_signer(settings).verifier.vkey + "\n", TEXT, 3600)


ROUTES = (checkpoint, checkpoints, key)
