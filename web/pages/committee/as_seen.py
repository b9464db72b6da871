"""Time travel for the chair and officers: a file "as the committee saw it" at a moment of the log
(default: just before its decision), rebuilt from the event log (``projections.time_travel``):
its own events, or any position between its submission and its decision, such as another file's
decision that moved the envelope's remainder or the queue."""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import asyncpg
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from projections import programme
from projections.time_travel import as_seen
from service import accounts
from service.accounts import CHAIR, OFFICER
from service.store import EventStore
from web.common.auth import requires_role
from web.common.i18n import N_
from web.common.views import page
from web.pages.committee.assignments import documents_beside
from web.pages.committee.views import labels

MOMENT_LABELS: Final = {
    "Submitted": N_("Submitted"), "Amended": N_("Amended by the investor"),
    "InformationRequested": N_("Information requested"), "Withdrawn": N_("Withdrawn"),
    "ScreenedOut": N_("Screened out"), "ReviewerAssigned": N_("Reviewer assigned"),
    "ConflictDeclared": N_("Conflict of interest declared"), "Reviewed": N_("Review recorded"),
    "Funded": N_("Funded"), "Rejected": N_("Rejected"), "AgreementSigned": N_("Agreement signed"),
    "TrancheDisbursed": N_("Tranche paid"), "Cancelled": N_("Cancelled"),
    "Completed": N_("Completed"), "DocumentAttached": N_("Document attached"),
    "InformationReplied": N_("The investor replied"),
}  # fmt: skip
#: Another file's event on the same envelope, offered because it moved the remainder or the queue.
OTHER_LABELS: Final = {
    "Funded": N_("Another file funded"), "Rejected": N_("Another file rejected"),
    "ScreenedOut": N_("Another file screened out"), "Withdrawn": N_("Another file withdrawn"),
    "Cancelled": N_("Another file's grant cancelled"),
}  # fmt: skip


def chosen_moment(value: str | None) -> int | None:
    """The event id asked for by ``?at=`` (None: the default moment)."""
    return int(value) if value and value.isdecimal() and len(value) < 19 else None


@get("/committee/files/{application_id:uuid}/as-seen", guards=[requires_role(CHAIR, OFFICER)])
async def as_seen_page(
    request: Request[Any, Any, Any],
    application_id: FromPath[UUID],
    store: NamedDependency[EventStore],
    pool: NamedDependency[asyncpg.Pool],
) -> Template:
    """The file at ``?at=EVENT`` (one of its own events, or any event of the log between its
    submission and its decision), or just before its decision."""
    upto = chosen_moment(request.query_params.get("at"))
    seen, moments = await as_seen(store, application_id, upto=upto)
    if seen is None:
        raise NotFoundException
    rubric = await programme.published_rubric(pool)
    names = await accounts.users_by_id(pool=pool, ids=[r.reviewer_id for r in seen.reviews])
    then = {document_id for document_id, _ in seen.documents}  # attached by that moment
    attached = await documents_beside(request, request.scope["user"], application_id)
    return page(
        "committee_as_seen.html", seen=seen, moments=moments, upto=upto,
        criteria=rubric.criteria if rubric else [],
        names={k: u.display_name for k, u in names.items()}, moment_labels=MOMENT_LABELS,
        other_labels=OTHER_LABELS, file_documents=[d for d in attached if d.id in then],
        **labels(request),
    )  # fmt: skip


ROUTES = [as_seen_page]
