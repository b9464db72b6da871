"""Scoring rubrics: versioned, weighted criteria, published before scoring opens.

Score convention (integers only, nothing stored as a float): each criterion is scored 0..5;
the weighted score is expressed in hundredths of a point on a 0..100 scale, i.e. 0..10_000,
``round_half_up(sum(weight * score) * 10_000 / (5 * sum(weights)))``. With weights summing to
100 (required to publish) this is exactly ``sum(weight * score) * 20``: all 5s give 10_000
(100.00 points), all 0s give 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValueError, require_positive
from domain.reference import LANGUAGES
from domain.rubric_levels import LEVEL_DESCRIPTORS

if TYPE_CHECKING:
    from datetime import datetime

SCALE_MAX: Final = 5
FULL_SCORE: Final = 10_000  # hundredths of a point: 100.00
WEIGHTS_TOTAL: Final = 100


class RubricPublishedError(DomainError):
    """Raised when a published rubric is edited (publish a new version instead)."""

    code = "rubric_published"

    def __init__(self, rubric_id: UUID, rubric_version: int) -> None:
        self.rubric_id = rubric_id
        self.rubric_version = rubric_version
        super().__init__(f"rubric {rubric_id} v{rubric_version} is published")


class RubricNotPublishedError(DomainError):
    """Raised when a draft rubric is used to score an application."""

    code = "rubric_not_published"

    def __init__(self, rubric_id: UUID) -> None:
        self.rubric_id = rubric_id
        super().__init__(f"rubric {rubric_id} is a draft")


class InvalidScoresError(DomainError):
    """Raised when scores do not cover exactly the rubric's criteria, each within 0..5."""

    code = "invalid_scores"

    def __init__(self, rubric_id: UUID | None, reason: str) -> None:
        self.rubric_id = rubric_id
        self.reason = reason
        super().__init__(f"rubric {rubric_id}: {reason}")


