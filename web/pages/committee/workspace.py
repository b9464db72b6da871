"""The committee workspace: the queue, a file, the scoring page and the live-queue stream.

Reviewers, the chair and the officer all see the queue; a reviewer sees only the files assigned
to them without a declared conflict, and never an investor's personal identifiers (the review
queue projects none; a sole trader's name, a natural person's, is withheld from reviewers).
The actions on a file are in ``web/pages/committee/actions.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from domain.errors import DomainError
from domain.reference import SOLE_TRADER
from domain.rubrics import SCALE_MAX
from projections import conflicts, programme, review_queue, tracking
from projections.queue_page import UnknownCursorError
from projections.queue_page import queue_page as queue_rows
from service import accounts, personal_data
from service import applications as apps
from service.accounts import CHAIR, OFFICER, REVIEWER, User
from service.settings import Settings
from service.store import EventStore
from web.common.auth import requires_role
from web.common.forms import Form
from web.common.i18n import N_, format_hundredths, language_of, translations_of
from web.common.live import for_at_most
from web.common.sessions import session_data
from web.common.views import page, see_other
from web.pages.committee import documents as committee_documents
from web.pages.committee.assignments import (
    LEVELS,
    RETURN_HERE,
    assignments_view,
    described_levels,
    documents_beside,
    facts_of,
    my_review,
)
from web.pages.committee.views import (
    FLASH,
    STAFF,
    Filters,
    domain_error,
    labels,
    new_form_key,
    shown_company,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from projections.programme import RubricView
    from service.live import Broadcast
    from service.store import Position

QUERY_KEYS = ("status", "sector", "province", "call", "sort")
#: Files per page of the queue: computed in SQL a page at a time (``projections.queue_page``).
QUEUE_PAGE_SIZE = 100
NOT_RANKED = ("below_quorum", "below_threshold")
COMMENT_MAX = 4000
NOT_A_SCORE = N_("Choose a whole number from 0 to 5.")
NO_SCORE = N_("Score this criterion: a whole number from 0 to 5.")


def flash(request: Request[Any, Any, Any], message: str, **params: Any) -> None:
    """A confirmation shown once on the next page, already in the reader's language."""
    text = translations_of(request).gettext(message)
    session_data(request)[FLASH] = text % params if params else text


async def visible_file(pool: asyncpg.Pool, user: User, application_id: UUID) -> dict[str, Any]:
    """The file's facts, or 404: a reviewer sees only files assigned to them, unconflicted."""
    reviewer = user.id if user.role == REVIEWER else None
    found = await review_queue.file(pool, application_id, reviewer_id=reviewer)
    if found is None:
        raise NotFoundException
    return found


@get("/committee/queue", guards=[requires_role(*STAFF)])
async def queue_page(
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    user: NamedDependency[User],
) -> Template:
    """The queue, filtered and sorted by GET parameters, with the fundable line."""
    calls = await programme.calls(pool)
    query = {k: request.query_params.get(k) or "" for k in QUERY_KEYS}
    filters = Filters.parse(query, {c.call_id for c in calls})
    selection: dict[str, Any] = {
        "status": filters.status, "sector": filters.sector, "province": filters.province,
        "call_id": filters.call, "sort": filters.sort,
        "reviewer_id": user.id if user.role == REVIEWER else None,
    }  # fmt: skip
    after = _cursor(request.query_params.get("after"))
    try:
        entries, more = await queue_rows(pool, after=after, limit=QUEUE_PAGE_SIZE, **selection)
    except UnknownCursorError:  # a stale link (the file left this list): start from the top
        after = None
        entries, more = await queue_rows(pool, limit=QUEUE_PAGE_SIZE, **selection)
    remaining = await review_queue.remaining(pool)
    # Files in review kept off the line, apart and with the reason (as filtered, first ones).
    kept_off = {k: v for k, v in selection.items() if k not in ("status", "sort")}
    apart, _ = await queue_rows(
        pool, status="in_review", eligibility=NOT_RANKED, limit=QUEUE_PAGE_SIZE, **kept_off
    )
    quorum, threshold = await review_queue.policy(pool)
    return page(
        "committee_queue.html", entries=entries, filters=filters, calls=calls, apart=apart,
        quorum=quorum, threshold=threshold,
        next_after=entries[-1].application_id if more else None, paged=after is not None,
        remaining=sum(remaining.values()), companies={e.application_id: shown_company(e, user)
                                                     for e in entries},
        flash=session_data(request).pop(FLASH, None), **labels(request),
    )  # fmt: skip


