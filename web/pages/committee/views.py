"""What the committee pages share: query filters, labels, what a reviewer may see, amounts typed.

Nothing here decides a rule of the programme: the domain does, and its errors are turned into
messages next to the field they concern (``ERRORS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from uuid import uuid4

from domain.applications import Status
from domain.reference import LEGAL_FORMS, PROVINCES, SECTORS, SOLE_TRADER
from service.accounts import CHAIR, OFFICER, REVIEWER
from web.common.i18n import N_, format_mad, language_of, translations_of

if TYPE_CHECKING:
    from uuid import UUID

    from litestar import Request

    from domain.errors import DomainError
    from service.accounts import User
    from web.common.forms import Form

STAFF = (REVIEWER, CHAIR, OFFICER)
#: The session key of a confirmation shown once on the next committee page.
FLASH = "committee_flash"
SORTS = ("score", "date", "amount")
STATUS_LABELS = {
    Status.SUBMITTED: N_("Submitted"),
    Status.INFORMATION_REQUESTED: N_("Information requested"),
    Status.IN_REVIEW: N_("In review"),
    Status.FUNDED: N_("Funded"),
    Status.REJECTED: N_("Rejected"),
    Status.WITHDRAWN: N_("Withdrawn"),
    Status.SCREENED_OUT: N_("Screened out"),
    Status.AGREEMENT_SIGNED: N_("Agreement signed"),
    Status.CANCELLED: N_("Cancelled"),
    Status.COMPLETED: N_("Completed"),
}
SORT_LABELS = {"score": N_("Score"), "date": N_("Date"), "amount": N_("Amount")}
#: Why a file in review is, or is not, on the fundable line (``projections.scoring``).
REASON_LABELS = {
    "fundable": N_("Can be funded now"),
    "below_quorum": N_("Not ranked: quorum not reached"),
    "below_threshold": N_("Not ranked: mean below the threshold"),
}
# The form field a domain error is shown against ("_form": above the form), and its message.
ERRORS: dict[str, tuple[str, str]] = {
    "envelope_exhausted": (
        "amount",
        N_("The envelope has only %(remaining)s left: this amount would over-commit it."),
    ),
    "envelope_closed": ("_form", N_("The envelope is closed.")),
    "funding_exceeds_limit": (
        "amount",
        N_("At most %(limit)s: the amount requested, within the share of the investment allowed."),
    ),
    "quorum_not_reached": (
        "_form",
        N_("Not enough reviews yet: %(reviews)s of the %(quorum)s required."),
    ),
    "score_below_threshold": (
        "_form",
        N_("The score is below the funding threshold: record an override with a justification."),
    ),
    "tranche_exceeds_funding": ("amount", N_("At most %(left)s is left to pay on this grant.")),
    "invalid_transition": ("_form", N_("This is not possible at the file's current stage.")),
    "conflict_of_interest": ("_form", N_("A conflict of interest was declared on this file.")),
    "reviewer_not_assigned": ("_form", N_("This file is not assigned to this reviewer.")),
    "rubric_not_published": ("_form", N_("The rubric is not published yet.")),
    "invalid_scores": ("_form", N_("Give every criterion a score from 0 to 5.")),
    "reservation_exceeded": ("amount", N_("This is more than the amount reserved.")),
}
BLANK = N_("This field is required.")
UNKNOWN_ERROR = N_("This could not be recorded.")


@dataclass(frozen=True, kw_only=True)
class Filters:
    """The queue's filters and sort, as GET parameters (unknown values are ignored)."""

    status: str | None = None
    sector: str | None = None
    province: str | None = None
    call: UUID | None = None
    sort: str = "score"

    @classmethod
    def parse(cls, query: dict[str, str], calls: set[UUID]) -> Filters:
        """Keep only known values, so that a link never errs and never leaks a guess."""
        status = query.get("status") if query.get("status") in set(Status) else None
        sector = query.get("sector") if query.get("sector") in {s.key for s in SECTORS} else None
        province = query.get("province")
        province = province if province in {p.key for p in PROVINCES} else None
        call = next((c for c in calls if str(c) == query.get("call")), None)
        sort = query.get("sort") if query.get("sort") in SORTS else "score"
        return cls(status=status, sector=sector, province=province, call=call, sort=sort or "score")

    def query(self, **changes: Any) -> str:
        """This selection as a stable query string (fixed order), with ``changes`` applied."""
        values = {"status": self.status, "sector": self.sector, "province": self.province,
                  "call": self.call, "sort": self.sort, **changes}  # fmt: skip
        return urlencode([(k, str(v)) for k, v in values.items() if v])


def labels(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Template context: reference labels in the request's language, status and sort names."""
    lang = language_of(request)
    return {
        "sector_labels": {s.key: s.labels.get(lang) for s in SECTORS},
        "province_labels": {p.key: p.labels.get(lang) for p in PROVINCES},
        "commune_labels": {c.key: c.labels.get(lang) for p in PROVINCES for c in p.communes},
        "legal_form_labels": {f.key: f.labels.get(lang) for f in LEGAL_FORMS},
        "status_labels": {str(k): v for k, v in STATUS_LABELS.items()},
        "sort_labels": SORT_LABELS,
        "reason_labels": REASON_LABELS,
        "lang": lang,
    }


def shown_company(facts: Any, user: User) -> str | None:
    """The applicant's name as this user may see it: a sole trader's name is a natural person's,
    so a reviewer sees none (None: the page shows the legal form instead)."""

    def get(name: str) -> Any:
        return facts.get(name) if isinstance(facts, dict) else getattr(facts, name, None)

    if user.role == REVIEWER and get("applicant_kind") in (SOLE_TRADER, None):
        return None
    return str(get("company_name"))


def new_form_key() -> str:
    """A fresh idempotency key for a decisive form, carried in a hidden field."""
    return uuid4().hex


def domain_error(request: Request[Any, Any, Any], form: Form, error: DomainError) -> Form:
    """Put a domain error's translated message next to the field it concerns."""
    field, message = ERRORS.get(error.code, ("_form", UNKNOWN_ERROR))
    if error.code == "invalid_value":
        named = str(getattr(error, "field", "_form"))
        field, message = {"amount_centimes": "amount"}.get(named, named), BLANK
    lang, t = language_of(request), translations_of(request)
    params = {
        name: format_mad(value, lang) if name != "reviews" and name != "quorum" else value
        for name in ("remaining", "limit", "left", "reviews", "quorum")
        if isinstance(value := _param(error, name), int)
    }
    return form.error(field if field in form.values or field == "_form" else "_form",
                      t.gettext(message) % params if params else t.gettext(message))  # fmt: skip


def _param(error: DomainError, name: str) -> Any:
    attribute = {"remaining": "remaining_centimes", "limit": "limit_centimes",
                 "left": "left_centimes"}.get(name, name)  # fmt: skip
    return getattr(error, attribute, None)
