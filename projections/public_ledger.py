"""The public ledger as the transparency site reads it: filtered, newest first, a page at a time.

Pages are keyset-paginated on ``seq`` (``before``/``after`` an entry), so a link to a page keeps
showing the same entries however many are appended later. Filters: sector, province, year (of
the entry, UTC) and a search, accent- and case-insensitive, in the organisation's name and
the names of places (province, commune) and sectors in any language; totals of what matches.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.reference import PROVINCES, SECTORS
from projections.ledger import COLUMNS, SELECT_HEAD

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from uuid import UUID

    import asyncpg

#: Accents folded away in SQL as ``fold`` does in Python, so that ``energie`` finds ``Énergie``.
ACCENTED = "àáâãäåāăąçćčďèéêëēėęěìíîïīįıłñńňòóôõöøōőùúûüūůűųýÿźżž"
PLAIN = "aaaaaaaaacccdeeeeeeeeiiiiiiilnnnoooooooouuuuuuuuyyzzz"
_FOLD = str.maketrans(ACCENTED, PLAIN)
# $4 the folded search: in the organisation's name, or the place or sector it names ($5 provinces,
# $6 sectors, $7 communes whose name matches, in any language).
WHERE = f"""
($1::text IS NULL OR sector = $1) AND ($2::text IS NULL OR province = $2)
AND ($3::int IS NULL OR extract(year FROM occurred_at AT TIME ZONE 'UTC') = $3)
AND ($4::text IS NULL
     OR translate(lower(coalesce(org_name, '')), '{ACCENTED}', '{PLAIN}') LIKE '%' || $4 || '%'
     OR province = ANY($5::text[]) OR sector = ANY($6::text[])
     OR application_id IN (SELECT application_id FROM public_grants WHERE commune = ANY($7::text[])))
"""
# No cursor is the widest bigint, not ``$8 IS NULL OR``: see service.store.SELECT_EVENTS.
OLDER = f"""
SELECT {COLUMNS} FROM ledger_entries
WHERE {WHERE} AND seq < coalesce($8::bigint, 9223372036854775807) ORDER BY seq DESC LIMIT $9
"""
NEWER = f"""
SELECT * FROM (SELECT {COLUMNS} FROM ledger_entries
WHERE {WHERE} AND seq > $8 ORDER BY seq LIMIT $9) AS page ORDER BY seq DESC
"""
EXISTS = f"SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE {WHERE} AND seq {{op}} $8)"
# Counts, totals and years read every matching entry; bounded by the head memoised under ($8).
COUNT = f"SELECT count(*) FROM ledger_entries WHERE {WHERE} AND seq <= $8"
TOTALS = f"""
SELECT coalesce(sum(amount_centimes) FILTER (WHERE kind = 'funding_decision'), 0)::bigint,
       coalesce(sum(amount_centimes) FILTER (WHERE kind = 'tranche'), 0)::bigint,
       coalesce(sum(amount_centimes) FILTER (WHERE kind IN ('cancellation', 'release')), 0)::bigint
FROM ledger_entries WHERE {WHERE} AND seq <= $8
"""
YEARS = """
SELECT DISTINCT extract(year FROM occurred_at AT TIME ZONE 'UTC')::int AS year
FROM ledger_entries WHERE seq <= $1 ORDER BY 1 DESC
"""
#: Per month (UTC) of the ledger: amounts decided, given back (cancellations and releases add the
#: unpaid part back to the envelope) and paid in tranches. Committed = decided - released.
MONEY_BY_MONTH = """
SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') AS key,
       coalesce(sum(amount_centimes) FILTER (WHERE kind = 'funding_decision'), 0)::bigint
           AS committed_centimes,
       coalesce(sum(amount_centimes) FILTER (WHERE kind IN ('cancellation', 'release')), 0)::bigint
           AS released_centimes,
       coalesce(sum(amount_centimes) FILTER (WHERE kind = 'tranche'), 0)::bigint
           AS disbursed_centimes
