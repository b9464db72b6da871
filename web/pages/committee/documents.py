"""Downloads on pages, for everyone entitled to a file: its documents and its decision letter.

The same rule as the API (``service.documents.entitled_application``): the owning investor, the
chair, officers, reviewers assigned and not conflicted. Anyone else gets the 404 page. The
committee's file page and the investor's file page both link here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from service import documents, letters
from service.accounts import User
from service.store import EventStore
from web.common.auth import requires_login
from web.common.downloads import attachment, letter_response


@get("/applications/{application_id:uuid}/documents/{document_id:uuid}", guards=[requires_login])
async def download_document(
    application_id: FromPath[UUID],
    document_id: FromPath[UUID],
    user: NamedDependency[User],
    store: NamedDependency[EventStore],
) -> Response[bytes]:
    """A document as an attachment (never rendered by the browser)."""
    found = await documents.download(store, user, application_id, document_id)
    if found is None:
        raise NotFoundException
    return attachment(found)


@get("/applications/{application_id:uuid}/decision-letter.pdf", guards=[requires_login])
async def decision_letter(
    request: Request[Any, Any, Any],
    application_id: FromPath[UUID],
    user: NamedDependency[User],
    store: NamedDependency[EventStore],
) -> Response[bytes]:
    """The decision letter in the reader's language; 404 before a decision."""
    found = await letters.latest_decision(store, user, application_id)
    if found is None:
        raise NotFoundException
    return await letter_response(request, found)


ROUTES = (download_document, decision_letter)
