"""Programme administration: open and close envelopes and calls for applications."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from domain.errors import DomainError
from domain.local_time import MOROCCO
from domain.reference import PROVINCES, SECTORS
from projections import envelopes as envelope_model
from projections import programme as programme_model
from service import programme
from service.repository import AggregateNotFoundError
from service.store import EventStore
from web.common.forms import Form
from web.common.i18n import N_, language_of
from web.common.views import page, see_other
from web.pages.admin.common import OFFICERS_ONLY, REQUIRED, amount_field, field_error, notice

Data = URLEncodedBody[dict[str, str]]
BAD_DATE = N_("Enter a date as YYYY-MM-DD.")
CALL_STATUS = {"upcoming": N_("Upcoming"), "open": N_("Open"), "closed": N_("Closed")}
CALL_FIELDS = (
    "envelope_id", "title", "min_request", "max_request", "max_share", "opens_on", "closes_on",
)  # fmt: skip
BAD_SHARE = N_("Enter a whole percentage from 1 to 100, for example 30.")


LOCAL = MOROCCO


def call_status(call: programme_model.CallView, now: datetime) -> str:
    """``upcoming``, ``open`` or ``closed`` at ``now``."""
    if call.is_open_at(now):
        return "open"
    return "upcoming" if call.closed_at is None and now < call.opens_at else "closed"


def _day(form: Form, name: str) -> date | None:
    text = form.values.get(name, "")
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        form.error(name, BAD_DATE)
        return None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, LOCAL)


def _new_key() -> str:
    # Sent with the form: submitting it twice (a double click, a reload) opens one thing.
    return secrets.token_urlsafe(16)


class EnvelopeController(Controller):
    """Support envelopes: their money at a glance, open one, close one."""

    path = "/admin/envelopes"
    guards = OFFICERS_ONLY

    @get("/")
    async def index(
        self, pool: NamedDependency[asyncpg.Pool], done: FromQuery[str | None] = None
    ) -> Template:
        """Every envelope with total, reserved, disbursed and remaining; the open form."""
        return await self._page(pool, Form({"key": _new_key()}), notice=notice(done))

    @post("/")
    async def open(
        self, data: Data, pool: NamedDependency[asyncpg.Pool], store: NamedDependency[EventStore]
    ) -> Template | Redirect:
        """Open an envelope; errors come back next to their field with status 422."""
        form = Form.from_data(data, ("name", "total", "key"))
        if not form.values["name"]:
            form.error("name", REQUIRED)
        total = amount_field(form, "total")
        if form.valid and total is not None:
            try:
                await programme.open_envelope(
                    store, name=form.values["name"], total_centimes=total,
                    idempotency_key=form.values["key"] or None,
                )  # fmt: skip
            except DomainError as error:
                form.error(*field_error(error))
            else:
                return see_other("/admin/envelopes?done=envelope_opened")
        return await self._page(pool, form, status=422)

    @get("/{envelope_id:uuid}/close")
    async def confirm_close(
        self, envelope_id: FromPath[UUID], pool: NamedDependency[asyncpg.Pool]
    ) -> Template:
        """Ask before closing."""
        envelope = await envelope_model.envelope(pool, envelope_id)
        if envelope is None:
            raise NotFoundException
        return page(
            "admin/confirm.html",
            title=N_("Close this envelope?"),
            subject=envelope.name,
            text=N_("No new funding decision will reserve money from it. Tranches and releases "
                    "already committed go on. This cannot be undone."),
            action=f"/admin/envelopes/{envelope_id}/close",
            button=N_("Close the envelope"),
            back="/admin/envelopes",
        )  # fmt: skip

    @post("/{envelope_id:uuid}/close")
    async def close(
        self, envelope_id: FromPath[UUID], store: NamedDependency[EventStore]
    ) -> Redirect:
        """Close the envelope to new reservations."""
        await programme.close_envelope(store, envelope_id=envelope_id)
        return see_other("/admin/envelopes?done=envelope_closed")

    async def _page(
        self, pool: asyncpg.Pool, form: Form, status: int = 200, notice: str | None = None
    ) -> Template:
        rows = await envelope_model.envelopes(pool)
        return page("admin/envelopes.html", status, form=form, envelopes=rows, notice=notice)


class CallController(Controller):
    """Calls for applications: status, open one on an envelope, close one."""

    path = "/admin/calls"
    guards = OFFICERS_ONLY

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], done: FromQuery[str | None] = None
    ) -> Template:
        """Every call with its status; the open form."""
        share = request.app.state.settings.max_share_basis_points // 100
        form = Form(
            {"key": _new_key(), "opens_on": datetime.now(LOCAL).date().isoformat(),
             "max_share": str(share)}
        )  # fmt: skip
        return await self._page(request, form, notice=notice(done))

    @post("/")
    async def open(
        self, request: Request[Any, Any, Any], store: NamedDependency[EventStore]
    ) -> Template | Redirect:
        """Open a call; errors come back next to their field with status 422."""
        data = await request.form()
        form = Form.from_data(data, (*CALL_FIELDS, "key"))
        chosen = {name: data.getall(name, []) for name in ("sectors", "provinces")}
        fields = self._validate(form)
        if form.valid:
            try:
                await programme.open_call(
                    store, **fields, eligible_sectors=chosen["sectors"],
                    eligible_provinces=chosen["provinces"],
                    idempotency_key=form.values["key"] or None,
                )  # fmt: skip
            except DomainError as error:
                form.error(*field_error(error))
            except AggregateNotFoundError:
                form.error("envelope_id", N_("Choose from the list."))
            else:
                return see_other("/admin/calls?done=call_opened")
        return await self._page(request, form, status=422, chosen=chosen)

    def _validate(self, form: Form) -> dict[str, Any]:
        """The use case's arguments from the form, recording an error per wrong field."""
        envelope_id: UUID | None = None
        try:
            envelope_id = UUID(form.values["envelope_id"])
        except ValueError:
            form.error("envelope_id", REQUIRED)
        if not form.values["title"]:
            form.error("title", REQUIRED)
        minimum, maximum = amount_field(form, "min_request"), amount_field(form, "max_request")
        if minimum and maximum and maximum < minimum:
            form.error("max_request", N_("The maximum must not be below the minimum."))
        # Left empty: the programme's 30 %.
        share = form.values.get("max_share", "").strip().removesuffix("%").strip() or "30"
        if not share.isdigit() or not 1 <= int(share) <= 100:
            form.error("max_share", BAD_SHARE)
        opens, closes = _day(form, "opens_on"), _day(form, "closes_on")
        if opens and closes and closes < opens:
            form.error("closes_on", N_("The closing date must be after the opening date."))
        return {
            "envelope_id": envelope_id,
            "title": form.values["title"],
            "min_request_centimes": minimum,
            "max_request_centimes": maximum,
            "max_share_basis_points": int(share) * 100 if share.isdigit() else 3_000,
            "opens_at": _start_of(opens) if opens else None,
            # A call closes at the end of its last day, Moroccan time.
            "closes_at": _start_of(closes + timedelta(days=1)) if closes else None,
        }

    @get("/{call_id:uuid}/close")
    async def confirm_close(
        self, call_id: FromPath[UUID], pool: NamedDependency[asyncpg.Pool]
    ) -> Template:
        """Ask before closing."""
        call = await programme_model.call(pool, call_id)
        if call is None:
            raise NotFoundException
        return page(
            "admin/confirm.html",
            title=N_("Close this call?"),
            subject=call.title,
            text=N_("No new application will be accepted under this call. This cannot be undone."),
            action=f"/admin/calls/{call_id}/close",
            button=N_("Close the call"),
            back="/admin/calls",
        )

    @post("/{call_id:uuid}/close")
    async def close(self, call_id: FromPath[UUID], store: NamedDependency[EventStore]) -> Redirect:
        """Close the call early."""
        await programme.close_call(store, call_id=call_id)
        return see_other("/admin/calls?done=call_closed")

    async def _page(
        self,
        request: Request[Any, Any, Any],
        form: Form,
        status: int = 200,
        notice: str | None = None,
        chosen: dict[str, list[str]] | None = None,
    ) -> Template:
        pool, now, lang = request.app.state.pool, datetime.now(UTC), language_of(request)
        envelopes = await envelope_model.envelopes(pool)
        calls = [(c, call_status(c, now)) for c in await programme_model.calls(pool)]
        return page(
            "admin/calls.html", status, form=form, calls=calls, notice=notice,
            envelope_names={e.envelope_id: e.name for e in envelopes},
            envelope_options=[(str(e.envelope_id), e.name) for e in envelopes if not e.closed_at],
            sector_options=[(s.key, s.labels.get(lang)) for s in SECTORS],
            province_options=[(p.key, p.labels.get(lang)) for p in PROVINCES],
            statuses=CALL_STATUS, chosen=chosen or {"sectors": [], "provinces": []},
        )  # fmt: skip
