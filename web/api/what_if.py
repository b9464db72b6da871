"""The what-if comparison over the API: ``GET /api/v1/what-if`` (the chair).

Advisory only: it records nothing. Its wire types live here rather than in ``schemas.py``
because nothing else uses them.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from projections.what_if import what_if as compare
from service.accounts import CHAIR
from service.settings import Settings
from web.api.schemas import Out
from web.api.support import convert, not_found
from web.common.auth import requires_role

Policy = Literal["raw_mean", "normalised", "greedy", "optimal", "province_balanced"]


class OpenFileOut(Out, frozen=True):
    """A file that can be funded now: scores in hundredths of a point, amount in centimes."""

    application_id: UUID
    title: str
    province: str
    requested_centimes: int
    raw_score: int
    normalised_score: int


class SetApartOut(Out, frozen=True):
    """A file in review that no policy may fund yet; ``reason``: below_quorum, below_threshold."""

    application_id: UUID
    title: str
    requested_centimes: int
    review_count: int
    raw_score: int | None
    reason: str


class SelectionOut(Out, frozen=True):
    """What one policy would fund (in its order) and what would remain; ``weighted_total`` is
    the sum of score x amount that the optimal fill maximises."""

    policy: str
    funded: list[UUID]
    total_centimes: int
    remaining_centimes: int
    weighted_total: int


class WhatIfOut(Out, frozen=True):
    """One envelope's comparison of selection policies."""

    envelope_id: UUID
    remaining_centimes: int
    candidates: list[OpenFileOut]
    set_apart: list[SetApartOut]
    selections: list[SelectionOut]


@get(
    "/what-if",
    summary="Compare selection policies (advisory)",
    tags=["committee"],
    guards=[requires_role(CHAIR)],
)
async def what_if(
    pool: NamedDependency[asyncpg.Pool],
    settings: NamedDependency[Settings],
    envelope_id: FromQuery[UUID | None] = None,
    policy: Annotated[
        list[Policy] | None,
        QueryParameter(description="Policies to compare, repeated; default: all five"),
    ] = None,
) -> WhatIfOut:
    """Which files each named policy would fund from what remains; records nothing."""
    kwargs = {"policies": tuple(policy)} if policy else {}
    result = await compare(
        pool, quorum=settings.policy.review_quorum,
        threshold_hundredths=settings.policy.funding_threshold_hundredths,
        envelope_id=envelope_id, **kwargs,
    )  # fmt: skip
    if result is None:
        raise not_found()
    return WhatIfOut(
        envelope_id=result.envelope_id,
        remaining_centimes=result.remaining_centimes,
        candidates=[convert(f, OpenFileOut) for f in result.candidates],
        set_apart=[convert(f, SetApartOut) for f in result.set_apart],
        selections=[
            SelectionOut(
                policy=s.policy,
                funded=[f.application_id for f in s.funded],
                total_centimes=s.total_centimes,
                remaining_centimes=s.remaining_centimes,
                weighted_total=s.weighted_total,
            )
            for s in result.selections
        ],
    )
