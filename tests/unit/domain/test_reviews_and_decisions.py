"""Specifications of review, decision, agreement, tranches, cancellation and completion."""

from __future__ import annotations

import pytest

from domain.applications import (
    FundingExceedsLimitError,
    GrantApplication,
    Status,
    TrancheExceedsFundingError,
)
from domain.errors import InvalidTransitionError, InvalidValueError
from domain.reviews import (
    ConflictOfInterestError,
    QuorumNotReachedError,
    ReviewerNotAssignedError,
    ScoreBelowThresholdError,
)
from domain.rubrics import DEFAULT_CRITERIA, Rubric, RubricNotPublishedError
from tests.unit.domain.builders import (
    CHAIR,
    GOOD,
    OFFICER,
    POOR,
    R1,
    R2,
    R3,
    THRESHOLD,
    funded,
    in_review,
    reviewed,
    rubric,
    signed,
    submitted,
)  # fmt: skip
from tests.unit.domain.support import at, given, names, uid, when


def fund(app: GrantApplication, amount: int = 2_000_000_00, **policy: object) -> None:
    app.fund(CHAIR, amount, "note", at(3), **{"threshold_hundredths": THRESHOLD, **policy})  # type: ignore[arg-type]


def test_requesting_information_records_the_question() -> None:
    app = given(submitted())
    events = when(app, lambda a: a.request_information(R1, " Water source? ", at(1)))
    assert names(events) == ["InformationRequested"]
    assert (events[0].by, events[0].question) == (R1, "Water source?")


def test_screening_out_records_the_reason_and_ends_the_file() -> None:
    app = given(submitted())
    assert names(when(app, lambda a: a.screen_out(OFFICER, "Outside region", at(1)))) == [
        "ScreenedOut"
    ]
    assert app.status is Status.SCREENED_OUT
    with pytest.raises(InvalidTransitionError):
        app.assign_reviewer(R1, OFFICER, at(2))


def test_screening_out_needs_a_reason() -> None:
    with pytest.raises(InvalidValueError):
        given(submitted()).screen_out(OFFICER, "", at(1))


def test_assigning_a_reviewer_puts_the_file_in_review_and_is_idempotent() -> None:
    app = given(submitted())
    events = when(app, lambda a: a.assign_reviewer(R1, OFFICER, at(1)))
    assert names(events) == ["ReviewerAssigned"]
    assert (events[0].reviewer_id, events[0].by, app.status) == (R1, OFFICER, Status.IN_REVIEW)
    assert when(app, lambda a: a.assign_reviewer(R1, OFFICER, at(1))) == []


def test_a_reviewer_with_a_conflict_cannot_see_be_assigned_or_score() -> None:
    built = in_review(R1, R2)
    built.declare_conflict(R1, at(1))
    app = given(built)
    assert not app.visible_to(R1)
    assert app.visible_to(R2)
    with pytest.raises(ConflictOfInterestError) as refused:
        app.score(R1, rubric(), GOOD, "", at(2))
    assert (refused.value.code, refused.value.reviewer_id) == ("conflict_of_interest", R1)
    with pytest.raises(ConflictOfInterestError):
        app.assign_reviewer(R1, OFFICER, at(2))
    assert app.collect_events() == []


def test_declaring_a_conflict_records_conflict_declared_once() -> None:
    app = given(in_review())
    events = when(app, lambda a: a.declare_conflict(R3, at(1)))
    assert names(events) == ["ConflictDeclared"]
    assert when(app, lambda a: a.declare_conflict(R3, at(1))) == []


def test_scoring_records_reviewed_with_rubric_version_and_weighted_score() -> None:
    app = given(in_review())
    events = when(app, lambda a: a.score(R1, rubric(), GOOD, "Solid plan", at(2)))
    assert names(events) == ["Reviewed"]
    review = events[0]
    assert (review.reviewer_id, review.rubric_id, review.rubric_version) == (R1, uid(21), 1)
    assert (review.weighted_score, review.comment, review.revision) == (8_000, "Solid plan", 1)


def test_a_second_review_by_the_same_reviewer_supersedes_the_first() -> None:
    built = reviewed(POOR)
    app = given(built)
    events = when(app, lambda a: a.score(R1, rubric(), GOOD, "corrected", at(3)))
    assert events[0].revision == 2
    assert [r.weighted_score for r in app.counted_reviews()] == [8_000]


def test_scoring_refused_when_not_assigned() -> None:
    app = given(in_review(R1))
    with pytest.raises(ReviewerNotAssignedError):
        app.score(R3, rubric(), GOOD, "", at(2))
    assert app.collect_events() == []


def test_scoring_refused_with_a_draft_rubric() -> None:
    draft = Rubric.draft(
        rubric_id=uid(22), name="d", rubric_version=2, criteria=DEFAULT_CRITERIA, at=at()
    )
    with pytest.raises(RubricNotPublishedError):
        given(in_review()).score(R1, draft, GOOD, "", at(2))


