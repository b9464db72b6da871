"""HTTP caching of the public site: ETags derived from the ledger head, and 304 answers.

What a public page shows changes only when the read models it reads advance, so its validator is
a hash of the ledger head (seq and hash), the positions of any other projection it reads, the
language, the request's query and the deployed code. Responses to visitors say
``Cache-Control: public, max-age=PUBLIC_MAX_AGE`` and ``Vary: Accept-Language, Cookie``:

- a visitor without a session gets a page with no per-user content at all (the language switch
  on public pages is a GET form, so no CSRF token and no session is created for them), and a
  shared cache may hand that page to every other cookie-less visitor of the same language;
- a visitor whose session chose a language differs by cookie, hence ``Vary: Cookie``;
- a signed-in user's page carries their navigation and a CSRF token: ``web.common.security`` marks it
  ``no-store`` whatever the handler says, so it never sits in a shared cache.

``If-None-Match`` with the current ETag is answered ``304 Not Modified`` with no body.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Response
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from projections import ledger, tracking

if TYPE_CHECKING:
    import asyncpg
    from litestar import Request

PUBLIC_MAX_AGE = 30
HERE = Path(__file__).parent.parent  # web/


@cache
def code_version() -> str:
    """A digest of the templates and catalogs, so a deployment changes every ETag (same on
    every replica of one release)."""
    digest = hashlib.sha256()
    for path in sorted(HERE.glob("templates/*.html")) + sorted(HERE.glob("locales/*/*/*.po")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


async def version(pool: asyncpg.Pool, *projections: str) -> str:
    """What the public data stands at: the ledger head, the latest signed checkpoint (pages
    link to proofs against it) and other projections' positions."""
    head = await ledger.head(pool)
    checkpoint = await pool.fetchval("SELECT max(size) FROM ledger_checkpoints")
    parts = [str(head["seq"]), head["entry_hash"], str(checkpoint)]
    for name in projections:
        parts.append(str(tuple(await tracking.position(pool, name))))
    return "|".join(parts)


def etag_of(*parts: Any) -> str:
    """A strong ETag over ``parts`` and the code version."""
    text = "\n".join(str(p) for p in (code_version(), *parts))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def not_modified(request: Request[Any, Any, Any], etag: str) -> bool:
    """Whether the client's ``If-None-Match`` already names ``etag`` (or ``*``)."""
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {t.strip().removeprefix("W/") for t in given.split(",")}
    return etag in tags or "*" in tags


def headers(etag: str) -> dict[str, str]:
    """The caching headers of a public response."""
    return {
        "etag": etag,
        "cache-control": f"public, max-age={PUBLIC_MAX_AGE}",
        "vary": "Accept-Language, Cookie",
    }


def not_modified_response(etag: str) -> Response[None]:
    """``304`` with the validators and no body."""
    return Response(content=None, status_code=HTTP_304_NOT_MODIFIED, headers=headers(etag))
