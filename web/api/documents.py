"""``/api/v1/applications/{id}/documents`` and ``/information-reply``: files and answers.

Built per app by :func:`document_api` because the upload route's body limit follows
``GRANTS_DOCUMENT_MAX_BYTES``: Litestar refuses a larger body with 413 from its Content-Length,
or as soon as a chunked stream passes the limit, before anything is buffered whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta

from service import correspondence, documents, letters
from service.accounts import INVESTOR, OFFICER, User
from service.store import EventStore
from web.api.schemas import ActionOut, AmendmentIn, In, Out
from web.api.support import ProblemError, not_found
from web.common.auth import requires_login, requires_role
from web.common.downloads import attachment, letter_response, limits_of, upload_limit
from web.common.multipart import boundary_of, read_form

if TYPE_CHECKING:
    from service.settings import Settings

PREFIX = "/api/v1/applications/{application_id:uuid}"


class DocumentOut(Out, frozen=True):
    """A document attached to a file: never its bytes, never its uploaded name."""

    document_id: UUID
    kind: str
    size: int
    sha256: str
    media_type: str | None = None


class InformationReplyIn(In, frozen=True):
    """The investor's answer to the committee's question: text, documents already uploaded to
    the file (their ids), and optionally an amendment of the project fields."""

    message: Annotated[str, Meta(max_length=5000)] = ""
    document_ids: Annotated[list[UUID], Meta(max_length=20)] = []  # noqa: RUF012 (frozen struct)
    amendment: AmendmentIn | None = None


def document_out(info: documents.DocumentInfo) -> DocumentOut:
    """What the API says of a document."""
    return DocumentOut(document_id=info.id, kind=info.kind, size=info.size, sha256=info.sha256,
                       media_type=info.media_type)  # fmt: skip


def document_api(settings: Settings) -> Router:
    """The document and reply routes, with the upload limit of these ``settings``."""
    limits = limits_of(settings)

    @post(
        "/documents", summary="Attach a document", status_code=HTTP_201_CREATED,
        request_max_body_size=upload_limit(settings), guards=[requires_role(INVESTOR, OFFICER)],
    )  # fmt: skip
    async def upload(
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> DocumentOut:
        """PDF, PNG or JPEG by content (415 otherwise), at most the configured size (413).

        The owning investor attaches to an open or funded file; an officer attaches the signed
        agreement (kind ``signed_agreement``). Anyone else: 404, before the body is read. The
        multipart body (``file``, ``kind``) is read as it streams (``web.common.multipart``).
        """
        if (
            await documents.entitled_application(store, user, application_id, attaching=True)
            is None
        ):
            raise not_found()
        form = await read_form(request.stream(), boundary_of(request), file_field="file",
                               limit=limits.each)  # fmt: skip
        if form.file is None:
            raise ProblemError(422, "invalid_value", "'file' must be a file", field="file")
        if not form.fields.get("kind"):
            raise ProblemError(422, "invalid_value", "give the document's kind", field="kind")
        info = await documents.attach_to_application(
            store, user=user, application_id=application_id, kind=form.fields["kind"],
            content=form.file, limits=limits,
        )  # fmt: skip
        return document_out(info)

    @get("/documents", summary="List a file's documents")
    async def list_documents(
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> list[DocumentOut]:
        """The owner, the chair, officers, and reviewers assigned and not conflicted; else 404."""
        found = await documents.listing(store, user, application_id)
        if found is None:
            raise not_found()
        return [document_out(info) for info in found]

    @get(
        "/documents/{document_id:uuid}", summary="Download a document",
        media_type="application/octet-stream",
    )  # fmt: skip
    async def download(
        application_id: FromPath[UUID],
        document_id: FromPath[UUID],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> Response[bytes]:
        """The bytes as an attachment, sandboxed; 404 for anyone not entitled."""
        found = await documents.download(store, user, application_id, document_id)
        if found is None:
            raise not_found()
        return attachment(found)

    @post(
        "/information-reply", summary="Answer the committee's question", status_code=200,
        guards=[requires_role(INVESTOR)],
    )  # fmt: skip
    async def information_reply(
        application_id: FromPath[UUID],
        data: JSONBody[InformationReplyIn],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """Only while the committee waits for an answer (409 otherwise)."""
        changes: dict[str, Any] = {}
        if data.amendment is not None:
            fields = data.amendment.__struct_fields__
            changes = {f: getattr(data.amendment, f) for f in fields}
            changes = {k: v for k, v in changes.items() if v is not None}
        await correspondence.reply(
            store, application_id=application_id, investor_id=user.id, message=data.message,
            document_ids=data.document_ids, changes=changes,
        )  # fmt: skip
        return ActionOut(application_id=application_id, action="replied")

    @get(
        "/decision-letter.pdf", summary="The decision letter", media_type="application/pdf",
    )  # fmt: skip
    async def decision_letter(
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> Response[bytes]:
        """A PDF in the caller's language (``Accept-Language`` or the session); 404 before a
        decision, or for anyone not entitled to the file."""
        found = await letters.latest_decision(store, user, application_id)
        if found is None:
            raise not_found()
        return await letter_response(request, found)

    return Router(
        path=PREFIX,
        include_in_schema=True,
        tags=["documents"],
        guards=[requires_login],
        route_handlers=[upload, list_documents, download, information_reply, decision_letter],
    )
