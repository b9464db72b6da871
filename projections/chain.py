"""The public ledger's hash chain: canonical JSON, entry hashes and verification (pure).

Canonical form of an entry's content, the bytes that are hashed:

- a JSON object with keys sorted, separators ``,`` and ``:`` and no whitespace, UTF-8, non-ASCII
  characters written as themselves (``ensure_ascii=False``);
- money as JSON integers of centimes, never decimals;
- ids as lower-case hyphenated UUID strings, absent values as ``null``;
- instants as ISO-8601 UTC with microseconds and a ``Z``: ``2024-03-01T09:30:00.000000Z``.

``entry_hash = sha256(bytes.fromhex(prev_hash) + canonical_json(content)).hexdigest()``; the first
entry's ``prev_hash`` is :data:`GENESIS` (64 zeros).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

GENESIS = "0" * 64
#: JSON string quoting as ``json.dumps(..., ensure_ascii=False)`` does it (the C function).
_quote = encode_basestring
#: The fields of an entry that are hashed, in the ledger table and in exports.
CONTENT_FIELDS = (
    "seq",
    "kind",
    "application_id",
    "envelope_id",
    "org_kind",
    "org_name",
    "sector",
    "province",
    "amount_centimes",
    "balance_centimes",
    "occurred_at",
)


def iso_utc(instant: dt.datetime) -> str:
    """An aware datetime as ISO-8601 UTC with microseconds and ``Z``."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or value is None:  # most fields: nothing to convert
        return value
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    return str(value)  # UUID


def content_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed content of a ledger row, as plain JSON values."""
    return {name: _plain(row[name]) for name in CONTENT_FIELDS}


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an entry's content (see the module docstring)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """The hash of an entry chained to its predecessor's hash."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(content)).hexdigest()


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """``entry_hash(prev_hash, content_of(row))``, several times faster for the usual row.

    A rebuild hashes every entry of the ledger one after the other, so this writes the
    canonical JSON of a row whose fields have their usual types (ints, strings, UUIDs, an aware
    instant) directly, keys in sorted order, and leaves any other row to the general path.
    ``tests/unit/projections/test_scoring_and_chain.py`` holds both to the same bytes.
    """
    text = _usual_canonical(row)
    if text is None:
        return entry_hash(prev_hash, content_of(row))
    return hashlib.sha256(bytes.fromhex(prev_hash) + text.encode()).hexdigest()


def _usual_canonical(row: Mapping[str, Any]) -> str | None:
    amount, balance, seq = row["amount_centimes"], row["balance_centimes"], row["seq"]
    app, envelope = row["application_id"], row["envelope_id"]
    kind, org_kind, province, sector = row["kind"], row["org_kind"], row["province"], row["sector"]
    name, instant = row["org_name"], row["occurred_at"]
    if not (  # one expression, no generator per check: a rebuild hashes every entry
        type(amount) is int
        and type(balance) is int
        and type(seq) is int
        and isinstance(app, UUID)  # asyncpg's subclass, too: str() as _plain
        and isinstance(envelope, UUID)
        and type(kind) is str
        and type(org_kind) is str
        and type(province) is str
        and type(sector) is str
        and (name is None or type(name) is str)
        and type(instant) is dt.datetime
    ):
        return None
    quote = _quote
    return (
        f'{{"amount_centimes":{amount},"application_id":"{app}",'
        f'"balance_centimes":{balance},"envelope_id":"{envelope}","kind":{quote(kind)},'
        f'"occurred_at":"{_iso_utc_fast(instant)}","org_kind":{quote(org_kind)},'
        f'"org_name":{"null" if name is None else quote(name)},"province":{quote(province)},'
        f'"sector":{quote(sector)},"seq":{seq}}}'
    )


def _iso_utc_fast(instant: dt.datetime) -> str:
    """:func:`iso_utc`, without ``astimezone`` and ``strftime`` for an instant already in UTC
    (as events store theirs): ``isoformat`` writes the same digits, four-digit years."""
    if instant.tzinfo is dt.UTC and instant.year >= 1000:
        return f"{instant.replace(tzinfo=None).isoformat(timespec='microseconds')}Z"
    return iso_utc(instant)


def verify_chain(rows: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Recompute the chain over rows in ``seq`` order; the first bad row, or None if all hold."""
    prev = GENESIS
    for row in rows:
        if row["prev_hash"] != prev or row["entry_hash"] != row_hash(prev, row):
            return row
        prev = row["entry_hash"]
    return None
