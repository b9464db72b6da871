"""Specifications of the support envelope."""

from __future__ import annotations

import pytest

from domain.envelopes import (
    EnvelopeClosedError,
    EnvelopeExhaustedError,
    ReservationExceededError,
    SupportEnvelope,
)
from domain.errors import InvalidValueError
from domain.money import DEFAULT_ENVELOPE_CENTIMES
from tests.unit.domain.support import at, given, names, uid, when

ENVELOPE = uid(1)
APP_A = uid(11)
APP_B = uid(12)


def opened(total: int = 1_000_00) -> SupportEnvelope:
    return SupportEnvelope.open(envelope_id=ENVELOPE, name="DT 2022", total_centimes=total, at=at())


def test_opening_an_envelope_records_opened_with_its_total_in_mad() -> None:
    envelope = opened(DEFAULT_ENVELOPE_CENTIMES)
    [event] = envelope.collect_events()
    assert type(event).__name__ == "Opened"
    assert event.originator_id == ENVELOPE
    assert event.timestamp == at()
    assert (event.total_centimes, event.name, event.currency) == (5_000_000_000, "DT 2022", "MAD")
    assert envelope.remaining_centimes == DEFAULT_ENVELOPE_CENTIMES


@pytest.mark.parametrize(("name", "total"), [("DT", 0), ("DT", -5), ("  ", 100)])
def test_opening_refused_for_a_non_positive_total_or_blank_name(name: str, total: int) -> None:
    with pytest.raises(InvalidValueError):
        SupportEnvelope.open(envelope_id=ENVELOPE, name=name, total_centimes=total, at=at())


def test_reserving_records_funds_reserved_and_lowers_remaining() -> None:
    envelope = given(opened())
    events = when(envelope, lambda e: e.reserve(APP_A, 400_00, at(1)))
    assert names(events) == ["FundsReserved"]
    assert (events[0].application_id, events[0].amount_centimes) == (APP_A, 400_00)
    assert events[0].timestamp == at(1)
    assert (envelope.reserved_centimes, envelope.remaining_centimes) == (400_00, 600_00)


def test_reserving_exactly_what_remains_is_allowed() -> None:
    envelope = given(opened())
    assert names(when(envelope, lambda e: e.reserve(APP_A, 1_000_00, at(1)))) == ["FundsReserved"]
    assert envelope.remaining_centimes == 0


def test_funding_refused_when_envelope_exhausted() -> None:
    built = opened()
    built.reserve(APP_A, 700_00, at(1))
    envelope = given(built)
    with pytest.raises(EnvelopeExhaustedError) as refused:
        envelope.reserve(APP_B, 300_01, at(2))
    assert refused.value.code == "envelope_exhausted"
    assert (refused.value.envelope_id, refused.value.requested_centimes) == (ENVELOPE, 300_01)
    assert refused.value.remaining_centimes == 300_00
    assert envelope.collect_events() == []


def test_reserving_a_non_positive_amount_is_refused() -> None:
    envelope = given(opened())
    with pytest.raises(InvalidValueError):
        envelope.reserve(APP_A, 0, at(1))
    assert envelope.collect_events() == []


def test_closing_records_closed_and_refuses_new_reservations() -> None:
    envelope = given(opened())
    assert names(when(envelope, lambda e: e.close(at(5)))) == ["Closed"]
    with pytest.raises(EnvelopeClosedError) as refused:
        envelope.reserve(APP_A, 1, at(6))
    assert refused.value.code == "envelope_closed"
    assert envelope.collect_events() == []


def test_closing_a_closed_envelope_records_nothing() -> None:
    built = opened()
    built.close(at(1))
    assert when(given(built), lambda e: e.close(at(2))) == []


def test_releasing_gives_back_reserved_money() -> None:
    built = opened()
    built.reserve(APP_A, 400_00, at(1))
    envelope = given(built)
    events = when(envelope, lambda e: e.release(APP_A, 150_00, at(2)))
    assert names(events) == ["FundsReleased"]
    assert envelope.reserved_for(APP_A) == 250_00
    assert envelope.remaining_centimes == 750_00


def test_releasing_more_than_the_application_reserved_is_refused() -> None:
    built = opened()
    built.reserve(APP_A, 400_00, at(1))
    built.reserve(APP_B, 100_00, at(1))
    envelope = given(built)
    with pytest.raises(ReservationExceededError) as refused:
        envelope.release(APP_B, 100_01, at(2))
    assert refused.value.code == "reservation_exceeded"
    assert refused.value.application_id == APP_B
    assert envelope.collect_events() == []


def test_releasing_on_a_closed_envelope_is_allowed() -> None:
    built = opened()
    built.reserve(APP_A, 400_00, at(1))
    built.close(at(2))
    assert names(when(given(built), lambda e: e.release(APP_A, 400_00, at(3)))) == ["FundsReleased"]


def test_disbursing_moves_money_from_reserved_to_disbursed() -> None:
    built = opened()
    built.reserve(APP_A, 400_00, at(1))
    envelope = given(built)
    events = when(envelope, lambda e: e.disburse(APP_A, 100_00, at(2)))
    assert names(events) == ["TrancheDisbursed"]
    assert (envelope.reserved_centimes, envelope.disbursed_centimes) == (300_00, 100_00)
    assert envelope.remaining_centimes == 600_00


def test_disbursing_beyond_the_application_reservation_is_refused() -> None:
    built = opened()
    built.reserve(APP_A, 400_00, at(1))
    built.disburse(APP_A, 300_00, at(2))
    envelope = given(built)
    with pytest.raises(ReservationExceededError):
        envelope.disburse(APP_A, 100_01, at(3))
    with pytest.raises(ReservationExceededError):
        envelope.disburse(APP_B, 1, at(3))
    assert envelope.collect_events() == []
