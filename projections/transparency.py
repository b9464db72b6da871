"""The ledger as a transparency log: published entries, the Merkle tree, signed checkpoints.

The ledger projection (:mod:`projections.ledger`) may be rebuilt from the event log at any time;
what has been *published* may not change. :func:`publish` appends the projection's new entries to
``ledger_log`` (append-only, enforced by triggers) as RFC 8785 canonical JSON with their RFC 9162
leaf hashes, and issues a signed checkpoint (C2SP tlog-checkpoint) when the tree grew.

Before anything is appended, and before a rebuilt projection may replace the live one, the
projection must extend the published log: its chain hash (:mod:`projections.chain`, which is
kept for this) at the log's last entry must equal the one recorded there. Equal chain hashes at
entry n mean equal first n entries, so the check is one comparison, and a binary search over the
chain finds the first diverging entry when it fails. The checkpoints were signed over the
published leaves, so a projection that extends the log is consistent with every checkpoint.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import rfc8785

from domain.merkle import Tree, leaf_hash
from projections.chain import content_of
from projections.projection import SwapRefusedError
from service.checkpoints import Checkpoint

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import asyncpg

    from service.checkpoints import Signer

logger = logging.getLogger(__name__)

PUBLISH_LOCK = "SELECT pg_advisory_xact_lock(hashtext('ledger:publish'))"
LOG_SIZE = "SELECT coalesce(max(idx) + 1, 0) FROM public.ledger_log"
LOG_CHAIN = "SELECT chain_hash FROM public.ledger_log WHERE idx = $1"
HEAD = "SELECT coalesce((SELECT entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1), '')"
ENTRY_CHAIN = "SELECT entry_hash FROM ledger_entries WHERE seq = $1"
NEW_ENTRIES = "SELECT * FROM ledger_entries WHERE seq > $1 ORDER BY seq"
APPEND = """
INSERT INTO public.ledger_log (idx, entry, leaf_hash, chain_hash)
SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::text[])
"""
LATEST = (
    "SELECT size, root, note, issued_at FROM public.ledger_checkpoints ORDER BY size DESC LIMIT 1"
)
#: No cursor is the widest bigint, not ``$1 IS NULL OR``: see service.store.SELECT_EVENTS.
HISTORY = """
SELECT size, root, note, issued_at FROM public.ledger_checkpoints
WHERE size < coalesce($1::bigint, 9223372036854775807) ORDER BY size DESC LIMIT $2
"""
ISSUE = "INSERT INTO public.ledger_checkpoints (size, root, note) VALUES ($1, $2, $3)"
ENTRIES = "SELECT idx, entry FROM public.ledger_log WHERE idx >= $1 AND idx < $2 ORDER BY idx"
RECORD = """
INSERT INTO public.ledger_consistency (id, consistent, diverging_seq, problem, checked_at)
VALUES (true, $1, $2, $3, now())
ON CONFLICT (id) DO UPDATE SET consistent = $1, diverging_seq = $2, problem = $3, checked_at = now()
"""
STATUS = "SELECT consistent, diverging_seq, problem, checked_at FROM public.ledger_consistency"


def entry_bytes(row: Mapping[str, Any]) -> bytes:
    """The published form of a ledger row: RFC 8785 canonical JSON of its public fields."""
    return rfc8785.dumps(content_of(row))


#: New entries encoded per turn of the event loop (about 5 ms of CPU; see :func:`_encoded`).
ENCODE_CHUNK: Final = 32


async def _encoded(rows: Sequence[Mapping[str, Any]]) -> list[bytes]:
    """The rows' published forms, letting the event loop run between chunks.

    Encoding takes about 0.17 ms of CPU an entry, in pure Python: after a second of 300
    funding decisions a tick encoded 300 entries in one 50 ms stretch, during which the
    process's decisions (their envelope lock held by one of them) could not move.
    """
    entries: list[bytes] = []
    for start in range(0, len(rows), ENCODE_CHUNK):
        if start:
            await asyncio.sleep(0)
        entries.extend(entry_bytes(r) for r in rows[start : start + ENCODE_CHUNK])
    return entries


@dataclass(frozen=True)
class Divergence:
    """The first entry where the ledger projection no longer gives what was published."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"ledger entry {self.seq}: {self.problem}"


class LedgerDivergedError(SwapRefusedError):
    """Raised when a rebuilt ledger would not extend the published log (the swap is refused)."""

    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence
        super().__init__(f"rebuild refused, it would rewrite the published ledger: {divergence}")


async def divergence(conn: asyncpg.Connection) -> Divergence | None:
    """Whether ``ledger_entries`` (as the search path finds it) extends the published log."""
    size = await conn.fetchval(LOG_SIZE)
    if size == 0 or await _same_prefix(conn, size):
        return None
    low, high = 1, size  # the first seq whose chain differs lies in [low, high]
    while low < high:
        mid = (low + high) // 2
        if await _same_prefix(conn, mid):
            low = mid + 1
        else:
            high = mid
    if await conn.fetchval(ENTRY_CHAIN, low) is None:
        return Divergence(low, "published, but the event log no longer gives it")
    return Divergence(low, "differs from the published entry (altered, reordered or removed)")


