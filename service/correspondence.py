"""Information requests as a thread: the committee's question, the investor's reply, follow-ups.

The reply's text may name people, so it is sealed with the investor's key before it enters the
``InformationReplied`` event (erasure shreds it like the rest of their personal data). The thread
is read from the application's own events: it is one file's detail, shown only to those entitled
to the file (see :func:`service.documents.entitled_application`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from domain.applications import GrantApplication
from domain.documents import INFORMATION_REPLY
from service.clock import Clock, database_now
from service.commands import Unit, execute
from service.documents import attach_to_application, entitled_application
from service.privacy import PersonErasedError, decrypt_for, encrypt_for
from service.repository import new_mapper

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime
    from uuid import UUID

    from service.accounts import User
    from service.documents import DocumentInfo, Limits
    from service.store import EventStore

MAX_MESSAGE = 5_000
QUESTION, REPLY, DOCUMENT = "question", "reply", "document"


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One message of the thread: a question, a reply, or a document attached."""

    kind: str
    at: datetime
    text: str = ""
    document_ids: tuple[UUID, ...] = ()
    document_kind: str = ""
    changes: dict[str, Any] = field(default_factory=dict)


async def reply(
    store: EventStore,
    *,
    application_id: UUID,
    investor_id: UUID,
    message: str,
    document_ids: Sequence[UUID] = (),
    changes: Mapping[str, Any] | None = None,
    clock: Clock = database_now,
) -> None:
    """The investor answers the committee's question (text, documents, perhaps an amendment)."""

    async def decide(unit: Unit) -> None:
        app = await unit.get(application_id, GrantApplication)
        await _answer(unit, app, investor_id, message, list(document_ids), changes, clock)

    await execute(store, decide)


async def reply_with_document(
    store: EventStore, *, application_id: UUID, investor: User, message: str, content: bytes,
    limits: Limits, clock: Clock = database_now,
) -> None:  # fmt: skip
    """The investor answers with a file: attached and answered in one command, or neither."""

    async def answer(unit: Unit, app: GrantApplication, info: DocumentInfo) -> None:
        await _answer(unit, app, investor.id, message, [info.id], None, clock)

    await attach_to_application(
        store, user=investor, application_id=application_id, kind=INFORMATION_REPLY,
        content=content, limits=limits, clock=clock, then=answer,
    )  # fmt: skip


async def _answer(
    unit: Unit, app: GrantApplication, investor_id: UUID, message: str,
    document_ids: list[UUID], changes: Mapping[str, Any] | None, clock: Clock,
) -> None:  # fmt: skip
    text = message.strip()[:MAX_MESSAGE]
    sealed = await encrypt_for(unit.conn, app.person_id, {"message": text}) if text else b""
    app.reply_to_information(
        investor_id, message=sealed, document_ids=document_ids, changes=dict(changes or {}),
        at=await unit.now(clock),
    )  # fmt: skip


async def thread(store: EventStore, user: User, application_id: UUID) -> list[Entry] | None:
    """Questions, replies and documents in order, for someone entitled to the file; else None."""
    app = await entitled_application(store, user, application_id)
    if app is None:
        return None
    mapper, entries = new_mapper(), []
    for stored in await store.select_events(application_id):
        event: Any = mapper.to_domain_event(stored)
        name = type(event).__name__
        if name == "InformationRequested":
            entries.append(Entry(kind=QUESTION, at=event.timestamp, text=event.question))
        elif name == "InformationReplied":
            text = await _opened(store, app.person_id, event.message)
            entries.append(Entry(kind=REPLY, at=event.timestamp, text=text,
                                 document_ids=tuple(event.document_ids)))  # fmt: skip
        elif name == "Amended" and entries and entries[-1].kind == REPLY and event.changes:
            last = entries.pop()
            entries.append(Entry(kind=REPLY, at=last.at, text=last.text,
                                 document_ids=last.document_ids, changes=dict(event.changes)))  # fmt: skip
        elif name == "DocumentAttached":
            entries.append(Entry(kind=DOCUMENT, at=event.timestamp,
                                 document_ids=(event.document_id,), document_kind=event.kind))  # fmt: skip
    return entries


async def _opened(store: EventStore, person_id: UUID, sealed: bytes) -> str:
    if not sealed:
        return ""
    try:
        return str((await decrypt_for(store.pool, person_id, sealed))["message"])
    except PersonErasedError:
        return ""
