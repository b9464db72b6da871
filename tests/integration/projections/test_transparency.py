"""The transparency log on a real PostgreSQL: publishing, signed checkpoints, the append-only
tables, and a rebuild after tampering with the event log refused (the old ledger kept, the
first diverging entry named by /healthz's status and by ``grants check``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest
import rfc8785

from domain.merkle import leaf_hash, root_of
from projections import ledger, transparency
from projections.invariants import check
from projections.rebuild import rebuild
from projections.registry import rebuild_together
from projections.transparency import LedgerDivergedError
from service import db
from service.checkpoints import Signer, open_checkpoint
from tests.integration.projections.conftest import MAD
from tests.integration.projections.test_read_models import catch_up
from tests.unit.domain.builders import OFFICER
from web.cli import main as cli

if TYPE_CHECKING:
    from service.settings import Settings
    from service.store import EventStore
    from tests.integration.projections.scenario import World

ORIGIN = "test.example/ledger"
FUNDED = "grants.application:Funded"


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
async def published(
    pool: asyncpg.Pool, store: EventStore, world: World, signer: Signer
) -> asyncpg.Pool:
    """Four entries (two decisions, an agreement, a tranche), published and checkpointed."""
    a1, a2 = list(world.apps)[:2]
    await world.fund(a1, 1_000_000 * MAD)
    await world.fund(a2, 500_000 * MAD)
    await world.do(a1, "sign_agreement", OFFICER, world.now())
    await world.disburse(a1, 400_000 * MAD)
    await catch_up(pool, store)
    done = await transparency.publish(pool, signer, ORIGIN)
    assert (done.size, done.appended, done.divergence) == (4, 4, None)
    return pool


async def test_published_entries_are_canonical_json_and_the_checkpoint_signs_their_root(
    published: asyncpg.Pool, signer: Signer
) -> None:
    rows = await published.fetch(f"SELECT {ledger.COLUMNS} FROM ledger_entries ORDER BY seq")
    log = await published.fetch("SELECT idx, entry, leaf_hash FROM ledger_log ORDER BY idx")
    for row, logged in zip(rows, log, strict=True):
        assert logged["entry"] == rfc8785.dumps(transparency.content_of(dict(row)))
        assert b"." not in logged["entry"].split(b'"occurred_at"')[0]  # no float anywhere
        assert logged["leaf_hash"] == leaf_hash(logged["entry"])
    note = (await transparency.latest_checkpoint(published) or {})["note"]
    checkpoint = open_checkpoint(note, signer.verifier, ORIGIN)
    assert checkpoint.size == 4
    assert checkpoint.root == root_of([bytes(r["leaf_hash"]) for r in log])
    assert await transparency.verify_log(published) == []


async def test_nothing_new_issues_no_checkpoint_and_new_entries_extend_the_tree(
    published: asyncpg.Pool, store: EventStore, world: World, signer: Signer
) -> None:
    again = await transparency.publish(published, signer, ORIGIN)
    assert (again.appended, again.checkpoint) == (0, None)
    await world.fund(list(world.apps)[2], 300_000 * MAD)
    await catch_up(published, store)
    grown = await transparency.publish(published, signer, ORIGIN)
    assert grown.checkpoint is not None
    assert grown.checkpoint.size == 5
    tree = await transparency.cached_tree(published)
    sizes = [c["size"] for c in await transparency.checkpoints(published)]
    assert sizes == [5, 4]
    assert tree.consistency_proof(4, 5)


async def test_proofs_at_a_size_the_fresh_tree_holds_are_answered_from_memory(
    published: asyncpg.Pool, store: EventStore, world: World, signer: Signer,
    settings: Settings, database_url: str,
) -> None:  # fmt: skip
    other = await db.create_pool(settings, database_url)
    tree = await transparency.cached_tree(other)
    await other.close()  # from now on, any query on it fails
    assert await transparency.tree_covering(other, 4) is tree  # no round trip
    with pytest.raises(asyncpg.InterfaceError):
        await transparency.tree_covering(other, 5)  # beyond the tree: the server is asked
    await world.fund(list(world.apps)[2], 300_000 * MAD)
    await catch_up(published, store)
    await transparency.publish(published, signer, ORIGIN)
    assert len(await transparency.tree_covering(published, 5)) == 5
    transparency._checked.clear()  # older than FRESH_S: compared with the server again
    with pytest.raises(asyncpg.InterfaceError):
        await transparency.tree_covering(other, 4)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_log SET entry = '\\x00' WHERE idx = 1",
        "DELETE FROM ledger_log WHERE idx = 3",
        "TRUNCATE ledger_log",
        "DELETE FROM ledger_checkpoints",
        "UPDATE ledger_checkpoints SET note = 'x'",
        "INSERT INTO ledger_log VALUES (9, '\\x00', sha256('\\x00'), 'x')",
        "INSERT INTO ledger_checkpoints VALUES (2, sha256('\\x00'), 'x')",
    ],
)
async def test_what_was_published_cannot_be_changed(
    published: asyncpg.Pool, statement: str
) -> None:
    with pytest.raises(asyncpg.PostgresError):
        await published.execute(statement)


async def _tamper(pool: asyncpg.Pool, how: str) -> None:
    funded = await pool.fetch(
        "SELECT originator_id, notification_id, tx_id FROM events WHERE topic = $1 "
        "ORDER BY notification_id",
        FUNDED,
    )
    first, second = funded[0], funded[1]
    if how == "delete":
        await pool.execute("DELETE FROM events WHERE notification_id = $1", second[1])
    elif how == "alter":  # the second decision's amount, in the stored JSON
        state = bytes(await pool.fetchval(
            "SELECT state FROM events WHERE notification_id = $1", second[1]))  # fmt: skip
        # MessagePack: the key, then 0xce and the amount as a big-endian uint32
        amount = b"\xafamount_centimes\xce" + (500_000 * MAD).to_bytes(4, "big")
        changed = state.replace(amount, amount[:-1] + b"\x01")
        assert changed != state, "the amount was not found in the stored event"
        await pool.execute(
            "UPDATE events SET state = $2 WHERE notification_id = $1", second[1], changed
        )
    else:  # reorder: the two funding decisions swap their places in the log
        cols = "originator_id, originator_version, topic, state"
        rows = await pool.fetch(
            f"SELECT {cols} FROM events WHERE notification_id = ANY($1) ORDER BY notification_id",
            [first[1], second[1]],
        )
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "DELETE FROM events WHERE notification_id = ANY($1)", [first[1], second[1]]
            )
            for row, (_, place, tx) in zip(reversed(rows), (first, second), strict=True):
                await conn.execute(
                    f"INSERT INTO events ({cols}, notification_id, tx_id) OVERRIDING SYSTEM VALUE "
                    "VALUES ($1, $2, $3, $4, $5, $6)", *row, place, tx,
                )  # fmt: skip


@pytest.mark.parametrize("how", ["delete", "alter", "reorder"])
async def test_a_rebuild_after_tampering_with_a_funding_event_is_refused(
    published: asyncpg.Pool, store: EventStore, how: str
) -> None:
    before = [dict(r) for r in await published.fetch("SELECT * FROM ledger_entries ORDER BY seq")]
    await _tamper(published, how)
    with pytest.raises(LedgerDivergedError) as refused:
        await rebuild(published, store, ledger.PROJECTION)
    assert refused.value.divergence.seq in (1, 2)
    after = [dict(r) for r in await published.fetch("SELECT * FROM ledger_entries ORDER BY seq")]
    assert after == before  # the old ledger stays served
    state = await transparency.status(published)
    assert state["consistent"] is False
    assert state["diverging_entry"] == refused.value.divergence.seq
    report = await check(published, store)
    assert any(f"ledger entry {refused.value.divergence.seq}:" in v for v in report.violations), (
        report.violations
    )


async def test_a_rebuild_of_all_refuses_the_tampered_ledger_and_swaps_the_others_in(
    published: asyncpg.Pool, store: EventStore
) -> None:
    before = [dict(r) for r in await published.fetch("SELECT * FROM ledger_entries ORDER BY seq")]
    await _tamper(published, "alter")
    await published.execute("DELETE FROM statistics_applications")  # so the swap shows
    with pytest.raises(LedgerDivergedError):
        await rebuild_together(published, store, ["statistics", "ledger"], page_size=3)
    after = [dict(r) for r in await published.fetch("SELECT * FROM ledger_entries ORDER BY seq")]
    assert after == before  # the old ledger stays served
    assert await published.fetchval("SELECT count(*) FROM statistics_applications") > 0
    assert (await transparency.status(published))["consistent"] is False


async def test_an_untampered_rebuild_is_swapped_in_and_stays_consistent(
    published: asyncpg.Pool, store: EventStore
) -> None:
    await rebuild(published, store, ledger.PROJECTION)
    assert await transparency.divergence_of_live(published) is None
    report = await check(published, store)
    assert report.ok, report.violations


async def test_the_cli_refuses_the_rebuild_and_check_names_the_entry(
    published: asyncpg.Pool,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GRANTS_DATABASE_URL", database_url)
    monkeypatch.setenv("GRANTS_DATA_DIR", str(tmp_path))
    await _tamper(published, "alter")
    capsys.readouterr()
    assert await asyncio.to_thread(cli.main, ["projections", "rebuild", "ledger"]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("grants:")]
    assert len(lines) == 1
    assert "rebuild refused" in lines[0]
    assert "ledger entry 2:" in lines[0]
    assert await asyncio.to_thread(cli.main, ["check"]) == 1
    out = capsys.readouterr().out
    assert "ledger entry 2:" in out
    assert "Traceback" not in out
