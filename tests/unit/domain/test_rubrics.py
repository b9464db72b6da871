"""Specifications of rubrics and of the weighted score."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValueError
from domain.rubrics import (
    DEFAULT_CRITERIA,
    Criterion,
    InvalidScoresError,
    Rubric,
    RubricNotPublishedError,
    RubricPublishedError,
    mean_half_up,
    weighted_score,
)
from tests.unit.domain.support import at, given, names, uid, when

RUBRIC = uid(21)
ALL = {c.key: 5 for c in DEFAULT_CRITERIA}


def drafted(criteria: tuple[Criterion, ...] = DEFAULT_CRITERIA) -> Rubric:
    return Rubric.draft(
        rubric_id=RUBRIC, name="Charte 2022", rubric_version=1, criteria=criteria, at=at()
    )


def published() -> Rubric:
    rubric = drafted()
    rubric.publish(at(1))
    return given(rubric)


def test_default_criteria_weights_sum_to_100_and_offshoring_is_a_criterion() -> None:
    assert sum(c.weight for c in DEFAULT_CRITERIA) == 100
    assert "priority_sector" in {c.key for c in DEFAULT_CRITERIA}


def test_weighted_score_is_in_hundredths_on_a_0_to_100_scale() -> None:
    assert weighted_score(DEFAULT_CRITERIA, ALL) == 10_000
    assert weighted_score(DEFAULT_CRITERIA, dict.fromkeys(ALL, 0)) == 0
    # stable_jobs weighs 25: 25 * 3 * 20 = 1500, the rest 75 * 4 * 20 = 6000.
    assert weighted_score(DEFAULT_CRITERIA, {**dict.fromkeys(ALL, 4), "stable_jobs": 3}) == 7500


def test_weighted_score_rounds_half_up_when_weights_do_not_sum_to_100() -> None:
    criteria = [Criterion("a", {}, 1), Criterion("b", {}, 2)]
    # (1*1 + 2*0) * 10_000 / (5 * 3) = 666.67 -> 667
    assert weighted_score(criteria, {"a": 1, "b": 0}) == 667


@pytest.mark.parametrize(
    "scores", [{**ALL, "stable_jobs": 6}, {**ALL, "stable_jobs": -1}, {"stable_jobs": 5}]
)
def test_weighted_score_refuses_scores_off_the_scale_or_incomplete(scores: dict[str, int]) -> None:
    with pytest.raises(InvalidScoresError):
        weighted_score(DEFAULT_CRITERIA, scores)


def test_mean_is_rounded_half_up() -> None:
    assert mean_half_up([1, 2]) == 2
    assert mean_half_up([7000, 6001, 6000]) == 6334
    assert mean_half_up([]) == 0


def test_drafting_records_drafted_with_version_and_criteria() -> None:
    [event] = drafted().collect_events()
    assert type(event).__name__ == "Drafted"
    assert event.rubric_version == 1
    assert event.criteria[0] == {
        "key": "stable_jobs",
        "labels": dict(DEFAULT_CRITERIA[0].labels),
        "weight": 25,
        "levels": {level: dict(texts) for level, texts in DEFAULT_CRITERIA[0].levels.items()},
    }
    assert set(event.criteria[0]["levels"]) == {"0", "3", "5"}


def test_drafting_refuses_duplicate_keys_and_missing_labels() -> None:
    with pytest.raises(InvalidValueError):
        drafted((DEFAULT_CRITERIA[0], DEFAULT_CRITERIA[0]))
    with pytest.raises(InvalidValueError):
        drafted((Criterion("x", {"fr": "X"}, 100),))


def test_revising_a_draft_records_revised() -> None:
    rubric = given(drafted())
    new = (*DEFAULT_CRITERIA[:-1], Criterion("business_plan", DEFAULT_CRITERIA[-1].labels, 10))
    assert names(when(rubric, lambda r: r.revise(new, at(1)))) == ["Revised"]


def test_publishing_records_published() -> None:
    rubric = given(drafted())
    assert names(when(rubric, lambda r: r.publish(at(1)))) == ["Published"]
    assert rubric.is_published


def test_publishing_refused_when_weights_do_not_sum_to_100() -> None:
    rubric = given(drafted(DEFAULT_CRITERIA[:-1]))
    with pytest.raises(InvalidValueError):
        rubric.publish(at(1))
    assert rubric.collect_events() == []


def test_editing_a_published_rubric_is_refused() -> None:
    rubric = published()
    with pytest.raises(RubricPublishedError) as refused:
        rubric.revise(DEFAULT_CRITERIA, at(2))
    assert refused.value.code == "rubric_published"
    with pytest.raises(RubricPublishedError):
        rubric.publish(at(2))
    assert rubric.collect_events() == []


def test_scoring_with_a_draft_rubric_is_refused() -> None:
    with pytest.raises(RubricNotPublishedError):
        given(drafted()).score(ALL)


def test_scoring_with_a_published_rubric_returns_the_weighted_score() -> None:
    assert published().score(ALL) == 10_000


def test_a_criterion_stored_before_level_descriptors_reads_with_none() -> None:
    stored = {"key": "k", "labels": {"ar": "أ", "fr": "f", "en": "e"}, "weight": 10}
    criterion = Criterion.from_dict(stored)
    assert criterion.levels == {}
    assert criterion.as_dict() == stored


def test_every_default_criterion_describes_levels_0_3_5_in_three_languages() -> None:
    for criterion in DEFAULT_CRITERIA:
        assert set(criterion.levels) == {"0", "3", "5"}
        assert all(set(texts) == {"ar", "fr", "en"} for texts in criterion.levels.values())
