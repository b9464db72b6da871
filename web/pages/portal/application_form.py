"""The application form: typed text in, the use case's ``Applicant``/``Contact``/``Project`` out.

Every field is checked here, so that the investor gets a message next to each wrong field at
once; the domain checks again (it is the rule's owner) and its errors map back onto fields
through :func:`field_of`. Amounts and counts are read by :mod:`web.common.numbers`, the one
parser of numbers people type (Arabic-Indic digits, grouping by space, dot or comma, a decimal
comma or point, DH/درهم; ambiguous groupings refused).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from domain.calls import CallClosedError, IneligibleError
from domain.errors import (
    DomainError,
    InvalidTransitionError,
    InvalidValueError,
    UnknownReferenceError,
)
from domain.identifiers import ascii_digits, is_valid_ice
from domain.publication import Publication
from domain.reference import LEGAL_FORMS, PROVINCES, SECTORS, SOLE_TRADER
from domain.submissions import AMENDABLE_FIELDS as DOMAIN_AMENDABLE
from service.accounts import EMAIL
from service.applications import Applicant, Contact, Project
from web.common.i18n import N_
from web.common.numbers import NumberFormatError, parse_int, parse_mad
from web.pages.portal.publication_form import FIELDS as PUBLIC_FIELDS
from web.pages.portal.publication_form import parse_publication

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from projections.programme import CallView
    from web.common.forms import Form

COMPANY_FIELDS: Final = (
    "company_name", "legal_form", "ice", "rc_court", "rc_number", "rnae_number",
)  # fmt: skip
CONTACT_FIELDS: Final = ("contact_name", "contact_email", "contact_phone")
PROJECT_FIELDS: Final = (
    "title", "summary", "sector", "province", "commune", "total_investment", "requested",
    "jobs", "jobs_women", "timeline_months",
)  # fmt: skip
#: Every field of the form, in page order; ``submission_key`` is the hidden idempotency key,
#: ``documents_key`` the hidden key of the files chosen with it (web/pages/portal/documents.py).
FIELDS: Final = (
    "call_id", *COMPANY_FIELDS, *CONTACT_FIELDS, *PROJECT_FIELDS, *PUBLIC_FIELDS,
    "submission_key", "documents_key",
)  # fmt: skip
#: Form field -> the domain's name for it, where they differ.
DOMAIN_NAMES: Final = {
    "total_investment": "total_investment_centimes",
    "requested": "requested_centimes",
}
AMENDABLE: Final = tuple(f for f in PROJECT_FIELDS if DOMAIN_NAMES.get(f, f) in DOMAIN_AMENDABLE)
FORM: Final = "__all__"  # the key of a message about the whole form

REQUIRED = N_("This field is required.")
CHOOSE = N_("Choose one of the options in the list.")
NOT_AN_AMOUNT = N_("Enter an amount in dirhams, for example 1 250 000 or 1,250,000.50.")
NOT_A_COUNT = N_("Enter a whole number, for example 12.")
POSITIVE = N_("Enter a number greater than zero.")
TOO_LONG = N_("This text is too long.")
ICE_INVALID = N_("An ICE has 15 digits and its last two are a check: please check the number.")
RC_NUMBER = N_("Enter the register number: 1 to 10 digits.")
RNAE_NUMBER = N_("Enter your auto-entrepreneur (RNAE) number: 4 to 12 digits.")
RNAE_OR_ICE = N_("An auto-entrepreneur gives an RNAE number or an ICE.")
NO_RC_FOR_SOLE_TRADER = N_(
    "An auto-entrepreneur is not in the commercial register: leave it empty."
)
EMAIL_INVALID = N_("Enter a valid e-mail address.")
PHONE_INVALID = N_("Enter a phone number of 9 to 15 digits, for example +212 6 12 34 56 78.")
COMMUNE_PROVINCE = N_("Choose a commune of the province you chose.")
ABOVE_TOTAL = N_("The requested amount cannot be more than the total investment.")
OUTSIDE_CALL = N_("The requested amount is outside the limits of the chosen call.")
ABOVE_SHARE = N_(
    "The requested amount is above the share of the total investment the chosen call allows (see the call's page)."
)
WOMEN_ABOVE_JOBS = N_("Jobs for women cannot be more than the jobs created.")
CALL_CLOSED = N_("This call no longer accepts applications.")
SECTOR_INELIGIBLE = N_("The chosen call does not accept this sector.")
PROVINCE_INELIGIBLE = N_("The chosen call does not accept projects in this province.")
NOTHING_CHANGED = N_("Change at least one field to answer the question.")
NOT_NOW = N_("This file cannot be changed in its current state.")
INVALID = N_("Some information is not valid; please check the form.")

_LIMITS: Final = {"title": 200, "summary": 4000, "company_name": 200, "rc_court": 40,
                  "contact_name": 120, "contact_email": 254, "contact_phone": 30}  # fmt: skip
_SEPARATORS: Final = str.maketrans({" ": None, "\u00a0": None, "\u202f": None, "\u2009": None,
                                    "\u066c": None, "\u066b": "."})  # fmt: skip
_PHONE_NOISE: Final = re.compile(r"[\s.\-()/]")
_MAX_COUNT: Final = 1_000_000


def plain_number(text: str) -> str:
    """ASCII digits, without spaces or Arabic thousands separators; Arabic decimal sign -> ``.``."""
    return ascii_digits(text).translate(_SEPARATORS)


def parse_count(text: str) -> int:
    """A whole number as typed (:func:`parse_int`), at most a million; ``ValueError`` otherwise."""
    count = parse_int(text)
    if count > _MAX_COUNT:
        raise NumberFormatError(text)
    return count


def format_centimes(centimes: int) -> str:
    """Centimes as the form shows them for editing: ``1250000`` or ``1250000.50``."""
    units, cents = divmod(centimes, 100)
    return f"{units}.{cents:02d}" if cents else str(units)


def normalise_phone(text: str) -> str | None:
    """``+212612345678`` from what was typed, or None if it is not a phone number."""
    plain = _PHONE_NOISE.sub("", ascii_digits(text))
    digits = plain.removeprefix("+")
    if not digits.isascii() or not digits.isdigit() or not 9 <= len(digits) <= 15:
        return None
    return plain


@dataclass(frozen=True, kw_only=True)
class Application:
    """A valid form, in the use case's terms."""

    call: CallView
    applicant: Applicant
    contact: Contact
    project: Project
    publication: Publication


