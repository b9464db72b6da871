"""What a call says to investors: its titles, who may apply, required documents, contact, FAQ.

Texts are given per language (``ar``, ``fr``, ``en``); a missing language falls back to another
one, and the page says so (:func:`text_in` tells which language was used).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from domain.errors import InvalidValueError
from domain.reference import LANGUAGES

#: The order in which a missing text falls back: the administration's French, then Arabic.
FALLBACK_ORDER: Final = ("fr", "ar", "en")
_KIND: Final = re.compile(r"[a-z][a-z0-9_]{1,39}")
_EMAIL: Final = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,24}")
_MAX_TEXT: Final = 4000
_MAX_ITEMS: Final = 40

Texts = Mapping[str, str]


def text_in(texts: Texts, language: str) -> tuple[str, str]:
    """The text in ``language`` if there is one, else the first of the fallback order; with the
    language actually used (``("", language)`` when there is no text at all)."""
    if texts.get(language, "").strip():
        return texts[language], language
    for other in FALLBACK_ORDER:
        if texts.get(other, "").strip():
            return texts[other], other
    return "", language


def check_texts(name: str, texts: Texts, *, required: bool = True) -> dict[str, str]:
    """Refuse unknown languages, over-long texts and (if ``required``) a text in no language."""
    unknown = sorted(set(texts) - set(LANGUAGES))
    if unknown:
        raise InvalidValueError(name, unknown, f"languages are {LANGUAGES}")
    cleaned = {lang: text.strip() for lang, text in texts.items() if text.strip()}
    if any(len(text) > _MAX_TEXT for text in cleaned.values()):
        raise InvalidValueError(name, "", f"at most {_MAX_TEXT} characters")
    if required and not cleaned:
        raise InvalidValueError(name, "", "a text in at least one language")
    return cleaned


@dataclass(frozen=True, slots=True)
class RequiredDocument:
    """A document the call asks for: its kind (a slug), labels, accepted languages, mandatory."""

    kind: str
    labels: Texts
    languages: tuple[str, ...] = ("ar", "fr")
    mandatory: bool = True

    def as_dict(self) -> dict[str, Any]:
        """The JSON-friendly form stored in events."""
        return {
            "kind": self.kind,
            "labels": dict(self.labels),
            "languages": list(self.languages),
            "mandatory": self.mandatory,
        }


@dataclass(frozen=True, slots=True)
class Question:
    """One entry of the call's FAQ."""

    question: Texts
    answer: Texts

    def as_dict(self) -> dict[str, Any]:
        """The JSON-friendly form stored in events."""
        return {"question": dict(self.question), "answer": dict(self.answer)}


@dataclass(frozen=True, slots=True)
class CallDescription:
    """The call's public texts; every text is a mapping language -> text."""

    titles: Texts
    who_may_apply: Texts
    contact_email: str
    documents: tuple[RequiredDocument, ...] = ()
    faq: tuple[Question, ...] = field(default=())

    @classmethod
    def make(
        cls,
        *,
        titles: Texts,
        who_may_apply: Texts,
        contact_email: str,
        documents: Sequence[RequiredDocument] = (),
        faq: Sequence[Question] = (),
    ) -> CallDescription:
        """A checked description: known languages, a title, a contact address, distinct kinds."""
        email = contact_email.strip()
        if _EMAIL.fullmatch(email) is None:
            raise InvalidValueError("contact_email", email, "an e-mail address")
        if len(documents) > _MAX_ITEMS or len(faq) > _MAX_ITEMS:
            raise InvalidValueError("documents", len(documents), f"at most {_MAX_ITEMS}")
        kinds = [d.kind for d in documents]
        if len(set(kinds)) != len(kinds) or any(_KIND.fullmatch(k) is None for k in kinds):
            raise InvalidValueError("documents", kinds, "distinct lowercase slugs")
        checked_documents = tuple(
            RequiredDocument(
                kind=d.kind,
                labels=check_texts("documents", d.labels),
                languages=_languages(d.languages),
                mandatory=d.mandatory,
            )
            for d in documents
        )
        checked_faq = tuple(
            Question(check_texts("faq", q.question), check_texts("faq", q.answer)) for q in faq
        )
        return cls(
            titles=check_texts("titles", titles),
            who_may_apply=check_texts("who_may_apply", who_may_apply, required=False),
            contact_email=email,
            documents=checked_documents,
            faq=checked_faq,
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON-friendly form stored in events."""
        return {
            "titles": dict(self.titles),
            "who_may_apply": dict(self.who_may_apply),
            "contact_email": self.contact_email,
            "documents": [d.as_dict() for d in self.documents],
            "faq": [q.as_dict() for q in self.faq],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallDescription:
        """Rebuild a description from its stored form (facts: not checked again)."""
        return cls(
            titles=dict(data.get("titles", {})),
            who_may_apply=dict(data.get("who_may_apply", {})),
            contact_email=str(data.get("contact_email", "")),
            documents=tuple(
                RequiredDocument(
                    kind=d["kind"],
                    labels=dict(d["labels"]),
                    languages=tuple(d.get("languages", ())),
                    mandatory=bool(d.get("mandatory", True)),
                )
                for d in data.get("documents", ())
            ),
            faq=tuple(
                Question(dict(q["question"]), dict(q["answer"])) for q in data.get("faq", ())
            ),
        )


def _languages(languages: Sequence[str]) -> tuple[str, ...]:
    if not languages or set(languages) - set(LANGUAGES):
        raise InvalidValueError("documents", list(languages), f"languages among {LANGUAGES}")
    return tuple(lang for lang in LANGUAGES if lang in languages)
