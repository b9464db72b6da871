"""A grant application, from submission to completion: a state machine of facts.

Longer than the house's ~300 lines on purpose: an eventsourcing aggregate's command and
``@event`` methods must live on one class, and splitting it through mixins would hide the state
machine. Rules that need no state live beside it (``submissions``, ``reviews``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.documents import STAFF_KINDS, UnknownDocumentError
from domain.errors import DomainError, InvalidTransitionError, InvalidValueError, require_positive
from domain.money import share_of
from domain.publication import Publication, check_publication
from domain.reviews import (
    ConflictOfInterestError,
    Review,
    ReviewerNotAssignedError,
    check_funding_rule,
    counted_reviews,
)
from domain.submissions import check_applicant, check_changes, check_project

if TYPE_CHECKING:
    from datetime import datetime

    from domain.rubrics import Rubric


class Status(StrEnum):
    """Where an application stands."""

    SUBMITTED = "submitted"
    INFORMATION_REQUESTED = "information_requested"
    IN_REVIEW = "in_review"
    FUNDED = "funded"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SCREENED_OUT = "screened_out"
    AGREEMENT_SIGNED = "agreement_signed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


S = Status
_OPEN: Final = (S.SUBMITTED, S.INFORMATION_REQUESTED, S.IN_REVIEW)
_PROJECT_FIELDS: Final = (
    "title", "summary", "sector", "province", "commune", "total_investment_centimes",
    "requested_centimes", "jobs", "jobs_women", "timeline_months",
)  # fmt: skip
DEFAULT_QUORUM: Final = 2
DEFAULT_MAX_SHARE_BASIS_POINTS: Final = 3_000


class NotYourApplicationError(DomainError):
    """Raised when someone other than the file's own investor amends or withdraws it."""

    code = "not_your_application"

    def __init__(self, application_id: UUID, investor_id: UUID) -> None:
        self.application_id = application_id
        self.investor_id = investor_id
        super().__init__(f"{application_id} does not belong to {investor_id}")


class FundingExceedsLimitError(DomainError):
    """Raised when a funded amount exceeds the request or the maximum share of the investment."""

    code = "funding_exceeds_limit"

    def __init__(self, application_id: UUID, amount_centimes: int, limit_centimes: int) -> None:
        self.application_id = application_id
        self.amount_centimes = amount_centimes
        self.limit_centimes = limit_centimes
        super().__init__(f"{application_id}: {amount_centimes} > limit {limit_centimes}")


class TrancheExceedsFundingError(DomainError):
    """Raised when a tranche would pay out more than what is funded and not yet disbursed."""

    code = "tranche_exceeds_funding"

    def __init__(self, application_id: UUID, amount_centimes: int, left_centimes: int) -> None:
        self.application_id = application_id
        self.amount_centimes = amount_centimes
        self.left_centimes = left_centimes
        super().__init__(f"{application_id}: tranche {amount_centimes} > {left_centimes} left")