async def divergence_of_live(pool: asyncpg.Pool) -> Divergence | None:
    """Whether the live ``ledger_entries`` extends the published log."""
    async with pool.acquire() as conn:
        return await divergence(conn)


async def _same_prefix(conn: asyncpg.Connection, seq: int) -> bool:
    mine = await conn.fetchval(ENTRY_CHAIN, seq)
    return mine is not None and mine == await conn.fetchval(LOG_CHAIN, seq - 1)


async def record(conn: asyncpg.Connection | asyncpg.Pool, found: Divergence | None) -> None:
    """Remember whether the ledger is consistent with what was published (for /healthz)."""
    if found is None:
        await conn.execute(RECORD, True, None, None)
    else:
        await conn.execute(RECORD, False, found.seq, found.problem)


async def status(pool: asyncpg.Pool) -> dict[str, Any]:
    """The last consistency finding: ``{"consistent": bool, ...}`` (consistent if never checked)."""
    row = await pool.fetchrow(STATUS)
    if row is None or row["consistent"]:
        return {"consistent": True}
    return {"consistent": False, "diverging_entry": row["diverging_seq"], "problem": row["problem"]}


async def check_rebuilt(conn: asyncpg.Connection) -> None:
    """The guard a ledger rebuild runs before its swap (search path on the rebuilt tables)."""
    found = await divergence(conn)
    if found is not None:
        raise LedgerDivergedError(found)


async def rebuild_refused(pool: asyncpg.Pool, error: SwapRefusedError) -> None:
    """Record a refused rebuild, so that /healthz and ``grants check`` report it."""
    if isinstance(error, LedgerDivergedError):
        logger.error("%s", error)
        await record(pool, error.divergence)


@dataclass(frozen=True)
class Published:
    """What one :func:`publish` did."""

    size: int
    appended: int
    checkpoint: Checkpoint | None
    divergence: Divergence | None = None


async def publish(pool: asyncpg.Pool, signer: Signer, origin: str) -> Published:
    """Append the projection's new entries to the log and sign a checkpoint if it grew."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(PUBLISH_LOCK)
        size = await conn.fetchval(LOG_SIZE)
        found = await divergence(conn)
        await record(conn, found)
        if found is not None:
            logger.error("ledger not published: %s", found)
            return Published(size, 0, None, found)
        rows = await conn.fetch(NEW_ENTRIES, size)
        if rows:
            entries = await _encoded(rows)
            idx = [r["seq"] - 1 for r in rows]
            chains = [r["entry_hash"] for r in rows]
            await conn.execute(APPEND, idx, entries, [leaf_hash(e) for e in entries], chains)
        tree = await cached_tree(conn)
        latest = await conn.fetchrow(LATEST)
        if latest is not None and latest["size"] >= len(tree):
            return Published(len(tree), len(rows), None)
        checkpoint = Checkpoint(origin, len(tree), tree.root())
        await conn.execute(ISSUE, checkpoint.size, checkpoint.root, signer.sign(checkpoint.text))
        return Published(len(tree), len(rows), checkpoint)


async def run_publisher(
    pool: asyncpg.Pool, signer: Signer, origin: str, *, every_s: float, stop: asyncio.Event
) -> None:
    """Publish when the ledger moved, looking every ``every_s`` seconds: the changes of one
    interval share one checkpoint (debounced), and a quiet ledger costs one indexed read."""
    published_at: Any = None
    while not stop.is_set():
        try:
            head = await pool.fetchval(HEAD)
            if head != published_at or published_at is None:
                done = await publish(pool, signer, origin)
                published_at = head if done.divergence is None else None
        except (OSError, TimeoutError) as error:
            logger.warning("ledger publishing failed, will retry: %s", error)
        except Exception:
            logger.exception("ledger publishing failed, will retry")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(every_s, 0.05))


#: The published tree per server and database (see :func:`cached_tree`), extended with new
#: leaves as they appear. No lock: a leaf is appended only at its own index, so concurrent
#: readers cannot add one twice.
_trees: dict[str, Tree] = {}
#: Which server a pool or connection (by ``id``) answered from last: a guess that saves a round
#: trip, checked by every read. A wrong guess (an id reused, a failover) costs one more round
#: trip, no more.
_guesses: dict[int, str] = {}
#: When each tree was last compared with its server (``time.monotonic()``).
_checked: dict[str, float] = {}
#: How long :func:`tree_covering` answers from memory without asking the server (default).
FRESH_S = 1.0
#: Identifies the server, its role and the database: a streaming replica has the primary's
#: database names, ports and content, not its start time nor its recovery state, and a replica
#: promoted by a failover gets its own tree. Behind one name it is one server's own log.
SERVER_KEY = """
SELECT concat_ws(' ', pg_postmaster_start_time(), CASE WHEN pg_is_in_recovery() THEN 'replica'
                 ELSE 'primary' END, inet_server_addr(), current_setting('port'), current_database())
