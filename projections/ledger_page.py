"""The public ledger applied a page at a time: three reads and at most four writes per page.

A page's events are folded in Python over the rows they touch: the parties of the page's
applications and every envelope's balance (read with one statement each), and the chain's head.
Each decision, agreement, tranche, cancellation or release becomes an entry hashed onto the one
before it, exactly as one event at a time would have made it (same seq, same balance after it,
same hash); the new entries are written with one ``INSERT`` and the parties and balances with one
upsert each, every table's rows as one JSON parameter (:mod:`projections.page_sql`). The chain is append-only: a page only ever adds
entries after the head it read, inside the caller's transaction with the tracking row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from domain.reference import SOLE_TRADER
from projections import page_sql
from projections.chain import GENESIS, row_hash

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
PARTY_TYPES: Final = ("uuid", "uuid", "text", "text", "text", "text", "bigint")
ENTRY_TYPES: Final = ("bigint", "text", "uuid", "uuid", "text", "text", "text", "text", "bigint",
                      "bigint", "timestamptz", "text", "text")  # fmt: skip
UPSERT_PARTIES: Final = page_sql.insert(
    "ledger_parties", dict(zip(PARTY_COLUMNS, PARTY_TYPES, strict=True)), "application_id",
    ("funded_centimes",),
)  # fmt: skip
UPSERT_BALANCES: Final = page_sql.insert(
    "ledger_balances", {"envelope_id": "uuid", "balance_centimes": "bigint"}, "envelope_id",
    ("balance_centimes",),
)  # fmt: skip
#: Append-only: a page only adds entries after the head it read (a clash is an error).
INSERT_ENTRIES: Final = page_sql.insert(
    "ledger_entries", dict(zip(ENTRY_COLUMNS, ENTRY_TYPES, strict=True))
)

Row = dict[str, Any]
#: Parties a rebuild holds in memory before it lets them go (:class:`Resident`).
RESIDENT_PARTIES: Final = 50_000


class MissingRowError(LookupError):
    """Raised when an event needs a party or a balance that no earlier event created."""


class Fold:
    """The parties, balances and chain head a page touches, changed in memory event by event."""

    def __init__(
        self, parties: dict[UUID, Row], balances: dict[UUID, int], seq: int, prev: str
    ) -> None:
        self.parties = parties
        self.balances = balances
        self.seq = seq
        self.prev = prev
        self.touched_parties: set[UUID] = set()
        self.touched_balances: set[UUID] = set()
        self.entries: list[Row] = []

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
        digest = row_hash(self.prev, row)
        self.entries.append(row | {"prev_hash": self.prev, "entry_hash": digest})
        self.prev = digest


async def apply_page(
    conn: asyncpg.Connection, events: Sequence[tuple[Any, LogNotification]], *, settle: bool
) -> None:
    """Apply a page of the ledger's events: three reads, then one write per table touched.

    ``settle`` does not matter here: nothing in the ledger depends on the whole table.
    """
    apps = list({e.originator_id for e, n in events if n.topic.startswith(A)})
    parties = {r["application_id"]: dict(r) for r in await conn.fetch(LOAD_PARTIES, apps)}
    balances = {r[0]: r[1] for r in await conn.fetch(LOAD_BALANCES)}
    head = await conn.fetchrow(LOAD_HEAD)
    fold = Fold(parties, balances, *((head["seq"], head["entry_hash"]) if head else (0, GENESIS)))
    for e, n in events:
        fold.apply(n.topic, e)
    await _write(conn, fold)


async def _write(conn: asyncpg.Connection, fold: Fold) -> None:
    """The page's new entries and changed rows, one statement per table."""
    if fold.touched_parties:
        rows = [fold.parties[a] for a in sorted(fold.touched_parties)]
        await conn.execute(UPSERT_PARTIES, page_sql.rows_json(rows))
    if fold.touched_balances:
        balances = [
            {"envelope_id": i, "balance_centimes": fold.balances[i]}
            for i in sorted(fold.touched_balances)
        ]
        await conn.execute(UPSERT_BALANCES, page_sql.rows_json(balances))
    if fold.entries:
        await conn.execute(INSERT_ENTRIES, page_sql.rows_json(fold.entries))


#: A rebuild's parties changed again and the balances: one statement.
BALANCES: Final = {"envelope_id": "uuid", "balance_centimes": "bigint"}
REWRITE_PAGE: Final = page_sql.together(
    UPSERT_PARTIES,
    page_sql.insert("ledger_balances", BALANCES, "envelope_id", ("balance_centimes",), param=2),
)
COPY_PARTIES: Final = page_sql.Copier("ledger_parties", PARTY_COLUMNS)
COPY_ENTRIES: Final = page_sql.Copier("ledger_entries", ENTRY_COLUMNS)


class Resident:
    """The ledger's page handler for one rebuild: parties, balances and the chain's head stay
    in memory from page to page (a rebuild is the only writer of its scratch tables).

    New parties and every entry (the chain is append-only) go in with binary ``COPY``, parties
    written before and the balances with the upserts in one statement; no transaction block
    (a failed page fails the rebuild). Past ``limit`` parties it lets them go (they are in the
    scratch table) and remembers whose, to read those back when a later event names them;
    balances are one per envelope.
    """

    def __init__(self, limit: int = RESIDENT_PARTIES) -> None:
        self.limit = limit
        self.parties: dict[UUID, Row] = {}
        self.balances: dict[UUID, int] = {}
        self.seq, self.prev = 0, GENESIS
        #: Parties held that are in the scratch table already (one let go is there, too).
        self.stored: set[UUID] = set()
        self.let_go: set[UUID] = set()

    async def __call__(
        self,
        conn: asyncpg.Connection,
        events: Sequence[tuple[Any, LogNotification]],
        *,
        settle: bool,
    ) -> None:
        """Apply a page as :func:`apply_page` would, from what is held."""
        if self.let_go:
            back = [a for a in {e.originator_id for e, n in events if n.topic.startswith(A)}
                    if a in self.let_go]  # fmt: skip
            if back:
                rows = await conn.fetch(LOAD_PARTIES, back)
                self.parties.update((r["application_id"], dict(r)) for r in rows)
                self.stored.update(r["application_id"] for r in rows)
                self.let_go.difference_update(back)
        fold = Fold(self.parties, self.balances, self.seq, self.prev)
        for e, n in events:
            fold.apply(n.topic, e)
        new = [a for a in fold.touched_parties if a not in self.stored]
        await COPY_PARTIES.copy(conn, [self.parties[a] for a in new])
        await COPY_ENTRIES.copy(conn, fold.entries)
        self.stored.update(new)
        again = fold.touched_parties.difference(new)
        if again or fold.touched_balances:
            # unsorted: no other writer to meet in lock order in a scratch table
            await conn.execute(
                REWRITE_PAGE,
                page_sql.rows_json(self.parties[a] for a in again),
                page_sql.rows_json({"envelope_id": i, "balance_centimes": self.balances[i]}
                                   for i in fold.touched_balances),
            )  # fmt: skip
        self.seq, self.prev = fold.seq, fold.prev
        if len(self.parties) > self.limit:
            self.let_go.update(self.parties)
            self.parties.clear()
            self.stored.clear()  # the let-go ones are stored: taken back, they are again
