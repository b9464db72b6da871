"""Public facts of each funded grant, beside the hash-chained ledger: the project's public figures,
the decision (date, mean score, whether it was an override and the chair's published
justification), tranches paid and what a cancellation or completion gave back.

Nothing personal is projected: no name, no contact, no identifier of a person; the override's
justification is published as the chair wrote it, on a form that says it holds no personal data.
Rejected and screened-out files are never projected (a rejection publishes nothing). A row exists
from submission (for its facts) but is public only once ``decided_at`` is set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from projections.projection import Projection

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import LogNotification

DDL = """
CREATE TABLE public_grants (
    application_id            uuid PRIMARY KEY,
    envelope_id               uuid        NOT NULL,
    sector                    text        NOT NULL,
    province                  text        NOT NULL,
    commune                   text        NOT NULL,
    total_investment_centimes bigint      NOT NULL,
    jobs                      integer     NOT NULL,
    jobs_women                integer     NOT NULL,
    amount_centimes           bigint      NOT NULL DEFAULT 0,
    disbursed_centimes        bigint      NOT NULL DEFAULT 0,
    released_centimes         bigint      NOT NULL DEFAULT 0,
    tranches                  integer     NOT NULL DEFAULT 0,
    decided_at                timestamptz,
    mean_score                integer,
    override                  boolean     NOT NULL DEFAULT false,
    justification             text        NOT NULL DEFAULT '',
    closed                    text,
    closed_at                 timestamptz
);
"""
SUBMIT: Final = """
INSERT INTO public_grants (application_id, envelope_id, sector, province, commune,
    total_investment_centimes, jobs, jobs_women) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
AMEND: Final = """
UPDATE public_grants SET sector = coalesce($2, sector), province = coalesce($3, province),
    commune = coalesce($4, commune),
    total_investment_centimes = coalesce($5, total_investment_centimes),
    jobs = coalesce($6, jobs), jobs_women = coalesce($7, jobs_women)
WHERE application_id = $1
"""
FUND: Final = """
UPDATE public_grants SET amount_centimes = $2, decided_at = $3, mean_score = $4, override = $5,
    justification = $6 WHERE application_id = $1
"""
PAY: Final = """
UPDATE public_grants SET disbursed_centimes = disbursed_centimes + $2, tranches = tranches + 1
WHERE application_id = $1
"""
CLOSE: Final = """
UPDATE public_grants SET closed = $2, closed_at = $3, released_centimes = $4
WHERE application_id = $1
"""
ONE: Final = "SELECT * FROM public_grants WHERE application_id = $1 AND decided_at IS NOT NULL"
OVERRIDES: Final = """
SELECT application_id FROM public_grants WHERE override AND decided_at IS NOT NULL
"""
OVERRIDE_SUMMARY: Final = """
SELECT count(*) FILTER (WHERE override) AS override_count,
       coalesce(sum(amount_centimes) FILTER (WHERE override), 0)::bigint AS override_centimes,
       count(*) FILTER (WHERE closed = 'cancelled') AS cancelled_count,
       coalesce(sum(released_centimes) FILTER (WHERE closed = 'cancelled'), 0)::bigint
           AS cancelled_released_centimes
FROM public_grants WHERE decided_at IS NOT NULL
"""


@dataclass(frozen=True, kw_only=True)
class PublicGrant:
    """What the public may know of one funded grant (amounts in centimes)."""

    application_id: UUID
    envelope_id: UUID
    sector: str
    province: str
    commune: str
    total_investment_centimes: int
    jobs: int
    jobs_women: int
    amount_centimes: int
    disbursed_centimes: int
    released_centimes: int
    tranches: int
    decided_at: dt.datetime
    mean_score: int | None
    override: bool
    justification: str
    closed: str | None
    closed_at: dt.datetime | None

    @property
    def share_basis_points(self) -> int:
        """The grant as a share of the total investment, in hundredths of a percent."""
        total = self.total_investment_centimes
        return (self.amount_centimes * 10_000 + total // 2) // total if total else 0

    @property
    def committed_centimes(self) -> int:
        """What the grant still holds of the envelope: funded, less what a closure gave back."""
        return self.amount_centimes - self.released_centimes


async def grant(pool: asyncpg.Pool, application_id: UUID) -> PublicGrant | None:
    """One funded grant's public facts, or None (not funded, or unknown)."""
    row = await pool.fetchrow(ONE, application_id)
    return PublicGrant(**dict(row)) if row else None


async def overrides(pool: asyncpg.Pool) -> set[UUID]:
    """The grants funded by an override (below the threshold, with a published justification)."""
    return {r[0] for r in await pool.fetch(OVERRIDES)}


async def override_summary(pool: asyncpg.Pool) -> dict[str, int]:
    """How many grants were overrides and their amount; cancellations and what they released."""
    return {k: int(v) for k, v in dict(await pool.fetchrow(OVERRIDE_SUMMARY)).items()}


async def _submitted(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(
        SUBMIT, e.originator_id, e.envelope_id, e.sector, e.province, e.commune,
        e.total_investment_centimes, e.jobs, e.jobs_women,
    )  # fmt: skip


async def _amended(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    c = e.changes
    await conn.execute(
        AMEND, e.originator_id, c.get("sector"), c.get("province"), c.get("commune"),
        c.get("total_investment_centimes"), c.get("jobs"), c.get("jobs_women"),
    )  # fmt: skip


async def _funded(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    justification = e.override_justification.strip()
    await conn.execute(
        FUND, e.originator_id, e.amount_centimes, e.timestamp, e.score, bool(justification),
        justification,
    )  # fmt: skip


async def _paid(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    await conn.execute(PAY, e.originator_id, e.amount_centimes)


def _closed(how: str) -> Any:
    async def handle(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
        await conn.execute(CLOSE, e.originator_id, how, e.timestamp, e.released_centimes)

    return handle


A = "grants.application:"
PROJECTION = Projection(
    name="public_grants",
    version=1,
    batched=True,  # its handlers only execute: a page sends each run of writes at once
    tables=("public_grants",),
    ddl=DDL,
    handlers={
        A + "Submitted": _submitted,
        A + "Amended": _amended,
        A + "Funded": _funded,
        A + "TrancheDisbursed": _paid,
        A + "Cancelled": _closed("cancelled"),
        A + "Completed": _closed("completed"),
    },
)


@dataclass(frozen=True, kw_only=True)
class PublicAsOf:
    """A grant's public figures as its ledger entries up to one of them left them."""

    seq: int
    occurred_at: dt.datetime
    stage: str
    granted_centimes: int
    paid_centimes: int
    given_back_centimes: int
    balance_centimes: int


def as_of(entries: list[dict[str, Any]], seq: int) -> PublicAsOf | None:
    """The public figures after entry ``seq`` of one grant's history (None if not one of them);
    the public side of time travel, read from the public ledger alone."""
    upto = [e for e in entries if e["seq"] <= seq]
    if not upto or upto[-1]["seq"] != seq:
        return None
    total = {kind: sum(e["amount_centimes"] for e in upto if e["kind"] in kinds)
             for kind, kinds in (("granted", {"funding_decision"}), ("paid", {"tranche"}),
                                 ("back", {"cancellation", "release"}))}  # fmt: skip
    return PublicAsOf(
        seq=seq, occurred_at=upto[-1]["occurred_at"], stage=upto[-1]["kind"],
        granted_centimes=total["granted"], paid_centimes=total["paid"],
        given_back_centimes=total["back"], balance_centimes=upto[-1]["balance_centimes"],
    )  # fmt: skip
