"""The investor's documents on pages: with the application form, on a file, in a reply.

Files chosen on the application form are kept at once (sealed, under the form's hidden
``documents_key``), whether the form is submitted, saved as a draft or sent back with a mistake:
nothing the investor chose is lost, and the form lists what it already holds. Submitting moves
them to the new application in the same append as ``Submitted``.

Routes that take files are built per app (:func:`portal_document_routes`), so that their body
limit follows ``GRANTS_DOCUMENT_MAX_BYTES``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar import Request, Router, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from domain import documents as rules
from domain.errors import DomainError
from service import correspondence, documents
from service.accounts import INVESTOR, User
from service.repository import AggregateNotFoundError
from service.store import EventStore
from web.common import document_words as words
from web.common.auth import requires_role
from web.common.downloads import attach_from_page, limits_of, upload_limit
from web.common.views import see_other

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import asyncpg

    from service.settings import Settings
    from web.common.forms import Form

KEY_FIELD = "documents_key"


async def form_of(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The posted form, multipart (as the pages send it) or URL-encoded alike; a file field is
    an ``UploadFile``. Parsed once per request (the CSRF check may have read it already)."""
    form = await request.form()
    return {key: form.get(key) for key in form.keys()}  # noqa: SIM118 (a multi-dict)


@dataclass(frozen=True, kw_only=True)
class Slot:
    """One document the form asks for, and what it already holds for it."""

    kind: str
    label: str
    mandatory: bool
    attached: list[documents.DocumentInfo]

    @property
    def held(self) -> list[tuple[str, str]]:
        """Each file already kept for this slot: its name and size, for people."""
        return [(d.filename, words.size_words(d.size)) for d in self.attached]

    @property
    def field(self) -> str:
        """The file input's name."""
        return f"doc_{self.kind}"


def documents_key(form: Form) -> UUID:
    """The form's hidden key under which its files are kept; a fresh one when missing."""
    try:
        return UUID(form.values.get(KEY_FIELD, ""))
    except ValueError:
        key = uuid.uuid4()
        form.values[KEY_FIELD] = str(key)
        return key


def chosen(data: Mapping[str, Any], name: str) -> UploadFile | None:
    """The file chosen in the form's ``name`` field, if one was (a browser sends an empty part
    for a file input left alone)."""
    value = data.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, UploadFile) and value.filename else None


def refusal(error: DomainError, limits: documents.Limits) -> str:
    """The message for a refused file (a msgid; the size is filled in where shown)."""
    if isinstance(error, rules.DocumentTooLargeError):
        return words.TOO_MUCH if error.total else words.TOO_LARGE
    return words.NOT_A_DOCUMENT


async def form_documents(
    store: EventStore, call_ids: Sequence[UUID]
) -> tuple[rules.RequiredDocument, ...]:
    """The documents the application form asks for: what any open call requires."""
    return await documents.required_for_calls(store, call_ids)


async def keep_uploads(
    pool: asyncpg.Pool, user: User, form: Form, data: Mapping[str, Any], settings: Settings,
    required: Sequence[rules.RequiredDocument],
) -> None:  # fmt: skip
    """Keep every file chosen on the application form; a refused one is an error on its field."""
    key, limits = documents_key(form), limits_of(settings)
    kinds = [r.kind for r in required]
    for kind in kinds:
        upload = chosen(data, f"doc_{kind}")
        if upload is None:
            continue
        try:
            await documents.attach_to_draft(pool, investor_id=user.id, draft_id=key, kind=kind,
                                            content=await upload.read(), limits=limits,
                                            also=kinds)  # fmt: skip
        except DomainError as error:
            form.error(f"doc_{kind}", refusal(error, limits))


async def slots(
    pool: asyncpg.Pool, user: User, form: Form, required: Sequence[rules.RequiredDocument],
    language: str,
) -> list[Slot]:  # fmt: skip
    """The documents the form asks for, each with what was already kept for it."""
    held = await documents.of_draft(pool, investor_id=user.id, draft_id=documents_key(form))
    return [
        Slot(kind=r.kind, label=r.label(language) or words.kind_words(r.kind),
             mandatory=r.mandatory, attached=[d for d in held if d.kind == r.kind])
        for r in required
    ]  # fmt: skip


async def held(pool: asyncpg.Pool, user: User, form: Form) -> list[documents.DocumentInfo]:
    """What the form holds, for the submission."""
    return await documents.of_draft(pool, investor_id=user.id, draft_id=documents_key(form))


def missing_on(form: Form, error: rules.MissingDocumentError) -> None:
    """Show a missing mandatory document next to its own file input."""
    for kind in error.kinds:
        form.error(f"doc_{kind}", words.MISSING)


def portal_document_routes(settings: Settings) -> Router:
    """``/my/files/{id}/documents`` and ``/my/files/{id}/reply``, with this app's upload limit."""
    limits = limits_of(settings)

    @post("/files/{application_id:uuid}/documents", request_max_body_size=upload_limit(settings))
    async def attach(
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> Redirect:
        """Attach a file to one of the investor's files; back to the file with the outcome."""
        data = await form_of(request)
        return await attach_from_page(
            store, user, application_id, upload=chosen(data, "file"),
            kind=str(data.get("kind") or rules.OTHER), limits=limits,
            back=f"/my/files/{application_id}",
        )  # fmt: skip

    @post("/files/{application_id:uuid}/reply", request_max_body_size=upload_limit(settings))
    async def reply(
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> Redirect:
        """Answer the committee's question with a message and, optionally, a file."""
        data = await form_of(request)
        message, upload = str(data.get("message") or "").strip(), chosen(data, "file")
        try:
            if upload is not None:
                await correspondence.reply_with_document(
                    store, application_id=application_id, investor=user, message=message,
                    content=await upload.read(), limits=limits,
                )  # fmt: skip
            else:
                await correspondence.reply(store, application_id=application_id,
                                           investor_id=user.id, message=message)  # fmt: skip
        except AggregateNotFoundError:
            raise NotFoundException from None
        except DomainError as error:
            return see_other(f"/my/files/{application_id}?reply={error.code}#thread")
        return see_other(f"/my/files/{application_id}?reply=sent#thread")

    return Router(path="/my", guards=[requires_role(INVESTOR)], route_handlers=[attach, reply])


DECIDED = frozenset(
    {"funded", "rejected", "screened_out", "agreement_signed", "completed", "cancelled"}
)
NOTICES = {
    "attached": words.ATTACHED,
    "sent": words.REPLY_SENT,
    "missing": words.CHOOSE_FILE,
    "unsupported_media_type": words.NOT_A_DOCUMENT,
    "document_too_large": words.TOO_LARGE,
}


async def file_context(
    store: EventStore, user: User, application_id: UUID, status: str, language: str
) -> dict[str, Any]:
    """What the file page shows besides the timeline: documents, the thread, the letter."""
    listed = await documents.listing_with_required(store, user, application_id)
    found = listed.documents if listed else []
    entries = await correspondence.thread(store, user, application_id) or []
    kinds = {doc.id: doc.kind for doc in found}
    named = words.call_names(listed.required if listed else (), language)
    return {
        "documents": words.document_lines(found, language, named),
        "document_names": named,
        "thread_entries": words.thread_lines(entries, kinds, language, named),
        "has_letter": status in DECIDED,
        "kinds": [(k, words.kind_words(k)) for k in rules.KINDS if k not in rules.STAFF_KINDS],
    }


def notice_of(code: str | None) -> str | None:
    """The msgid of a document or reply outcome passed back in the query string."""
    return NOTICES.get(code or "", words.NOT_NOW if code else None)
