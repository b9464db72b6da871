"""The transparency log over the API: canonical entries, inclusion and consistency proofs.

Everything here is public and, once a tree size is published, immutable: answers name the
exact size they are for and may be kept by any cache for a year. Hashes are base64.

Read from the streaming replica when one is configured (``web.common.replica``), under the rule
of every public read: never older than what the client was shown. A request also says what its
client has seen in its parameters: a proof up to size ``n`` or entries up to ``end`` that the
replica has not replayed yet are read on the primary (a witness holding a checkpoint from the
primary is not answered "beyond the log" by a replica a few milliseconds behind).
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from domain.merkle import ProofError, Tree
from projections import transparency
from web.common.errors import ProblemError
from web.common.replica import PUBLIC_READS, primary_instead

MAX_ENTRIES = 1000
IMMUTABLE = {"cache-control": "public, max-age=31536000, immutable"}
Index = Annotated[int, QueryParameter(ge=0, le=2**53, description="A leaf index (from 0)")]
Size = Annotated[int, QueryParameter(ge=0, le=2**53, description="A tree size")]


class LogEntryOut(msgspec.Struct, kw_only=True):
    """One published entry: its index, the exact bytes that are hashed, and those bytes read."""

    index: int
    leaf_input: str  # base64 of the RFC 8785 canonical JSON (SHA-256(0x00 || these) is the leaf)
    entry: dict[str, Any]


class EntriesOut(msgspec.Struct, kw_only=True):
    """Entries ``start <= index < end``."""

    start: int
    end: int
    entries: list[LogEntryOut]


class InclusionOut(msgspec.Struct, kw_only=True):
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` (audit path, leaf up)."""

    index: int
    size: int
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyOut(msgspec.Struct, kw_only=True):
    """RFC 9162 consistency proof that the tree of ``from`` is a prefix of the tree of ``to``."""

    from_size: int = msgspec.field(name="from")
    to_size: int = msgspec.field(name="to")
    from_root: str
    to_root: str
    proof: list[str]


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _refuse(code: str, detail: str) -> ProblemError:
    return ProblemError(422, code, detail)


async def _tree(
    request: Request[Any, Any, Any], pool: asyncpg.Pool, size: int
) -> tuple[Tree, asyncpg.Pool]:
    """The published tree and the pool it was read from: the primary instead of a replica that
    has fewer than ``size`` entries (the request names a size its client has seen)."""
    fresh_s = request.app.state.settings.ledger_tree_fresh_seconds
    tree = await transparency.tree_covering(pool, size, fresh_s)
    if len(tree) < size and (primary := primary_instead(request)) is not None:
        return await transparency.tree_covering(primary, size, fresh_s), primary
    return tree, pool


class TransparencyController(Controller):
    """The ledger as an RFC 9162 transparency log."""

    path = "/ledger"
    tags = ("transparency",)
    dependencies = PUBLIC_READS

    @get("/entries", summary="Published log entries")
    async def entries(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        start: Index,
        end: Size,
    ) -> Response[EntriesOut]:
        """Entries ``start <= index < end`` (at most 1,000), in their canonical bytes."""
        tree, pool = await _tree(request, pool, end)
        if not start < end <= len(tree):
            raise _refuse("bad_range", f"need start < end <= {len(tree)} (the log's size)")
        if end - start > MAX_ENTRIES:
            raise _refuse("range_too_large", f"at most {MAX_ENTRIES} entries per request")
        rows = await transparency.published_entries(pool, start, end)
        out = [LogEntryOut(index=i, leaf_input=_b64(e), entry=json.loads(e)) for i, e in rows]
        return Response(EntriesOut(start=start, end=end, entries=out), headers=IMMUTABLE)

    @get("/proof/inclusion", summary="Inclusion proof")
    async def inclusion(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        index: Index,
        size: Size,
    ) -> Response[InclusionOut]:
        """The audit path of entry ``index`` in the tree of ``size`` entries."""
        tree, _ = await _tree(request, pool, size)
        try:
            proof = tree.inclusion_proof(index, size)
        except ProofError as error:
            raise _refuse("bad_proof_request", f"{error} (the log has {len(tree)})") from None
        out = InclusionOut(
            index=index, size=size, leaf_hash=_b64(tree.levels[0][index]),
            root=_b64(tree.root(size)), proof=[_b64(h) for h in proof],
        )  # fmt: skip
        return Response(out, headers=IMMUTABLE)

    @get("/proof/consistency", summary="Consistency proof")
    async def consistency(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        from_size: Annotated[int, QueryParameter(name="from", ge=1, le=2**53)],
        to_size: Annotated[int, QueryParameter(name="to", ge=1, le=2**53)],
    ) -> Response[ConsistencyOut]:
        """How the tree of ``from`` entries is a prefix of the tree of ``to`` entries."""
        tree, _ = await _tree(request, pool, to_size)
        try:
            proof = tree.consistency_proof(from_size, to_size)
        except ProofError as error:
            raise _refuse("bad_proof_request", f"{error} (the log has {len(tree)})") from None
        out = ConsistencyOut(
            from_size=from_size, to_size=to_size, from_root=_b64(tree.root(from_size)),
            to_root=_b64(tree.root(to_size)), proof=[_b64(h) for h in proof],
        )  # fmt: skip
        return Response(out, headers=IMMUTABLE)
