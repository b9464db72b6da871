"""The investor portal: apply (or keep a draft), follow each file, answer, withdraw, take one's data.

An investor only ever reaches their own files and drafts: anything else, like an id that does
not exist, is a 404, so that ids cannot be probed.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from domain.applications import GrantApplication, Status
from domain.documents import MissingDocumentError
from domain.errors import DomainError, InvalidTransitionError
from domain.reference import LEGAL_FORMS, PROVINCES, SECTORS, Province
from projections import call_pages, dashboard, programme
from projections.call_pages import time_left
from projections.programme import CallView
from service import applications, documents, drafts, investors
from service.accounts import INVESTOR, User
from service.privacy import PersonErasedError
from service.settings import Settings
from service.store import EventStore
from web.common.auth import requires_role
from web.common.forms import Form
from web.common.i18n import N_, format_mad, language_of, translations_of
from web.common.views import page, see_other
from web.pages.portal import application_form as af
from web.pages.portal import documents as portal_documents
from web.pages.portal import my_data
from web.pages.portal.file_words import DRAFT, status_words, step_line

if TYPE_CHECKING:
    from collections.abc import Sequence

Data = URLEncodedBody[dict[str, str]]
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
WITHDRAWABLE = (Status.SUBMITTED, Status.INFORMATION_REQUESTED, Status.IN_REVIEW)
ERASED = N_("The personal data of this account was erased; it cannot apply any more.")
CANNOT_WITHDRAW = N_("This file can no longer be withdrawn.")
CANNOT_AMEND = N_("This file can only be amended when the committee asks you a question.")


def _with_key(form: Form) -> Form:
    """Keep the form's idempotency key, or give a fresh form one (it travels in a hidden field)."""
    if not _KEY.fullmatch(form.values.get("submission_key", "")):
        form.values["submission_key"] = secrets.token_urlsafe(24)
    return form


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text or "")
    except ValueError:
        return None


def _communes(provinces: Sequence[Province], lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (p.labels.get(lang), [(c.key, c.labels.get(lang)) for c in p.communes]) for p in provinces
    ]


def _call_option(call: CallView, lang: str) -> tuple[str, str]:
    limits = f"{format_mad(call.min_request_centimes, lang)} – {format_mad(call.max_request_centimes, lang)}"
    return str(call.call_id), f"{call.title} ({limits})"


async def _application_page(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    form: Form,
    status: int = 200,
    *,
    draft_id: UUID | None = None,
    saved: bool = False,
) -> Template:
    lang = language_of(request)
    now: datetime = await pool.fetchval("SELECT now()")
    calls = await programme.open_calls(pool, now)
    pages = {p.call_id: p for p in await call_pages.call_pages(pool)}
    deadlines = [
        {"call_id": c.call_id, "title": c.title, "page": pages[c.call_id],
         "left": time_left(pages[c.call_id], now)}
        for c in calls if c.call_id in pages
    ]  # fmt: skip
    user: User = request.scope["user"]
    required = await portal_documents.form_documents(
        request.app.state.store, [c.call_id for c in calls]
    )
    return page(
        "portal_apply.html", status, form=form, draft_id=draft_id, saved=saved,
        documents=await portal_documents.slots(pool, user, form, required, lang),
        calls=[_call_option(c, lang) for c in calls], deadlines=deadlines,
        legal_forms=[(t.key, t.labels.get(lang)) for t in LEGAL_FORMS],
        sectors=[(t.key, t.labels.get(lang)) for t in SECTORS],
        provinces=[(p.key, p.labels.get(lang)) for p in PROVINCES],
        communes=_communes(PROVINCES, lang),
    )  # fmt: skip


async def _own(store: EventStore, user: User, application_id: UUID) -> GrantApplication:
    app = await investors.own_application(store, investor_id=user.id, application_id=application_id)
    if app is None:
        raise NotFoundException
    return app