class _Reader:
    """Reads fields of a form, recording a message against each wrong one."""

    def __init__(self, form: Form) -> None:
        self.form = form

    def text(self, name: str) -> str:
        value = self.form.values.get(name, "").strip()
        if not value:
            self.form.error(name, REQUIRED)
        elif len(value) > _LIMITS.get(name, 200):
            self.form.error(name, TOO_LONG)
        return value

    def choice(self, name: str, keys: Sequence[str]) -> str:
        value = self.form.values.get(name, "")
        if not value:
            self.form.error(name, REQUIRED)
        elif value not in keys:
            self.form.error(name, CHOOSE)
        return value

    def number(self, name: str, parse: Any, *, positive: bool = True) -> int:
        raw = self.form.values.get(name, "").strip()
        if not raw:
            self.form.error(name, REQUIRED)
            return 0
        try:
            value: int = parse(raw)
        except ValueError:
            self.form.error(name, NOT_AN_AMOUNT if parse is parse_mad else NOT_A_COUNT)
            return 0
        if positive and value <= 0:
            self.form.error(name, POSITIVE)
        return value


def _project(read: _Reader, province_key: str) -> dict[str, Any]:
    """The project part but sector and province (which an amendment cannot change)."""
    form = read.form
    commune = read.choice("commune", [c.key for p in PROVINCES for c in p.communes])
    province = next((p for p in PROVINCES if p.key == province_key), None)
    if (
        province
        and "commune" not in form.errors
        and commune not in [c.key for c in province.communes]
    ):
        form.error("commune", COMMUNE_PROVINCE)
    facts: dict[str, Any] = {
        "title": read.text("title"),
        "summary": read.text("summary"),
        "commune": commune,
        "total_investment_centimes": read.number("total_investment", parse_mad),
        "requested_centimes": read.number("requested", parse_mad),
        "jobs": read.number("jobs", parse_count, positive=False),
        "jobs_women": read.number("jobs_women", parse_count, positive=False),
        "timeline_months": read.number("timeline_months", parse_count),
    }
    amounts_read = not {"total_investment", "requested"} & form.errors.keys()
    if amounts_read and facts["requested_centimes"] > facts["total_investment_centimes"]:
        form.error("requested", ABOVE_TOTAL)
    if not {"jobs", "jobs_women"} & form.errors.keys() and facts["jobs_women"] > facts["jobs"]:
        form.error("jobs_women", WOMEN_ABOVE_JOBS)
    return facts


def _within_call(form: Form, call: CallView | None, requested: int) -> None:
    if call is None or "requested" in form.errors:
        return
    if not call.min_request_centimes <= requested <= call.max_request_centimes:
        form.error("requested", OUTSIDE_CALL)


def parse_application(form: Form, calls: Sequence[CallView]) -> Application | None:
    """The application the form describes, or None with a message against each wrong field."""
    read = _Reader(form)
    call_id = read.choice("call_id", [str(c.call_id) for c in calls])
    call = next((c for c in calls if str(c.call_id) == call_id), None)
    legal_form = read.choice("legal_form", [t.key for t in LEGAL_FORMS])
    applicant = _sole_trader(read) if legal_form == SOLE_TRADER else _company(read, legal_form)
    contact = _contact(read)
    sector = read.choice("sector", [t.key for t in SECTORS])
    province = read.choice("province", [p.key for p in PROVINCES])
    facts = _project(read, province)
    _within_call(form, call, facts["requested_centimes"])
    publication = parse_publication(form)
    if not form.valid or call is None or contact is None:
        return None
    project = Project(sector=sector, province=province, **facts)
    return Application(call=call, applicant=applicant, contact=contact, project=project,
                       publication=publication)  # fmt: skip


