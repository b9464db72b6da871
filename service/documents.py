"""Documents: attach (to a draft or an application), list and download, sealed per person.

The bytes live in the ``documents`` table, sealed with the owner's key (the investor of the
file, even when an officer attaches the signed agreement), so erasing the person shreds them;
the application records a ``DocumentAttached`` event with the id, kind, size and SHA-256.

Who may read a file's documents is decided here, once, for pages and API alike: the owning
investor, the chair and officers, and reviewers assigned to the file and not conflicted. Anyone
else gets ``None``, which the web layer answers with 404 (never 403, so ids cannot be probed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from domain import documents as rules
from domain.applications import GrantApplication
from domain.calls import Call
from service.accounts import CHAIR, INVESTOR, OFFICER, REVIEWER, User
from service.clock import Clock, database_now
from service.commands import Unit, execute
from service.privacy import PersonErasedError, decrypt_for, encrypt_for
from service.repository import AggregateNotFoundError, Repository
from service.uploads import Received

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

INSERT = """
INSERT INTO documents (id, owner_id, application_id, draft_id, kind, media_type, size, sha256,
                       sealed, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, now())) RETURNING created_at
"""
DELETE_ONE = "DELETE FROM documents WHERE id = $1"
SELECT_FOR_APPLICATION = """
SELECT id, kind, media_type, size, sha256, created_at FROM documents
WHERE application_id = $1 ORDER BY created_at, id
"""
SELECT_FOR_DRAFT = """
SELECT id, kind, media_type, size, sha256, created_at FROM documents
WHERE draft_id = $1 AND owner_id = $2 ORDER BY created_at, id
"""
SELECT_SEALED = """
SELECT id, kind, media_type, size, sha256, created_at, owner_id, sealed FROM documents
WHERE id = $1 AND application_id = $2
"""
DRAFT_BYTES = "SELECT coalesce(sum(size), 0) FROM documents WHERE draft_id = $1 AND owner_id = $2"
MOVE_TO_APPLICATION = """
UPDATE documents SET application_id = $2, draft_id = NULL WHERE draft_id = $1 AND owner_id = $3
"""
CLAIM_DRAFT = """
UPDATE documents SET application_id = $2, draft_id = NULL
WHERE draft_id = $1 AND owner_id = $3 AND application_id IS NULL
RETURNING id, kind, media_type, size, sha256, created_at
"""
DELETE_FOR_OWNER = "DELETE FROM documents WHERE owner_id = $1"
STAFF = (CHAIR, OFFICER)
#: More of a command after a document is attached: the unit, the application, the document.
AlsoDecide = Callable[[Unit, GrantApplication, "DocumentInfo"], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Bytes allowed per file and per application (``GRANTS_DOCUMENT_MAX_BYTES`` ...)."""

    each: int
    total: int


@dataclass(frozen=True, kw_only=True)
class DocumentInfo:
    """What may be said about a document without its bytes."""

    id: UUID
    kind: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime

    @property
    def filename(self) -> str:
        """A download name built from the kind and id (the uploaded name is never kept)."""
        return f"{self.kind}-{str(self.id)[:8]}.{rules.EXTENSIONS[self.media_type]}"


@dataclass(frozen=True, kw_only=True)
class Download:
    """A document's bytes, for someone entitled to them."""

    info: DocumentInfo
    content: bytes


def _info(row: asyncpg.Record) -> DocumentInfo:
    return DocumentInfo(**{k: row[k] for k in ("kind", "media_type", "size", "sha256")},
                        id=row["id"], created_at=row["created_at"])  # fmt: skip


def inspect(
    content: bytes, kind: str, *, staff: bool, limits: Limits, already: int,
    also: Sequence[str] = (),
) -> str:  # fmt: skip
    """Check a file against the rules; its media type."""
    rules.check_kind(kind, staff=staff, also=also)
    rules.check_size(len(content), already, each=limits.each, total=limits.total)
    return rules.recognise(content[: rules.MAGIC_BYTES])


async def _store(
    pool: asyncpg.Pool, *, owner: UUID, content: bytes, kind: str, media_type: str,
    application_id: UUID | None = None, draft_id: UUID | None = None, sha256: str | None = None,
    at: datetime | None = None,
) -> DocumentInfo:  # fmt: skip
    document_id, sha256 = uuid4(), sha256 or hashlib.sha256(content).hexdigest()
    async with pool.acquire() as conn, conn.transaction():
        sealed = await encrypt_for(conn, owner, {"content": content, "id": str(document_id)})
        created_at = await conn.fetchval(
            INSERT, document_id, owner, application_id, draft_id, kind, media_type,
            len(content), sha256, sealed, at,
        )  # fmt: skip
    return DocumentInfo(id=document_id, kind=kind, media_type=media_type, size=len(content),
                        sha256=sha256, created_at=created_at)  # fmt: skip


