"""Document kinds and thread entries in plain words (msgids; translated where shown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from babel.dates import format_datetime

from domain import documents as d
from domain.local_time import MOROCCO
from service.correspondence import DOCUMENT
from service.correspondence import REPLY as REPLY_KIND
from web.common.i18n import FORMAT_LOCALES, N_

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime
    from uuid import UUID

    from domain.documents import RequiredDocument
    from service.correspondence import Entry
    from service.documents import DocumentInfo


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
TOO_LARGE = N_("This file is too large for the limit per file.")
TOO_MUCH = N_("Together, the documents of this application would exceed their limit.")
MISSING = N_("This document is required: please attach it.")


def kind_words(kind: str, named: Mapping[str, str] | None = None) -> str:
    """The msgid of a document kind, or the name the file's call gives it (``named``: kind ->
    name in the reader's language, from :func:`call_names`)."""
    if named and kind in named:
        return named[kind]
    return KIND_WORDS.get(kind, KIND_WORDS[d.OTHER])


def call_names(required: Sequence[RequiredDocument], language: str) -> dict[str, str]:
    """The names a call gives the kinds it lists (e.g. "ICE certificate"), in ``language``,
    for kinds the programme's own list has no words for."""
    return {r.kind: name for r in required
            if r.kind not in KIND_WORDS and (name := r.label(language))}  # fmt: skip


QUESTION = N_("The committee asked:")
REPLY = N_("The applicant answered:")
REPLY_AMENDED = N_("The applicant answered and amended the application:")
DOWNLOAD_LETTER = N_("Download the decision letter (PDF)")


@dataclass(frozen=True, kw_only=True)
class DocumentLine:
    """A document as a list shows it."""

    id: UUID
    label: str
    filename: str
    size: int
    when: str

    @property
    def size_text(self) -> str:
        """The size for people."""
        return size_words(self.size)


@dataclass(frozen=True, kw_only=True)
class ThreadLine:
    """A question or a reply as the thread shows it, with the reply's documents."""

    kind: str
    when: str
    sentence: str
    text: str
    documents: list[tuple[UUID, str]]


def size_words(size: int) -> str:
    """A file's size for people: ``12 KB``, ``3.4 MB`` (units as printed on Moroccan forms)."""
    if size < 1_048_576:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1_048_576:.1f} MB"


def moroccan_moment(value: datetime, language: str) -> str:
    """A date and time as read in Morocco (Africa/Casablanca), medium form."""
    return format_datetime(value, format="medium", tzinfo=MOROCCO, locale=FORMAT_LOCALES[language])


def document_lines(
    found: Sequence[DocumentInfo], language: str, named: Mapping[str, str] | None = None
) -> list[DocumentLine]:
    """A file's documents, oldest first (``named``: see :func:`kind_words`)."""
    return [
        DocumentLine(id=d.id, label=kind_words(d.kind, named), filename=d.filename, size=d.size,
                     when=moroccan_moment(d.created_at, language))
        for d in found
    ]  # fmt: skip


def thread_lines(
    entries: Sequence[Entry], kinds: Mapping[UUID, str], language: str,
    named: Mapping[str, str] | None = None,
) -> list[ThreadLine]:  # fmt: skip
    """Questions and replies in order; documents attached outside a reply are listed apart."""
    lines = []
    for e in entries:
        if e.kind == DOCUMENT:
            continue
        sentence = QUESTION if e.kind != REPLY_KIND else REPLY_AMENDED if e.changes else REPLY
        lines.append(ThreadLine(
            kind=e.kind, when=moroccan_moment(e.at, language), sentence=sentence, text=e.text,
            documents=[(i, kind_words(kinds.get(i, d.OTHER), named)) for i in e.document_ids],
        ))  # fmt: skip
    return lines


ATTACHED = N_("Your document was attached.")
REPLY_SENT = N_("Your answer was sent to the committee.")
CHOOSE_FILE = N_("Choose a file first.")
NOT_NOW = N_("This cannot be done on the file in its current state.")
