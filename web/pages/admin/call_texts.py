"""Officers edit what a call says to investors: titles, who may apply, contact, documents, FAQ.

Each text in Arabic, French and English; an empty language falls back on the public page, which
says so. The form has the call's rows plus two empty ones for documents and questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.call_texts import CallDescription, Question, RequiredDocument
from domain.errors import InvalidValueError
from domain.reference import LANGUAGES
from projections import call_pages
from service import programme
from service.store import EventStore
from web.common.forms import Form
from web.common.i18n import LANGUAGE_NAMES, N_
from web.common.views import page, see_other
from web.pages.admin.common import OFFICERS_ONLY

if TYPE_CHECKING:
    from litestar.datastructures import FormMultiDict

EXTRA_ROWS: Final = 2
MESSAGES: Final = {
    "titles": N_("Give the title in at least one language."),
    "contact_email": N_("Enter a valid e-mail address."),
    "documents": N_(
        "Each document needs a kind (lowercase letters, digits, _), a label and at least one language; kinds must differ."
    ),
    "faq": N_("Each question needs its answer, in at least one language."),
    "who_may_apply": N_("This text is too long."),
}


def _texts(values: dict[str, str], prefix: str) -> dict[str, str]:
    return {lang: values.get(f"{prefix}_{lang}", "") for lang in LANGUAGES}


def _fields(documents: int, questions: int) -> list[str]:
    names = ["contact_email"]
    for prefix in ("title", "who"):
        names += [f"{prefix}_{lang}" for lang in LANGUAGES]
    for i in range(documents):
        names += [f"doc{i}_kind", f"doc{i}_mandatory", *(f"doc{i}_{lang}" for lang in LANGUAGES)]
    for i in range(questions):
        names += [f"faq{i}_q_{lang}" for lang in LANGUAGES]
        names += [f"faq{i}_a_{lang}" for lang in LANGUAGES]
    return names


def values_of(description: CallDescription | None) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The form's values (and each document row's languages) from the published texts."""
    values: dict[str, str] = {}
    languages: dict[str, list[str]] = {}
    if description is None:
        return values, languages
    values["contact_email"] = description.contact_email
    for lang in LANGUAGES:
        values[f"title_{lang}"] = description.titles.get(lang, "")
        values[f"who_{lang}"] = description.who_may_apply.get(lang, "")
    for i, doc in enumerate(description.documents):
        values |= {f"doc{i}_kind": doc.kind, f"doc{i}_mandatory": "yes" if doc.mandatory else ""}
        values |= {f"doc{i}_{lang}": doc.labels.get(lang, "") for lang in LANGUAGES}
        languages[f"doc{i}"] = list(doc.languages)
    for i, q in enumerate(description.faq):
        values |= {f"faq{i}_q_{lang}": q.question.get(lang, "") for lang in LANGUAGES}
        values |= {f"faq{i}_a_{lang}": q.answer.get(lang, "") for lang in LANGUAGES}
    return values, languages


def description_of(
    values: dict[str, str], languages: dict[str, list[str]], documents: int, questions: int
) -> CallDescription:
    """The description the form describes (empty rows skipped); ``InvalidValueError`` if not."""
    docs = [
        RequiredDocument(
            kind=values[f"doc{i}_kind"],
            labels=_texts(values, f"doc{i}"),
            languages=tuple(languages.get(f"doc{i}", ())),
            mandatory=values.get(f"doc{i}_mandatory") == "yes",
        )
        for i in range(documents)
        if values.get(f"doc{i}_kind") or any(_texts(values, f"doc{i}").values())
    ]
    faq = [
        Question(_texts(values, f"faq{i}_q"), _texts(values, f"faq{i}_a"))
        for i in range(questions)
        if any(_texts(values, f"faq{i}_q").values()) or any(_texts(values, f"faq{i}_a").values())
    ]
    return CallDescription.make(
        titles=_texts(values, "title"), who_may_apply=_texts(values, "who"),
        contact_email=values.get("contact_email", ""), documents=docs, faq=faq,
    )  # fmt: skip


class CallTextsController(Controller):
    """``/admin/calls/{id}/texts``: the call's public texts."""

    path = "/admin/calls/{call_id:uuid}/texts"
    guards = OFFICERS_ONLY

    @get()
    async def edit(self, call_id: FromPath[UUID], pool: NamedDependency[asyncpg.Pool]) -> Template:
        """The texts as published, in a form."""
        found = await call_pages.call_page(pool, call_id)
        if found is None:
            raise NotFoundException
        values, languages = values_of(found.description)
        documents = len(found.description.documents) if found.description else 0
        questions = len(found.description.faq) if found.description else 0
        return self._page(found, Form(values), languages, documents, questions)

    @post()
    async def save(
        self,
        request: Request[Any, Any, Any],
        call_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
    ) -> Template | Redirect:
        """Publish the texts; a wrong one comes back next to its field with status 422."""
        found = await call_pages.call_page(pool, call_id)
        if found is None:
            raise NotFoundException
        data: FormMultiDict = await request.form()
        documents, questions = _count(data, "doc", "_kind"), _count(data, "faq", "_q_fr")
        form = Form.from_data(data, _fields(documents, questions))
        languages = {f"doc{i}": data.getall(f"doc{i}_languages", []) for i in range(documents)}
        try:
            description = description_of(form.values, languages, documents, questions)
        except InvalidValueError as error:
            form.error(_field_of(error.field), MESSAGES.get(error.field, MESSAGES["documents"]))
            return self._page(found, form, languages, documents, questions, status=422)
        await programme.describe_call(store, call_id=call_id, description=description)
        return see_other(f"/calls/{call_id}")

    def _page(
        self,
        found: call_pages.CallPage,
        form: Form,
        languages: dict[str, list[str]],
        documents: int,
        questions: int,
        status: int = 200,
    ) -> Template:
        return page(
            "admin/call_texts.html", status, form=form, call=found, languages=languages,
            document_rows=range(documents + EXTRA_ROWS), faq_rows=range(questions + EXTRA_ROWS),
            language_names=LANGUAGE_NAMES,
        )  # fmt: skip


def _count(data: FormMultiDict, prefix: str, suffix: str) -> int:
    """How many rows the posted form had (bounded: a form never holds more than 60)."""
    return next((i for i in range(60) if f"{prefix}{i}{suffix}" not in data), 60)


def _field_of(domain_field: str) -> str:
    return {"titles": "title", "who_may_apply": "who"}.get(domain_field, domain_field)
