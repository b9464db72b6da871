"""A msgspec (MessagePack) transcoder for eventsourcing's ``Mapper``.

Values MessagePack has no type for travel as extension types, so they come back exactly as they
went in: a ``UUID`` is a ``UUID``, a timezone-aware ``datetime`` keeps its offset, a ``tuple``
stays a tuple, an ``Enum`` member is the same member. Decoding runs at msgspec's speed; only the
extension values call back into Python.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, SafeUUID

import msgspec
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic, resolve_topic

if TYPE_CHECKING:
    from collections.abc import Callable

UUID_EXT, DATETIME_EXT, DATE_EXT, TIME_EXT, DECIMAL_EXT = 1, 2, 3, 4, 5
TUPLE_EXT, ENUM_EXT, FROZENSET_EXT, SET_EXT, TIMEDELTA_EXT = 6, 7, 8, 9, 10
BIGINT_EXT = 11
KEYED_DICT_EXT = 12  # a dict whose keys are not all strings, e.g. UUID -> centimes
INT_RANGE = range(-(2**63), 2**64)  # what MessagePack holds as an integer


_fromisoformat = dt.datetime.fromisoformat


def _uuid(
    data: memoryview,
    new: Callable[[type[UUID]], UUID] = object.__new__,
    setattr_: Callable[[object, str, object], None] = object.__setattr__,
    from_bytes: Callable[[memoryview], int] = int.from_bytes,
    unknown: SafeUUID = SafeUUID.unknown,
) -> UUID:
    """``UUID(bytes=data)`` without the argument checks of ``UUID.__init__`` (2-3x faster).

    The defaults bind what it calls once: ``SafeUUID.unknown`` looked up per call went through
    ``enum``'s descriptor, a third of this function's time (every event has a UUID or two).
    """
    value = new(UUID)
    setattr_(value, "int", from_bytes(data))
    setattr_(value, "is_safe", unknown)
    return value


class MsgspecTranscoder(Transcoder):
    """Encodes event state as MessagePack; round-trips UUID, datetime, date, enums, tuples ..."""

    def __init__(self) -> None:
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(ext_hook=self._ext)

    def encode(self, obj: Any) -> bytes:
        """Encode ``obj`` (usually an event's state dict) as bytes."""
        return self._encoder.encode(self._tag(obj))

    def decode(self, data: bytes) -> Any:
        """Decode bytes made by :meth:`encode`."""
        return self._decoder.decode(data)

    def _tag(self, value: Any) -> Any:
        kind = type(value)
        if kind is int and value not in INT_RANGE:
            return msgspec.msgpack.Ext(BIGINT_EXT, str(value).encode())
        if kind in (str, int, bool, float, bytes) or value is None:
            return value
        if kind is dict:
            if all(type(key) is str for key in value):
                return {key: self._tag(item) for key, item in value.items()}
            # msgspec would write a UUID key as a string and read back a str: keep the pairs
            # tagged instead (an envelope snapshot's reservations are keyed by application id).
            pairs = [[self._tag(key), self._tag(item)] for key, item in value.items()]
            return self._ext_of(KEYED_DICT_EXT, pairs)
        if kind is list:
            return [self._tag(item) for item in value]
        if isinstance(value, enum.Enum):  # before int/str: IntEnum and StrEnum are both
            return self._ext_of(ENUM_EXT, [get_topic(kind), self._tag(value.value)])
        # asyncpg hands out its own UUID subclass (e.g. an aggregate id read back from the
        # store, then written into another aggregate's event): store it as a plain UUID.
        if kind is UUID or isinstance(value, UUID):
            return msgspec.msgpack.Ext(UUID_EXT, value.bytes)
        if kind is dt.datetime:
            return msgspec.msgpack.Ext(DATETIME_EXT, value.isoformat().encode())
        if kind is dt.date:
            return msgspec.msgpack.Ext(DATE_EXT, value.isoformat().encode())
        if kind is dt.time:
            return msgspec.msgpack.Ext(TIME_EXT, value.isoformat().encode())
        if kind is dt.timedelta:
            parts = [value.days, value.seconds, value.microseconds]
            return self._ext_of(TIMEDELTA_EXT, parts)
        if kind is Decimal:
            return msgspec.msgpack.Ext(DECIMAL_EXT, str(value).encode())
        if kind is tuple:
            return self._ext_of(TUPLE_EXT, [self._tag(item) for item in value])
        if kind is frozenset or kind is set:
            code = FROZENSET_EXT if kind is frozenset else SET_EXT
            return self._ext_of(code, [self._tag(item) for item in sorted(value, key=repr)])
        raise TypeError(f"cannot store a value of type {kind.__qualname__} in an event")

    def _ext_of(self, code: int, payload: Any) -> msgspec.msgpack.Ext:
        return msgspec.msgpack.Ext(code, self._encoder.encode(payload))

    def _ext(self, code: int, data: memoryview) -> Any:
        # The two commonest extensions first, on the fast path: every event has a timestamp
        # and an originator id; str(data, "ascii") skips the copy that bytes(data) makes.
        if code == DATETIME_EXT:
            return _fromisoformat(str(data, "ascii"))
        if code == UUID_EXT:
            return _uuid(data)
        if code == DATE_EXT:
            return dt.date.fromisoformat(bytes(data).decode())
        if code == TIME_EXT:
            return dt.time.fromisoformat(bytes(data).decode())
        if code == DECIMAL_EXT:
            return Decimal(bytes(data).decode())
        if code == BIGINT_EXT:
            return int(bytes(data).decode())
        inner = self._decoder.decode(data)
        if code == TUPLE_EXT:
            return tuple(inner)
        if code == FROZENSET_EXT:
            return frozenset(inner)
        if code == SET_EXT:
            return set(inner)
        if code == KEYED_DICT_EXT:
            return dict(inner)
        if code == TIMEDELTA_EXT:
            return dt.timedelta(days=inner[0], seconds=inner[1], microseconds=inner[2])
        if code == ENUM_EXT:
            return resolve_topic(inner[0])(inner[1])
        raise ValueError(f"unknown extension type {code} in a stored event")
