"""What the committee pages parse from people: amounts in MAD and the queue's GET filters."""

from __future__ import annotations

from uuid import UUID

import pytest

from web.pages.committee.views import Filters, parse_amount

CALL = UUID(int=7)


@pytest.mark.parametrize(
    ("typed", "centimes"),
    [
        ("250000", 25_000_000),
        ("250 000,50", 25_000_050),
        ("250\u202f000.5", 25_000_050),
        ("١٢٣", 12_300),  # Arabic-Indic digits
        ("0", None),
        ("12.345", None),
        ("-5", None),
        ("1e6", None),
        ("", None),
        ("abc", None),
    ],
)
def test_amounts_typed_in_mad_become_centimes(typed: str, centimes: int | None) -> None:
    assert parse_amount(typed) == centimes


def test_unknown_filter_values_are_ignored() -> None:
    query = {"status": "in_review", "sector": "nope", "province": "zagora", "call": "x",
             "sort": "evil"}  # fmt: skip
    assert Filters.parse(query, {CALL}) == Filters(status="in_review", province="zagora")


def test_sort_links_keep_the_filters_in_a_stable_order() -> None:
    filters = Filters.parse({"call": str(CALL), "sector": "tourism", "sort": "date"}, {CALL})
    assert filters.call == CALL
    assert filters.query(sort="amount") == f"sector=tourism&call={CALL}&sort=amount"
