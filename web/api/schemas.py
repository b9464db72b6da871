"""Wire types of the JSON API: one msgspec Struct per direction, validation in the types.

Inbound structs forbid unknown fields, so a client can never set what it was not offered (mass
assignment is refused with a 422 problem). Money is always integer centimes (``*_centimes``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

import msgspec
from msgspec import Meta

T = TypeVar("T")

Centimes = Annotated[int, Meta(ge=1, le=10**15, description="An amount in integer centimes")]
Count = Annotated[int, Meta(ge=0, le=1_000_000)]
Short = Annotated[str, Meta(min_length=1, max_length=200)]
Text = Annotated[str, Meta(max_length=4000)]
Role = Literal["investor", "reviewer", "chair", "officer"]
StaffRole = Literal["reviewer", "chair", "officer"]


#: The platform's languages; shared by every schema that carries per-language texts.
Language = Literal["ar", "fr", "en"]
#: A rubric criterion's weight (a rubric's weights sum to 100).
Weight = Annotated[int, Meta(ge=1, le=100)]


class In(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are refused."""


class Out(msgspec.Struct, kw_only=True, frozen=True):
    """Base of every response body."""


class Page(Out, Generic[T], frozen=True):
    """A page of a list; pass ``next_after`` as ``after`` to get the next one (null: the end)."""

    items: list[T]
    next_after: str | None


# -- session -------------------------------------------------------------------------------


class LoginIn(In, frozen=True):
    """E-mail and password of an account, and the second factor where the account needs one.

    Staff (and investors who enrolled an authenticator) send ``totp``: the app's six-digit code
    or one of their recovery codes. Without it they get 401 ``second_factor_required``."""

    email: Annotated[str, Meta(min_length=3, max_length=254)]
    password: Annotated[str, Meta(min_length=1, max_length=1024)]
    totp: Annotated[str, Meta(min_length=1, max_length=64)] | None = None


class UserOut(Out, frozen=True):
    """An account as its owner and officers see it."""

    id: UUID
    email: str
    display_name: str
    role: str
    disabled: bool = False


class SessionOut(Out, frozen=True):
    """The signed-in user (null for a visitor) and the token unsafe requests must carry."""

    user: UserOut | None
    csrf_token: str


class UserIn(In, frozen=True):
    """A staff account an officer opens (investors register themselves)."""

    email: Annotated[str, Meta(min_length=3, max_length=254)]
    display_name: Annotated[str, Meta(min_length=1, max_length=120)]
    role: StaffRole
    password: Annotated[str, Meta(min_length=1, max_length=1024)]


# -- applications --------------------------------------------------------------------------


class ApplicantIn(In, frozen=True):
    """The company or sole trader applying (public identifiers)."""

    applicant_kind: Literal["company", "sole_trader"]
    company_name: Short
    legal_form: Annotated[
        str,
        Meta(
            max_length=40,
            description="A key of GET /api/v1/reference legal_forms; sole_trader goes with "
            "applicant_kind sole_trader",
        ),
    ]
    ice: Annotated[
        str,
        Meta(
            max_length=40,
            description="15 digits, python-stdnum's ICE check (int(ice) % 97 == 0); a sole "
            "trader may leave it empty when it gives an RNAE number",
        ),
    ]
    rc_court: Annotated[
        str, Meta(max_length=80, description="commercial-register court; empty for a sole trader")
    ] = ""
    rc_number: Annotated[
        str, Meta(max_length=40, description="commercial-register number; empty for a sole trader")
    ] = ""
    rnae_number: Annotated[
        str,
        Meta(
            max_length=40,
            description="auto-entrepreneur register (RNAE) number: sole traders only, "
            "required unless an ICE is given",
        ),
    ] = ""


class ContactIn(In, frozen=True):
    """The contact person: encrypted before it is stored, never shown to reviewers."""

    name: Annotated[str, Meta(min_length=1, max_length=120)]
    email: Annotated[str, Meta(min_length=3, max_length=254)]
    phone: Annotated[str, Meta(min_length=3, max_length=40)]
    national_id: Annotated[str, Meta(max_length=40)] = ""


class ProjectIn(In, frozen=True):
    """The project and the amount asked for."""

    title: Short
    summary: Text
    sector: Annotated[str, Meta(max_length=40, description="A sector key (GET /api/v1/reference)")]
    province: Annotated[
        str, Meta(max_length=40, description="A province key (GET /api/v1/reference)")
    ]
    commune: Annotated[
        str,
        Meta(
            max_length=40,
            description="A commune of the chosen province (GET /api/v1/reference)",
        ),
    ]
    total_investment_centimes: Centimes
    requested_centimes: Annotated[
        int,
        Meta(
            ge=1,
            le=10**15,
            description="Within the call's amount range and at most its maximum share of "
            "total_investment_centimes (30 % by default): else 422 ineligible",
        ),
    ]
    jobs: Count
    jobs_women: Count
    timeline_months: Annotated[int, Meta(ge=1, le=240)]