async def attach_to_application(
    store: EventStore, *, user: User, application_id: UUID, kind: str, content: bytes | Received,
    limits: Limits, clock: Clock = database_now, then: AlsoDecide | None = None,
) -> DocumentInfo:  # fmt: skip
    """Attach a file to an application and record ``DocumentAttached``; ``then`` may decide
    more in the same command (a reply naming the document), all or nothing.

    The sealed row is written first, in its own transaction, so that the command's transaction
    stays short (its first write is the event); if the command is refused the row is deleted.
    """
    app = await entitled_application(store, user, application_id, attaching=True)
    if app is None:
        raise AggregateNotFoundError(application_id)
    staff = user.role in STAFF
    listed = [r.kind for r in await required_for(store, app.call_id)]
    if isinstance(content, Received):  # read from a stream: recognised and hashed already
        rules.check_kind(kind, staff=staff, also=listed)
        rules.check_size(content.size, app.documents_bytes, each=limits.each, total=limits.total)
        media_type, sha256, content = content.media_type, content.sha256, content.content
    else:
        media_type = inspect(content, kind, staff=staff, limits=limits,
                             already=app.documents_bytes, also=listed)  # fmt: skip
        sha256 = None
    info = await _store(store.pool, owner=app.person_id, content=content, kind=kind,
                        media_type=media_type, application_id=application_id,
                        sha256=sha256)  # fmt: skip

    async def decide(unit: Unit) -> None:
        fresh = await unit.get(application_id, GrantApplication)
        rules.check_size(info.size, fresh.documents_bytes, each=limits.each, total=limits.total)
        fresh.attach_document(
            by=user.id, document_id=info.id, kind=kind, size=info.size, sha256=info.sha256,
            media_type=media_type, staff=staff, at=await unit.now(clock),
        )  # fmt: skip
        if then is not None:
            await then(unit, fresh, info)

    try:
        await execute(store, decide)
    except BaseException:
        await store.pool.execute(DELETE_ONE, info.id)
        raise
    return info


async def attach_to_draft(
    pool: asyncpg.Pool, *, investor_id: UUID, draft_id: UUID, kind: str, content: bytes,
    limits: Limits, also: Sequence[str] = (), at: datetime | None = None,
) -> DocumentInfo:  # fmt: skip
    """Keep a file with a draft until it is submitted (the caller checked the draft is theirs);
    ``also``: kinds the open calls list besides the programme's own; ``at``: when it was sent
    (the demo's past; the database's ``now()`` otherwise)."""
    already = int(await pool.fetchval(DRAFT_BYTES, draft_id, investor_id))
    media_type = inspect(content, kind, staff=False, limits=limits, already=already, also=also)
    return await _store(pool, owner=investor_id, content=content, kind=kind,
                        media_type=media_type, draft_id=draft_id, at=at)  # fmt: skip


async def attach_received_to_draft(
    pool: asyncpg.Pool, *, investor_id: UUID, draft_id: UUID, kind: str, received: Received,
    limits: Limits, also: Sequence[str] = (),
) -> DocumentInfo:  # fmt: skip
    """:func:`attach_to_draft` for a file already read from a stream (recognised and hashed as
    it arrived, see :mod:`service.uploads`)."""
    rules.check_kind(kind, staff=False, also=also)
    already = int(await pool.fetchval(DRAFT_BYTES, draft_id, investor_id))
    rules.check_size(received.size, already, each=limits.each, total=limits.total)
    return await _store(pool, owner=investor_id, content=received.content, kind=kind,
                        media_type=received.media_type, draft_id=draft_id,
                        sha256=received.sha256)  # fmt: skip


async def claim_draft_documents(
    conn: asyncpg.Connection, *, draft_id: UUID | None, application_id: UUID, investor_id: UUID
) -> list[DocumentInfo]:
    """Inside a submission's transaction: the draft's files now belong to the application.

    Rolled back with the submission if it is refused; two submissions of one draft cannot both
    take its files (the second waits on the rows' locks, then finds none left).
    """
    if draft_id is None:
        return []
    rows = await conn.fetch(CLAIM_DRAFT, draft_id, application_id, investor_id)
    return sorted((_info(r) for r in rows), key=lambda d: (d.created_at, d.id))


