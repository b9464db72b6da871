"""The committee's and the officers' commands on a file, under ``/api/v1/applications/{id}``.

Officers screen, ask questions, assign reviewers, sign agreements, pay tranches and cancel;
reviewers declare conflicts and score the files assigned to them; the chair funds, rejects and
records overrides. A reviewer acting on a file they may not see gets a 404, as for a missing one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from domain.fact_criteria import fact_scores
from projections import programme, review_queue
from service import applications, decisions
from service.accounts import CHAIR, OFFICER, REVIEWER, User
from service.settings import Settings
from service.store import EventStore
from web.api.schemas import (
    ActionOut,
    AssignmentIn,
    ConflictIn,
    FundingIn,
    FundingOut,
    OverrideIn,
    QuestionIn,
    ReasonIn,
    ReviewIn,
    ReviewOut,
    TrancheIn,
)
from web.api.support import IdempotencyKey, ProblemError, created, not_found
from web.common.auth import requires_role

ID = "/{application_id:uuid}"


def _done(application_id: UUID, action: str) -> ActionOut:
    return ActionOut(application_id=application_id, action=action)


async def _require_assigned(pool: asyncpg.Pool, reviewer: User, application_id: UUID) -> None:
    """A reviewer acts only on files assigned to them and not conflicted (404 otherwise)."""
    rows = await review_queue.assignments(pool, reviewer.id)
    if not any(r["application_id"] == application_id for r in rows):
        raise not_found()


class OfficerCommands(Controller):
    """What programme officers do to a file."""

    path = "/applications"
    tags = ("committee",)
    guards = (requires_role(OFFICER),)

    @post(ID + "/information-request", summary="Ask the investor a question", status_code=200)
    async def request_information(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[QuestionIn],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """The file waits for the investor's amendment."""
        await applications.request_information(
            store, application_id=application_id, by=user.id, question=data.question
        )
        return _done(application_id, "information_requested")

    @post(ID + "/screen-out", summary="Screen the file out", status_code=200)
    async def screen_out(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """Ineligible before review, with the reason the investor will read."""
        await applications.screen_out(
            store, application_id=application_id, by=user.id, reason=data.reason
        )
        return _done(application_id, "screened_out")

    @post(ID + "/assignments", summary="Assign a reviewer", status_code=HTTP_201_CREATED)
    async def assign(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[AssignmentIn],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """Assigning the same reviewer again records nothing; a conflicted one is refused (409)."""
        await applications.assign_reviewer(
            store, application_id=application_id, reviewer_id=data.reviewer_id, by=user.id
        )
        return _done(application_id, "reviewer_assigned")

    @post(ID + "/agreement", summary="Record the signed agreement", status_code=200)
    async def sign(
        self,
        application_id: FromPath[UUID],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """Only for a funded file."""
        await decisions.sign_agreement(store, application_id=application_id, by=user.id)
        return _done(application_id, "agreement_signed")

    @post(ID + "/tranches", summary="Pay a tranche", status_code=HTTP_201_CREATED)
    async def disburse(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        data: JSONBody[TrancheIn],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ActionOut]:
        """Never beyond what is funded (422). Send an ``Idempotency-Key``: paying twice costs."""

        async def pay(key: str | None) -> ActionOut:
            await decisions.disburse(
                store, application_id=application_id, amount_centimes=data.amount_centimes,
                by=user.id, idempotency_key=key,
            )  # fmt: skip
            return _done(application_id, "tranche_disbursed")

        return await created(request, pool, user, idempotency_key, pay)

    @post(ID + "/cancellation", summary="Cancel the grant", status_code=200)
    async def cancel(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """What was not disbursed goes back to the envelope."""
        await decisions.cancel(store, application_id=application_id, by=user.id, reason=data.reason)
        return _done(application_id, "cancelled")


class ReviewerCommands(Controller):
    """What a reviewer does to a file assigned to them."""

    path = "/applications"
    tags = ("committee",)
    guards = (requires_role(REVIEWER),)

    @post(ID + "/conflict", summary="Declare a conflict of interest", status_code=200)
    async def conflict(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[ConflictIn],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """From then on the file is hidden from this reviewer and their scores do not count; the
        reason (required) is shown to the chair and the officers, never published."""
        await _require_assigned(pool, user, application_id)
        await applications.declare_conflict(
            store, application_id=application_id, reviewer_id=user.id, reason=data.reason
        )
        return _done(application_id, "conflict_declared")

    @post(ID + "/reviews", summary="Score the file", status_code=HTTP_201_CREATED)
    async def review(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[ReviewIn],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
    ) -> ReviewOut:
        """Against the published rubric (or ``rubric_id``); a second review supersedes the first.

        Criteria that are facts of the file (province category, priority sector) are scored from
        the file, as on the score form: values sent for them are replaced (they may be left out).
        """
        await _require_assigned(pool, user, application_id)
        rubric = (
            await programme.published_rubric(pool)
            if data.rubric_id is None
            else await programme.rubric(pool, data.rubric_id)
        )
        if rubric is None:
            raise ProblemError(409, "rubric_not_published", "no rubric is published yet")
        file = await review_queue.file(pool, application_id)
        keys = frozenset(c["key"] for c in rubric.criteria)
        facts = (
            fact_scores(keys, province_key=file["province"], sector_key=file["sector"])
            if file else {}
        )  # fmt: skip
        score = await applications.review(
            store, application_id=application_id, reviewer_id=user.id,
            rubric_id=rubric.rubric_id, scores={**data.scores, **facts}, comment=data.comment,
        )  # fmt: skip
        return ReviewOut(application_id=application_id, weighted_score=score)


class ChairCommands(Controller):
    """The chair's decisions."""

    path = "/applications"
    tags = ("committee",)
    guards = (requires_role(CHAIR),)

    @post(ID + "/funding", summary="Fund the file", status_code=HTTP_200_OK)
    async def fund(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[FundingIn],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
        settings: NamedDependency[Settings],
    ) -> FundingOut:
        """Reserves the amount in the envelope atomically; 409 when it does not fit or the
        quorum or score threshold is not met."""
        funding = await decisions.fund(
            store, application_id=application_id, decided_by=user.id,
            amount_centimes=data.amount_centimes, note=data.note, policy=settings.policy,
        )  # fmt: skip
        return FundingOut(**_fields(funding))

    @post(ID + "/override", summary="Fund below the threshold, justified", status_code=200)
    async def override(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[OverrideIn],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
        settings: NamedDependency[Settings],
    ) -> FundingOut:
        """A funding decision the score alone would not allow; the justification is recorded."""
        funding = await decisions.fund(
            store, application_id=application_id, decided_by=user.id,
            amount_centimes=data.amount_centimes, note=data.note,
            override_justification=data.justification, policy=settings.policy,
        )  # fmt: skip
        return FundingOut(**_fields(funding))

    @post(ID + "/rejection", summary="Reject the file", status_code=200)
    async def reject(
        self,
        application_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        user: NamedDependency[User],
        store: NamedDependency[EventStore],
    ) -> ActionOut:
        """With the reason the investor will read."""
        await decisions.reject(
            store, application_id=application_id, decided_by=user.id, reason=data.reason
        )
        return _done(application_id, "rejected")


def _fields(value: Any) -> dict[str, Any]:
    return {
        k: getattr(value, k) for k in ("application_id", "amount_centimes", "remaining_centimes")
    }
