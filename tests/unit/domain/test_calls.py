"""Specifications of calls for applications."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from eventsourcing.persistence import StoredEvent

from domain.call_texts import CallDescription, Question, RequiredDocument, text_in
from domain.calls import Call, CallClosedError, IneligibleError
from domain.errors import InvalidValueError, UnknownReferenceError
from tests.unit.domain.support import at, given, names, uid, when
from tests.unit.domain.test_event_evolution import mapper

CALL = uid(31)


def opened(
    sectors: tuple[str, ...] = ("offshoring",),
    provinces: tuple[str, ...] = (),
    closes_at: datetime | None = None,
) -> Call:
    call = Call.open(
        call_id=CALL,
        envelope_id=uid(1),
        title="Offshoring 2024",
        eligible_sectors=sectors,
        eligible_provinces=provinces,
        min_request_centimes=100_00,
        max_request_centimes=1_000_00,
        opens_at=at(1),
        closes_at=closes_at or at(30),
        at=at(),
    )
    return given(call)


def test_opening_a_call_records_opened() -> None:
    call = Call.open(
        call_id=CALL,
        envelope_id=uid(1),
        title=" Offshoring 2024 ",
        eligible_sectors=["offshoring"],
        eligible_provinces=[],
        min_request_centimes=1,
        max_request_centimes=2,
        opens_at=at(1),
        closes_at=None,
        at=at(),
    )
    [event] = call.collect_events()
    assert (type(event).__name__, event.title, event.eligible_sectors) == (
        "Opened",
        "Offshoring 2024",
        ["offshoring"],
    )


def test_opening_refused_for_an_unknown_sector_or_inverted_bounds() -> None:
    with pytest.raises(UnknownReferenceError):
        opened(sectors=("banking",))
    with pytest.raises(InvalidValueError):
        opened(closes_at=at(0))


def test_an_eligible_application_inside_the_window_is_accepted() -> None:
    opened().check_accepts("offshoring", "zagora", 500_00, at(2))


@pytest.mark.parametrize("when_", [at(0), at(30), at(31)])
def test_applications_outside_the_window_are_refused(when_: datetime) -> None:
    with pytest.raises(CallClosedError) as refused:
        opened().check_accepts("offshoring", "zagora", 500_00, when_)
    assert refused.value.code == "call_closed"


def test_closing_records_closed_and_refuses_later_applications() -> None:
    call = opened()
    assert names(when(call, lambda c: c.close(at(3)))) == ["Closed"]
    with pytest.raises(CallClosedError):
        call.check_accepts("offshoring", "zagora", 500_00, at(4))
    assert when(call, lambda c: c.close(at(5))) == []


@pytest.mark.parametrize(
    ("sector", "province", "amount", "field"),
    [
        ("mining", "zagora", 500_00, "sector"),
        ("offshoring", "midelt", 500_00, "province"),
        ("offshoring", "zagora", 99_99, "requested_centimes"),
        ("offshoring", "zagora", 1_000_01, "requested_centimes"),
    ],
)
def test_ineligible_applications_are_refused(
    sector: str, province: str, amount: int, field: str
) -> None:
    call = opened(provinces=("zagora", "tinghir"))
    with pytest.raises(IneligibleError) as refused:
        call.check_accepts(sector, province, amount, at(2))
    assert (refused.value.code, refused.value.field, refused.value.call_id) == (
        "ineligible",
        field,
        CALL,
    )


def test_a_request_above_the_calls_maximum_share_is_refused_and_30_percent_is_accepted() -> None:
    call = opened()
    call.check_accepts("offshoring", "zagora", 300_00, at(2), total_investment_centimes=1_000_00)
    with pytest.raises(IneligibleError) as refused:
        call.check_accepts(
            "offshoring", "zagora", 720_00, at(2), total_investment_centimes=1_000_00
        )
    assert (refused.value.field, refused.value.rule) == ("requested_centimes", "max_share")


def test_a_call_opened_without_a_share_holds_thirty_percent() -> None:
    assert opened().max_share_basis_points == 3_000


def test_an_opened_event_stored_before_the_share_existed_replays_with_thirty_percent() -> None:
    [event] = Call.open(
        call_id=uid(32), envelope_id=uid(1), title="t", eligible_sectors=[],
        eligible_provinces=[], min_request_centimes=1, max_request_centimes=2,
        opens_at=at(1), closes_at=None, at=at(), max_share_basis_points=2_000,
    ).collect_events()  # fmt: skip
    stored = mapper().to_stored_event(event)
    state = json.loads(stored.state)
    del state["max_share_basis_points"]  # what an Opened event looked like before
    old = StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                      json.dumps(state).encode())  # fmt: skip
    replayed = mapper().to_domain_event(old).mutate(None)
    assert isinstance(replayed, Call)
    assert replayed.max_share_basis_points == 3_000


def test_describing_a_call_records_described_once_and_keeps_the_texts() -> None:
    call = opened()
    description = CallDescription.make(
        titles={"fr": "Appel", "ar": "طلب"}, who_may_apply={"en": "Companies"},
        contact_email="appels@example.ma",
        documents=[RequiredDocument("business_plan", {"fr": "Plan"}, ("fr",), True)],
        faq=[Question({"fr": "Q ?"}, {"fr": "R."})],
    )  # fmt: skip
    assert names(when(call, lambda c: c.describe(description, at(2)))) == ["Described"]
    assert when(call, lambda c: c.describe(description, at(3))) == []
    assert call.description == description
    assert text_in(description.titles, "en") == ("Appel", "fr")
    assert text_in(description.titles, "ar") == ("طلب", "ar")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contact_email": "not an address"}, "contact_email"),
        ({"titles": {}}, "titles"),
        ({"titles": {"de": "Aufruf"}}, "titles"),
        ({"documents": [RequiredDocument("Bad Kind", {"fr": "x"})]}, "documents"),
        ({"documents": [RequiredDocument("plan", {"fr": "x"}, ("es",))]}, "documents"),
    ],
)
def test_a_malformed_description_is_refused(changes: dict[str, object], field: str) -> None:
    facts: dict[str, object] = {
        "titles": {"fr": "Appel"}, "who_may_apply": {}, "contact_email": "a@example.ma", **changes
    }  # fmt: skip
    with pytest.raises(InvalidValueError) as refused:
        CallDescription.make(**facts)  # type: ignore[arg-type]
    assert refused.value.field == field
