"""Programme use cases: envelope, call and rubric, each with its main refusal."""

from __future__ import annotations

import pytest

from domain.calls import Call
from domain.envelopes import EnvelopeClosedError, SupportEnvelope
from domain.errors import InvalidValueError
from domain.money import DEFAULT_ENVELOPE_CENTIMES
from domain.rubrics import DEFAULT_CRITERIA, Rubric, RubricPublishedError
from service import programme
from service.repository import Repository
from service.store import EventStore
from tests.integration.service.support import clock, event_count


async def test_open_envelope_of_fifty_million_dirhams_by_default(store: EventStore) -> None:
    envelope_id = await programme.open_envelope(store, clock=clock)
    envelope = await Repository(store).get(envelope_id, cls=SupportEnvelope)
    assert (envelope.total_centimes, envelope.currency) == (DEFAULT_ENVELOPE_CENTIMES, "MAD")
    with pytest.raises(InvalidValueError):
        await programme.open_envelope(store, total_centimes=0)
    assert await event_count(store) == 1


async def test_close_envelope_then_no_call_opens_on_it(store: EventStore) -> None:
    envelope_id = await programme.open_envelope(store, clock=clock)
    await programme.close_envelope(store, envelope_id=envelope_id, clock=clock)
    assert not (await Repository(store).get(envelope_id, cls=SupportEnvelope)).is_open
    before = await event_count(store)
    with pytest.raises(EnvelopeClosedError):
        await programme.open_call(
            store, envelope_id=envelope_id, title="Trop tard",
            min_request_centimes=1, max_request_centimes=2,
        )  # fmt: skip
    assert await event_count(store) == before


async def test_open_and_close_a_call(store: EventStore) -> None:
    envelope_id = await programme.open_envelope(store, clock=clock)
    before = await event_count(store)
    with pytest.raises(InvalidValueError):
        await programme.open_call(
            store, envelope_id=envelope_id, title="Appel",
            min_request_centimes=10, max_request_centimes=5,
        )  # fmt: skip
    assert await event_count(store) == before
    call_id = await programme.open_call(
        store, envelope_id=envelope_id, title="Appel offshoring", eligible_sectors=["offshoring"],
        min_request_centimes=100_000_00, max_request_centimes=5_000_000_00, clock=clock,
    )  # fmt: skip
    await programme.close_call(store, call_id=call_id, clock=clock)
    call = await Repository(store).get(call_id, cls=Call)
    assert (call.eligible_sectors, call.closed_at is not None) == (("offshoring",), True)


async def test_draft_and_publish_the_default_rubric_once(store: EventStore) -> None:
    rubric_id = await programme.draft_rubric(store, clock=clock)
    await programme.publish_rubric(store, rubric_id=rubric_id, clock=clock)
    rubric = await Repository(store).get(rubric_id, cls=Rubric)
    assert (rubric.criteria, rubric.is_published) == (DEFAULT_CRITERIA, True)
    before = await event_count(store)
    with pytest.raises(RubricPublishedError):
        await programme.publish_rubric(store, rubric_id=rubric_id)
    assert await event_count(store) == before
