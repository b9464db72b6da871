"""What every administration page shares: the officer guard, notices, domain errors in words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from domain.errors import DomainError, InvalidValueError, UnknownReferenceError
from service.accounts import OFFICER
from web.common.auth import requires_role
from web.common.i18n import N_
from web.common.numbers import NumberFormatError, parse_mad

if TYPE_CHECKING:
    from web.common.forms import Form

OFFICERS_ONLY: Final = [requires_role(OFFICER)]

#: ``?done=KEY`` after a post/redirect/get: what was done. Read models follow the event log
#: within moments, so the notice says so rather than pretending the list is already updated.
NOTICES: Final = {
    "envelope_opened": N_("The envelope was opened. It appears in the list within a few seconds."),
    "envelope_closed": N_("The envelope was closed to new funding decisions."),
    "call_opened": N_("The call was opened. It appears in the list within a few seconds."),
    "call_closed": N_("The call was closed."),
    "rubric_drafted": N_("A new draft version was created. It appears below within a few seconds."),
    "rubric_revised": N_("The weights were saved."),
    "rubric_published": N_("The version was published. It can no longer be changed."),
    "user_created": N_("The account was created and a set-password link was sent by e-mail."),
    "user_changed": N_("The account was changed; its open sessions have ended."),
    "rebuilt": N_("The projection was rebuilt from the event log."),
}

REQUIRED: Final = N_("This field is required.")
NOT_AN_AMOUNT: Final = N_("Enter an amount in MAD, for example 1 500 000 or 1 500 000,50.")
NOT_POSITIVE: Final = N_("Enter an amount greater than zero.")
# Domain errors by the field they name; the domain says which rule broke, the page says it here.
FIELD_MESSAGES: Final = {
    "name": N_("Enter a name."),
    "title": N_("Enter a title."),
    "total_centimes": NOT_POSITIVE,
    "min_request_centimes": NOT_POSITIVE,
    "max_request_centimes": N_("The maximum must not be below the minimum."),
    "closes_at": N_("The closing date must be after the opening date."),
    "weight": N_("Each weight must be a whole number greater than zero."),
    "weights": N_("The weights must add up to 100 before this version can be published."),
}


# Domain errors that are about the state of things rather than one value.
CODE_MESSAGES: Final = {
    "envelope_closed": ("envelope_id", N_("This envelope is closed; choose an open one.")),
    "rubric_published": ("", N_("This version is published and can no longer be changed.")),
}


def notice(done: str | None) -> str | None:
    """The message for a ``?done=`` key, or None for anything else."""
    return NOTICES.get(done or "")


def field_error(error: DomainError) -> tuple[str, str]:
    """The form field a domain error belongs to, and its message (a msgid)."""
    if isinstance(error, InvalidValueError):
        return error.field, FIELD_MESSAGES.get(error.field, N_("This value is not valid."))
    if isinstance(error, UnknownReferenceError):
        return f"{error.kind}s", N_("Choose from the list.")
    if error.code in CODE_MESSAGES:
        return CODE_MESSAGES[error.code]
    return "", N_("This action is not possible in the current state.")


def amount_field(form: Form, name: str) -> int | None:
    """``form.values[name]`` as positive centimes, or None with the error recorded."""
    text = form.values.get(name, "")
    if not text:
        form.error(name, REQUIRED)
        return None
    try:
        centimes = parse_mad(text)
    except NumberFormatError:
        form.error(name, NOT_AN_AMOUNT)
        return None
    if centimes <= 0:
        form.error(name, NOT_POSITIVE)
        return None
    return centimes
