"""Criteria that are facts of the file: scored from the province's Charter category and the sector."""

from __future__ import annotations

import pytest

from domain.fact_criteria import FACT_CRITERIA, fact_scores
from domain.reference import PROVINCES, SECTORS
from domain.rubrics import DEFAULT_CRITERIA, SCALE_MAX

KEYS = frozenset(c.key for c in DEFAULT_CRITERIA)


@pytest.mark.parametrize(
    ("province", "expected"),
    [("ouarzazate", 3), ("errachidia", 5), ("midelt", 5), ("tinghir", 5), ("zagora", 5)],
)
def test_the_province_category_follows_the_charter_premium(province: str, expected: int) -> None:
    assert fact_scores(KEYS, province_key=province, sector_key="mining")["province_category"] == (
        expected
    )


@pytest.mark.parametrize(("sector", "expected"), [("offshoring", 5), ("tourism", 3), ("other", 1)])
def test_the_priority_sector_puts_offshoring_first(sector: str, expected: int) -> None:
    assert (
        fact_scores(KEYS, province_key="zagora", sector_key=sector)["priority_sector"] == expected
    )


def test_every_province_and_sector_has_a_score_on_the_scale() -> None:
    for p in PROVINCES:
        for s in SECTORS:
            scores = fact_scores(KEYS, province_key=p.key, sector_key=s.key)
            assert set(scores) == FACT_CRITERIA
            assert all(0 <= v <= SCALE_MAX for v in scores.values())


def test_a_rubric_without_fact_criteria_gets_none() -> None:
    assert (
        fact_scores(frozenset({"stable_jobs"}), province_key="zagora", sector_key="offshoring")
        == {}
    )
