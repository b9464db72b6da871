"""Envelopes, calls and rubrics: everyone reads them (drafts: staff only), officers change them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from domain.rubrics import Criterion
from projections import envelopes, programme
from service import programme as use_cases
from service.accounts import INVESTOR, OFFICER, User
from service.store import EventStore
from web.api.schemas import CallIn, CallOut, Created, EnvelopeIn, EnvelopeOut, RubricIn, RubricOut
from web.api.support import IdempotencyKey, convert, created, not_found
from web.common.auth import current_user, requires_role

officer_only = (requires_role(OFFICER),)


class EnvelopeController(Controller):
    """Support envelopes and what is left in them (public)."""

    path = "/envelopes"
    tags = ("programme",)

    @get(summary="Envelopes")
    async def list_envelopes(self, pool: NamedDependency[asyncpg.Pool]) -> list[EnvelopeOut]:
        """Every envelope, oldest first, with reserved, disbursed and remaining centimes."""
        return [convert(e, EnvelopeOut) for e in await envelopes.envelopes(pool)]

    @get("/{envelope_id:uuid}", summary="One envelope")
    async def show(
        self, envelope_id: FromPath[UUID], pool: NamedDependency[asyncpg.Pool]
    ) -> EnvelopeOut:
        """404 for an unknown id."""
        found = await envelopes.envelope(pool, envelope_id)
        if found is None:
            raise not_found()
        return convert(found, EnvelopeOut)

    @post(summary="Open an envelope", guards=officer_only, status_code=HTTP_201_CREATED)
    async def open(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[EnvelopeIn],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Created]:
        """Its total in centimes; honours ``Idempotency-Key``."""

        async def create(key: str | None) -> Created:
            envelope_id = await use_cases.open_envelope(
                store, name=data.name, total_centimes=data.total_centimes, idempotency_key=key
            )
            return Created(id=envelope_id)

        return await created(request, pool, user, idempotency_key, create)

    @post(
        "/{envelope_id:uuid}/closure",
        summary="Close an envelope",
        guards=officer_only,
        status_code=200,
    )
    async def close(
        self, envelope_id: FromPath[UUID], store: NamedDependency[EventStore]
    ) -> Created:
        """No new reservations; tranches and releases go on."""
        await use_cases.close_envelope(store, envelope_id=envelope_id)
        return Created(id=envelope_id)


class CallController(Controller):
    """Calls for applications (public)."""

    path = "/calls"
    tags = ("programme",)

    @get(summary="Calls")
    async def list_calls(self, pool: NamedDependency[asyncpg.Pool]) -> list[CallOut]:
        """Every call, newest first."""
        return [convert(c, CallOut) for c in await programme.calls(pool)]

    @post(summary="Open a call", guards=officer_only, status_code=HTTP_201_CREATED)
    async def open(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[CallIn],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Created]:
        """On an open envelope (409 otherwise); honours ``Idempotency-Key``."""

        async def create(key: str | None) -> Created:
            call_id = await use_cases.open_call(
                store, envelope_id=data.envelope_id, title=data.title,
                min_request_centimes=data.min_request_centimes,
                max_request_centimes=data.max_request_centimes,
                eligible_sectors=data.eligible_sectors,
                eligible_provinces=data.eligible_provinces, opens_at=data.opens_at,
                closes_at=data.closes_at, max_share_basis_points=data.max_share_basis_points,
                idempotency_key=key,
            )  # fmt: skip
            return Created(id=call_id)

        return await created(request, pool, user, idempotency_key, create)

    @post("/{call_id:uuid}/closure", summary="Close a call", guards=officer_only, status_code=200)
    async def close(self, call_id: FromPath[UUID], store: NamedDependency[EventStore]) -> Created:
        """Closing twice records nothing."""
        await use_cases.close_call(store, call_id=call_id)
        return Created(id=call_id)


class RubricController(Controller):
    """Scoring rubrics: published versions for everyone, drafts for staff."""

    path = "/rubrics"
    tags = ("programme",)

    @get(summary="Rubric versions")
    async def list_rubrics(
        self, request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
    ) -> list[RubricOut]:
        """Newest first; visitors and investors see published versions only."""
        # current_user: a staff session still owing the second factor sees what visitors see.
        user = current_user(request)
        staff = user is not None and user.role != INVESTOR
        return [
            convert(r, RubricOut)
            for r in await programme.rubrics(pool)
            if staff or r.published_at is not None
        ]

    @post(summary="Draft a rubric version", guards=officer_only, status_code=HTTP_201_CREATED)
    async def draft(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RubricIn],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Created]:
        """The Investment Charter's criteria unless ``criteria`` are given."""
        extra: dict[str, Any] = {}
        if data.criteria is not None:
            extra["criteria"] = [
                Criterion(
                    key=c.key, labels={str(k): v for k, v in c.labels.items()}, weight=c.weight
                )
                for c in data.criteria
            ]

        async def create(key: str | None) -> Created:
            rubric_id = await use_cases.draft_rubric(
                store, name=data.name, rubric_version=data.rubric_version, idempotency_key=key,
                **extra,
            )  # fmt: skip
            return Created(id=rubric_id)

        return await created(request, pool, user, idempotency_key, create)

    @post(
        "/{rubric_id:uuid}/publication",
        summary="Publish a rubric version",
        guards=officer_only,
        status_code=200,
    )
    async def publish(
        self, rubric_id: FromPath[UUID], store: NamedDependency[EventStore]
    ) -> Created:
        """Immutable from then on, and usable for scoring (weights must sum to 100)."""
        await use_cases.publish_rubric(store, rubric_id=rubric_id)
        return Created(id=rubric_id)
