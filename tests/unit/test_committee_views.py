"""What the committee pages parse from people: the queue's GET filters (amounts: parse_mad)."""

from __future__ import annotations

from uuid import UUID

from web.pages.committee.views import Filters

CALL = UUID(int=7)


def test_unknown_filter_values_are_ignored() -> None:
    query = {"status": "in_review", "sector": "nope", "province": "zagora", "call": "x",
             "sort": "evil"}  # fmt: skip
    assert Filters.parse(query, {CALL}) == Filters(status="in_review", province="zagora")


def test_sort_links_keep_the_filters_in_a_stable_order() -> None:
    filters = Filters.parse({"call": str(CALL), "sector": "tourism", "sort": "date"}, {CALL})
    assert filters.call == CALL
    assert filters.query(sort="amount") == f"sector=tourism&call={CALL}&sort=amount"