def test_scoring_refused_before_review() -> None:
    with pytest.raises(InvalidTransitionError):
        given(submitted()).score(R1, rubric(), GOOD, "", at(2))


def test_funding_records_funded_with_the_mean_score() -> None:
    app = given(reviewed(GOOD, {**GOOD, "stable_jobs": 5}))
    events = when(app, fund)
    assert names(events) == ["Funded"]
    funded_event = events[0]
    assert (funded_event.amount_centimes, funded_event.score, funded_event.decided_by) == (
        2_000_000_00,
        8_250,
        CHAIR,
    )
    assert app.status is Status.FUNDED


def test_funding_refused_without_a_quorum() -> None:
    app = given(reviewed(GOOD))
    with pytest.raises(QuorumNotReachedError) as refused:
        fund(app)
    assert (refused.value.reviews, refused.value.quorum) == (1, 2)
    assert names(when(app, lambda a: fund(a, quorum=1))) == ["Funded"]


def test_a_conflicted_reviewers_score_does_not_count_towards_the_quorum() -> None:
    built = reviewed(GOOD, GOOD)
    built.declare_conflict(R2, at(2))
    with pytest.raises(QuorumNotReachedError):
        fund(given(built))


def test_funding_refused_below_the_threshold_unless_justified() -> None:
    app = given(reviewed(POOR, POOR))
    with pytest.raises(ScoreBelowThresholdError) as refused:
        fund(app)
    assert (refused.value.score_hundredths, refused.value.threshold_hundredths) == (
        4_000,
        THRESHOLD,
    )
    with pytest.raises(ScoreBelowThresholdError):
        fund(app, override_justification="  ")
    assert app.collect_events() == []
    events = when(app, lambda a: fund(a, override_justification="Only project in Tinghir"))
    assert events[0].override_justification == "Only project in Tinghir"


@pytest.mark.parametrize(
    ("amount", "max_share", "limit"),
    [
        (2_500_000_01, 3_000, 2_500_000_00),
        (3_000_000_01, 10_000, 2_500_000_00),
        (1_000_000_01, 1_000, 1_000_000_00),
    ],
)
def test_funding_refused_beyond_the_request_or_the_maximum_share(
    amount: int, max_share: int, limit: int
) -> None:
    app = given(reviewed(GOOD, GOOD))
    with pytest.raises(FundingExceedsLimitError) as refused:
        fund(app, amount, max_share_basis_points=max_share)
    assert refused.value.limit_centimes == limit
    assert app.collect_events() == []


def test_rejecting_records_rejected() -> None:
    app = given(reviewed(POOR, POOR))
    assert names(when(app, lambda a: a.reject(CHAIR, "Low score", at(3)))) == ["Rejected"]
    with pytest.raises(InvalidTransitionError):
        fund(app)


def test_signing_the_agreement_and_paying_tranches() -> None:
    app = given(funded())
    assert names(when(app, lambda a: a.sign_agreement(OFFICER, at(4)))) == ["AgreementSigned"]
    events = when(app, lambda a: a.disburse(500_000_00, OFFICER, at(5)))
    assert (names(events), events[0].amount_centimes) == (["TrancheDisbursed"], 500_000_00)
    assert app.undisbursed_centimes == 1_500_000_00


def test_disbursing_refused_before_the_agreement_is_signed() -> None:
    with pytest.raises(InvalidTransitionError):
        given(funded()).disburse(1, OFFICER, at(4))


def test_tranches_never_exceed_the_funded_amount() -> None:
    built = signed()
    built.disburse(1_500_000_00, OFFICER, at(5))
    app = given(built)
    with pytest.raises(TrancheExceedsFundingError) as refused:
        app.disburse(500_000_01, OFFICER, at(6))
    assert refused.value.left_centimes == 500_000_00
    assert app.collect_events() == []


def test_cancelling_releases_what_was_not_disbursed() -> None:
    built = signed()
    built.disburse(500_000_00, OFFICER, at(5))
    app = given(built)
    events = when(app, lambda a: a.cancel(OFFICER, "Project abandoned", at(6)))
    assert (names(events), events[0].released_centimes) == (["Cancelled"], 1_500_000_00)
    with pytest.raises(InvalidTransitionError):
        app.disburse(1, OFFICER, at(7))


def test_completing_releases_any_remainder() -> None:
    built = signed()
    built.disburse(2_000_000_00, OFFICER, at(5))
    app = given(built)
    events = when(app, lambda a: a.complete(OFFICER, at(9)))
    assert (names(events), events[0].released_centimes, app.status) == (
        ["Completed"],
        0,
        Status.COMPLETED,
    )


def test_cancelling_before_funding_is_refused() -> None:
    app = given(in_review())
    with pytest.raises(InvalidTransitionError) as refused:
        app.cancel(OFFICER, "x", at(2))
    assert refused.value.action == "cancel"
    assert app.collect_events() == []
