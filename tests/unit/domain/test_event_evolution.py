"""Stored events are a contract: topics resolve, and old versions are upcast on reading."""

from __future__ import annotations

import json

from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from domain.applications import GrantApplication
from tests.unit.domain.builders import GOOD, R1, in_review, rubric, submitted
from tests.unit.domain.support import at, given


def mapper() -> Mapper[object]:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


def test_a_version_1_reviewed_event_is_upcast_with_an_empty_comment() -> None:
    app = given(in_review())
    scored = given(in_review())
    scored.score(R1, rubric(), GOOD, "kept", at(2))
    [reviewed] = scored.collect_events()
    stored = mapper().to_stored_event(reviewed)
    state = json.loads(stored.state)
    assert (stored.topic, state.pop("class_version")) == ("grants.application:Reviewed", 2)
    del state["comment"]  # what a version-1 event looked like
    v1 = StoredEvent(
        stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode()
    )

    upcast = mapper().to_domain_event(v1)

    assert isinstance(upcast, GrantApplication.Reviewed)
    assert (upcast.comment, upcast.weighted_score, upcast.reviewer_id) == ("", 8_000, R1)
    assert upcast.mutate(app) is app
    assert app.reviews[R1].comment == ""


def test_a_version_1_conflict_declared_event_is_upcast_with_an_empty_reason() -> None:
    app = given(in_review())
    declared = given(in_review())
    declared.declare_conflict(R1, at(2), "  my brother-in-law's firm  ")
    [conflict] = declared.collect_events()
    assert conflict.reason == "my brother-in-law's firm"
    stored = mapper().to_stored_event(conflict)
    state = json.loads(stored.state)
    assert (stored.topic, state.pop("class_version")) == ("grants.application:ConflictDeclared", 2)
    del state["reason"]  # what a version-1 event looked like
    v1 = StoredEvent(
        stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode()
    )

    upcast = mapper().to_domain_event(v1)

    assert isinstance(upcast, GrantApplication.ConflictDeclared)
    assert (upcast.reason, upcast.reviewer_id) == ("", R1)
    assert upcast.mutate(app) is app
    assert R1 in app.conflicts


def test_a_submitted_event_from_before_rnae_and_sealed_identities_replays() -> None:
    from service.transcoder import MsgspecTranscoder  # the production transcoder

    transcoder = MsgspecTranscoder()
    production = Mapper(transcoder=transcoder)
    [event] = submitted().collect_events()
    stored = production.to_stored_event(event)
    state = transcoder.decode(stored.state)
    del state["rnae_number"], state["identity"]  # what a Submitted event looked like before
    old = StoredEvent(
        stored.originator_id, stored.originator_version, stored.topic, transcoder.encode(state)
    )
    app = production.to_domain_event(old).mutate(None)
    assert isinstance(app, GrantApplication)
    assert (app.rnae_number, app.identity, app.company_name) == ("", b"", "Atlas Offshoring SARL")
