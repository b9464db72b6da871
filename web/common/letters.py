"""Decision letters as PDF: the decision's facts in the reader's language, Arabic shaped and
right-to-left by WeasyPrint over Debian's Pango/HarfBuzz; dates in Moroccan time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, select_autoescape

from service.errors import Unavailable
from service.letters import FUNDED, REJECTED
from web.common.i18n import FORMAT_LOCALES, N_, format_mad, text_direction

if TYPE_CHECKING:
    from babel.support import Translations

    from service.letters import Decision

MOROCCO: Final = ZoneInfo("Africa/Casablanca")
TEMPLATES: Final = Path(__file__).parent.parent / "templates"
COUNCIL = N_("Drâa-Tafilalet Regional Council")
PROGRAMME = N_("Investment-support programme")
REFERENCE = N_("Reference: %(reference)s")
DATE = N_("Date: %(date)s")
TO = N_("To: %(company)s")
SUBJECT = N_("Subject: decision on the application “%(title)s”")
FUNDED_LINE = N_("The committee decided to fund your project. Amount granted:")
REJECTED_LINE = N_("The committee decided not to fund your project.")
SCREENED_LINE = N_("Your application was found not eligible for the programme.")
CONDITIONS = N_("Conditions:")
REASON = N_("Reason:")
FOOTER = N_(
    "Produced by the programme's platform. The decision is recorded in its public, verifiable "
    "ledger."
)
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    enable_async=False,
)


def moroccan_time(value: object, language: str) -> str:
    """A moment as people in Morocco read it (Africa/Casablanca), in the language's form."""
    return format_datetime(value, format="long", tzinfo=MOROCCO, locale=FORMAT_LOCALES[language])  # type: ignore[arg-type]


def letter_html(decision: Decision, language: str, t: Translations) -> str:
    """The letter as HTML, every sentence in ``language``."""
    funded = decision.kind == FUNDED
    line = FUNDED_LINE if funded else REJECTED_LINE if decision.kind == REJECTED else SCREENED_LINE
    return _env.get_template("letters/decision.html").render(
        language=language, direction=text_direction(language), reference=decision.reference,
        council=t.gettext(COUNCIL), programme=t.gettext(PROGRAMME),
        reference_line=t.gettext(REFERENCE) % {"reference": decision.reference},
        date_line=t.gettext(DATE) % {"date": moroccan_time(decision.decided_at, language)},
        to_line=t.gettext(TO) % {"company": decision.company_name},
        subject_line=t.gettext(SUBJECT) % {"title": decision.title},
        decision_line=t.gettext(line),
        amount=format_mad(decision.amount_centimes, language) if funded else "",
        reason_label=t.gettext(CONDITIONS if funded else REASON), reason=decision.reason,
        footer=t.gettext(FOOTER),
    )  # fmt: skip


def _pdf(html: str) -> bytes:
    # Imported here: a heavy import, paid by the first letter only; `python3 dev.py serve`
    # installs it while the server starts (for a few seconds: a 503 with Retry-After, not a 500).
    try:
        from weasyprint import HTML
    except ImportError as error:
        raise Unavailable(f"WeasyPrint is not installed yet ({error})", retry_after=10) from None

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf


async def letter_pdf(decision: Decision, language: str, t: Translations) -> bytes:
    """The PDF, rendered off the event loop (layout takes a few hundred milliseconds)."""
    return await asyncio.to_thread(_pdf, letter_html(decision, language, t))


def letter_filename(decision: Decision) -> str:
    """``decision-DT-2026-1A2B3C4D.pdf``."""
    return f"decision-{decision.reference}.pdf"
