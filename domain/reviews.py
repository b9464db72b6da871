"""Committee review of applications: who may score, which reviews count, the funding rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from domain.errors import DomainError
from domain.rubrics import mean_half_up


class ConflictOfInterestError(DomainError):
    """Raised when a reviewer who declared a conflict would see, be assigned or score a file."""

    code = "conflict_of_interest"

    def __init__(self, application_id: UUID, reviewer_id: UUID) -> None:
        self.application_id = application_id
        self.reviewer_id = reviewer_id
        super().__init__(f"reviewer {reviewer_id} declared a conflict on {application_id}")


class ReviewerNotAssignedError(DomainError):
    """Raised when a reviewer scores an application they were not assigned to."""

    code = "reviewer_not_assigned"

    def __init__(self, application_id: UUID, reviewer_id: UUID) -> None:
        self.application_id = application_id
        self.reviewer_id = reviewer_id
        super().__init__(f"reviewer {reviewer_id} is not assigned to {application_id}")


class QuorumNotReachedError(DomainError):
    """Raised when funding is decided before enough reviewers have scored the application."""

    code = "quorum_not_reached"

    def __init__(self, application_id: UUID, reviews: int, quorum: int) -> None:
        self.application_id = application_id
        self.reviews = reviews
        self.quorum = quorum
        super().__init__(f"{application_id}: {reviews} reviews, quorum {quorum}")


class ScoreBelowThresholdError(DomainError):
    """Raised when funding an application scored below the threshold without a justification."""

    code = "score_below_threshold"

    def __init__(self, application_id: UUID, score: int, threshold: int) -> None:
        self.application_id = application_id
        self.score_hundredths = score
        self.threshold_hundredths = threshold
        super().__init__(f"{application_id}: score {score} < threshold {threshold}")


@dataclass(frozen=True, slots=True)
class Review:
    """A reviewer's latest review of one application (earlier revisions are superseded)."""

    reviewer_id: UUID
    rubric_id: UUID
    rubric_version: int
    scores: Mapping[str, int]
    weighted_score: int
    comment: str
    revision: int


def counted_reviews(reviews: Mapping[UUID, Review], conflicts: set[UUID]) -> list[Review]:
    """The reviews that count: each reviewer's latest, minus reviewers who declared a conflict."""
    return [r for reviewer, r in reviews.items() if reviewer not in conflicts]


def check_funding_rule(
    application_id: UUID,
    reviews: list[Review],
    *,
    quorum: int,
    threshold_hundredths: int,
    override_justification: str,
) -> int:
    """Return the mean weighted score if funding may be decided, else raise.

    A quorum is always required; a non-empty override justification lifts only the threshold.
    """
    if len(reviews) < quorum:
        raise QuorumNotReachedError(application_id, len(reviews), quorum)
    score = mean_half_up([r.weighted_score for r in reviews])
    if score < threshold_hundredths and not override_justification.strip():
        raise ScoreBelowThresholdError(application_id, score, threshold_hundredths)
    return score
