"""Open data over HTTP: the 360Giving export (JSON, CSV) and the ledger with its hashes.

One implementation with the CLI (``projections.open_data``, ``web.cli.data``); cached like the
public pages, by the ledger head. An empty ledger gives a package with ``"grants": []``: valid
against the 360Giving package schema except for its ``minItems: 1`` (see docs/open-data.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Response

from projections import open_data, public_grants
from web.common import caching
from web.common.replica import PUBLIC_READS


async def _cached(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    name: str,
    media_type: str,
    make: Any,
    disposition: str = "inline",
) -> Response[Any]:
    # The override flags come from public_grants: its position is part of the version, as is
    # the latest checkpoint (the exports name the checkpoint they were made at).
    etag = caching.etag_of(name, await caching.version(pool, public_grants.PROJECTION.name))
    if caching.not_modified(request, etag):
        return caching.not_modified_response(etag)
    made = await make()
    body, extra = made if isinstance(made, tuple) else (made, {})
    headers = caching.headers(etag) | {"content-disposition": f'{disposition}; filename="{name}"'}
    return Response(content=body, media_type=media_type, headers=headers | extra)


@get("/open-data/360giving.json", dependencies=PUBLIC_READS)
async def giving_json(
    request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
) -> Response[Any]:
    """Funded grants in the 360Giving Data Standard 1.4.3, JSON."""

    async def make() -> str:
        return json.dumps(await open_data.giving_package(pool), ensure_ascii=False)

    return await _cached(request, pool, "360giving.json", "application/json", make)


@get("/open-data/360giving.csv", dependencies=PUBLIC_READS)
async def giving_csv(
    request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
) -> Response[Any]:
    """Funded grants in the 360Giving Data Standard 1.4.3, flat CSV, with the signed checkpoint
    it was made at in three columns and in the ``Ledger-Checkpoint-*`` headers."""

    async def make() -> tuple[str, dict[str, str]]:
        text, made_at = await open_data.giving_csv(pool)
        return open_data.CSV_BOM + text, made_at.headers() | _checkpoint_link(made_at)

    # Litestar adds "; charset=utf-8" to a text/* type itself: naming it here gave it twice
    return await _cached(request, pool, "360giving.csv", "text/csv", make, "attachment")


def _checkpoint_link(made_at: open_data.MadeAt) -> dict[str, str]:
    """``Link`` to the checkpoints page that starts with the one the export was made at."""
    if made_at.size is None:
        return {}
    return {"link": f'</ledger/checkpoints?below={made_at.size + 1}>; rel="describedby"'}


@get("/open-data/ledger.json", dependencies=PUBLIC_READS)
async def ledger_json(
    request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
) -> Response[Any]:
    """The public ledger with every entry's hashes, to verify offline (docs/verify_ledger.py)."""

    async def make() -> str:
        return json.dumps(await open_data.ledger_document(pool), ensure_ascii=False, indent=1)

    return await _cached(request, pool, "ledger.json", "application/json", make)


#: The script in the source tree, or beside the working directory in an installed image (the
#: Dockerfile copies it to /app/docs): one file, never a second copy that could drift.
VERIFIERS = (
    Path(__file__).resolve().parents[3] / "docs" / "verify_ledger.py",
    Path("docs") / "verify_ledger.py",
)


@get("/open-data/verify_ledger.py")
async def verifier_script() -> Response[bytes]:
    """The offline verifier (standard library only), as a download: the same file as the docs'."""
    found = next((path for path in VERIFIERS if path.is_file()), None)
    if found is None:  # an install without the docs folder
        raise NotFoundException
    return Response(
        content=found.read_bytes(),
        media_type="text/x-python",
        headers={
            "content-disposition": 'attachment; filename="verify_ledger.py"',
            "cache-control": "public, max-age=3600",
        },
    )


ROUTES = [giving_json, giving_csv, ledger_json, verifier_script]
