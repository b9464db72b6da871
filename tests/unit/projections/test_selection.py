"""What-if selection: every policy stays within what remains; optimal is never worse than greedy."""

from __future__ import annotations

import itertools
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.selection import (
    GREEDY,
    NORMALISED,
    OPTIMAL,
    POLICIES,
    PROVINCE_BALANCED,
    RAW_MEAN,
    OpenFile,
    compare,
    select,
)

PROVINCES = ("errachidia", "midelt", "ouarzazate", "tinghir", "zagora")


def _file(
    n: int, raw: int, amount: int, province: str = "zagora", norm: int | None = None
) -> OpenFile:
    return OpenFile(
        application_id=UUID(int=n), title=f"file {n}", province=province,
        requested_centimes=amount, raw_score=raw, normalised_score=raw if norm is None else norm,
    )  # fmt: skip


files_strategy = st.lists(
    st.tuples(
        st.integers(0, 10_000),
        st.integers(1, 5_000_000_000),
        st.sampled_from(PROVINCES),
        st.integers(0, 10_000),
    ),
    max_size=14,
).map(lambda rows: [_file(i, r, a, p, n) for i, (r, a, p, n) in enumerate(rows)])


@settings(max_examples=150, deadline=None)
@given(files=files_strategy, remaining=st.integers(0, 6_000_000_000))
def test_no_policy_exceeds_the_remaining_envelope(files: list[OpenFile], remaining: int) -> None:
    for selection in compare(files, remaining):
        assert selection.total_centimes <= remaining
        assert selection.remaining_centimes == remaining - selection.total_centimes
        assert len({f.application_id for f in selection.funded}) == len(selection.funded)


@settings(max_examples=150, deadline=None)
@given(files=files_strategy, remaining=st.integers(0, 6_000_000_000))
def test_optimal_total_score_is_at_least_greedy(files: list[OpenFile], remaining: int) -> None:
    greedy, optimal = select(GREEDY, files, remaining), select(OPTIMAL, files, remaining)
    assert optimal.weighted_total >= greedy.weighted_total


@settings(max_examples=60, deadline=None)
@given(
    files=files_strategy.map(lambda f: f[:10]),
    remaining=st.integers(0, 6_000_000_000),
)
def test_optimal_equals_brute_force(files: list[OpenFile], remaining: int) -> None:
    """The knapsack solver against the definition: the best of every subset that fits."""
    best = 0
    for k in range(len(files) + 1):
        for subset in itertools.combinations(files, k):
            if sum(f.requested_centimes for f in subset) <= remaining:
                best = max(best, sum(f.raw_score * f.requested_centimes for f in subset))
    assert select(OPTIMAL, files, remaining).weighted_total == best


def test_raw_mean_stops_at_the_line_where_greedy_skips_and_goes_on() -> None:
    files = [_file(1, 9000, 600), _file(2, 8000, 500), _file(3, 7000, 300)]
    assert [f.application_id.int for f in select(RAW_MEAN, files, 1000).funded] == [1]
    assert [f.application_id.int for f in select(GREEDY, files, 1000).funded] == [1, 3]
    assert select(GREEDY, files, 1000).remaining_centimes == 100


def test_normalised_ranks_by_the_normalised_score() -> None:
    files = [_file(1, 9000, 600, norm=4000), _file(2, 8000, 600, norm=9000)]
    assert [f.application_id.int for f in select(NORMALISED, files, 700).funded] == [2]


def test_optimal_beats_greedy_when_a_big_good_file_is_skipped() -> None:
    files = [_file(1, 9000, 60), _file(2, 8000, 50), _file(3, 8000, 50)]
    assert [f.application_id.int for f in select(GREEDY, files, 100).funded] == [1]
    assert [f.application_id.int for f in select(OPTIMAL, files, 100).funded] == [2, 3]


def test_province_balanced_takes_each_province_in_turn() -> None:
    files = [
        _file(1, 9500, 100, "zagora"), _file(2, 9400, 100, "zagora"),
        _file(3, 6000, 100, "midelt"),
    ]  # fmt: skip
    funded = select(PROVINCE_BALANCED, files, 200).funded
    assert [f.application_id.int for f in funded] == [3, 1]


def test_nothing_open_funds_nothing() -> None:
    assert all(s.funded == () and s.remaining_centimes == 50 for s in compare([], 50))
    assert [s.policy for s in compare([], 50)] == list(POLICIES)
