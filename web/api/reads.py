"""Read models over the API: the committee queue, the public ledger and statistics, users and
projections for officers."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from projections import ledger, registry, statistics
from service import accounts
from service.accounts import CHAIR, OFFICER, REVIEWER, User
from service.passwords import Passwords
from service.store import EventStore
from web.api.applications import Sort, Stage, staff_page
from web.api.schemas import (
    FundedByOut,
    LedgerEntryOut,
    LedgerHeadOut,
    Page,
    ProjectionOut,
    QueueEntryOut,
    StatisticsOut,
    UserIn,
    UserOut,
)
from web.api.session import user_out
from web.api.support import (
    MAX_BIGINT,
    After,
    Filter,
    IdempotencyKey,
    Limit,
    convert,
    created,
    page,
)
from web.common.auth import requires_role
from web.common.replica import PUBLIC_READS


@get(
    "/queue",
    summary="The committee queue",
    tags=["committee"],
    guards=[requires_role(REVIEWER, CHAIR, OFFICER)],
)
async def queue(
    user: NamedDependency[User],
    pool: NamedDependency[asyncpg.Pool],
    limit: Limit = 50,
    after: After = None,
    stage: FromQuery[Stage | None] = None,
    sector: Filter = None,
    province: Filter = None,
    call_id: FromQuery[UUID | None] = None,
    sort: FromQuery[Sort] = "score",
) -> Page[QueueEntryOut]:
    """Files with scores (hundredths of a point) and the envelope's fundable line; a reviewer
    sees only the files assigned to them."""
    entries, more = await staff_page(
        pool, user, limit=limit, after=after, stage=stage, sector=sector, province=province,
        call_id=call_id, sort=sort,
    )  # fmt: skip
    return Page(
        items=[convert(e, QueueEntryOut) for e in entries],
        next_after=str(entries[-1].application_id) if more else None,
    )


class LedgerController(Controller):
    """The public, hash-chained ledger of every funding decision and payment."""

    path = "/ledger"
    tags = ("transparency",)
    dependencies = PUBLIC_READS

    @get(summary="Ledger entries")
    async def entries(
        self,
        pool: NamedDependency[asyncpg.Pool],
        limit: Limit = 100,
        after: Annotated[
            int, QueryParameter(ge=0, le=MAX_BIGINT, description="The last seq seen")
        ] = 0,
        envelope_id: FromQuery[UUID | None] = None,
    ) -> Page[LedgerEntryOut]:
        """In chain order; organisations only, never a natural person."""
        rows = await ledger.entries(pool, envelope_id=envelope_id, after_seq=after, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(
            items=[convert(r, LedgerEntryOut) for r in rows],
            next_after=str(rows[-1]["seq"]) if more else None,
        )

    @get("/head", summary="The chain's head")
    async def head(self, pool: NamedDependency[asyncpg.Pool]) -> LedgerHeadOut:
        """The last entry's seq and hash (seq 0 and the genesis hash when empty)."""
        return convert(await ledger.head(pool), LedgerHeadOut)


@get(
    "/statistics",
    summary="Programme statistics",
    tags=["transparency"],
    dependencies=PUBLIC_READS,
)
async def programme_statistics(pool: NamedDependency[asyncpg.Pool]) -> StatisticsOut:
    """Received, decided and funded files; funded amounts by sector, province and month."""
    summary = await statistics.summary(pool)
    by: dict[str, Any] = {
        f"by_{d}": [convert(_keyed(r), FundedByOut) for r in await statistics.funded_by(pool, d)]
        for d in ("sector", "province", "month")
    }
    return StatisticsOut(**summary, **by)


def _keyed(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "key": str(row["key"])}


class UserController(Controller):
    """Accounts, for officers."""

    path = "/users"
    tags = ("administration",)
    guards = (requires_role(OFFICER),)

    @get(summary="Accounts")
    async def list_users(
        self, pool: NamedDependency[asyncpg.Pool], limit: Limit = 100, after: After = None
    ) -> Page[UserOut]:
        """Every account, by e-mail address."""
        # The service lists officers first (the admin page's order); the API promises e-mail order.
        users = sorted(await accounts.list_users(pool), key=lambda u: u.email)
        return page(users, UserOut, lambda u: u.id, limit, after)

    @post(summary="Open a staff account", status_code=HTTP_201_CREATED)
    async def create_user(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[UserIn],
        user: NamedDependency[User],
        pool: NamedDependency[asyncpg.Pool],
        passwords: NamedDependency[Passwords],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UserOut]:
        """A reviewer, chair or officer; 409 ``email_taken``, 422 for a weak password."""

        async def create(_: str | None) -> UserOut:
            made = await accounts.create_user(
                pool=pool, passwords=passwords, email=data.email,
                display_name=data.display_name, role=data.role, password=data.password,
            )  # fmt: skip
            return user_out(made)

        return await created(request, pool, user, idempotency_key, create)


@get(
    "/projections",
    summary="Read models and their lag",
    tags=["administration"],
    guards=[requires_role(OFFICER)],
)
async def projections(
    pool: NamedDependency[asyncpg.Pool], store: NamedDependency[EventStore]
) -> list[ProjectionOut]:
    """Each projection's version, lag behind the log (events and seconds) and error, if any."""
    return [convert(p, ProjectionOut) for p in await registry.status(pool, store)]
