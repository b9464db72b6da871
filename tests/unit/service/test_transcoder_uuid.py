"""Ids read back from asyncpg are its own UUID subclass; events must store them all the same."""

from __future__ import annotations

import uuid

from asyncpg.pgproto import pgproto

from service.transcoder import MsgspecTranscoder


def test_an_asyncpg_uuid_is_stored_and_read_back_as_a_plain_uuid() -> None:
    plain = uuid.uuid4()
    from_asyncpg = pgproto.UUID(plain.bytes)
    transcoder = MsgspecTranscoder()
    decoded = transcoder.decode(transcoder.encode({"rubric_id": from_asyncpg}))
    assert decoded == {"rubric_id": plain}
    assert type(decoded["rubric_id"]) is uuid.UUID


def test_a_dict_keyed_by_uuid_keeps_its_keys() -> None:
    """An envelope snapshot holds reservations keyed by application id."""
    key = uuid.uuid4()
    transcoder = MsgspecTranscoder()
    state = {"reserved_by_application": {key: 100, pgproto.UUID(uuid.uuid4().bytes): 5}}
    decoded = transcoder.decode(transcoder.encode(state))
    assert decoded["reserved_by_application"][key] == 100
    assert all(type(k) is uuid.UUID for k in decoded["reserved_by_application"])
    assert transcoder.decode(transcoder.encode({"plain": {"a": 1}})) == {"plain": {"a": 1}}
