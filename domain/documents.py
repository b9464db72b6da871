"""Documents an application carries: what a call requires, and what a file is by its content.

No I/O: the service hands in the first bytes of an upload and the kinds already attached; the
rules (which formats, which kinds are mandatory) live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from uuid import UUID

from domain.errors import DomainError, InvalidValueError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: Formats accepted, recognised by their leading bytes only (never by name or declared type).
#: PDF: ISO 32000-1 §7.5.2 ("%PDF-"); PNG: RFC 2083 §3.1 signature; JPEG: SOI marker + a marker.
MAGIC: Final = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
MAGIC_BYTES: Final = max(len(prefix) for prefix, _ in MAGIC)
EXTENSIONS: Final = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}

BUSINESS_PLAN: Final = "business_plan"
REGISTRATION: Final = "registration_certificate"  # RC extract, or the RNAE card
TAX_CERTIFICATE: Final = "tax_certificate"
QUOTES: Final = "quotes"
INFORMATION_REPLY: Final = "information_reply"
AGREEMENT: Final = "agreement"
SIGNED_AGREEMENT: Final = "signed_agreement"
OTHER: Final = "other"
KINDS: Final = (
    BUSINESS_PLAN, REGISTRATION, TAX_CERTIFICATE, QUOTES, INFORMATION_REPLY, AGREEMENT,
    SIGNED_AGREEMENT, OTHER,
)  # fmt: skip
#: Kinds only programme staff attach.
STAFF_KINDS: Final = (SIGNED_AGREEMENT,)


@dataclass(frozen=True, kw_only=True)
class RequiredDocument:
    """A document a call asks for: its kind, the languages it may be written in, whether needed,
    and the call's own name for it per language (empty: the programme's word for the kind)."""

    kind: str
    languages: tuple[str, ...] = ("ar", "fr")
    mandatory: bool = False
    labels: tuple[tuple[str, str], ...] = ()

    def label(self, language: str) -> str | None:
        """The call's name for the document in ``language``, if it gave one."""
        return dict(self.labels).get(language)


#: What a call requires unless it says otherwise (the 2022 programme's usual list).
DEFAULT_REQUIRED: Final = (
    RequiredDocument(kind=BUSINESS_PLAN, mandatory=True),
    RequiredDocument(kind=REGISTRATION, mandatory=True),
    RequiredDocument(kind=TAX_CERTIFICATE),
    RequiredDocument(kind=QUOTES),
)


class UnsupportedDocumentError(DomainError):
    """Raised when a file's content is not a PDF, PNG or JPEG, whatever its name says."""

    code = "unsupported_media_type"

    def __init__(self) -> None:
        super().__init__("only PDF, PNG and JPEG files are accepted (recognised by content)")


class DocumentTooLargeError(DomainError):
    """Raised when a file, or the application's documents together, exceed their limit."""

    code = "document_too_large"

    def __init__(self, size: int, limit: int, *, total: bool = False) -> None:
        self.size, self.limit, self.total = size, limit, total
        what = "the application's documents together" if total else "the file"
        super().__init__(f"{what} would be {size} bytes; the limit is {limit}")


class MissingDocumentError(DomainError):
    """Raised when a submission lacks a document the call makes mandatory."""

    code = "missing_document"

    def __init__(self, kinds: Sequence[str]) -> None:
        self.kinds = tuple(kinds)
        super().__init__("missing mandatory document(s): " + ", ".join(self.kinds))


class UnknownDocumentError(DomainError):
    """Raised when a reply names a document that is not attached to this application."""

    code = "unknown_document"

    def __init__(self, application_id: UUID, document_id: UUID) -> None:
        self.application_id, self.document_id = application_id, document_id
        super().__init__(f"{application_id} has no document {document_id}")


def recognise(head: bytes) -> str:
    """The media type of a file from its first bytes; raises for anything but PDF/PNG/JPEG."""
    for prefix, media_type in MAGIC:
        if head.startswith(prefix):
            return media_type
    raise UnsupportedDocumentError


def check_kind(kind: str, *, staff: bool, also: Iterable[str] = ()) -> str:
    """The kind, if the caller may attach it: the programme's vocabulary or a kind the call
    itself lists (``also``); the signed agreement is staff's."""
    if (kind not in KINDS and kind not in set(also)) or (kind in STAFF_KINDS and not staff):
        raise InvalidValueError("kind", kind, "not a document kind the caller may attach")
    return kind


def check_size(size: int, already: int, *, each: int, total: int) -> None:
    """Refuse a file above ``each`` bytes, or one that takes the application above ``total``."""
    if size > each:
        raise DocumentTooLargeError(size, each)
    if already + size > total:
        raise DocumentTooLargeError(already + size, total, total=True)


def missing(required: Iterable[RequiredDocument], attached_kinds: Iterable[str]) -> list[str]:
    """The mandatory kinds not among ``attached_kinds``, in the call's order."""
    have = set(attached_kinds)
    return [r.kind for r in required if r.mandatory and r.kind not in have]


def check_complete(required: Iterable[RequiredDocument], attached_kinds: Iterable[str]) -> None:
    """Refuse a submission that lacks a mandatory document, naming every one missing."""
    if lacking := missing(required, attached_kinds):
        raise MissingDocumentError(lacking)


def required_of(call: object | None) -> tuple[RequiredDocument, ...]:
    """A call's required documents: its own list when it has one, else :data:`DEFAULT_REQUIRED`.

    Read by attribute, so that a call that lists documents (``call.required_documents``, or the
    documents of its published description) is honoured without this module changing.
    """
    own = getattr(call, "required_documents", None) or getattr(
        getattr(call, "description", None), "documents", None
    )
    if not own:
        return DEFAULT_REQUIRED
    return tuple(_required(r) for r in own)


def _required(item: object) -> RequiredDocument:
    if isinstance(item, RequiredDocument):
        return item
    if isinstance(item, dict):
        fields = item
    else:
        fields = {k: getattr(item, k) for k in ("kind", "languages", "mandatory", "labels")
                  if hasattr(item, k)}  # fmt: skip
    labels = dict(fields.get("labels") or {})
    return RequiredDocument(
        kind=str(fields.get("kind", OTHER)), languages=tuple(fields.get("languages", ("ar", "fr"))),
        mandatory=bool(fields.get("mandatory", False)), labels=tuple(sorted(labels.items())),
    )  # fmt: skip


def union_of(lists: Iterable[Sequence[RequiredDocument]]) -> tuple[RequiredDocument, ...]:
    """Every kind any of the lists asks for, in first-seen order; mandatory if any list says so
    (a form offered for several calls asks for what any of them needs)."""
    merged: dict[str, RequiredDocument] = {}
    for required in lists:
        for r in required:
            seen = merged.get(r.kind)
            if seen is None:
                merged[r.kind] = r
            elif r.mandatory and not seen.mandatory:
                merged[r.kind] = RequiredDocument(kind=r.kind, languages=seen.languages,
                                                  mandatory=True, labels=seen.labels or r.labels)  # fmt: skip
    return tuple(merged.values())
