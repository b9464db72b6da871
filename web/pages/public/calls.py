"""The public call pages: every call, and one call's rules, documents, rubric, decision rules, FAQ.

Read from the ``call_pages`` and ``programme`` projections. Not cached by ETag like the other
public pages: the status and the time left change with the clock, not only with the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
from litestar import MediaType, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from domain.call_texts import text_in
from domain.reference import PROVINCES, SECTORS
from projections import call_pages
from projections import programme as programme_model
from projections.call_pages import status_of, time_left
from service.settings import Settings
from web.common.i18n import LANGUAGE_NAMES, N_
from web.pages.public.site import lang_param, use_query_language

if TYPE_CHECKING:
    from collections.abc import Mapping

    from projections.call_pages import CallPage

NOW = "SELECT now()"
STATUSES = {"upcoming": N_("Upcoming"), "open": N_("Open"), "closed": N_("Closed")}


@dataclass(frozen=True, kw_only=True)
class Shown:
    """A text in the visitor's language, or in another one (``fallback`` names it)."""

    text: str
    fallback: str | None


def shown(texts: Mapping[str, str], lang: str) -> Shown:
    """The text in ``lang``, or the fallback with the language it is in."""
    text, used = text_in(texts, lang)
    return Shown(text=text, fallback=used if used != lang else None)


def _title(page: CallPage, lang: str) -> Shown:
    if page.description is None:
        return Shown(text=page.title, fallback=None)
    return shown(page.description.titles, lang)


def _context(request: Request[Any, Any, Any], lang: str) -> dict[str, Any]:
    return {
        "public_page": True,
        "lang_param": lang_param(request),
        "sectors": {t.key: t.labels.get(lang) for t in SECTORS},
        "provinces": {p.key: p.labels.get(lang) for p in PROVINCES},
        "language_names": LANGUAGE_NAMES,
        "statuses": STATUSES,
    }


@get("/calls")
async def calls_page(
    request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
) -> Template:
    """Every call for applications, open ones first."""
    lang = use_query_language(request)
    now: datetime = await pool.fetchval(NOW)
    pages = await call_pages.call_pages(pool)
    rows = sorted(
        (
            {"page": p, "title": _title(p, lang), "status": status_of(p, now),
             "left": time_left(p, now)}
            for p in pages
        ),
        key=lambda r: r["status"] != "open",
    )  # fmt: skip
    return Template(
        template_name="calls.html", context={**_context(request, lang), "calls": rows},
        media_type=MediaType.HTML,
    )  # fmt: skip


@get("/calls/{call_id:uuid}")
async def call_page(
    request: Request[Any, Any, Any],
    call_id: FromPath[UUID],
    pool: NamedDependency[asyncpg.Pool],
    settings: NamedDependency[Settings],
) -> Template:
    """One call: who may apply, the rules, documents, rubric, how decisions are taken, FAQ."""
    lang = use_query_language(request)
    found = await call_pages.call_page(pool, call_id)
    if found is None:
        raise NotFoundException
    now: datetime = await pool.fetchval(NOW)
    rubric = await programme_model.published_rubric(pool)
    description = found.description
    context = {
        "call": found,
        "title": _title(found, lang),
        "status": status_of(found, now),
        "left": time_left(found, now),
        "who": shown(description.who_may_apply, lang) if description else None,
        "documents": [
            {"doc": d, "label": shown(d.labels, lang)} for d in description.documents
        ] if description else [],
        "faq": [
            {"question": shown(q.question, lang), "answer": shown(q.answer, lang)}
            for q in description.faq
        ] if description else [],
        "contact_email": description.contact_email if description else "",
        "rubric": rubric,
        "criteria": [
            {"label": shown(c["labels"], lang), "weight": c["weight"],
             "levels": {lvl: shown(texts, lang) for lvl, texts in c.get("levels", {}).items()}}
            for c in (rubric.criteria if rubric else [])
        ],
        "quorum": settings.review_quorum,
        "threshold": settings.funding_threshold_hundredths,
        "share_percent": found.max_share_basis_points / 100,
    }  # fmt: skip
    return Template(
        template_name="call.html", context={**_context(request, lang), **context},
        media_type=MediaType.HTML,
    )  # fmt: skip


ROUTES = [calls_page, call_page]
