"""The public transparency site: envelope at a glance, ledger, grant history, statistics, verify,
privacy notice. No login; every page cacheable (see :mod:`web.common.caching`)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from uuid import UUID

import asyncpg
from litestar import MediaType, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Response, Template

from domain.money import DEFAULT_ENVELOPE_CENTIMES
from domain.reference import PROVINCES, SECTORS
from projections import (
    envelopes,
    ledger,
    public_grants,
    public_ledger,
    public_texts,
    statistics,
    transparency,
)
from projections.audit import audit
from service.store import EventStore
from web.common import caching
from web.common.i18n import LANGUAGES, SCOPE_KEY, language_of, text_direction
from web.common.replica import PUBLIC_READS
from web.pages.public import charts

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

MIN_YEAR, MAX_YEAR, MAX_SEARCH, PAGE_SIZE = 2000, 2100, 100, 25
VERIFY_REUSE_S = 10.0


def use_query_language(request: Request[Any, Any, Any]) -> str:
    """``?lang=xx`` picks the page's language without a session (public pages stay cacheable)."""
    wanted = request.query_params.get("lang")
    if wanted in LANGUAGES:
        request.scope[SCOPE_KEY] = wanted  # type: ignore[literal-required]
    return language_of(request)


async def cached_page(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    template: str,
    load: Callable[[], Awaitable[dict[str, Any]]],
    *projections: str,
    status: int = 200,
) -> Response[Any]:
    """Answer 304 when the client holds the current version, else render ``template``."""
    lang = use_query_language(request)
    user = request.scope.get("user")
    session = request.scope.get("session")
    etag = caching.etag_of(
        template, await caching.version(pool, *projections), lang, request.url.query,
        getattr(user, "id", None), session.get("lang") if isinstance(session, dict) else None,
    )  # fmt: skip
    if status == 200 and caching.not_modified(request, etag):
        return caching.not_modified_response(etag)
    context = await load()
    context |= {
        "sectors": _labels(SECTORS, lang), "provinces": _labels(PROVINCES, lang),
        "lang_param": lang_param(request),
    }  # fmt: skip
    return Template(
        template_name=template, context={**context, "public_page": True}, status_code=status,
        media_type=MediaType.HTML, headers=caching.headers(etag),
    )  # fmt: skip


def lang_param(request: Request[Any, Any, Any]) -> str:
    """``lang=xx`` when the visitor chose the language in the query (links keep it), else ''."""
    wanted = request.query_params.get("lang")
    return f"lang={wanted}" if wanted in LANGUAGES and not request.scope.get("user") else ""


def _labels(terms: Any, lang: str) -> dict[str, str]:
    return {t.key: t.labels.get(lang) for t in terms}


def envelope_totals(rows: list[envelopes.EnvelopeStatus]) -> dict[str, int]:
    """Total, committed (reserved + disbursed), disbursed and remaining over every envelope."""
    total = sum(e.total_centimes for e in rows)
    committed = sum(e.reserved_centimes + e.disbursed_centimes for e in rows)
    disbursed = sum(e.disbursed_centimes for e in rows)
    return {
        "total": total,
        "committed": committed,
        "disbursed": disbursed,
        "remaining": total - committed,
        "percent": committed * 100 // total if total else 0,
    }


@get("/", dependencies=PUBLIC_READS)
async def home(
    request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
) -> Response[Any]:
    """The programme and its envelope at a glance."""

    async def load() -> dict[str, Any]:
        rows = await envelopes.envelopes(pool)
        latest = await public_ledger.page(pool, public_ledger.Filters(), size=5)
        # before any envelope is opened, the lead still states the programme's decided envelope
        decided = envelope_totals(rows)["total"] or DEFAULT_ENVELOPE_CENTIMES
        return {
            "envelope": envelope_totals(rows), "decided_centimes": decided,
            "has_envelope": bool(rows), "latest": latest,
        }  # fmt: skip

    return await cached_page(request, pool, "home.html", load, envelopes.PROJECTION.name)


def _filters(request: Request[Any, Any, Any]) -> tuple[public_ledger.Filters, dict[str, str]]:
    """The ledger filters from the query string, and the fields that were wrong."""
    q, errors = request.query_params, {}
    sector = q.get("sector") or None
    if sector and sector not in {s.key for s in SECTORS}:
        errors["sector"], sector = "unknown", None
    province = q.get("province") or None
    if province and province not in {p.key for p in PROVINCES}:
        errors["province"], province = "unknown", None
    year = None
    if q.get("year"):
        year = int(q["year"]) if q["year"].isdigit() else 0
        if not MIN_YEAR <= year <= MAX_YEAR:
            errors["year"], year = "invalid", None
    search = (q.get("q") or "").strip()[:MAX_SEARCH] or None
    return public_ledger.Filters(sector=sector, province=province, year=year, search=search), errors


def _seq(request: Request[Any, Any, Any], name: str) -> int | None:
    value = request.query_params.get(name)
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@get("/ledger", dependencies=PUBLIC_READS)
async def ledger_page(
    request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
) -> Response[Any]:
    """Every ledger entry, newest first, filtered, a keyset page at a time."""
    filters, errors = _filters(request)

    async def load() -> dict[str, Any]:
        found = await public_ledger.page(
            pool,
            filters,
            before=_seq(request, "before"),
            after=_seq(request, "after"),
            size=request.app.state.get("ledger_page_size", PAGE_SIZE),
        )
        return {
            "page": found, "filters": filters, "errors": errors,
            "years": await public_ledger.years(pool),
            "links": _links(filters, found, lang_param(request)),
        }  # fmt: skip

    status = 422 if errors else 200
    return await cached_page(request, pool, "ledger.html", load, status=status)


