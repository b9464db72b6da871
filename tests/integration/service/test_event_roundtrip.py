"""Every event type of every aggregate survives the store: saved by a use case, read back equal."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
from eventsourcing.domain import Aggregate

from domain.applications import GrantApplication
from domain.calls import Call
from domain.envelopes import SupportEnvelope
from domain.rubrics import DEFAULT_CRITERIA, Rubric
from service import applications, correspondence, decisions, programme
from service.accounts import User
from service.documents import Limits
from service.repository import Repository, new_mapper
from tests.integration.service.support import (
    CHAIR,
    OFFICER,
    R3,
    clock,
    open_programme,
    reviewed,
    signed,
    submit,
)

if TYPE_CHECKING:
    from uuid import UUID

    from service.store import EventStore

AGGREGATES = (GrantApplication, SupportEnvelope, Call, Rubric)


def event_types(cls: type[Aggregate]) -> set[str]:
    """The topics of the events an aggregate records (``Created`` is declared only for a topic)."""
    return {
        v.TOPIC
        for name, v in vars(cls).items()
        if isinstance(v, type) and hasattr(v, "TOPIC") and name != "Created"
    }


@pytest.fixture
def saved(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Copies of the domain events as the use cases created them, before they are stored."""
    events: list[Any] = []
    original = Repository.save

    async def save(self: Repository, *aggregates: Aggregate, conn: Any = None) -> list[int]:
        events.extend(copy.deepcopy(e) for a in aggregates for e in a.pending_events)
        return await original(self, *aggregates, conn=conn)

    monkeypatch.setattr(Repository, "save", save)
    return events


async def every_event(store: EventStore) -> dict[str, UUID]:
    """Run use cases that, between them, record every event type; returns some aggregate ids."""
    prog = await open_programme(store, total_centimes=100_000_000_00)
    rubric_id = await programme.draft_rubric(store, rubric_version=2, clock=clock)
    revised = [replace(c, weight=c.weight) for c in reversed(DEFAULT_CRITERIA)]
    await programme.revise_rubric(store, rubric_id=rubric_id, criteria=revised, clock=clock)
    investor = CHAIR  # any id: the investor of the amended file
    amended = await submit(store, prog, investor_id=investor)
    await applications.request_information(
        store, application_id=amended, by=OFFICER, question="Bilan 2023 ?", clock=clock
    )
    await applications.amend(
        store, application_id=amended, investor_id=investor, changes={"jobs": 99}, clock=clock
    )
    await applications.request_information(
        store, application_id=amended, by=OFFICER, question="Votre RC ?", clock=clock
    )
    await correspondence.reply_with_document(
        store, application_id=amended, investor=User(id=investor, email="i@x.ma",
        display_name="I", role="investor"), message="Le voici.", content=b"%PDF-1.4 rc",
        limits=Limits(each=1_000, total=10_000), clock=clock,
    )  # fmt: skip
    await applications.declare_conflict(store, application_id=amended, reviewer_id=R3)
    await applications.withdraw(store, application_id=amended, investor_id=investor)
    screened = await submit(store, prog)
    await applications.screen_out(store, application_id=screened, by=OFFICER, reason="Hors zone")
    rejected = await reviewed(store, prog)
    await decisions.reject(store, application_id=rejected, decided_by=CHAIR, reason="Non")
    cancelled = await signed(store, prog)
    await decisions.disburse(store, application_id=cancelled, amount_centimes=1_000, by=OFFICER)
    await decisions.cancel(store, application_id=cancelled, by=OFFICER, reason="Abandon")
    completed = await signed(store, prog)
    await decisions.complete(store, application_id=completed, by=OFFICER)
    await programme.close_call(store, call_id=prog.call_id)
    await programme.close_envelope(store, envelope_id=prog.envelope_id)
    return {"envelope": prog.envelope_id, "cancelled": cancelled, "rubric": rubric_id}


def fields(event: Any) -> dict[str, Any]:
    return dict(vars(event))


async def test_every_event_type_round_trips_through_the_store(
    store: EventStore, saved: list[Any]
) -> None:
    await every_event(store)
    mapper = new_mapper()
    originators = await store.pool.fetch("SELECT DISTINCT originator_id FROM events")
    stored = [s for row in originators for s in await store.select_events(row[0])]

    assert {s.topic for s in stored} == set().union(*map(event_types, AGGREGATES))
    by_key = {(e.originator_id, e.originator_version): e for e in saved}
    assert len(by_key) == len(stored)
    for row in stored:
        loaded = mapper.to_domain_event(row)
        original = by_key[(loaded.originator_id, loaded.originator_version)]
        again = mapper.to_domain_event(mapper.to_stored_event(loaded))
        assert type(loaded) is type(original) is type(again)
        for name, value in fields(original).items():
            assert fields(loaded)[name] == value, (row.topic, name)
            assert type(fields(loaded)[name]) is type(value), (row.topic, name)
            assert fields(again)[name] == value, (row.topic, name)
        assert fields(loaded).keys() == fields(original).keys()


async def test_aggregates_load_back_in_their_final_state(store: EventStore) -> None:
    ids = await every_event(store)
    repository = Repository(store)
    envelope = await repository.get(ids["envelope"], cls=SupportEnvelope)
    assert (envelope.is_open, envelope.disbursed_centimes) == (False, 1_000)
    assert envelope.reserved_centimes == 0  # cancelled and completed files released the rest
    app = await repository.get(ids["cancelled"], cls=GrantApplication)
    assert (app.status.value, app.disbursed_centimes) == ("cancelled", 1_000)
    rubric = await repository.get(ids["rubric"], cls=Rubric)
    assert rubric.criteria[0].key == DEFAULT_CRITERIA[-1].key
