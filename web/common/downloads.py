"""Serving a sealed document: always as an attachment, never sniffed, sandboxed if opened.

One place for the headers so the page route and the API route cannot drift apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Response

from service.documents import Download, Limits
from web.common.i18n import language_of, translations_of
from web.common.letters import letter_filename, letter_pdf

if TYPE_CHECKING:
    from typing import Any

    from litestar import Request

    from service.letters import Decision
    from service.settings import Settings

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
