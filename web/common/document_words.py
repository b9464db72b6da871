"""Document kinds and thread entries in plain words (msgids; translated where shown)."""

from __future__ import annotations

from typing import Final

from domain import documents as d
from web.common.i18n import N_

KIND_WORDS: Final = {
    d.BUSINESS_PLAN: N_("Business plan"),
    d.REGISTRATION: N_("Commercial register (RC) or RNAE certificate"),
    d.TAX_CERTIFICATE: N_("Tax certificate"),
    d.QUOTES: N_("Quotes"),
    d.INFORMATION_REPLY: N_("Document for the committee's question"),
    d.AGREEMENT: N_("Funding agreement"),
    d.SIGNED_AGREEMENT: N_("Signed funding agreement"),
    d.OTHER: N_("Other document"),
}
NOT_A_DOCUMENT = N_("Only PDF, PNG and JPEG files are accepted.")
TOO_LARGE = N_("This file is too large (at most %(size)s per file).")
TOO_MUCH = N_("Together, the documents of an application may not exceed %(size)s.")
MISSING = N_("This document is required: please attach it.")


def kind_words(kind: str) -> str:
    """The msgid of a document kind."""
    return KIND_WORDS.get(kind, KIND_WORDS[d.OTHER])


def megabytes(size: int) -> str:
    """A byte count for people: ``10 MB``."""
    return f"{size / 1_048_576:.0f} MB" if size >= 1_048_576 else f"{size // 1024} KB"