async def required_for(
    store: EventStore, call_id: UUID | None
) -> tuple[rules.RequiredDocument, ...]:
    """The documents a call requires (the programme's default list without a call)."""
    if call_id is None:
        return rules.DEFAULT_REQUIRED
    try:
        found: object = await Repository(store).get(call_id, cls=Call)
    except AggregateNotFoundError:
        return rules.DEFAULT_REQUIRED
    return rules.required_of(found if isinstance(found, Call) else None)


async def required_for_calls(
    store: EventStore, call_ids: Sequence[UUID]
) -> tuple[rules.RequiredDocument, ...]:
    """What a form offered for these calls asks for: every kind any of them lists."""
    if not call_ids:
        return rules.DEFAULT_REQUIRED
    return rules.union_of([await required_for(store, c) for c in call_ids])


async def of_draft(pool: asyncpg.Pool, *, investor_id: UUID, draft_id: UUID) -> list[DocumentInfo]:
    """The documents kept with one of the investor's drafts."""
    return [_info(r) for r in await pool.fetch(SELECT_FOR_DRAFT, draft_id, investor_id)]


def record_draft_documents(app: GrantApplication, found: list[DocumentInfo], at: datetime) -> None:
    """Record the draft's documents on the new application (in the submission's append)."""
    for doc in found:
        app.attach_document(
            by=app.investor_id, document_id=doc.id, kind=doc.kind, size=doc.size,
            sha256=doc.sha256, media_type=doc.media_type, staff=False, at=at,
        )  # fmt: skip


async def move_draft_documents(
    pool: asyncpg.Pool, *, draft_id: UUID, application_id: UUID, investor_id: UUID
) -> None:
    """After the submission committed: the draft's rows now belong to the application."""
    await pool.execute(MOVE_TO_APPLICATION, draft_id, application_id, investor_id)


async def entitled_application(
    store: EventStore, user: User, application_id: UUID, *, attaching: bool = False
) -> GrantApplication | None:
    """The application if ``user`` may see its documents (or attach one), else None."""
    try:
        # Typed as an object: any aggregate's id may be given, and only an application will do.
        found: object = await Repository(store).get(application_id, cls=GrantApplication)
    except AggregateNotFoundError:
        return None
    if not isinstance(found, GrantApplication):
        return None
    app = found
    if user.role == INVESTOR:
        return app if app.investor_id == user.id else None
    if user.role in STAFF:
        return app if not attaching or user.role == OFFICER else None
    if user.role == REVIEWER and not attaching:
        entitled = user.id in app.reviewers and user.id not in app.conflicts
        return app if entitled else None
    return None


@dataclass(frozen=True, kw_only=True)
class Listing:
    """A file's documents, and what its call lists (the kinds, with the call's names for them)."""

    documents: list[DocumentInfo]
    required: tuple[rules.RequiredDocument, ...]


async def listing(store: EventStore, user: User, application_id: UUID) -> list[DocumentInfo] | None:
    """The file's documents for someone entitled to them; None for anyone else."""
    found = await listing_with_required(store, user, application_id, with_required=False)
    return None if found is None else found.documents


async def listing_with_required(
    store: EventStore, user: User, application_id: UUID, *, with_required: bool = True
) -> Listing | None:
    """:func:`listing`, with the call's list of documents (read from the application loaded
    for the check, not loaded again); None for anyone not entitled."""
    app = await entitled_application(store, user, application_id)
    if app is None:
        return None
    rows = await store.pool.fetch(SELECT_FOR_APPLICATION, application_id)
    # The events are the record: a row no DocumentAttached names (a retried form) is not shown.
    found = [_info(r) for r in rows if r["id"] in app.documents]
    required = await required_for(store, app.call_id) if with_required else ()
    return Listing(documents=found, required=required)


async def download(
    store: EventStore, user: User, application_id: UUID, document_id: UUID
) -> Download | None:
    """One document's bytes for someone entitled to them; None otherwise (or once erased)."""
    app = await entitled_application(store, user, application_id)
    if app is None or document_id not in app.documents:
        return None
    row = await store.pool.fetchrow(SELECT_SEALED, document_id, application_id)
    if row is None:
        return None
    try:
        opened = await decrypt_for(store.pool, row["owner_id"], row["sealed"])
    except PersonErasedError:
        return None
    return Download(info=_info(row), content=bytes(opened["content"]))


async def erase_documents(conn: asyncpg.Connection, person_id: UUID) -> int:
    """Delete every document sealed for the person (erasure; the key is destroyed too)."""
    status: str = await conn.execute(DELETE_FOR_OWNER, person_id)
    return int(status.rsplit(" ", 1)[-1])