FROM ledger_entries GROUP BY 1 ORDER BY 1
"""
HISTORY = f"SELECT {COLUMNS} FROM ledger_entries WHERE application_id = $1 ORDER BY seq"
#: Memoised counts and years, all of one head; at most this many filter combinations are kept.
MEMO_SIZE = 256
ESCAPE = str.maketrans({"%": r"\%", "_": r"\_", "\\": "\\\\"})


@dataclass(frozen=True, kw_only=True)
class Filters:
    """What the visitor narrowed the ledger to (None: no filter)."""

    sector: str | None = None
    province: str | None = None
    year: int | None = None
    search: str | None = None

    def args(self) -> tuple[Any, ...]:
        """The SQL parameters $1..$7: the search folded (``fold``) with LIKE's wildcards
        escaped, and the provinces, sectors and communes whose name contains it."""
        if not self.search:
            return (self.sector, self.province, self.year, None, [], [], [])
        folded = fold(self.search)
        return (
            self.sector, self.province, self.year, folded.translate(ESCAPE),
            [p.key for p in PROVINCES if _names(p.labels, folded)],
            [t.key for t in SECTORS if _names(t.labels, folded)],
            [c.key for p in PROVINCES for c in p.communes if _names(c.labels, folded)],
        )  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents (Arabic short vowels too): ``Énergie`` -> ``energie``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_FOLD)


def _names(labels: Any, folded: str) -> bool:
    return any(folded in fold(label) for label in (labels.ar, labels.fr, labels.en))


@dataclass(frozen=True, kw_only=True)
class Page:
    """Entries newest first, with the keys of the neighbouring pages (None: no such page)."""

    entries: list[dict[str, Any]]
    total: int
    older_than: int | None
    newer_than: int | None
    #: Over every matching entry: granted (funding decisions), paid (tranches), given back.
    granted_centimes: int = 0
    paid_centimes: int = 0
    given_back_centimes: int = 0

    @property
    def committed_centimes(self) -> int:
        """Granted less what cancellations and completions gave back to the envelope."""
        return self.granted_centimes - self.given_back_centimes


async def page(
    pool: asyncpg.Pool,
    filters: Filters,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = 25,
) -> Page:
    """One page of entries: below ``before``, above ``after``, or the newest."""
    args = filters.args()
    async with pool.acquire() as conn:
        if after is not None:
            rows = await conn.fetch(NEWER, *args, after, size)
        else:
            rows = await conn.fetch(OLDER, *args, before, size)
        entries = [dict(r) for r in rows]
        total = await _memoised(
            conn, ("count", *_key(args)), lambda head: conn.fetchval(COUNT, *args, head)
        )
        sums = await _memoised(
            conn, ("totals", *_key(args)), lambda head: conn.fetchrow(TOTALS, *args, head)
        )
        older = newer = None
        if entries:
            last, first = entries[-1]["seq"], entries[0]["seq"]
            if await conn.fetchval(EXISTS.format(op="<"), *args, last):
                older = last
            if await conn.fetchval(EXISTS.format(op=">"), *args, first):
                newer = first
    return Page(
        entries=entries, total=total, older_than=older, newer_than=newer,
        granted_centimes=sums[0], paid_centimes=sums[1], given_back_centimes=sums[2],
    )  # fmt: skip


def _key(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The parameters as a memo key (lists are not hashable)."""
    return tuple(tuple(a) if isinstance(a, list) else a for a in args)


async def years(pool: asyncpg.Pool) -> list[int]:
    """The years that have entries, newest first (for the year filter)."""

    async def read(head: int) -> list[int]:
        return [r["year"] for r in await pool.fetch(YEARS, head)]

    return await _memoised(pool, ("years",), read)  # type: ignore[no-any-return]


class _Memo:
    """Values computed over the ledger up to one head (seq and hash), kept until the head moves.

    The hash chains every entry before it, so one head names exactly one content of the ledger
    (a rebuild that reproduced it included); each value is computed over ``seq <= head`` only,
    so an entry appended meanwhile never slips into a value filed under the older head.
    """

    def __init__(self) -> None:
        self.head: tuple[int, str] | None = None
        self.values: dict[tuple[Any, ...], Any] = {}


_memo = _Memo()
_MISSING = object()


async def _memoised(
    conn: asyncpg.Connection | asyncpg.Pool,
    key: tuple[Any, ...],
    compute: Callable[[int], Awaitable[Any]],
) -> Any:
    row = await conn.fetchrow(SELECT_HEAD)
    head = (row["seq"], row["entry_hash"]) if row else (0, "")
    if head != _memo.head:  # the ledger moved on: what was kept describes an older one
        _memo.head, _memo.values = head, {}
    key = (head, *key)  # filed under its own head, whatever another request did meanwhile
    found = _memo.values.get(key, _MISSING)
    if found is _MISSING:
        found = await compute(head[0])
        if len(_memo.values) >= MEMO_SIZE:
            _memo.values.clear()
        _memo.values[key] = found
    return found


async def history(pool: asyncpg.Pool, application_id: UUID) -> list[dict[str, Any]]:
    """One grant's entries in chain order (empty when the file never reached the ledger)."""
    return [dict(r) for r in await pool.fetch(HISTORY, application_id)]


async def money_by_month(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Amounts committed, released and disbursed per month (``YYYY-MM``), oldest first."""
    return [dict(r) for r in await pool.fetch(MONEY_BY_MONTH)]
