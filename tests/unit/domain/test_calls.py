"""Specifications of calls for applications."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.calls import Call, CallClosedError, IneligibleError
from domain.errors import InvalidValueError, UnknownReferenceError
from tests.unit.domain.support import at, given, names, uid, when

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
