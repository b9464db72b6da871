"""Serving a sealed document: always as an attachment, never sniffed, sandboxed if opened.

One place for the headers so the page route and the API route cannot drift apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Response
from litestar.exceptions import NotFoundException

from domain.errors import DomainError
from service import documents
from service.documents import Download, Limits
from service.repository import AggregateNotFoundError
from web.common.i18n import language_of, translations_of
from web.common.letters import letter_filename, letter_pdf
from web.common.views import see_other

if TYPE_CHECKING:
    from typing import Any
    from uuid import UUID

    from litestar import Request
    from litestar.datastructures import UploadFile
    from litestar.response import Redirect

    from service.accounts import User
    from service.letters import Decision
    from service.settings import Settings
    from service.store import EventStore

#: A multipart body carries boundaries and part headers besides the file.
MULTIPART_OVERHEAD = 64 * 1024
#: The document is data, never a page: nothing runs, nothing loads, no frame, no form.
SANDBOX_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'; form-action 'none'"


def limits_of(settings: Settings) -> Limits:
    """The per-file and per-application limits from the settings."""
    return Limits(each=settings.document_max_bytes, total=settings.documents_total_bytes)


def upload_limit(settings: Settings) -> int:
    """An upload route's body limit: one file of the allowed size and its form around it."""
    return settings.document_max_bytes + MULTIPART_OVERHEAD


def attachment(found: Download) -> Response[bytes]:
    """The document's bytes with the headers that keep a browser from rendering them inline."""
    return _file(found.content, found.info.media_type, found.info.filename)


async def letter_response(request: Request[Any, Any, Any], decision: Decision) -> Response[bytes]:
    """The decision letter as a PDF download, in the request's language."""
    pdf = await letter_pdf(decision, language_of(request), translations_of(request))
    return _file(pdf, "application/pdf", letter_filename(decision))


def _file(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        content=content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX_CSP,
            "Cache-Control": "no-store",
        },
    )


async def attach_from_page(
    store: EventStore, user: User, application_id: UUID, *, upload: UploadFile | None,
    kind: str, limits: Limits, back: str,
) -> Redirect:  # fmt: skip
    """Attach a file chosen on a page (the investor's or the committee's) and go back to
    ``back`` with the outcome as ``?document=`` (attached, missing, or the refusal's code)."""
    if upload is None:
        return see_other(f"{back}?document=missing#documents")
    try:
        await documents.attach_to_application(
            store, user=user, application_id=application_id, kind=kind,
            content=await upload.read(), limits=limits,
        )  # fmt: skip
    except AggregateNotFoundError:
        raise NotFoundException from None
    except DomainError as error:
        return see_other(f"{back}?document={error.code}#documents")
    return see_other(f"{back}?document=attached#documents")
