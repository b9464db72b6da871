"""Given domain events, then rows: every read model over one worked scenario."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from projections import dashboard, envelopes, ledger, review_queue, statistics
from projections.chain import verify_chain
from projections.registry import ALL_PROJECTIONS
from projections.runner import ProjectionRunner
from tests.integration.projections.scenario import ENVELOPE, World
from tests.unit.domain.builders import INVESTOR, R1, R3

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

from tests.integration.projections.conftest import MAD

LAGGING = """
SELECT EXISTS (SELECT 1 FROM projection_tracking
               WHERE notification_id < (SELECT coalesce(max(notification_id), 0) FROM events))
"""


async def catch_up(pool: asyncpg.Pool, store: EventStore, seconds: float = 60) -> None:
    """Every projection up to the log's head. Readers stop at the server-wide snapshot fence,
    which another database's transaction on a shared test server can hold back for a moment:
    pass again until no projection lags (a pass that finds nothing new changes nothing)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        for projection in ALL_PROJECTIONS:
            await ProjectionRunner(pool, store, projection, page_size=7).catch_up()
        if not await pool.fetchval(LAGGING):
            return
        assert asyncio.get_running_loop().time() < deadline, "projections did not catch up"
        await asyncio.sleep(0.05)


async def test_review_queue_ranks_files_against_the_envelope(
    pool: asyncpg.Pool, store: EventStore, world: World
) -> None:
    await catch_up(pool, store)
    a1, a2, a3 = world.apps
    entries = await review_queue.queue(pool, stage="in_review")
    assert [e.application_id for e in entries] == [a1, a3, a2]
    assert [e.raw_score for e in entries] == [9000, 7000, 6000]
    assert [e.cumulative_requested_centimes for e in entries] == [
        2_500_000_00,
        5_500_000_00,
        7_500_000_00,
    ]
    assert [e.above_line for e in entries] == [True, True, False]
    assert [e.review_count for e in entries] == [2, 2, 2]
    assert [e.normalised_score for e in entries] == [9469, 6761, 5770]
    assert [e.application_id for e in await review_queue.queue(pool, sector="tourism")] == [a3]
    by_amount = await review_queue.queue(pool, sort="amount")
    assert [e.application_id for e in by_amount] == [a3, a1, a2]
    assert [a["application_id"] for a in await review_queue.assignments(pool, R3)] == []


async def test_after_decisions_every_read_model_agrees(
    pool: asyncpg.Pool, store: EventStore, world: World
) -> None:
    a1, a2, a3 = world.apps
    await world.fund(a1, 2_500_000 * MAD)
    await world.do(a1, "sign_agreement", R1, world.now())
    await world.disburse(a1, 1_000_000 * MAD)
    await world.fund(a2, 600_000 * MAD)
    await world.cancel(a1)
    await catch_up(pool, store)

    status = await envelopes.envelope(pool, ENVELOPE)
    assert status is not None
    assert (status.reserved_centimes, status.disbursed_centimes, status.remaining_centimes) == (
        600_000 * MAD, 1_000_000 * MAD, 4_400_000 * MAD,
    )  # fmt: skip

    rows = await ledger.entries(pool)
    assert [(r["kind"], r["amount_centimes"], r["balance_centimes"]) for r in rows] == [
        ("funding_decision", 2_500_000 * MAD, 3_500_000 * MAD),
        ("agreement", 2_500_000 * MAD, 3_500_000 * MAD),
        ("tranche", 1_000_000 * MAD, 3_500_000 * MAD),
        ("funding_decision", 600_000 * MAD, 2_900_000 * MAD),
        ("cancellation", 1_500_000 * MAD, 4_400_000 * MAD),
    ]
    assert rows[3]["org_kind"] == "sole_trader"
    assert rows[3]["org_name"] is None
    assert "Ouali" not in repr(rows)
    assert verify_chain(rows) is None
    assert await ledger.verify(pool) is None
    assert (await ledger.head(pool))["entry_hash"] == rows[-1]["entry_hash"]
    await pool.execute("UPDATE ledger_entries SET amount_centimes = 1 WHERE seq = 2")
    bad = await ledger.verify(pool)
    assert bad is not None
    assert bad["seq"] == 2

    summary = await statistics.summary(pool)
    assert (summary["received"], summary["decided"], summary["funded"]) == (3, 2, 1)
    assert summary["success_rate"] == 0.5
    assert summary["funded_centimes"] == 600_000 * MAD
    assert summary["median_days"] is not None
    by_province = await statistics.funded_by(pool, "province")
    assert by_province == [{"key": "zagora", "funded_count": 1, "funded_centimes": 600_000 * MAD}]

    mine = await dashboard.files(pool, INVESTOR)
    assert {f["application_id"] for f in mine} == {a1, a3}
    assert await dashboard.file(pool, INVESTOR, a2) is None
    assert await dashboard.timeline(pool, INVESTOR, a2) == []
    steps = [s.kind for s in await dashboard.timeline(pool, INVESTOR, a1)]
    assert steps == [
        "submitted", "reviewer_assigned", "reviewer_assigned", "reviewed", "reviewed",
        "funded", "agreement_signed", "tranche_disbursed", "cancelled",
    ]  # fmt: skip
    cancelled = next(f for f in mine if f["application_id"] == a1)
    assert cancelled["status"] == "cancelled"
    assert cancelled["disbursed_centimes"] == 1_000_000 * MAD
    assert [e.stage for e in await review_queue.queue(pool, stage="decided")] == ["decided"] * 2