#: The score levels a criterion describes in words, so that investors and reviewers read the
#: same scale: what a 0, a 3 and a 5 look like (the levels between are in between).
DESCRIBED_LEVELS: Final = ("0", "3", "5")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One weighted criterion, scored from 0 to 5; ``levels`` maps "0"/"3"/"5" to labels."""

    key: str
    labels: Mapping[str, str]
    weight: int
    levels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-friendly form stored in events (no ``levels`` key when there are none, as
        before descriptors existed)."""
        data: dict[str, Any] = {"key": self.key, "labels": dict(self.labels), "weight": self.weight}
        if self.levels:
            data["levels"] = {level: dict(texts) for level, texts in self.levels.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        """Rebuild a criterion from its stored form."""
        levels = {str(k): dict(v) for k, v in dict(data.get("levels") or {}).items()}
        return cls(
            key=data["key"], labels=dict(data["labels"]), weight=int(data["weight"]), levels=levels
        )


def _c(key: str, weight: int, ar: str, fr: str, en: str) -> Criterion:
    return Criterion(key, {"ar": ar, "fr": fr, "en": en}, weight, LEVEL_DESCRIPTORS.get(key, {}))


#: Drawn from the 2022 Investment Charter (law-framework 03-22) and its regional priorities.
DEFAULT_CRITERIA: Final[tuple[Criterion, ...]] = (
    _c("stable_jobs", 25, "مناصب الشغل القارة المحدثة", "Emplois stables créés",
       "Stable jobs created"),
    _c("women_share", 10, "حصة النساء من مناصب الشغل", "Part des femmes dans les emplois",
       "Women's share of jobs"),
    _c("province_category", 10, "صنف الإقليم", "Catégorie de la province", "Province category"),
    _c("priority_sector", 15, "قطاع ذو أولوية (الأوفشورينغ أولا)",
       "Secteur prioritaire (offshoring en tête)", "Priority sector (offshoring first)"),
    _c("sustainability", 10, "الاستدامة (الماء والطاقة)", "Durabilité (eau, énergie)",
       "Sustainability (water, energy)"),
    _c("local_integration", 10, "الاندماج المحلي", "Intégration locale", "Local integration"),
    _c("export_share", 10, "حصة التصدير", "Part à l'export", "Export share"),
    _c("business_plan", 10, "جودة مخطط الأعمال", "Qualité du business plan",
       "Business-plan quality"),
)  # fmt: skip


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def mean_half_up(values: Sequence[int]) -> int:
    """Integer mean of ``values`` rounded half up (0 for no values)."""
    return _round_half_up(sum(values), len(values)) if values else 0


def check_scores(
    criteria: Sequence[Criterion], scores: Mapping[str, int], rubric_id: UUID | None = None
) -> None:
    """Refuse scores that miss or add a criterion, or fall outside 0..5."""
    expected = {c.key for c in criteria}
    if set(scores) != expected:
        raise InvalidScoresError(rubric_id, f"expected scores for {sorted(expected)}")
    for key, value in scores.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SCALE_MAX:
            raise InvalidScoresError(rubric_id, f"{key} must be an integer 0..{SCALE_MAX}")


def weighted_score(criteria: Sequence[Criterion], scores: Mapping[str, int]) -> int:
    """Return the weighted score in hundredths of a point on 0..100 (see the module docstring)."""
    check_scores(criteria, scores)
    total_weight = sum(c.weight for c in criteria)
    weighted = sum(c.weight * scores[c.key] for c in criteria)
    return _round_half_up(weighted * FULL_SCORE, SCALE_MAX * total_weight)


def check_criteria(criteria: Sequence[Criterion]) -> None:
    """Refuse criteria with duplicate keys, non-positive weights or missing labels."""
    if not criteria:
        raise InvalidValueError("criteria", [], "at least one criterion")
    keys = [c.key for c in criteria]
    if len(set(keys)) != len(keys):
        raise InvalidValueError("criteria", keys, "keys must be unique")
    for criterion in criteria:
        require_positive("weight", criterion.weight)
        if not all(criterion.labels.get(lang) for lang in LANGUAGES):
            raise InvalidValueError("labels", criterion.key, "needs ar, fr and en labels")
        if set(criterion.levels) - set(DESCRIBED_LEVELS):
            raise InvalidValueError("levels", criterion.key, f"levels are {DESCRIBED_LEVELS}")


class Rubric(Aggregate):
    """One version of a scoring rubric; drafts may be revised, published ones never change."""

    TOPIC = "grants.rubric:Rubric"

    class Created(Aggregate.Created):
        """Base of ``Drafted``; declared only so that it has a stable topic."""

        TOPIC = "grants.rubric:Rubric.Created"

    @staticmethod
    def create_id(rubric_id: UUID) -> UUID:
        """The id is chosen by the caller."""
        return rubric_id

    @classmethod
    def draft(
        cls,
        *,
        rubric_id: UUID,
        name: str,
        rubric_version: int,
        criteria: Sequence[Criterion],
        at: datetime,
    ) -> Rubric:
        """Draft version ``rubric_version`` of a rubric (a new version is a new Rubric)."""
        require_positive("rubric_version", rubric_version)
        check_criteria(criteria)
        return cls(
            rubric_id=rubric_id,
            name=name,
            rubric_version=rubric_version,
            criteria=[c.as_dict() for c in criteria],
            timestamp=at,
        )

    @event("Drafted", topic="grants.rubric:Drafted")
    def __init__(
        self,
        *,
        rubric_id: UUID,
        name: str,
        rubric_version: int,
        criteria: list[dict[str, Any]],
        timestamp: datetime,
    ) -> None:
        self.name = name
        self.rubric_version = rubric_version
        self.criteria = tuple(Criterion.from_dict(c) for c in criteria)
        self.published_at: datetime | None = None

    @property
    def is_published(self) -> bool:
        """Whether the rubric is published (and so immutable, and usable for scoring)."""
        return self.published_at is not None

    def revise(self, criteria: Sequence[Criterion], at: datetime) -> None:
        """Replace the criteria of a draft."""
        self._refuse_if_published()
        check_criteria(criteria)
        self._revised(criteria=[c.as_dict() for c in criteria], timestamp=at)

    @event("Revised", topic="grants.rubric:Revised")
    def _revised(self, criteria: list[dict[str, Any]], timestamp: datetime) -> None:
        self.criteria = tuple(Criterion.from_dict(c) for c in criteria)

    def publish(self, at: datetime) -> None:
        """Publish the draft; its weights must sum to 100."""
        self._refuse_if_published()
        total = sum(c.weight for c in self.criteria)
        if total != WEIGHTS_TOTAL:
            raise InvalidValueError("weights", total, f"must sum to {WEIGHTS_TOTAL}")
        self._published(timestamp=at)

    @event("Published", topic="grants.rubric:Published")
    def _published(self, timestamp: datetime) -> None:
        self.published_at = timestamp

    def score(self, scores: Mapping[str, int]) -> int:
        """Weighted score of ``scores`` under this published rubric, in hundredths."""
        if not self.is_published:
            raise RubricNotPublishedError(self.id)
        check_scores(self.criteria, scores, self.id)
        return weighted_score(self.criteria, scores)

    def _refuse_if_published(self) -> None:
        if self.is_published:
            raise RubricPublishedError(self.id, self.rubric_version)