def _links(filters: public_ledger.Filters, found: public_ledger.Page, lang: str) -> dict[str, Any]:
    """Stable links to the neighbouring pages, keeping the filters (and a chosen language)."""
    pairs = {
        "sector": filters.sector, "province": filters.province, "year": filters.year,
        "q": filters.search, "lang": lang.removeprefix("lang=") or None,
    }  # fmt: skip
    kept = {k: v for k, v in pairs.items() if v}

    def link(**key: int | None) -> str | None:
        value = next(iter(key.values()))
        return None if value is None else "/ledger?" + urlencode({**kept, **key})

    return {"newer": link(after=found.newer_than), "older": link(before=found.older_than)}


@get("/ledger/grants/{application_id:uuid}", dependencies=PUBLIC_READS)
async def grant_page(
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    application_id: FromPath[UUID],
) -> Response[Any]:
    """One grant's public history."""
    entries = await public_ledger.history(pool, application_id)
    if not entries:
        raise NotFoundException

    at = request.query_params.get("at") or ""
    seen = public_grants.as_of(entries, int(at)) if at.isdecimal() and len(at) < 19 else None

    async def load() -> dict[str, Any]:
        checkpoint = await transparency.latest_checkpoint(pool)
        facts = await public_grants.grant(pool, application_id)
        texts = (await public_texts.of(pool, [application_id])).get(application_id)
        first, lang = entries[0], language_of(request)
        return {"entries": entries, "grant": first, "checkpoint": checkpoint,
                "facts": facts, "as_of": seen, "communes": _commune_labels(lang),
                "public": public_texts.shown(texts, first["sector"], first["province"], lang)}  # fmt: skip

    return await cached_page(
        request,
        pool,
        "ledger_grant.html",
        load,
        public_grants.PROJECTION.name,
        public_texts.PROJECTION.name,
    )


def _commune_labels(lang: str) -> dict[str, str]:
    return {c.key: c.labels.get(lang) for p in PROVINCES for c in p.communes}


@get("/statistics", dependencies=PUBLIC_READS)
async def statistics_page(
    request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
) -> Response[Any]:
    """Funded amounts and counts by sector, province and month, as SVG charts and tables."""

    async def load() -> dict[str, Any]:
        lang = language_of(request)
        frame = charts.Frame(lang=lang, rtl=text_direction(lang) == "rtl")
        by = {d: await statistics.funded_by(pool, d) for d in ("sector", "province", "month")}
        sectors, provinces = _labels(SECTORS, lang), _labels(PROVINCES, lang)
        money = charts.committed_and_disbursed(await public_ledger.money_by_month(pool), frame)
        return {
            "by": by,
            "summary": await statistics.summary(pool),
            "overrides": await public_grants.override_summary(pool),
            "sector_chart": charts.bars(by["sector"], sectors, frame),
            "month_chart": charts.columns(by["month"], frame),
            "money_chart": money,
            "map": charts.province_map(by["province"], provinces, frame),
            "provinces_by_amount": sorted(by["province"], key=lambda r: -r["funded_centimes"]),
        }

    # the ledger head is part of every page's version, so the money chart follows it too; the
    # override figures follow public_grants
    return await cached_page(
        request, pool, "statistics.html", load, statistics.PROJECTION.name,
        public_grants.PROJECTION.name,
    )  # fmt: skip


@get("/verify")
async def verify_page(
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    store: NamedDependency[EventStore],
) -> Response[Any]:
    """The head hash, the chain in plain words, and (``?check=1``) a fresh verification."""
    if request.query_params.get("check") != "1":

        async def load() -> dict[str, Any]:
            log = await _log(pool, request)
            return {"head": await ledger.head(pool), "checked": False, **log}

        return await cached_page(request, pool, "verify.html", load)
    use_query_language(request)
    finding = await shared_audit(request.app.state, pool, store)  # reads only: changes nothing
    context = {"head": await ledger.head(pool), "checked": True, "finding": finding}
    context |= await _log(pool, request)
    return Template(
        template_name="verify.html", context={**context, "public_page": True},
        media_type=MediaType.HTML, headers={"cache-control": "no-store"},
    )  # fmt: skip


async def _log(pool: asyncpg.Pool, request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The transparency log's latest checkpoints, for the verify page."""
    history = await transparency.checkpoints(pool, limit=20)
    return {
        "checkpoints": history,
        "checkpoint": history[0] if history else None,
        "site_url": request.app.state.settings.public_url,
    }


async def shared_audit(state: Any, pool: asyncpg.Pool, store: EventStore) -> Any:
    """A full audit replays the log, so a public button must not start one per click: one runs
    at a time per process, and a result younger than ``verify_reuse_seconds`` is shown again."""
    lock = state.setdefault("verify_lock", asyncio.Lock())
    async with lock:
        now, last = time.monotonic(), state.get("verify_last")
        if last is not None and now - last[0] < state.get("verify_reuse_seconds", VERIFY_REUSE_S):
            return last[1]
        finding = await audit(pool, store)
        state["verify_last"] = (time.monotonic(), finding)
        return finding


@get("/privacy")
async def privacy(
    request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
) -> Response[Any]:
    """The privacy notice (law 09-08)."""

    async def load() -> dict[str, Any]:
        return {}

    return await cached_page(request, pool, "privacy.html", load)


ROUTES = [home, ledger_page, grant_page, statistics_page, verify_page, privacy]