class PortalController(Controller):
    """Pages of the signed-in investor, under ``/my``."""

    path = "/my"
    guards = [requires_role(INVESTOR)]  # noqa: RUF012 (Litestar reads it from the class)

    @get("/files")
    async def files(
        self, pool: NamedDependency[asyncpg.Pool], user: NamedDependency[User]
    ) -> Template:
        """The investor's drafts and submitted files, each with its status in plain words."""
        rows = await dashboard.files(pool, user.id)
        for row in rows:
            row["status_words"] = status_words(row["status"])
        saved = await drafts.drafts(pool, investor_id=user.id)
        return page("portal_files.html", files=rows, drafts=saved, draft_words=status_words(DRAFT))

    @get("/applications/new")
    async def new(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        call_id: FromQuery[UUID | None] = None,
    ) -> Template:
        """An empty application form, with a fresh idempotency key (the call chosen on its
        public page already selected)."""
        form = Form({"call_id": str(call_id)} if call_id else {})
        return await _application_page(request, pool, _with_key(form))

    @get("/drafts/{draft_id:uuid}")
    async def draft(
        self,
        request: Request[Any, Any, Any],
        draft_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        user: NamedDependency[User],
        saved: FromQuery[bool] = False,
    ) -> Template:
        """A saved draft, back in the form."""
        found = await drafts.draft(pool, investor_id=user.id, draft_id=draft_id)
        if found is None:
            raise NotFoundException
        form = _with_key(Form.from_data(found.values, af.FIELDS))
        return await _application_page(request, pool, form, draft_id=draft_id, saved=saved)

    @post("/applications/new")
    async def apply(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        """``action=draft`` keeps what was typed; ``action=submit`` checks and submits.

        Files chosen are kept either way (see ``web.pages.portal.documents``).
        """
        data = await portal_documents.form_of(request)
        form = _with_key(Form.from_data(data, af.FIELDS))
        draft_id = _uuid(data.get("draft_id"))
        open_calls = await programme.open_calls(pool, await pool.fetchval("SELECT now()"))
        required = await portal_documents.form_documents(store, [c.call_id for c in open_calls])
        await portal_documents.keep_uploads(pool, user, form, data, settings, required)
        if data.get("action") == "draft":
            saved = await drafts.save_draft(
                pool, investor_id=user.id, values=form.values, draft_id=draft_id
            )
            if saved is None:  # someone else's draft id
                raise NotFoundException
            return see_other(f"/my/drafts/{saved}?saved=true")
        # Every call, not only those open by this process's clock: whether the call still takes
        # applications is decided by the submission itself, on the database's clock.
        parsed = af.parse_application(form, await programme.calls(pool))
        if parsed is None or not form.valid:
            return await _application_page(request, pool, form, 422, draft_id=draft_id)
        held = await portal_documents.held(pool, user, form)
        try:
            application_id = await applications.submit(
                store, investor_id=user.id, envelope_id=parsed.call.envelope_id,
                call_id=parsed.call.call_id, applicant=parsed.applicant, contact=parsed.contact,
                project=parsed.project, publication=parsed.publication,
                idempotency_key=f"{user.id}:{form.values['submission_key']}", documents=held,
            )  # fmt: skip
        except MissingDocumentError as error:
            portal_documents.missing_on(form, error)
        except DomainError as error:
            form.error(*af.field_of(error))
        except PersonErasedError:
            form.error(af.FORM, ERASED)
        else:
            await documents.move_draft_documents(
                pool, draft_id=portal_documents.documents_key(form),
                application_id=application_id, investor_id=user.id,
            )  # fmt: skip
            if draft_id is not None:
                await drafts.delete_draft(pool, investor_id=user.id, draft_id=draft_id)
            return see_other(f"/my/files/{application_id}?submitted=true")
        return await _application_page(request, pool, form, 422, draft_id=draft_id)

    @get("/files/{application_id:uuid}")
    async def file(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        user: NamedDependency[User],
        submitted: FromQuery[bool] = False,
        document: FromQuery[str | None] = None,
        reply: FromQuery[str | None] = None,
    ) -> Template:
        """Status, amounts, the timeline, documents and the committee's questions of a file."""
        row = await dashboard.file(pool, user.id, application_id)
        if row is None:  # not projected yet, or not theirs
            app = await _own(store, user, application_id)
            return page("portal_file.html", file=None, title=app.project["title"],
                        application_id=application_id, submitted=submitted)  # fmt: skip
        t, language = translations_of(request), language_of(request)
        steps = await dashboard.timeline(pool, user.id, application_id)
        extras = await portal_documents.file_context(
            store, user, application_id, row["status"], language
        )
        return page(
            "portal_file.html", file=row, title=row["title"], application_id=application_id,
            submitted=submitted, status_text=status_words(row["status"]),
            steps=[step_line(step, t, language, extras["document_names"]) for step in steps],
            can_amend=row["status"] == Status.INFORMATION_REQUESTED,
            can_withdraw=row["status"] in WITHDRAWABLE,
            document_notice=portal_documents.notice_of(document),
            reply_notice=portal_documents.notice_of(reply), **extras,
        )  # fmt: skip

    @get("/files/{application_id:uuid}/amend")
    async def amend_form(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        user: NamedDependency[User],
    ) -> Template:
        """The amendable project fields, prefilled, with the committee's question."""
        app = await _own(store, user, application_id)
        if app.status != Status.INFORMATION_REQUESTED:
            return _cannot(CANNOT_AMEND, application_id)
        form = Form(af.amendment_values(app.project))
        return await _amend_page(request, pool, app, form)

    @post("/files/{application_id:uuid}/amend")
    async def amend(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        data: Data,
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        user: NamedDependency[User],
    ) -> Template | Redirect:
        """Check the changed fields and amend the file (which goes back to the committee)."""
        app = await _own(store, user, application_id)
        if app.status != Status.INFORMATION_REQUESTED:  # the domain would allow more: not here
            return _cannot(CANNOT_AMEND, application_id)
        form = Form.from_data(data, af.AMENDABLE)
        call = await programme.call(pool, app.call_id) if app.call_id else None
        changes = af.parse_amendment(form, app.project, call)
        if changes is not None:
            try:
                await applications.amend(
                    store, application_id=application_id, investor_id=user.id, changes=changes
                )
            except DomainError as error:
                form.error(*af.field_of(error))
            else:
                return see_other(f"/my/files/{application_id}")
        return await _amend_page(request, pool, app, form, 422)

    @get("/files/{application_id:uuid}/withdraw")
    async def withdraw_form(
        self,
        application_id: FromPath[UUID],
        store: NamedDependency[EventStore],
        user: NamedDependency[User],
    ) -> Template:
        """Ask for confirmation before withdrawing."""
        app = await _own(store, user, application_id)
        if app.status not in WITHDRAWABLE:
            return _cannot(CANNOT_WITHDRAW, application_id)
        return page(
            "portal_withdraw.html", application_id=application_id, title=app.project["title"]
        )

    @post("/files/{application_id:uuid}/withdraw")
    async def withdraw(
        self,
        application_id: FromPath[UUID],
        store: NamedDependency[EventStore],
        user: NamedDependency[User],
    ) -> Template | Redirect:
        """Withdraw the file, while the domain allows it."""
        await _own(store, user, application_id)
        try:
            await applications.withdraw(store, application_id=application_id, investor_id=user.id)
        except InvalidTransitionError:
            return _cannot(CANNOT_WITHDRAW, application_id)
        return see_other(f"/my/files/{application_id}")

    @get("/data")
    async def data(
        self,
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
        user: NamedDependency[User],
    ) -> Response[bytes]:
        """Everything the platform holds about the investor, as a JSON file."""
        return Response(
            await my_data.export(pool, store, user),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
        )


async def _amend_page(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    app: GrantApplication,
    form: Form,
    status: int = 200,
) -> Template:
    steps = await dashboard.timeline(pool, app.investor_id, app.id)
    questions = [s.params["question"] for s in steps if s.kind == "information_requested"]
    province = [p for p in PROVINCES if p.key == app.project["province"]]
    return page(
        "portal_amend.html", status, form=form, application_id=app.id,
        title=app.project["title"], question=questions[-1] if questions else None,
        communes=_communes(province, language_of(request)),
    )  # fmt: skip


def _cannot(title: str, application_id: UUID) -> Template:
    """409: the file is not in a state that allows this (any more)."""
    link = (f"/my/files/{application_id}", N_("Back to the file"))
    return page("message.html", 409, title=title, link=link)