"""
#: The same key (written out again: SQL is never assembled from strings) with the new leaves.
LEAVES_AND_SERVER = """
SELECT concat_ws(' ', pg_postmaster_start_time(), CASE WHEN pg_is_in_recovery() THEN 'replica'
                 ELSE 'primary' END, inet_server_addr(), current_setting('port'), current_database())
       AS server, l.idx, l.leaf_hash
FROM (SELECT 1) AS one LEFT JOIN public.ledger_log AS l ON l.idx >= $1 ORDER BY l.idx
"""


async def cached_tree(conn: asyncpg.Connection | asyncpg.Pool) -> Tree:
    """The Merkle tree of the published log on the server ``conn`` reads from (read once, then
    only new leaves are read).

    The cache is keyed by server and role first (:data:`SERVER_KEY`), so the primary and a replica
    behind it, which may be at different sizes, never serve each other's tree. The cached last
    leaf is read again with the new ones: if it differs (a restored log), the tree is read again.
    """
    key = _guesses.get(id(conn))
    if key is None:  # a connection or pool not seen yet: ask which server it is (cheap)
        key = _remember(conn, await conn.fetchval(SERVER_KEY))
    tree = _trees.get(key) or Tree()
    rows = await conn.fetch(LEAVES_AND_SERVER, max(len(tree) - 1, 0))
    if rows[0]["server"] != key:  # the guess was wrong: read with that server's own tree
        key = _remember(conn, rows[0]["server"])
        tree = _trees.get(key) or Tree()
        rows = await conn.fetch(LEAVES_AND_SERVER, max(len(tree) - 1, 0))
    leaves = [r for r in rows if r["idx"] is not None]
    if len(tree) and (not leaves or leaves[0]["leaf_hash"] != tree.levels[0][-1]):
        tree = Tree()
        leaves = [r for r in await conn.fetch(LEAVES_AND_SERVER, 0) if r["idx"] is not None]
    for row in leaves:
        if row["idx"] == len(tree):
            tree.append(bytes(row["leaf_hash"]))
    _trees[key] = tree
    _checked[key] = time.monotonic()
    return tree


def _remember(conn: object, key: str) -> str:
    if len(_guesses) > 256:  # pools are few; the connections of a pool come and go
        _guesses.clear()
    _guesses[id(conn)] = key
    return key


async def tree_covering(pool: asyncpg.Pool, size: int, fresh_s: float = FRESH_S) -> Tree:
    """A published tree of at least ``size`` leaves when the server has one: from memory when
    the tree cached for ``pool``'s server holds them and was compared with the server less than
    ``fresh_s`` ago, else :func:`cached_tree` (one round trip).

    Sound because a proof, an entry or a root at size ``n`` depends only on the first ``n``
    leaves, which never change once published (triggers refuse it; a rewrite is caught by the
    next comparison, within ``fresh_s``). It takes the database round trip off the proofs' path
    (``python -m bench.ledger_http`` measures both, side by side)."""
    key = _guesses.get(id(pool), "")
    tree = _trees.get(key)
    fresh = time.monotonic() - _checked.get(key, -math.inf) < fresh_s
    if tree is not None and len(tree) >= size and fresh:
        return tree
    return await cached_tree(pool)


async def verify_log(pool: asyncpg.Pool) -> list[str]:
    """Problems with the published log itself: leaves that are not their entries' hashes,
    checkpoints whose root the leaves do not give, a recorded divergence."""
    problems: list[str] = []
    tree = Tree()
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        async for row in conn.cursor("SELECT * FROM public.ledger_log ORDER BY idx"):
            if leaf_hash(bytes(row["entry"])) != bytes(row["leaf_hash"]) and not problems:
                problems.append(f"entry {row['idx'] + 1}: its leaf hash is not its entry's")
            tree.append(bytes(row["leaf_hash"]))
        for row in await conn.fetch("SELECT size, root FROM public.ledger_checkpoints"):
            if row["size"] > len(tree) or tree.root(row["size"]) != bytes(row["root"]):
                problems.append(f"checkpoint {row['size']}: the published entries do not give it")
    state = await status(pool)
    if not state["consistent"]:
        problems.append(f"entry {state['diverging_entry']}: {state['problem']}")
    return problems


def checkpoint_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint row as the API gives it (root in base64, instant in UTC)."""
    issued: dt.datetime = row["issued_at"]
    return {
        "size": row["size"],
        "root": base64.b64encode(row["root"]).decode(),
        "note": row["note"],
        "issued_at": issued.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


async def latest_checkpoint(pool: asyncpg.Pool) -> dict[str, Any] | None:
    """The newest signed checkpoint, or None before the first."""
    row = await pool.fetchrow(LATEST)
    return checkpoint_row(row) if row else None


async def checkpoints(
    pool: asyncpg.Pool, *, below: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Checkpoints newest first, ``limit`` at a time (``below``: sizes under this one)."""
    return [checkpoint_row(r) for r in await pool.fetch(HISTORY, below, limit)]


async def published_entries(pool: asyncpg.Pool, start: int, end: int) -> list[tuple[int, bytes]]:
    """Published entries ``start <= index < end`` with their canonical bytes."""
    return [(r["idx"], bytes(r["entry"])) for r in await pool.fetch(ENTRIES, start, end)]
