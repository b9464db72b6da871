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
from typing import Any
from uuid import UUID, SafeUUID

import msgspec
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic, resolve_topic

UUID_EXT, DATETIME_EXT, DATE_EXT, TIME_EXT, DECIMAL_EXT = 1, 2, 3, 4, 5
TUPLE_EXT, ENUM_EXT, FROZENSET_EXT, SET_EXT, TIMEDELTA_EXT = 6, 7, 8, 9, 10
BIGINT_EXT = 11
INT_RANGE = range(-(2**63), 2**64)  # what MessagePack holds as an integer


_fromisoformat = dt.datetime.fromisoformat


def _uuid(data: memoryview) -> UUID:
    """``UUID(bytes=data)`` without the argument checks of ``UUID.__init__`` (2-3x faster)."""
    value = object.__new__(UUID)
    object.__setattr__(value, "int", int.from_bytes(data))
    object.__setattr__(value, "is_safe", SafeUUID.unknown)
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
            return {self._key(key): self._tag(item) for key, item in value.items()}
        if kind is list:
            return [self._tag(item) for item in value]
        if isinstance(value, enum.Enum):  # before int/str: IntEnum and StrEnum are both
            return self._ext_of(ENUM_EXT, [get_topic(kind), self._tag(value.value)])
        if kind is UUID:
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

    @staticmethod
    def _key(key: Any) -> Any:
        # msgspec would write a UUID or a date key as a string and it would come back as one:
        # refuse rather than change the type of a key silently.
        if type(key) is str or (type(key) is int and key in INT_RANGE):
            return key
        raise TypeError(f"event dict keys must be str or int, not {type(key).__qualname__}")

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
        if code == TIMEDELTA_EXT:
            return dt.timedelta(days=inner[0], seconds=inner[1], microseconds=inner[2])
        if code == ENUM_EXT:
            return resolve_topic(inner[0])(inner[1])
        raise ValueError(f"unknown extension type {code} in a stored event")
