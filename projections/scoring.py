"""Pure arithmetic of the review queue: raw and reviewer-normalised scores, the fundable line.

Scores are the rubric's weighted scores in hundredths of a point (``int``), as in the domain.

Normalisation: a lenient reviewer's 80 and a strict one's 60 may mean the same. Each reviewer's
scores are standardised against their own mean and spread (population standard deviation) over
every file they scored: ``z = (score - mean_r) / sd_r`` (``z = 0`` when a reviewer has fewer than
two scores or no spread). A file's normalised score is the mean of its reviewers' z-scores mapped
back to the scale with the mean and spread of all scores: ``mean_all + z_mean * sd_all``,
rounded to the hundredth.

The fundable line (issue 14) ranks only the files that could be funded now: in review, with at
least ``quorum`` non-conflicted scores, and a raw mean at or above the threshold. The others are
not ranked and carry the reason (:func:`eligibility`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from uuid import UUID


@dataclass(frozen=True)
class Score:
    """One reviewer's latest weighted score of one file."""

    application_id: UUID
    reviewer_id: UUID
    weighted_score: int


def raw_scores(scores: Iterable[Score]) -> dict[UUID, int]:
    """Each file's mean of its reviewers' latest scores, rounded half up to the hundredth."""
    by_file: dict[UUID, list[int]] = defaultdict(list)
    for s in scores:
        by_file[s.application_id].append(s.weighted_score)
    return {app: (2 * sum(v) + len(v)) // (2 * len(v)) for app, v in by_file.items()}


def _spread(values: Sequence[int]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.pstdev(values) if len(values) > 1 else 0.0


def normalised_scores(scores: Sequence[Score]) -> dict[UUID, int]:
    """Each file's reviewer-normalised score (see the module docstring)."""
    if not scores:
        return {}
    by_reviewer: dict[UUID, list[int]] = defaultdict(list)
    for s in scores:
        by_reviewer[s.reviewer_id].append(s.weighted_score)
    spreads = {r: _spread(v) for r, v in by_reviewer.items()}
    z_by_file: dict[UUID, list[float]] = defaultdict(list)
    for s in scores:
        mean, sd = spreads[s.reviewer_id]
        z_by_file[s.application_id].append((s.weighted_score - mean) / sd if sd else 0.0)
    mean_all, sd_all = _spread([s.weighted_score for s in scores])
    return {app: round(mean_all + statistics.fmean(zs) * sd_all) for app, zs in z_by_file.items()}


#: Why a file in review is, or is not, on the fundable line.
FUNDABLE = "fundable"
BELOW_QUORUM = "below_quorum"
BELOW_THRESHOLD = "below_threshold"


def eligibility(review_count: int, raw_score: int | None, quorum: int, threshold: int) -> str:
    """Whether a file in review can be funded now, or why not (quorum is checked first)."""
    if review_count < quorum or raw_score is None:
        return BELOW_QUORUM
    if raw_score < threshold:
        return BELOW_THRESHOLD
    return FUNDABLE


@dataclass(frozen=True)
class Candidate:
    """A file competing for the envelope: its id, ranking score and requested amount."""

    application_id: UUID
    score: int
    requested_centimes: int


def fundable_line(
    candidates: Iterable[Candidate], remaining_centimes: int
) -> Mapping[UUID, tuple[int, int, bool]]:
    """Rank by score (ties: smaller request first, then id); per file its rank, the cumulative
    requested amount down to it, and whether it falls above the line.

    The line is drawn at the first file whose cumulative request exceeds what remains in the
    envelope: that file and every file below it are under the line.
    """
    ranked = sorted(
        candidates, key=lambda c: (-c.score, c.requested_centimes, str(c.application_id))
    )
    result: dict[UUID, tuple[int, int, bool]] = {}
    cumulative, above = 0, True
    for rank, c in enumerate(ranked, start=1):
        cumulative += c.requested_centimes
        above = above and cumulative <= remaining_centimes
        result[c.application_id] = (rank, cumulative, above)
    return result
