"""The application form's publication part: the public title and summary the investor writes for
the public and approves (or not) at submission, the title perhaps in Arabic, French and English.

Read apart from the rest of the form (``application_form``): nothing of it is checked unless the
box is ticked, and without it the use case receives an unapproved, empty publication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from domain.publication import MAX_PUBLIC_SUMMARY, MAX_PUBLIC_TITLE, Publication
from domain.reference import LANGUAGES
from web.common.i18n import N_

if TYPE_CHECKING:
    from web.common.forms import Form

APPROVED: Final = "public_approved"
TRANSLATIONS: Final = tuple(f"public_title_{code}" for code in LANGUAGES)
FIELDS: Final = (APPROVED, "public_title", "public_summary", "public_language", *TRANSLATIONS)

PUBLIC_REQUIRED = N_("Write the text to publish, or untick the approval below.")
PUBLIC_TOO_LONG = N_("This text is too long for publication.")
CHOOSE_LANGUAGE = N_("Choose the language the public title is written in.")


def approved(form: Form) -> bool:
    """Whether the investor ticked the approval box."""
    return form.values.get(APPROVED, "") in ("yes", "on", "true")


def parse_publication(form: Form) -> Publication:
    """The approved texts, with a message against each wrong field; unapproved: empty."""
    if not approved(form):
        return Publication()
    values = form.values
    texts = {"public_title": MAX_PUBLIC_TITLE, "public_summary": MAX_PUBLIC_SUMMARY}
    for name, limit in texts.items():
        text = values.get(name, "").strip()
        if not text:
            form.error(name, PUBLIC_REQUIRED)
        elif len(text) > limit:
            form.error(name, PUBLIC_TOO_LONG)
    language = values.get("public_language", "")
    if language not in LANGUAGES:
        form.error("public_language", CHOOSE_LANGUAGE)
    titles = {name.removeprefix("public_title_"): values.get(name, "").strip()
              for name in TRANSLATIONS}  # fmt: skip
    for name in TRANSLATIONS:
        if len(values.get(name, "").strip()) > MAX_PUBLIC_TITLE:
            form.error(name, PUBLIC_TOO_LONG)
    return Publication(
        approved=True, title=values.get("public_title", "").strip(),
        summary=values.get("public_summary", "").strip(), language=language,
        titles={k: v for k, v in titles.items() if v},
    )  # fmt: skip
