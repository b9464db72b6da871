"""A file's status and each step of its timeline, in plain words in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from web.common.document_words import kind_words
from web.common.i18n import N_, format_mad, format_moment

if TYPE_CHECKING:
    from collections.abc import Mapping

    from babel.support import Translations

    from projections.dashboard import Step

DRAFT: Final = "draft"
STATUS_WORDS: Final = {
    DRAFT: N_("Draft, not submitted yet"),
    "submitted": N_("Submitted, waiting for screening"),
    "information_requested": N_("The committee asked you a question"),
    "in_review": N_("Under review by the committee"),
    "funded": N_("Funded"),
    "rejected": N_("Not funded"),
    "withdrawn": N_("Withdrawn"),
    "screened_out": N_("Not eligible"),
    "agreement_signed": N_("Agreement signed"),
    "cancelled": N_("Funding cancelled"),
    "completed": N_("Completed"),
}
#: Each step: its sentence, and the parameter holding free text from the committee to quote.
STEP_WORDS: Final = {
    "submitted": (N_("You submitted your application, asking for %(amount)s."), None),
    "information_requested": (N_("The committee asked you for more information:"), "question"),
    "amended": (N_("You amended your application: %(fields)s."), None),
    "reviewer_assigned": (N_("A reviewer was assigned: your file is under review."), None),
    "reviewed": (N_("A reviewer assessed your file."), None),
    "funded": (N_("The committee decided to fund your project with %(amount)s."), None),
    "rejected": (N_("The committee decided not to fund your project. Reason:"), "reason"),
    "screened_out": (N_("Your file was found not eligible. Reason:"), "reason"),
    "withdrawn": (N_("You withdrew your application."), None),
    "agreement_signed": (N_("The funding agreement was signed."), None),
    "tranche_disbursed": (N_("A tranche of %(amount)s was paid to you."), None),
    "cancelled": (N_("The funding was cancelled. Reason:"), "reason"),
    "completed": (N_("The project was completed."), None),
    "document_attached": (N_("A document was attached: %(kind)s."), None),
    "information_replied": (N_("You answered the committee's question."), None),
}
FIELD_WORDS: Final = {
    "title": N_("Project title"),
    "summary": N_("Project summary"),
    "commune": N_("Commune"),
    "total_investment_centimes": N_("Total investment (MAD)"),
    "requested_centimes": N_("Amount requested (MAD)"),
    "jobs": N_("Jobs created"),
    "jobs_women": N_("Of which jobs for women"),
    "timeline_months": N_("Duration of the project (months)"),
}
OTHER_STEP = N_("Your file was updated.")


@dataclass(frozen=True, kw_only=True)
class StepLine:
    """One line of the timeline as shown: when, the sentence, any text quoted from the committee."""

    when: str
    sentence: str
    quote: str | None


def status_words(status: str) -> str:
    """The msgid of a status (translated where it is shown)."""
    return STATUS_WORDS.get(status, status)


def step_line(
    step: Step, t: Translations, language: str, named: Mapping[str, str] | None = None
) -> StepLine:
    """The sentence for one step, in the reader's language (``named``: the file's call's names
    of document kinds, see :func:`web.common.document_words.kind_words`)."""
    message, quoted = STEP_WORDS.get(step.kind, (OTHER_STEP, None))
    params: dict[str, Any] = {}
    amount = step.params.get("amount_centimes", step.params.get("requested_centimes"))
    if amount is not None:
        params["amount"] = format_mad(int(amount), language)
    if "fields" in step.params:
        params["fields"] = t.gettext(", ").join(
            t.gettext(FIELD_WORDS.get(name, name)) for name in step.params["fields"]
        )
    if "kind" in step.params:
        params["kind"] = t.gettext(kind_words(step.params["kind"], named))
    sentence = t.gettext(message) % params if params else t.gettext(message)
    return StepLine(
        when=format_moment(step.occurred_at, language),
        sentence=sentence,
        quote=str(step.params[quoted]) if quoted and step.params.get(quoted) else None,
    )