class PublicIn(In, frozen=True):
    """The public title and summary, published with the grant if it is funded, and only when
    ``approved``. They are not the application's own title and summary: write them for the
    public, with no personal data (no names of people, addresses, phone numbers)."""

    approved: Annotated[bool, Meta(description="The investor approves their publication")]
    title: Annotated[str, Meta(max_length=200, description="Required when approved")] = ""
    summary: Annotated[str, Meta(max_length=1000, description="Required when approved")] = ""
    language: Annotated[Language, Meta(description="The language the title is written in")] = "fr"
    titles: Annotated[
        dict[Language, Annotated[str, Meta(max_length=200)]],
        Meta(description="The same title in other languages (optional), by language code"),
    ] = {}


class ApplicationIn(In, frozen=True):
    """A new application: to a call (its envelope is implied) or straight to an envelope.

    Exactly one of ``call_id`` and ``envelope_id`` is required: ``call_id`` for an application
    to a call (its rules apply at submission), ``envelope_id`` only without a call. Neither:
    422 ``invalid_value`` on ``call_id``.
    """

    applicant: ApplicantIn
    contact: ContactIn
    project: ProjectIn
    call_id: Annotated[
        UUID | None, Meta(description="Required unless envelope_id is given (GET /api/v1/calls)")
    ] = None
    envelope_id: Annotated[
        UUID | None, Meta(description="Only for an application outside any call")
    ] = None
    public: Annotated[
        PublicIn | None,
        Meta(description="Public title and summary; absent: not approved, the grant's public "
             "pages name it by sector and province only"),
    ] = None  # fmt: skip
    draft_id: Annotated[
        UUID | None,
        Meta(description="The draft holding the call's documents (POST /api/v1/drafts); "
             "its files join the application atomically. Without it a call's mandatory "
             "documents are missing: 422 missing_document"),
    ] = None  # fmt: skip


class AmendmentIn(In, frozen=True):
    """Amendable project fields only; omitted fields keep their value."""

    title: Short | None = None
    summary: Text | None = None
    commune: Annotated[str, Meta(max_length=40)] | None = None
    total_investment_centimes: Centimes | None = None
    requested_centimes: Centimes | None = None
    jobs: Count | None = None
    jobs_women: Count | None = None
    timeline_months: Annotated[int, Meta(ge=1, le=240)] | None = None


class ApplicationCreated(Out, frozen=True):
    """The id of the application just submitted."""

    application_id: UUID
    status: str = "submitted"


class ApplicationOut(Out, frozen=True, omit_defaults=True):
    """A file. Investors get their money columns; staff get scores and the fundable line."""

    application_id: UUID
    title: str
    sector: str
    province: str
    requested_centimes: int
    status: str
    submitted_at: datetime
    company_name: str | None = None
    stage: str | None = None
    call_id: UUID | None = None
    envelope_id: UUID | None = None
    funded_centimes: int | None = None
    disbursed_centimes: int | None = None
    updated_at: datetime | None = None
    review_count: int | None = None
    raw_score: int | None = None
    normalised_score: int | None = None
    rank: int | None = None
    above_line: bool | None = None


class StepOut(Out, frozen=True):
    """One step of a file's timeline: a stable ``kind`` and its parameters."""

    kind: str
    params: dict[str, Any]
    occurred_at: datetime


class ActionOut(Out, frozen=True):
    """What a command did to a file."""

    application_id: UUID
    action: str


class FundingOut(Out, frozen=True):
    """The amount reserved and what the envelope has left."""

    application_id: UUID
    amount_centimes: int
    remaining_centimes: int


class ReviewOut(Out, frozen=True):
    """The weighted score recorded, in hundredths of a point (0..10000)."""

    application_id: UUID
    weighted_score: int


class QuestionIn(In, frozen=True):
    """A question the investor must answer by amending."""

    question: Annotated[str, Meta(min_length=1, max_length=2000)]


class ReasonIn(In, frozen=True):
    """Why (screen-out, rejection, cancellation)."""

    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class ConflictIn(In, frozen=True):
    """Why the reviewer cannot judge the file impartially: shown to the chair and the officers,
    never published (it may name the reviewer's ties, so keep it to what the committee needs)."""

    reason: Annotated[
        str,
        Meta(min_length=1, max_length=2000, pattern=r"\S",
             description="The reviewer's own account of the conflict; required, not blank."),
    ]  # fmt: skip


class AssignmentIn(In, frozen=True):
    """The reviewer to assign."""

    reviewer_id: UUID


class ReviewIn(In, frozen=True):
    """Scores 0..5 per criterion of the published rubric (or ``rubric_id``)."""

    scores: dict[
        Annotated[str, Meta(max_length=60, description="A criterion key of the rubric")],
        Annotated[
            int,
            Meta(ge=0, le=5, description="0 (absent) to 5 (excellent); see the rubric's levels"),
        ],
    ]
    comment: Text = ""
    rubric_id: UUID | None = None


class FundingIn(In, frozen=True):
    """The chair's funding decision."""

    amount_centimes: Centimes
    note: Text = ""