def _company(read: _Reader, legal_form: str) -> Applicant:
    """A company: ICE and commercial register (court and number)."""
    form = read.form
    applicant = Applicant(
        applicant_kind="company",
        company_name=read.text("company_name"),
        legal_form=legal_form,
        ice=plain_number(read.text("ice")),
        rc_court=read.text("rc_court"),
        rc_number=plain_number(read.text("rc_number")),
    )
    if "ice" not in form.errors and not is_valid_ice(applicant.ice):
        form.error("ice", ICE_INVALID)
    if "rc_number" not in form.errors and not re.fullmatch(r"[0-9]{1,10}", applicant.rc_number):
        form.error("rc_number", RC_NUMBER)
    return applicant


def _sole_trader(read: _Reader) -> Applicant:
    """An auto-entrepreneur: RNAE number or ICE (or both), never an RC."""
    form, values = read.form, read.form.values
    ice = plain_number(values.get("ice", "").strip())
    rnae = plain_number(values.get("rnae_number", "").strip())
    if not ice and not rnae:
        form.error("rnae_number", RNAE_OR_ICE)
    if ice and not is_valid_ice(ice):
        form.error("ice", ICE_INVALID)
    if rnae and not re.fullmatch(r"[0-9]{4,12}", rnae):
        form.error("rnae_number", RNAE_NUMBER)
    for name in ("rc_court", "rc_number"):
        if values.get(name, "").strip():
            form.error(name, NO_RC_FOR_SOLE_TRADER)
    return Applicant(
        applicant_kind=SOLE_TRADER, company_name=read.text("company_name"),
        legal_form=SOLE_TRADER, ice=ice, rc_court="", rc_number="", rnae_number=rnae,
    )  # fmt: skip


def _contact(read: _Reader) -> Contact | None:
    form = read.form
    name, email = read.text("contact_name"), read.text("contact_email")
    phone = read.text("contact_phone")
    if "contact_email" not in form.errors and not EMAIL.fullmatch(email):
        form.error("contact_email", EMAIL_INVALID)
    normalised = normalise_phone(phone) if phone else None
    if "contact_phone" not in form.errors and normalised is None:
        form.error("contact_phone", PHONE_INVALID)
    return Contact(name=name, email=email.lower(), phone=normalised or "")


def parse_amendment(
    form: Form, current: Mapping[str, Any], call: CallView | None
) -> dict[str, Any] | None:
    """The changed project fields (possibly none), or None with messages against wrong fields."""
    facts = _project(_Reader(form), province_key=str(current["province"]))
    _within_call(form, call, facts["requested_centimes"])
    if not form.valid:
        return None
    return {key: value for key, value in facts.items() if current.get(key) != value}


def amendment_values(project: Mapping[str, Any]) -> dict[str, str]:
    """The amendable fields of a project as the form shows them."""
    values = {name: str(project[DOMAIN_NAMES.get(name, name)]) for name in AMENDABLE}
    for name in DOMAIN_NAMES:
        values[name] = format_centimes(int(project[DOMAIN_NAMES[name]]))
    return values


_FORM_FIELDS: Final = {v: k for k, v in DOMAIN_NAMES.items()}
_INELIGIBLE: Final = {
    "sector": ("sector", SECTOR_INELIGIBLE),
    "province": ("province", PROVINCE_INELIGIBLE),
    "requested_centimes": ("requested", OUTSIDE_CALL),
}


def field_of(error: DomainError) -> tuple[str, str]:
    """The form field and message a domain error from the use case is shown against."""
    if isinstance(error, CallClosedError):
        return "call_id", CALL_CLOSED
    if isinstance(error, IneligibleError):
        if error.rule == "max_share":
            return "requested", ABOVE_SHARE
        return _INELIGIBLE.get(error.field, (FORM, INVALID))
    if isinstance(error, UnknownReferenceError):
        return (error.kind, COMMUNE_PROVINCE if error.kind == "commune" else CHOOSE)
    if isinstance(error, InvalidTransitionError):
        return FORM, NOT_NOW
    if isinstance(error, InvalidValueError):
        if error.field == "changes":
            return FORM, NOTHING_CHANGED
        name = _FORM_FIELDS.get(error.field, error.field)
        message = {"ice": ICE_INVALID, "rnae_number": RNAE_OR_ICE, "rc_number": RC_NUMBER}
        return (name, message.get(name, INVALID)) if name in FIELDS else (FORM, INVALID)
    return FORM, INVALID


def call_id_of(text: str) -> UUID | None:
    """A call id typed in a form, or None."""
    try:
        return UUID(text)
    except ValueError:
        return None