def _cursor(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


async def file_page(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    user: User,
    application_id: FromPath[UUID],
    *,
    status: int = 200,
    forms: dict[str, Form] | None = None,
) -> Template:
    """The file page, with the forms for the user's role (one may carry errors: 422)."""
    facts = await visible_file(pool, user, application_id)
    context: dict[str, Any] = {"reviews": [], "reviewer_accounts": [], "criteria": []}
    if user.role in (CHAIR, OFFICER):
        reviews = await review_queue.reviewers(pool, application_id)
        names = await accounts.users_by_id(pool=pool, ids=[r["reviewer_id"] for r in reviews])
        rubric = await programme.published_rubric(pool)
        reasons = await conflicts.of_file(pool, application_id)
        context |= {
            "reviews": [
                {
                    **r,
                    "name": _name(names, r["reviewer_id"]),
                    "conflict": reasons.get(r["reviewer_id"]),
                }
                for r in reviews
            ],
            "criteria": rubric.criteria if rubric else [],
        }
    if user.role == OFFICER:  # only reviewers not already assigned and not conflicted
        taken = {r["reviewer_id"] for r in await review_queue.reviewers(pool, application_id)}
        everyone = await accounts.users_with_role(pool=pool, role=REVIEWER)
        context["reviewer_accounts"] = [u for u in everyone if u.id not in taken]
    left = await review_queue.remaining(pool)
    company = shown_company(facts, user)
    if not company and user.role in (CHAIR, OFFICER) and facts.get("applicant_kind") == SOLE_TRADER:
        # A sole trader's name is sealed with their key: opened for staff, never projected.
        who = await personal_data.identity_of(request.app.state.store, application_id)
        company = who["company_name"] if who else None
    context |= await committee_documents.file_extras(request, user, application_id)
    return page(
        "committee_file.html", status, file=facts, company=company,
        remaining=left.get(facts["envelope_id"], 0), forms=forms or {}, form_blank=Form(),
        role=user.role, form_key=new_form_key(),
        flash=session_data(request).pop(FLASH, None), **context, **labels(request),
    )  # fmt: skip


def _name(names: dict[UUID, User], reviewer_id: UUID) -> str:
    account = names.get(reviewer_id)
    return account.display_name if account else str(reviewer_id)[:8]


@get("/committee/files/{application_id:uuid}", guards=[requires_role(*STAFF)])
async def file_view(
    request: Request[Any, Any, Any],
    application_id: FromPath[UUID],
    pool: NamedDependency[asyncpg.Pool],
    user: NamedDependency[User],
) -> Template:
    """A file's facts, its reviews (chair and officer) and the actions of the user's role."""
    return await file_page(request, pool, user, application_id)


async def _rubric(pool: asyncpg.Pool) -> RubricView:
    rubric = await programme.published_rubric(pool)
    if rubric is None:
        raise NotFoundException  # no published rubric: nothing can be scored yet
    return rubric


async def _score_page(
    request: Request[Any, Any, Any],
    facts: dict[str, Any],
    user: User,
    rubric: RubricView,
    form: Form,
    status: int = 200,
) -> Template:
    return page(
        "committee_score.html", status, form=form, file=facts, rubric=rubric,
        company=shown_company(facts, user), scale_max=SCALE_MAX, levels=LEVELS,
        facts=facts_of(facts, rubric.criteria),
        described=described_levels(rubric.criteria, language_of(request)),
        file_documents=await documents_beside(request, user, facts["application_id"]),
        **labels(request),
    )  # fmt: skip


@get("/committee/files/{application_id:uuid}/score", guards=[requires_role(REVIEWER)])
async def score_form(
    request: Request[Any, Any, Any],
    application_id: FromPath[UUID],
    pool: NamedDependency[asyncpg.Pool],
    user: NamedDependency[User],
) -> Template:
    """One input per criterion of the published rubric; the reviewer's last review, if any."""
    facts = await visible_file(pool, user, application_id)
    rubric = await _rubric(pool)
    values = await my_review(pool, user, application_id)
    return await _score_page(request, facts, user, rubric, Form(values))


@post("/committee/files/{application_id:uuid}/score", guards=[requires_role(REVIEWER)])
async def score(
    request: Request[Any, Any, Any],
    application_id: FromPath[UUID],
    data: URLEncodedBody[dict[str, str]],
    pool: NamedDependency[asyncpg.Pool],
    store: NamedDependency[EventStore],
    user: NamedDependency[User],
) -> Template | Redirect:
    """Record the review; the domain computes the weighted score, which is authoritative."""
    facts = await visible_file(pool, user, application_id)
    rubric = await _rubric(pool)
    keys = [c["key"] for c in rubric.criteria]
    automatic = facts_of(facts, rubric.criteria)  # facts of the file, never typed by a reviewer
    form = Form.from_data({**data, **{k: str(v) for k, v in automatic.items()}},
                          [*keys, "comment"])  # fmt: skip
    back_here = data.get("return") == RETURN_HERE
    scores = {key: _score(form, key) for key in keys}
    if len(form.values["comment"]) > COMMENT_MAX:
        form.error("comment", N_("At most 4000 characters."))
    if form.valid:
        try:
            weighted = await apps.review(
                store, application_id=application_id, reviewer_id=user.id,
                rubric_id=rubric.rubric_id, scores=scores, comment=form.values["comment"],
            )  # fmt: skip
        except DomainError as error:
            domain_error(request, form, error)
        else:
            points = format_hundredths(weighted, language_of(request))  # the page's decimal mark
            flash(request, N_("Your review is recorded: %(score)s / 100."), score=points)
            return see_other("/committee/assignments" if back_here
                             else f"/committee/files/{application_id}")  # fmt: skip
    if back_here:
        return await assignments_view(request, pool, user, application_id, form=form, status=422)
    return await _score_page(request, facts, user, rubric, form, 422)


def _score(form: Form, key: str) -> int:
    text = form.values[key]
    if not text:
        form.error(key, NO_SCORE)
        return 0
    if not (text.isdecimal() and 0 <= int(text) <= SCALE_MAX):
        form.error(key, NOT_A_SCORE)
        return 0
    return int(text)


@get("/committee/events", guards=[requires_role(*STAFF)])
async def queue_events(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings]
) -> ServerSentEvent:
    """Server-Sent Events: ``queue`` each time the review queue's projection advances."""
    live = request.app.state.queue_live
    return ServerSentEvent(queue_changes(live, lifetime_s=settings.stream_seconds))


async def queue_position(pool: asyncpg.Pool) -> Position:
    """Where the review queue's projection stands: what every live queue follows."""
    return await tracking.position(pool, review_queue.PROJECTION.name)


async def queue_changes(
    live: Broadcast[Position], lifetime_s: float = 300.0
) -> AsyncIterator[ServerSentEventMessage]:
    """``queue`` after each move of the projection, from one broadcast shared by every viewer
    (:mod:`service.live`); stops when the client leaves (Litestar cancels the stream) or after
    ``lifetime_s``, so that a shutting-down server is never held open."""
    yield ServerSentEventMessage(comment="connected", retry=3000)
    last: Position | None = None
    async for now in for_at_most(live.values(), lifetime_s):
        if last is not None and now != last:
            yield ServerSentEventMessage(event="queue", data=str(now.notification_id))
        last = now
