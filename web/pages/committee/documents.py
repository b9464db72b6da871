"""Documents on pages, for everyone entitled to a file: downloads, the decision letter, and what
the committee's file page shows of them (documents, the thread, decisions and tranches).

The same rule as the API (``service.documents.entitled_application``): the owning investor, the
chair, officers, reviewers assigned and not conflicted. Anyone else gets the 404 page. The
committee's file page and the investor's file page both link here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from domain.documents import SIGNED_AGREEMENT
from service import correspondence, documents, letters
from service.accounts import OFFICER, User
from service.store import EventStore
from web.common import document_words as words
from web.common.auth import requires_login, requires_role
from web.common.downloads import (
    attach_from_page,
    attachment,
    letter_response,
    limits_of,
    upload_limit,
)
from web.pages.portal.documents import chosen, form_of, notice_of

if TYPE_CHECKING:
    from service.settings import Settings
from web.common.i18n import N_, format_mad, language_of


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


HISTORY_WORDS = {
    "funded": N_("Funded"),
    "rejected": N_("Rejected"),
    "screened_out": N_("Screened out"),
    "agreement_signed": N_("Agreement signed"),
    "tranche_disbursed": N_("Tranche paid"),
    "cancelled": N_("Cancelled"),
    "completed": N_("Completed"),
}


async def file_extras(
    request: Request[Any, Any, Any], user: User, application_id: UUID
) -> dict[str, Any]:  # the page's ?document= outcome is read here too
    """What the committee's file page adds: documents, the thread, decisions and tranches."""
    store: EventStore = request.app.state.store
    language = language_of(request)
    listed = await documents.listing_with_required(store, user, application_id)
    found = listed.documents if listed else []
    entries = await correspondence.thread(store, user, application_id) or []
    past = await letters.history(store, user, application_id)
    named = words.call_names(listed.required if listed else (), language)
    return {
        "file_documents": words.document_lines(found, language, named),
        "thread_entries": words.thread_lines(
            entries, {d.id: d.kind for d in found}, language, named
        ),
        "decision_history": [
            {
                "label": HISTORY_WORDS[h.kind],
                "when": words.moroccan_moment(h.at, language),
                "amount": format_mad(h.amount_centimes, language) if h.amount_centimes else "",
                "text": h.text,
            }
            for h in past
        ],
        "has_letter": any(h.kind in ("funded", "rejected", "screened_out") for h in past),
        "document_notice": notice_of(request.query_params.get("document")),
    }


def committee_document_routes(settings: Settings) -> Router:
    """``POST /committee/files/{id}/documents``: the officer attaches the signed agreement."""
    limits = limits_of(settings)

    @post(
        "/committee/files/{application_id:uuid}/documents",
        guards=[requires_role(OFFICER)], request_max_body_size=upload_limit(settings),
    )  # fmt: skip
    async def attach_signed_agreement(
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> Redirect:
        """Back to the file's documents, with the outcome in the query string."""
        data = await form_of(request)
        return await attach_from_page(
            store, user, application_id, upload=chosen(data, "file"), kind=SIGNED_AGREEMENT,
            limits=limits, back=f"/committee/files/{application_id}",
        )  # fmt: skip

    return Router(path="/", route_handlers=[attach_signed_agreement])