class OverrideIn(In, frozen=True):
    """Funding below the score threshold, with the justification the ledger of decisions keeps."""

    amount_centimes: Centimes
    justification: Annotated[str, Meta(min_length=1, max_length=4000)]
    note: Text = ""


class TrancheIn(In, frozen=True):
    """A tranche to pay."""

    amount_centimes: Centimes


class Empty(In, frozen=True):
    """No fields (the request may carry no body at all)."""


# -- programme -----------------------------------------------------------------------------


class EnvelopeIn(In, frozen=True):
    """A support envelope to open."""

    name: Short
    total_centimes: Centimes


class EnvelopeOut(Out, frozen=True):
    """An envelope's money, in centimes."""

    envelope_id: UUID
    name: str
    currency: str
    total_centimes: int
    reserved_centimes: int
    disbursed_centimes: int
    remaining_centimes: int
    opened_at: datetime
    closed_at: datetime | None


class Created(Out, frozen=True):
    """The id of what was just created."""

    id: UUID


class CallIn(In, frozen=True):
    """A call for applications on an open envelope; empty lists mean every sector/province."""

    envelope_id: UUID
    title: Short
    min_request_centimes: Centimes
    max_request_centimes: Centimes
    eligible_sectors: list[Annotated[str, Meta(max_length=40)]] = []
    eligible_provinces: list[Annotated[str, Meta(max_length=40)]] = []
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    max_share_basis_points: Annotated[
        int,
        Meta(
            ge=1,
            le=10_000,
            description="Largest request as a share of the total investment, "
            "in basis points (3000 = 30 %)",
        ),
    ] = 3_000


class CallOut(Out, frozen=True):
    """A call for applications."""

    call_id: UUID
    envelope_id: UUID
    title: str
    eligible_sectors: list[str]
    eligible_provinces: list[str]
    min_request_centimes: int
    max_request_centimes: int
    opens_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None


class CriterionIn(In, frozen=True):
    """A weighted criterion with its label in the three languages."""

    key: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,59}$")]
    weight: Weight
    labels: dict[Language, Annotated[str, Meta(min_length=1, max_length=200)]]


class RubricIn(In, frozen=True):
    """A rubric version to draft (the Investment Charter's criteria when none are given)."""

    name: Short
    rubric_version: Annotated[int, Meta(ge=1, le=10_000)]
    criteria: list[CriterionIn] | None = None


class RubricOut(Out, frozen=True):
    """A rubric version; ``published_at`` null while it is a draft."""

    rubric_id: UUID
    name: str
    rubric_version: int
    criteria: list[dict[str, Any]]
    drafted_at: datetime
    published_at: datetime | None


# -- read models ---------------------------------------------------------------------------


class QueueEntryOut(Out, frozen=True):
    """A file in the committee's queue, with scores (hundredths) and the fundable line."""

    application_id: UUID
    envelope_id: UUID
    call_id: UUID | None
    title: str
    company_name: str
    sector: str
    province: str
    requested_centimes: int
    submitted_at: datetime
    status: str
    stage: str
    review_count: int
    quorum: int
    raw_score: int | None
    normalised_score: int | None
    rank: int | None
    cumulative_requested_centimes: int | None
    above_line: bool | None
    #: Files in review: ``fundable`` (ranked on the line: quorum reached, mean at or above
    #: ``threshold``), or why not (``below_quorum``, ``below_threshold``: listed apart, unranked).
    eligibility: Literal["fundable", "below_quorum", "below_threshold"] | None = None
    threshold: int = 0


class LedgerEntryOut(Out, frozen=True):
    """A public ledger entry: organisations only (a sole trader has no name here)."""

    seq: int
    kind: str
    application_id: UUID
    envelope_id: UUID
    org_kind: str
    org_name: str | None
    sector: str
    province: str
    amount_centimes: int
    balance_centimes: int
    occurred_at: datetime
    prev_hash: str
    entry_hash: str


class LedgerHeadOut(Out, frozen=True):
    """The chain's head: publish it, and anyone can check nothing before it was rewritten."""

    seq: int
    entry_hash: str


class FundedByOut(Out, frozen=True):
    """Funded count and amount for one sector, province or month."""

    key: str
    funded_count: int
    funded_centimes: int


class StatisticsOut(Out, frozen=True):
    """Programme statistics; rates are shares of decided files."""

    received: int
    decided: int
    funded: int
    funded_centimes: int
    success_rate: float | None
    mean_days: float | None
    median_days: float | None
    by_sector: list[FundedByOut]
    by_province: list[FundedByOut]
    by_month: list[FundedByOut]


class ProjectionOut(Out, frozen=True):
    """A read model's position and lag behind the event log."""

    name: str
    version: int | None
    lag_events: int
    lag_seconds: float
    applied: int
    skipped: int
    error: str | None


class MyDataOut(Out, frozen=True):
    """Everything the platform holds about the signed-in investor, for download."""

    account: UserOut
    applications: list[ApplicationOut]
    timelines: dict[str, list[StepOut]]
    contacts: dict[str, dict[str, str]]
