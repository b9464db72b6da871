"""The public ledger applied a page at a time: three reads and at most four writes per page.

A page's events are folded in Python over the rows they touch: the parties of the page's
applications and every envelope's balance (read with one statement each), and the chain's head.
Each decision, agreement, tranche, cancellation or release becomes an entry hashed onto the one
before it, exactly as one event at a time would have made it (same seq, same balance after it,
same hash); the new entries are written with one ``INSERT ... SELECT FROM unnest(...)`` and the
parties and balances with one upsert each. The chain is append-only: a page only ever adds
entries after the head it read, inside the caller's transaction with the tracking row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from domain.reference import SOLE_TRADER
from projections.chain import GENESIS, content_of, entry_hash

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    import asyncpg

    from service.store import LogNotification

A: Final = "grants.application:"
E: Final = "grants.envelope:"
TOPICS: Final = frozenset({
    E + "Opened", A + "Submitted", A + "Funded", A + "AgreementSigned",
    A + "TrancheDisbursed", A + "Cancelled", A + "Completed",
})  # fmt: skip
KIND: Final = {topic: topic.rpartition(":")[2] for topic in TOPICS}

PARTY_COLUMNS: Final = (
    "application_id", "envelope_id", "org_kind", "org_name", "sector", "province",
    "funded_centimes",
)  # fmt: skip
ENTRY_COLUMNS: Final = (
    "seq", "kind", "application_id", "envelope_id", "org_kind", "org_name", "sector",
    "province", "amount_centimes", "balance_centimes", "occurred_at", "prev_hash", "entry_hash",
)  # fmt: skip
LOAD_PARTIES: Final = (
    f"SELECT {', '.join(PARTY_COLUMNS)} FROM ledger_parties WHERE application_id = ANY($1::uuid[])"
)
LOAD_BALANCES: Final = "SELECT envelope_id, balance_centimes FROM ledger_balances"
LOAD_HEAD: Final = "SELECT seq, entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"
UPSERT_PARTIES: Final = """
INSERT INTO ledger_parties (application_id, envelope_id, org_kind, org_name, sector, province,
    funded_centimes)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::bigint[])
ON CONFLICT (application_id) DO UPDATE SET funded_centimes = excluded.funded_centimes
"""
UPSERT_BALANCES: Final = """
INSERT INTO ledger_balances (envelope_id, balance_centimes)
SELECT * FROM unnest($1::uuid[], $2::bigint[])
ON CONFLICT (envelope_id) DO UPDATE SET balance_centimes = excluded.balance_centimes
"""
INSERT_ENTRIES: Final = f"""
INSERT INTO ledger_entries ({", ".join(ENTRY_COLUMNS)})
SELECT * FROM unnest($1::bigint[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
    $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::timestamptz[], $12::text[],
    $13::text[])
"""

Row = dict[str, Any]


class MissingRowError(LookupError):
    """Raised when an event needs a party or a balance that no earlier event created."""


class Fold:
    """The parties, balances and chain head a page touches, changed in memory event by event."""

    def __init__(
        self,
        parties: Sequence[asyncpg.Record],
        balances: Sequence[asyncpg.Record],
        head: asyncpg.Record | None,
    ) -> None:
        self.parties: dict[UUID, Row] = {r["application_id"]: dict(r) for r in parties}
        self.balances: dict[UUID, int] = {r[0]: r[1] for r in balances}
        self.seq: int = head["seq"] if head else 0
        self.prev: str = head["entry_hash"] if head else GENESIS
        self.touched_parties: set[UUID] = set()
        self.touched_balances: set[UUID] = set()
        self.entries: list[tuple[Any, ...]] = []

    def apply(self, topic: str, e: Any) -> None:
        """One event's effect, as the per-event handlers had it."""
        kind = KIND[topic]
        if kind == "Opened":
            self.balances[e.originator_id] = e.total_centimes
            self.touched_balances.add(e.originator_id)
        elif kind == "Submitted":
            self._submitted(e)
        elif kind == "Funded":
            party = self._party(e)
            party["funded_centimes"] = e.amount_centimes
            self.touched_parties.add(e.originator_id)
            self._append("funding_decision", party, e.amount_centimes, e, -e.amount_centimes)
        elif kind == "AgreementSigned":
            party = self._party(e)
            self._append("agreement", party, party["funded_centimes"], e, 0)
        elif kind == "TrancheDisbursed":
            # a tranche moves money from reserved to disbursed: the free balance does not change
            self._append("tranche", self._party(e), e.amount_centimes, e, 0)
        elif kind == "Cancelled":
            released = e.released_centimes
            self._append("cancellation", self._party(e), released, e, released)
        elif kind == "Completed" and e.released_centimes:
            released = e.released_centimes
            self._append("release", self._party(e), released, e, released)

    def _submitted(self, e: Any) -> None:
        sole = e.applicant_kind == SOLE_TRADER
        self.parties[e.originator_id] = {
            "application_id": e.originator_id, "envelope_id": e.envelope_id,
            "org_kind": e.applicant_kind, "org_name": None if sole else e.company_name,
            "sector": e.sector, "province": e.province, "funded_centimes": 0,
        }  # fmt: skip
        self.touched_parties.add(e.originator_id)

    def _party(self, e: Any) -> Row:
        party = self.parties.get(e.originator_id)
        if party is None:
            raise MissingRowError(f"no ledger party for application {e.originator_id}")
        return party

    def _append(self, kind: str, party: Row, amount: int, e: Any, move: int) -> None:
        envelope = party["envelope_id"]
        if envelope not in self.balances:
            raise MissingRowError(f"no ledger balance for envelope {envelope}")
        balance = self.balances[envelope] + move
        self.balances[envelope] = balance
        self.touched_balances.add(envelope)
        self.seq += 1
        row = {
            "seq": self.seq, "kind": kind, "application_id": party["application_id"],
            "envelope_id": envelope, "org_kind": party["org_kind"],
            "org_name": party["org_name"], "sector": party["sector"],
            "province": party["province"], "amount_centimes": amount,
            "balance_centimes": balance, "occurred_at": e.timestamp,
        }  # fmt: skip
        digest = entry_hash(self.prev, content_of(row))
        self.entries.append((*row.values(), self.prev, digest))
        self.prev = digest


async def apply_page(
    conn: asyncpg.Connection, events: Sequence[tuple[Any, LogNotification]], *, settle: bool
) -> None:
    """Apply a page of the ledger's events: three reads, then one write per table touched.

    ``settle`` does not matter here: nothing in the ledger depends on the whole table.
    """
    apps = list({e.originator_id for e, n in events if n.topic.startswith(A)})
    fold = Fold(
        await conn.fetch(LOAD_PARTIES, apps),
        await conn.fetch(LOAD_BALANCES),
        await conn.fetchrow(LOAD_HEAD),
    )
    for e, n in events:
        fold.apply(n.topic, e)
    if fold.touched_parties:
        rows = [fold.parties[a] for a in sorted(fold.touched_parties)]
        await conn.execute(UPSERT_PARTIES, *_columns(rows, PARTY_COLUMNS))
    if fold.touched_balances:
        ids = sorted(fold.touched_balances)
        await conn.execute(UPSERT_BALANCES, ids, [fold.balances[i] for i in ids])
    if fold.entries:
        await conn.execute(INSERT_ENTRIES, *(list(c) for c in zip(*fold.entries, strict=True)))


def _columns(rows: Sequence[Row], columns: Sequence[str]) -> list[list[Any]]:
    return [[r[c] for r in rows] for c in columns]
