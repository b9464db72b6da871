"""Wire types of the newcomer endpoints: registration, reference data, a call's rules.

Enumerations (languages, categories, applicant kinds, described score levels) are ``Literal``s so
that the OpenAPI document lists their values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from web.api.schemas import In, Language, Out, Weight

Level = Literal["0", "3", "5"]


class AccountIn(In, frozen=True):
    """A new investor account: the registration page's fields."""

    email: Annotated[str, Meta(min_length=3, max_length=254)]
    display_name: Annotated[str, Meta(min_length=1, max_length=120)]
    password: Annotated[
        str,
        Meta(min_length=1, max_length=1024, description="8 to 128 characters, not a common one"),
    ]


class LabelsOut(Out, frozen=True):
    """A label in the three languages of the platform."""

    ar: str
    fr: str
    en: str


class TermOut(Out, frozen=True):
    """An entry of a vocabulary: the ``key`` requests send, and its labels."""

    key: str
    labels: LabelsOut


class ProvinceOut(Out, frozen=True):
    """A province of the region, its Investment-Charter category and its communes."""

    key: str
    labels: LabelsOut
    category: Literal["A", "B"]
    communes: list[TermOut]


class LegalFormOut(Out, frozen=True):
    """A legal form and the applicant kind it goes with (``sole_trader``: RNAE, no RC)."""

    key: str
    labels: LabelsOut
    applicant_kind: Literal["company", "sole_trader"]


class ReferenceOut(Out, frozen=True):
    """Everything a form needs to offer valid choices."""

    languages: list[Language]
    sectors: list[TermOut]
    provinces: list[ProvinceOut]
    legal_forms: list[LegalFormOut]


class DocumentOut(Out, frozen=True):
    """A document the call asks for; ``languages`` it may be written in."""

    kind: str
    labels: dict[Language, str]
    languages: list[Language]
    mandatory: bool


class QuestionOut(Out, frozen=True):
    """An entry of the call's FAQ, per language."""

    question: dict[Language, str]
    answer: dict[Language, str]


class ScaleOut(Out, frozen=True):
    """The score scale of every criterion: integers from ``min`` (0) to ``max`` (5)."""

    min: Literal[0]
    max: Literal[5]


class CriterionOut(Out, frozen=True):
    """A weighted criterion; ``levels`` say what a 0, a 3 and a 5 look like."""

    key: str
    weight: Weight
    labels: dict[Language, str]
    levels: dict[Level, dict[Language, str]]


class PublishedRubricOut(Out, frozen=True):
    """The published rubric reviewers score against; weights sum to 100."""

    rubric_id: UUID
    name: str
    rubric_version: int
    scale: ScaleOut
    criteria: list[CriterionOut]


class DecisionRulesOut(Out, frozen=True):
    """How decisions are taken: quorum, threshold (hundredths of a point out of 100), override."""

    quorum: int
    funding_threshold_hundredths: Annotated[int, Meta(ge=0, le=10_000)]
    override_requires_published_justification: bool


class CallDetailOut(Out, frozen=True):
    """A call's rules and texts: what an investor must know before applying."""

    call_id: UUID
    envelope_id: UUID
    title: str
    titles: dict[Language, str]
    who_may_apply: dict[Language, str]
    eligible_sectors: list[str]
    eligible_provinces: list[str]
    min_request_centimes: int
    max_request_centimes: int
    max_share_basis_points: Annotated[
        int,
        Meta(
            ge=1,
            le=10_000,
            description="The largest request as a share of the project's total investment, in basis points (3000 = 30 %)",
        ),
    ]
    opens_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    contact_email: str | None
    documents: list[DocumentOut]
    faq: list[QuestionOut]
    rubric: PublishedRubricOut | None
    decision: DecisionRulesOut
