"""Rubric criteria that are facts of the file, scored from it rather than by judgement.

Two default criteria (``domain.rubrics.DEFAULT_CRITERIA``) follow from what the investor declared:

- ``province_category``: the 2022 Investment Charter's territorial premium is 15 % of the
  investment in category B provinces (Errachidia, Midelt, Tinghir, Zagora) and 10 % in category A
  (Ouarzazate); the score follows the premium: B -> 5, A -> 3 (10/15 of 5, rounded down).
- ``priority_sector``: offshoring, the programme's priority sector, -> 5; another sector the
  programme names -> 3; "other sectors" -> 1.

A reviewer sees these scores and cannot change them; the web layer puts them in the review.
"""

from __future__ import annotations

from typing import Final

from domain.reference import PRIORITY_SECTOR, province

PROVINCE_CATEGORY: Final = "province_category"
PRIORITY_SECTOR_CRITERION: Final = "priority_sector"
FACT_CRITERIA: Final = frozenset({PROVINCE_CATEGORY, PRIORITY_SECTOR_CRITERION})
CATEGORY_SCORES: Final = {"A": 3, "B": 5}
OTHER_SECTOR: Final = "other"


def province_category_score(province_key: str) -> int:
    """The score of a province's Charter category (see the module docstring)."""
    return CATEGORY_SCORES[province(province_key).category]


def priority_sector_score(sector_key: str) -> int:
    """5 for the priority sector, 1 for "other sectors", 3 for any other named sector."""
    if sector_key == PRIORITY_SECTOR:
        return 5
    return 1 if sector_key == OTHER_SECTOR else 3


def fact_scores(
    criteria_keys: frozenset[str], *, province_key: str, sector_key: str
) -> dict[str, int]:
    """The scores of the fact criteria among ``criteria_keys``, computed from the file."""
    scores: dict[str, int] = {}
    if PROVINCE_CATEGORY in criteria_keys:
        scores[PROVINCE_CATEGORY] = province_category_score(province_key)
    if PRIORITY_SECTOR_CRITERION in criteria_keys:
        scores[PRIORITY_SECTOR_CRITERION] = priority_sector_score(sector_key)
    return scores
