"""What a newcomer needs over the API alone: open an account, the reference data, a call's rules.

``POST /accounts`` is the registration page's twin: the same rules, the same per-address throttle
(``service.registration``) and the same CSRF token (from ``GET /session``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from domain.reference import LEGAL_FORMS, PROVINCES, SECTORS, SOLE_TRADER, Labels
from domain.rubrics import SCALE_MAX
from projections import call_pages
from projections import programme as programme_model
from service import registration
from service.passwords import Passwords
from service.settings import Settings
from web.api.newcomer_schemas import (
    AccountIn,
    CallDetailOut,
    CriterionOut,
    DecisionRulesOut,
    DocumentOut,
    LabelsOut,
    LegalFormOut,
    ProvinceOut,
    PublishedRubricOut,
    QuestionOut,
    ReferenceOut,
    ScaleOut,
    TermOut,
)
from web.api.schemas import Language, SessionOut
from web.api.session import user_out
from web.api.support import not_found
from web.common.sessions import csrf_token, log_in


def _labels(labels: Labels) -> LabelsOut:
    return LabelsOut(ar=labels.ar, fr=labels.fr, en=labels.en)


LANGUAGE_KEYS: tuple[Language, ...] = ("ar", "fr", "en")


def _texts(texts: Mapping[str, str]) -> dict[Language, str]:
    return {lang: str(texts[lang]) for lang in LANGUAGE_KEYS if lang in texts}


def _languages(codes: Iterable[str]) -> list[Language]:
    return [lang for lang in LANGUAGE_KEYS if lang in set(codes)]


@post(
    "/accounts",
    summary="Register as an investor",
    tags=["session"],
    status_code=HTTP_201_CREATED,
    security=[{"csrf": []}],
)
async def register(
    request: Request[Any, Any, Any],
    data: JSONBody[AccountIn],
    pool: NamedDependency[asyncpg.Pool],
    passwords: NamedDependency[Passwords],
    client: NamedDependency[str],
) -> SessionOut:
    """Opens an investor account and signs it in (new session cookie, new CSRF token).

    Send the token of ``GET /api/v1/session`` in ``X-CSRF-Token``. Refusals: 422
    ``invalid_email``, ``invalid_name``, ``weak_password`` (``reason``: too_short, too_long,
    too_common); 409 ``email_taken``; 429 ``throttled`` (too many accounts from one address,
    with ``Retry-After``); 403 ``csrf_token_missing``.
    """
    user = await registration.register_investor(
        pool=pool, passwords=passwords, client=client, email=data.email,
        display_name=data.display_name, password=data.password,
    )  # fmt: skip
    log_in(request, user)
    return SessionOut(user=user_out(user), csrf_token=csrf_token(request))


@get("/reference", summary="Reference data", tags=["programme"], security=[])
async def reference() -> ReferenceOut:
    """Sectors, provinces (with their Investment-Charter category and communes) and legal forms,
    each with its stable ``key`` (what requests send) and labels in Arabic, French and English."""
    return ReferenceOut(
        languages=["ar", "fr", "en"],
        sectors=[TermOut(key=t.key, labels=_labels(t.labels)) for t in SECTORS],
        provinces=[
            ProvinceOut(
                key=p.key,
                labels=_labels(p.labels),
                category=p.category,  # type: ignore[arg-type]
                communes=[TermOut(key=c.key, labels=_labels(c.labels)) for c in p.communes],
            )
            for p in PROVINCES
        ],
        legal_forms=[
            LegalFormOut(
                key=t.key,
                labels=_labels(t.labels),
                applicant_kind="sole_trader" if t.key == SOLE_TRADER else "company",
            )
            for t in LEGAL_FORMS
        ],
    )


@get(
    "/calls/{call_id:uuid}",
    summary="One call: its rules and rubric",
    tags=["programme"],
    security=[],
)
async def call_detail(
    call_id: FromPath[UUID],
    pool: NamedDependency[asyncpg.Pool],
    settings: NamedDependency[Settings],
) -> CallDetailOut:
    """Amount range, maximum share of the investment (basis points: 3000 = 30 %), window,
    eligibility, required documents, FAQ, the published rubric with level descriptors, and how
    decisions are taken. 404 ``not_found`` for an unknown call."""
    found = await call_pages.call_page(pool, call_id)
    if found is None:
        raise not_found()
    rubric = await programme_model.published_rubric(pool)
    description = found.description
    return CallDetailOut(
        call_id=found.call_id, envelope_id=found.envelope_id, title=found.title,
        titles=_texts(description.titles) if description else {"fr": found.title},
        who_may_apply=_texts(description.who_may_apply) if description else {},
        eligible_sectors=found.eligible_sectors, eligible_provinces=found.eligible_provinces,
        min_request_centimes=found.min_request_centimes,
        max_request_centimes=found.max_request_centimes,
        max_share_basis_points=found.max_share_basis_points,
        opens_at=found.opens_at, closes_at=found.closes_at, closed_at=found.closed_at,
        contact_email=description.contact_email if description else None,
        documents=[
            DocumentOut(kind=d.kind, labels=_texts(d.labels), languages=_languages(d.languages),
                        mandatory=d.mandatory)
            for d in (description.documents if description else ())
        ],
        faq=[
            QuestionOut(question=_texts(q.question), answer=_texts(q.answer))
            for q in (description.faq if description else ())
        ],
        rubric=PublishedRubricOut(
            rubric_id=rubric.rubric_id, name=rubric.name, rubric_version=rubric.rubric_version,
            scale=ScaleOut(min=0, max=SCALE_MAX),
            criteria=[
                CriterionOut(key=c["key"], weight=c["weight"], labels=_texts(c["labels"]),
                             levels={k: _texts(v) for k, v in c.get("levels", {}).items()})
                for c in rubric.criteria
            ],
        ) if rubric and rubric.published_at else None,
        decision=DecisionRulesOut(
            quorum=settings.review_quorum,
            funding_threshold_hundredths=settings.funding_threshold_hundredths,
            override_requires_published_justification=True,
        ),
    )  # fmt: skip


ROUTES = [register, reference, call_detail]
