"""A reviewer's landing page: "My assignments" (to score, scored, conflicted), with the chosen
file's application and the score form beside the list, so that a reviewer scores without
leaving it. The form posts to the file's score route (``workspace.score``), which comes back here.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import asyncpg
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from domain.call_texts import text_in
from domain.fact_criteria import fact_scores
from domain.rubrics import SCALE_MAX
from projections import assignments, programme, review_queue
from service import documents
from service.accounts import REVIEWER, User
from web.common import document_words
from web.common.auth import requires_role
from web.common.forms import Form
from web.common.i18n import N_, language_of
from web.common.sessions import session_data
from web.common.views import page
from web.pages.committee.views import FLASH, labels

RETURN_HERE: Final = "assignments"
#: What each level of the 0..5 scale means, for every criterion scored by judgement.
LEVELS: Final = (
    N_("0: absent"), N_("1: very weak"), N_("2: weak"), N_("3: adequate"), N_("4: good"),
    N_("5: excellent"),
)  # fmt: skip


def described_levels(
    criteria: list[dict[str, Any]], lang: str
) -> dict[str, list[tuple[str, str, str]]]:
    """Per criterion, what its 0, 3 and 5 mean in the call's rubric: (level, text, language of
    the text), in the page's language or the first one the rubric has. A criterion without
    descriptors is absent (the form then shows the generic scale, ``LEVELS``)."""
    described = {}
    for crit in criteria:
        levels = crit.get("levels") or {}
        lines = [(level, *text_in(levels[level], lang)) for level in sorted(levels, key=int)]
        if lines := [line for line in lines if line[1]]:
            described[crit["key"]] = lines
    return described


async def documents_beside(
    request: Request[Any, Any, Any], user: User, application_id: UUID
) -> list[document_words.DocumentLine]:
    """The file's documents to read beside the score form, under the download rules (assigned
    and unconflicted reviewers, the chair, officers; nothing for anyone else)."""
    store, language = request.app.state.store, language_of(request)
    listed = await documents.listing_with_required(store, user, application_id)
    if listed is None:
        return []
    named = document_words.call_names(listed.required, language)
    return document_words.document_lines(listed.documents, language, named)


def chosen_file(value: str | None) -> UUID | None:
    """The file asked for by ``?file=``; a mangled id chooses none."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


async def my_review(pool: asyncpg.Pool, user: User, application_id: UUID) -> dict[str, str]:
    """The reviewer's latest review of the file as form values (empty if none)."""
    mine = [r for r in await review_queue.reviewers(pool, application_id)
            if r["reviewer_id"] == user.id and r["scores"]]  # fmt: skip
    if not mine:
        return {}
    return {
        **{k: str(v) for k, v in mine[0]["scores"].items()},
        "comment": mine[0]["comment"] or "",
    }


def facts_of(file: dict[str, Any], criteria: list[dict[str, Any]]) -> dict[str, int]:
    """The scores of the rubric's fact criteria, computed from the file."""
    keys = frozenset(c["key"] for c in criteria)
    return fact_scores(keys, province_key=file["province"], sector_key=file["sector"])


async def assignments_view(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    user: User,
    application_id: UUID | None,
    *,
    form: Form | None = None,
    status: int = 200,
) -> Template:
    """The lists and, for a file on them, its application and the score form."""
    mine = await assignments.workspace(pool, user.id)
    if application_id is None and mine.to_score:
        application_id = mine.to_score[0].application_id
    file, rubric, facts = None, await programme.published_rubric(pool), {}
    file_documents: list[document_words.DocumentLine] = []
    if application_id is not None and mine.holds(application_id):
        file = await review_queue.file(pool, application_id, reviewer_id=user.id)
        if file is not None:
            file_documents = await documents_beside(request, user, application_id)
        if file is not None and rubric is not None:
            facts = facts_of(file, rubric.criteria)
            form = form or Form(await my_review(pool, user, application_id))
    return page(
        "committee_assignments.html", status, form=form or Form(), mine=mine, file=file,
        rubric=rubric, facts=facts, levels=LEVELS, scale_max=SCALE_MAX, return_to=RETURN_HERE,
        described=described_levels(rubric.criteria if rubric else [], language_of(request)),
        file_documents=file_documents,
        flash=session_data(request).pop(FLASH, None), **labels(request),
    )  # fmt: skip


@get("/committee/assignments", guards=[requires_role(REVIEWER)])
async def assignments_page(
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    user: NamedDependency[User],
) -> Template:
    """My assignments; ``?file=ID`` opens one of them beside the list (default: the first
    file to score)."""
    return await assignments_view(
        request, pool, user, chosen_file(request.query_params.get("file"))
    )


ROUTES = [assignments_page]