class GrantApplication(Aggregate):
    """An investor's application for support from an envelope."""

    TOPIC = "grants.application:GrantApplication"

    class Created(Aggregate.Created):
        """Base of ``Submitted``; declared only so that it has a stable topic."""

        TOPIC = "grants.application:GrantApplication.Created"

    @staticmethod
    def create_id(application_id: UUID) -> UUID:
        """The id is chosen by the caller."""
        return application_id

    @classmethod
    def submit(cls, *, application_id: UUID, at: datetime, **facts: Any) -> GrantApplication:
        """Submit an application; ``facts`` are the fields of ``Submitted`` (see its docstring),
        the public ones given as ``publication`` (a :class:`Publication`, checked here).

        Takes keyword facts rather than thirty parameters; unknown or missing ones are a
        ``TypeError`` from the event class, as for any wrong call.
        """
        check_project(facts)
        publication = check_publication(facts.pop("publication", None) or Publication())
        facts = {"identity": b"", **facts, **check_applicant(facts), **publication.as_facts()}
        return cls(application_id=application_id, timestamp=at, **facts)

    @event("Submitted", topic="grants.application:Submitted")
    def __init__(  # the fields of the Submitted event, all keyword-only
        self,
        *,
        application_id: UUID,
        investor_id: UUID,
        envelope_id: UUID,
        call_id: UUID | None,
        applicant_kind: str,
        company_name: str,
        legal_form: str,
        ice: str,
        rc_court: str,
        rc_number: str,
        person_id: UUID,
        contact: bytes,
        title: str,
        summary: str,
        sector: str,
        province: str,
        commune: str,
        total_investment_centimes: int,
        requested_centimes: int,
        jobs: int,
        jobs_women: int,
        timeline_months: int,
        timestamp: datetime,
        rnae_number: str = "",  # added with the RNAE (sole traders); older events have none
        # A sole trader's name, ICE and RNAE number, sealed with the person's key (service
        # layer); the clear fields are then empty. Older events have none: empty bytes.
        identity: bytes = b"",
        # The public title and summary the investor approved for publication at submission
        # (domain.publication). Older events have none: not approved, public pages stay generic.
        public_approved: bool = False,
        public_title: str = "",
        public_summary: str = "",
        public_language: str = "",
        public_titles: dict[str, str] | None = None,
    ) -> None:
        self.investor_id, self.envelope_id, self.call_id = investor_id, envelope_id, call_id
        self.applicant_kind, self.company_name, self.legal_form = (
            applicant_kind, company_name, legal_form,
        )  # fmt: skip
        self.ice, self.rc_court, self.rc_number = ice, rc_court, rc_number
        self.rnae_number, self.identity = rnae_number, identity
        self.person_id, self.contact = person_id, contact
        self.project: dict[str, Any] = {
            "title": title, "summary": summary, "sector": sector, "province": province,
            "commune": commune, "total_investment_centimes": total_investment_centimes,
            "requested_centimes": requested_centimes, "jobs": jobs, "jobs_women": jobs_women,
            "timeline_months": timeline_months,
        }  # fmt: skip
        self.publication = Publication(
            approved=public_approved, title=public_title, summary=public_summary,
            language=public_language, titles=dict(public_titles or {}),
        )  # fmt: skip
        self.submitted_at = timestamp
        self.status = Status.SUBMITTED
        self.status_before_request = Status.SUBMITTED
        self.reviewers: set[UUID] = set()
        self.conflicts: set[UUID] = set()
        self.reviews: dict[UUID, Review] = {}
        self.funded_centimes = 0
        self.disbursed_centimes = 0
        self.documents: dict[UUID, str] = {}  # document id -> kind
        self.documents_bytes = 0

    # -- queries ---------------------------------------------------------------------------

    @property
    def requested_centimes(self) -> int:
        """The amount the investor asks for."""
        return int(self.project["requested_centimes"])

    @property
    def total_investment_centimes(self) -> int:
        """The project's total investment."""
        return int(self.project["total_investment_centimes"])

    def visible_to(self, reviewer_id: UUID) -> bool:
        """Whether a reviewer may see the file: not if they declared a conflict of interest."""
        return reviewer_id not in self.conflicts

    def counted_reviews(self) -> list[Review]:
        """Each non-conflicted reviewer's latest review."""
        return counted_reviews(self.reviews, self.conflicts)

    def _require(self, action: str, *allowed: Status) -> None:
        if self.status not in allowed:
            raise InvalidTransitionError(self.id, self.status.value, action)

    def _require_investor(self, investor_id: UUID) -> None:
        if investor_id != self.investor_id:
            raise NotYourApplicationError(self.id, investor_id)

    # -- the investor ----------------------------------------------------------------------

    def amend(self, investor_id: UUID, changes: Mapping[str, Any], at: datetime) -> None:
        """Change amendable project fields, before review or in answer to a question."""
        self._require_investor(investor_id)
        self._require("amend", S.SUBMITTED, S.INFORMATION_REQUESTED)
        check_changes(self.project, changes)
        self._amended(investor_id=investor_id, changes=dict(changes), timestamp=at)

    @event("Amended", topic="grants.application:Amended")
    def _amended(self, investor_id: UUID, changes: dict[str, Any], timestamp: datetime) -> None:
        self.project.update(changes)
        self.status = self.status_before_request

    def withdraw(self, investor_id: UUID, at: datetime) -> None:
        """Withdraw the application before a decision."""
        self._require_investor(investor_id)
        self._require("withdraw", *_OPEN)
        self._withdrawn(investor_id=investor_id, timestamp=at)

    @event("Withdrawn", topic="grants.application:Withdrawn")
    def _withdrawn(self, investor_id: UUID, timestamp: datetime) -> None:
        self.status = Status.WITHDRAWN

    def attach_document(
        self, *, by: UUID, document_id: UUID, kind: str, size: int, sha256: str,
        media_type: str, staff: bool, at: datetime,
    ) -> None:  # fmt: skip
        """Record a document attached to the file (its bytes are stored apart, sealed)."""
        if staff:
            self._require("attach the signed agreement", S.FUNDED, S.AGREEMENT_SIGNED)
        else:
            self._require_investor(by)
            if kind in STAFF_KINDS:
                raise InvalidValueError("kind", kind, "attached by programme staff only")
            self._require("attach a document", *_OPEN, S.FUNDED, S.AGREEMENT_SIGNED)
        require_positive("size", size)
        self._document_attached(
            by=by, document_id=document_id, kind=kind, size=size, sha256=sha256,
            media_type=media_type, timestamp=at,
        )  # fmt: skip

    @event("DocumentAttached", topic="grants.application:DocumentAttached")
    def _document_attached(
        self, by: UUID, document_id: UUID, kind: str, size: int, sha256: str, media_type: str,
        timestamp: datetime,
    ) -> None:  # fmt: skip
        self.documents[document_id] = kind
        self.documents_bytes += size

    def reply_to_information(
        self,
        investor_id: UUID,
        *,
        message: bytes,
        document_ids: list[UUID],
        changes: Mapping[str, Any],
        at: datetime,
    ) -> None:
        """Answer the committee's question: a sealed message, documents, perhaps an amendment.

        The file returns to where it stood through an ``Amended`` event (with no changes when
        none were made), which every read model already follows.
        """
        self._require_investor(investor_id)
        self._require("reply", S.INFORMATION_REQUESTED)
        for document_id in document_ids:
            if document_id not in self.documents:
                raise UnknownDocumentError(self.id, document_id)
        if not message and not document_ids and not changes:
            raise InvalidValueError(
                "message", "", "a reply needs a message, a document or a change"
            )
        if changes:
            check_changes(self.project, changes)
        self._information_replied(
            investor_id=investor_id, message=message, document_ids=list(document_ids),
            timestamp=at,
        )  # fmt: skip
        self._amended(investor_id=investor_id, changes=dict(changes), timestamp=at)

    @event("InformationReplied", topic="grants.application:InformationReplied")
    def _information_replied(
        self, investor_id: UUID, message: bytes, document_ids: list[UUID], timestamp: datetime
    ) -> None:
        pass  # the status returns with the Amended event that always follows

    # -- the committee ---------------------------------------------------------------------

    def request_information(self, by: UUID, question: str, at: datetime) -> None:
        """Ask the investor a question; the file waits for their amendment."""
        self._require("request information", S.SUBMITTED, S.IN_REVIEW)
        if not question.strip():
            raise InvalidValueError("question", question, "must not be blank")
        self._information_requested(by=by, question=question.strip(), timestamp=at)

    @event("InformationRequested", topic="grants.application:InformationRequested")
    def _information_requested(self, by: UUID, question: str, timestamp: datetime) -> None:
        self.status_before_request = self.status
        self.status = Status.INFORMATION_REQUESTED

    def screen_out(self, by: UUID, reason: str, at: datetime) -> None:
        """Declare the file ineligible before review."""
        self._require("screen out", S.SUBMITTED, S.INFORMATION_REQUESTED)
        if not reason.strip():
            raise InvalidValueError("reason", reason, "must not be blank")
        self._screened_out(by=by, reason=reason.strip(), timestamp=at)

    @event("ScreenedOut", topic="grants.application:ScreenedOut")
    def _screened_out(self, by: UUID, reason: str, timestamp: datetime) -> None:
        self.status = Status.SCREENED_OUT

    def assign_reviewer(self, reviewer_id: UUID, by: UUID, at: datetime) -> None:
        """Assign a reviewer (assigning one already assigned records nothing)."""
        self._require("assign a reviewer", *_OPEN)
        if reviewer_id in self.conflicts:
            raise ConflictOfInterestError(self.id, reviewer_id)
        if reviewer_id not in self.reviewers:
            self._reviewer_assigned(reviewer_id=reviewer_id, by=by, timestamp=at)

    @event("ReviewerAssigned", topic="grants.application:ReviewerAssigned")
    def _reviewer_assigned(self, reviewer_id: UUID, by: UUID, timestamp: datetime) -> None:
        self.reviewers.add(reviewer_id)
        if self.status == Status.SUBMITTED:
            self.status = Status.IN_REVIEW

    def declare_conflict(self, reviewer_id: UUID, at: datetime, reason: str = "") -> None:
        """A reviewer declares a conflict of interest: they no longer see nor score the file.

        ``reason`` is the reviewer's own account of the conflict, kept for the committee's
        record (never published); the web form requires one, older clients may send none.
        """
        self._require("declare a conflict", *_OPEN)
        if reviewer_id not in self.conflicts:
            self._conflict_declared(reviewer_id=reviewer_id, reason=reason.strip(), timestamp=at)

    class ConflictDeclared(Aggregate.Event):
        """A reviewer declared a conflict of interest on the file.

        Version 2 added ``reason``; version-1 events are upcast with an empty reason.
        """

        TOPIC = "grants.application:ConflictDeclared"
        class_version = 2
        reviewer_id: UUID
        reason: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 had no reason."""
            state["reason"] = ""

    @event(ConflictDeclared)
    def _conflict_declared(self, reviewer_id: UUID, reason: str, timestamp: datetime) -> None:
        self.conflicts.add(reviewer_id)

    def score(
        self,
        reviewer_id: UUID,
        rubric: Rubric,
        scores: Mapping[str, int],
        comment: str,
        at: datetime,
    ) -> None:
        """Record a review; a reviewer's second review is a correction superseding the first."""
        self._require("score", S.IN_REVIEW)
        if reviewer_id in self.conflicts:
            raise ConflictOfInterestError(self.id, reviewer_id)
        if reviewer_id not in self.reviewers:
            raise ReviewerNotAssignedError(self.id, reviewer_id)
        weighted = rubric.score(scores)
        previous = self.reviews.get(reviewer_id)
        self._reviewed(
            reviewer_id=reviewer_id,
            rubric_id=rubric.id,
            rubric_version=rubric.rubric_version,
            scores=dict(scores),
            weighted_score=weighted,
            comment=comment.strip(),
            revision=previous.revision + 1 if previous else 1,
            timestamp=at,
        )

    class Reviewed(Aggregate.Event):
        """A reviewer scored the file; ``revision`` > 1 supersedes their earlier review.

        Version 2 added ``comment``; version-1 events are upcast with an empty comment.
        """

        TOPIC = "grants.application:Reviewed"
        class_version = 2
        reviewer_id: UUID
        rubric_id: UUID
        rubric_version: int
        scores: dict[str, int]
        weighted_score: int
        comment: str
        revision: int

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 had no comment."""
            state["comment"] = ""

    @event(Reviewed)
    def _reviewed(
        self,
        reviewer_id: UUID,
        rubric_id: UUID,
        rubric_version: int,
        scores: dict[str, int],
        weighted_score: int,
        comment: str,
        revision: int,
        timestamp: datetime,
    ) -> None:
        self.reviews[reviewer_id] = Review(
            reviewer_id, rubric_id, rubric_version, scores, weighted_score, comment, revision
        )

    def fund(
        self,
        decided_by: UUID,
        amount_centimes: int,
        note: str,
        at: datetime,
        *,
        threshold_hundredths: int,
        quorum: int = DEFAULT_QUORUM,
        max_share_basis_points: int = DEFAULT_MAX_SHARE_BASIS_POINTS,
        override_justification: str = "",
    ) -> None:
        """Decide to fund; the service reserves the same amount in the envelope atomically."""
        self._require("fund", S.IN_REVIEW)
        require_positive("amount_centimes", amount_centimes)
        score = check_funding_rule(
            self.id,
            self.counted_reviews(),
            quorum=quorum,
            threshold_hundredths=threshold_hundredths,
            override_justification=override_justification,
        )
        limit = min(
            self.requested_centimes,
            share_of(self.total_investment_centimes, max_share_basis_points),
        )
        if amount_centimes > limit:
            raise FundingExceedsLimitError(self.id, amount_centimes, limit)
        self._funded(
            amount_centimes=amount_centimes,
            score=score,
            decided_by=decided_by,
            note=note.strip(),
            override_justification=override_justification.strip(),
            timestamp=at,
        )

    @event("Funded", topic="grants.application:Funded")
    def _funded(
        self,
        amount_centimes: int,
        score: int,
        decided_by: UUID,
        note: str,
        override_justification: str,
        timestamp: datetime,
    ) -> None:
        self.funded_centimes = amount_centimes
        self.status = Status.FUNDED

    def reject(self, decided_by: UUID, reason: str, at: datetime) -> None:
        """Decide not to fund the application."""
        self._require("reject", S.IN_REVIEW)
        if not reason.strip():
            raise InvalidValueError("reason", reason, "must not be blank")
        self._rejected(decided_by=decided_by, reason=reason.strip(), timestamp=at)

    @event("Rejected", topic="grants.application:Rejected")
    def _rejected(self, decided_by: UUID, reason: str, timestamp: datetime) -> None:
        self.status = Status.REJECTED

    # -- the programme officer -------------------------------------------------------------

    def sign_agreement(self, by: UUID, at: datetime) -> None:
        """Record that the funding agreement was signed."""
        self._require("sign the agreement", S.FUNDED)
        self._agreement_signed(by=by, timestamp=at)

    @event("AgreementSigned", topic="grants.application:AgreementSigned")
    def _agreement_signed(self, by: UUID, timestamp: datetime) -> None:
        self.status = Status.AGREEMENT_SIGNED

    def disburse(self, amount_centimes: int, by: UUID, at: datetime) -> None:
        """Pay a tranche, never beyond what is funded; the envelope moves the same amount."""
        self._require("disburse", S.AGREEMENT_SIGNED)
        require_positive("amount_centimes", amount_centimes)
        if amount_centimes > self.undisbursed_centimes:
            raise TrancheExceedsFundingError(self.id, amount_centimes, self.undisbursed_centimes)
        self._tranche_disbursed(amount_centimes=amount_centimes, by=by, timestamp=at)

    @event("TrancheDisbursed", topic="grants.application:TrancheDisbursed")
    def _tranche_disbursed(self, amount_centimes: int, by: UUID, timestamp: datetime) -> None:
        self.disbursed_centimes += amount_centimes

    @property
    def undisbursed_centimes(self) -> int:
        """Funded and not yet paid: what cancelling or completing gives back to the envelope."""
        return self.funded_centimes - self.disbursed_centimes

    def cancel(self, by: UUID, reason: str, at: datetime) -> None:
        """Cancel the grant; what was not disbursed goes back to the envelope."""
        self._require("cancel", S.FUNDED, S.AGREEMENT_SIGNED)
        self._cancelled(
            by=by, reason=reason.strip(), released_centimes=self.undisbursed_centimes, timestamp=at
        )

    @event("Cancelled", topic="grants.application:Cancelled")
    def _cancelled(
        self, by: UUID, reason: str, released_centimes: int, timestamp: datetime
    ) -> None:
        self.status = Status.CANCELLED

    def complete(self, by: UUID, at: datetime) -> None:
        """Close the file as completed; any undisbursed remainder goes back to the envelope."""
        self._require("complete", S.AGREEMENT_SIGNED)
        self._completed(by=by, released_centimes=self.undisbursed_centimes, timestamp=at)

    @event("Completed", topic="grants.application:Completed")
    def _completed(self, by: UUID, released_centimes: int, timestamp: datetime) -> None:
        self.status = Status.COMPLETED
