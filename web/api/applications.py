"""``/api/v1/applications``: files as each role may see them, and the investor's commands.

An investor sees only their own files; a reviewer only those assigned to them and not declared
conflicted; the chair and officers see all. Anything else is a 404, never a 403, so ids cannot
be probed. Reads come from the read models (the dashboard, the review queue).
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from domain.publication import Publication
from projections import dashboard, programme
from projections.queue_page import UnknownCursorError, queue_page
from projections.review_queue import QueueEntry
from service import applications, drafts
from service.accounts import INVESTOR, REVIEWER, User
from service.applications import Applicant, Contact, Project
from service.store import EventStore
from web.api.drafts import draft_claim
from web.api.schemas import (
    ActionOut,
    AmendmentIn,
    ApplicationCreated,
    ApplicationIn,
    ApplicationOut,
    Page,
    StepOut,
)
from web.api.support import (
    After,
    Filter,
    IdempotencyKey,
    Limit,
    ProblemError,
    convert,
    created,
    not_found,
    page,
)
from web.common.auth import requires_login, requires_role

Sort = Literal["score", "normalised", "date", "amount"]
Stage = Literal["submitted", "screening", "in_review", "decided", "withdrawn"]


async def staff_page(
    pool: asyncpg.Pool, user: User, *, limit: int, after: str | None, **filters: Any
) -> tuple[list[QueueEntry], bool]:
    """A page of the queue as this staff member may see it: a reviewer, only their files."""
    reviewer = user.id if user.role == REVIEWER else None
    refused = ProblemError(400, "invalid_cursor", "'after' is not in this list (any more)")
    try:
        cursor = UUID(after) if after is not None else None
    except ValueError:
        raise refused from None
    try:
        return await queue_page(pool, reviewer_id=reviewer, after=cursor, limit=limit, **filters)
    except UnknownCursorError:
        raise refused from None


async def visible_file(pool: asyncpg.Pool, user: User, application_id: UUID) -> ApplicationOut:
    """One file if ``user`` may see it; 404 otherwise (missing or not theirs alike)."""
    if user.role == INVESTOR:
        row = await dashboard.file(pool, user.id, application_id)
        if row is None:
            raise not_found()
        return convert(row, ApplicationOut)
    entries, _ = await staff_page(pool, user, limit=1, after=None, application_id=application_id)
    if not entries:
        raise not_found()
    return convert(entries[0], ApplicationOut)


class ApplicationController(Controller):
    """Files, their timelines, and what the investor does to their own."""

    path = "/applications"
    tags = ("applications",)
    guards = (requires_login,)

    @get(summary="List files")
    async def list_files(
        self,
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        limit: Limit = 50,
        after: After = None,
        stage: FromQuery[Stage | None] = None,
        status: Filter = None,
        sector: Filter = None,
        province: Filter = None,
        call_id: FromQuery[UUID | None] = None,
        sort: FromQuery[Sort] = "date",
    ) -> Page[ApplicationOut]:
        """Investors: their own files, newest first. Staff: the queue with its filters."""
        if user.role == INVESTOR:
            rows = await dashboard.files(pool, user.id)
            if status is not None:
                rows = [r for r in rows if r["status"] == status]
            return page(rows, ApplicationOut, lambda r: r["application_id"], limit, after)
        entries, more = await staff_page(
            pool, user, limit=limit, after=after, stage=stage, status=status, sector=sector,
            province=province, call_id=call_id, sort=sort,
        )  # fmt: skip
        return Page(
            items=[convert(e, ApplicationOut) for e in entries],
            next_after=str(entries[-1].application_id) if more else None,
        )

    @post(
        summary="Submit an application",
        guards=[requires_role(INVESTOR)],
        status_code=HTTP_201_CREATED,
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ApplicationIn],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ApplicationCreated]:
        """Validated against the reference data and the call's rules (422 with the field).

        With an ``Idempotency-Key`` header a retry returns the same application.
        """
        envelope_id = await _envelope_of(pool, data)

        async def create(key: str | None) -> ApplicationCreated:
            # Here, not above: a replay answers from its record, though the draft is gone.
            claim = await draft_claim(pool, user, data.draft_id)
            application_id = await applications.submit(
                store, investor_id=user.id, envelope_id=envelope_id, call_id=data.call_id,
                applicant=Applicant(**_fields(data.applicant)),
                contact=Contact(**_fields(data.contact)),
                project=Project(**_fields(data.project)), idempotency_key=key, claim=claim,
                publication=Publication(**_fields(data.public)) if data.public else None,
            )  # fmt: skip
            if data.draft_id is not None:  # its files are the application's now
                await drafts.delete_draft(pool, investor_id=user.id, draft_id=data.draft_id)
            return ApplicationCreated(application_id=application_id)

        return await created(request, pool, user, idempotency_key, create)

    @get("/{application_id:uuid}", summary="One file")
    async def show(
        self,
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
    ) -> ApplicationOut:
        """404 when it does not exist or is not the caller's to see."""
        return await visible_file(pool, user, application_id)

    @get(
        "/{application_id:uuid}/timeline",
        summary="A file's timeline",
        guards=[requires_role(INVESTOR)],
    )
    async def timeline(
        self,
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
    ) -> list[StepOut]:
        """Every step of the investor's own file, oldest first, as ``kind`` keys and parameters."""
        if await dashboard.file(pool, user.id, application_id) is None:
            raise not_found()
        return [
            convert(s, StepOut) for s in await dashboard.timeline(pool, user.id, application_id)
        ]

    @post(
        "/{application_id:uuid}/amendment",
        summary="Amend my application",
        guards=[requires_role(INVESTOR)],
        status_code=200,
    )
    async def amend(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[AmendmentIn],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """Change amendable fields, before review or in answer to a question (409 otherwise)."""
        changes = {k: v for k, v in _fields(data).items() if v is not None}
        if not changes:
            raise ProblemError(422, "invalid_value", "nothing to amend", field="changes")
        await applications.amend(
            store, application_id=application_id, investor_id=user.id, changes=changes
        )
        return ActionOut(application_id=application_id, action="amended")

    @post(
        "/{application_id:uuid}/withdrawal",
        summary="Withdraw my application",
        guards=[requires_role(INVESTOR)],
        status_code=200,
    )
    async def withdraw(
        self,
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """Before a decision only (409 afterwards)."""
        await applications.withdraw(store, application_id=application_id, investor_id=user.id)
        return ActionOut(application_id=application_id, action="withdrawn")


async def _envelope_of(pool: asyncpg.Pool, data: ApplicationIn) -> UUID:
    if data.call_id is not None:
        call = await programme.call(pool, data.call_id)
        if call is None:
            raise ProblemError(422, "unknown_reference", "no such call", field="call_id")
        return call.envelope_id
    if data.envelope_id is None:
        raise ProblemError(422, "invalid_value", "give call_id or envelope_id", field="call_id")
    return data.envelope_id


def _fields(struct: Any) -> dict[str, Any]:
    return {f: getattr(struct, f) for f in struct.__struct_fields__}
