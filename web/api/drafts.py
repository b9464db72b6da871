"""``/api/v1/drafts``: files uploaded before the application exists, taken by its submission.

``POST /api/v1/drafts`` opens a draft; ``POST /api/v1/drafts/{id}/documents?kind=...`` uploads
one file as the raw request body, read as it streams (``service.uploads``): refused with 415 on
its first bytes if it is not a PDF, PNG or JPEG, and with 413 the moment it passes
``GRANTS_DOCUMENT_MAX_BYTES``, without reading the rest. ``POST /api/v1/applications`` with
``draft_id`` takes the files in the submission's own transaction. Someone else's draft, or one
that expired, is a 404 like a missing one. Built per app: the upload limit follows the settings.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Request, Router, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Meta

from domain import documents as rules
from projections import programme
from service import documents, upload_drafts
from service.accounts import INVESTOR, User
from service.store import EventStore
from service.uploads import receive
from web.api.documents import DocumentOut, document_out
from web.api.schemas import Out
from web.api.support import ProblemError, not_found
from web.common.auth import requires_role
from web.common.downloads import limits_of

if TYPE_CHECKING:
    from service.applications import Claim
    from service.settings import Settings

Kind = Annotated[str, Meta(max_length=64, description="business_plan, registration_certificate, "
                           "tax_certificate, quotes, other, or a kind the call lists")]  # fmt: skip


class DraftOut(Out, frozen=True):
    """A draft: its files so far, and when it is deleted if left alone (null: never)."""

    draft_id: UUID
    expires_at: datetime | None
    documents: list[DocumentOut]


async def draft_claim(pool: asyncpg.Pool, user: User, draft_id: UUID | None) -> Claim:
    """How a submission takes ``draft_id``'s files (none without a draft): 422 on ``draft_id``
    for a draft that is not the caller's, or expired."""
    key = None
    if draft_id is not None:
        found = await upload_drafts.live_draft(pool, investor_id=user.id, draft_id=draft_id)
        if found is None:
            raise ProblemError(422, "unknown_reference", "no such draft (or it expired)",
                               field="draft_id")  # fmt: skip
        key = found.key
    claim = functools.partial(documents.claim_draft_documents, draft_id=key, investor_id=user.id)
    return lambda conn, application_id: claim(conn, application_id=application_id)


async def _own(pool: asyncpg.Pool, user: User, draft_id: UUID) -> upload_drafts.UploadDraft:
    found = await upload_drafts.live_draft(pool, investor_id=user.id, draft_id=draft_id)
    if found is None:
        raise not_found()
    return found


async def _out(pool: asyncpg.Pool, user: User, found: upload_drafts.UploadDraft) -> DraftOut:
    held = await documents.of_draft(pool, investor_id=user.id, draft_id=found.key)
    return DraftOut(draft_id=found.id, expires_at=found.expires_at,
                    documents=[document_out(d) for d in held])  # fmt: skip


def draft_api(settings: Settings) -> Router:
    """The draft routes, with the upload limit of these ``settings``."""
    limits = limits_of(settings)

    @post(summary="Open a draft", status_code=HTTP_201_CREATED)
    async def open_draft(
        user: NamedDependency[User], pool: NamedDependency[asyncpg.Pool]
    ) -> DraftOut:
        """An empty draft to upload the call's documents to before submitting."""
        found = await upload_drafts.open_draft(pool, investor_id=user.id)
        return DraftOut(draft_id=found.id, expires_at=found.expires_at, documents=[])

    @get("/{draft_id:uuid}", summary="One of my drafts")
    async def show(
        draft_id: FromPath[UUID], user: NamedDependency[User], pool: NamedDependency[asyncpg.Pool]
    ) -> DraftOut:
        """Its files and expiry; 404 for someone else's draft or one that expired."""
        return await _out(pool, user, await _own(pool, user, draft_id))

    @delete("/{draft_id:uuid}", summary="Discard a draft", status_code=HTTP_204_NO_CONTENT)
    async def discard(
        draft_id: FromPath[UUID], user: NamedDependency[User], pool: NamedDependency[asyncpg.Pool]
    ) -> None:
        """The draft and its files are deleted; 404 for someone else's."""
        if not await upload_drafts.discard(pool, investor_id=user.id, draft_id=draft_id):
            raise not_found()

    @post(
        "/{draft_id:uuid}/documents", summary="Upload a document to a draft",
        status_code=HTTP_201_CREATED, request_max_body_size=settings.document_max_bytes,
    )  # fmt: skip
    async def upload(
        request: Request[Any, Any, Any],
        draft_id: FromPath[UUID],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        kind: FromQuery[Kind | None] = None,
    ) -> DocumentOut:
        """The file is the raw body (any Content-Type; recognised by content): 415 unless PDF,
        PNG or JPEG, 413 past the size limit, both as soon as the bytes show it."""
        found = await _own(pool, user, draft_id)  # someone else's: 404 before anything else
        if not kind:
            raise ProblemError(422, "invalid_value", "give the document's kind", field="kind")
        listed = await _kinds(pool, store)
        rules.check_kind(kind, staff=False, also=listed)  # before a byte of the body is read
        received = await receive(request.stream(), limit=limits.each)
        info = await documents.attach_received_to_draft(
            pool, investor_id=user.id, draft_id=found.key, kind=kind, received=received,
            limits=limits, also=listed,
        )  # fmt: skip
        await upload_drafts.prolong(pool, investor_id=user.id, draft_id=draft_id)
        return document_out(info)

    return Router(
        path="/api/v1/drafts",
        include_in_schema=True,
        tags=["drafts"],
        guards=[requires_role(INVESTOR)],
        route_handlers=[open_draft, show, discard, upload],
    )


async def _kinds(pool: asyncpg.Pool, store: EventStore) -> list[str]:
    """The kinds a draft may hold: the programme's, and any an open call lists."""
    calls = await programme.open_calls(pool, await pool.fetchval("SELECT now()"))
    return [r.kind for r in await documents.required_for_calls(store, [c.call_id for c in calls])]
