"""The actions on a file, each a POST form: check the input, call one use case, redirect (303)
with a confirmation, or re-render the file page (422) with the error next to the field.

Who may act: the officer assigns, asks, screens out, signs and pays; a reviewer declares a
conflict on a file assigned to them; the chair funds, overrides (funds below the threshold with
a justification, the domain's ``override_justification``) and rejects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from domain.errors import DomainError
from projections import review_queue, tracking
from service import applications as apps
from service import decisions
from service.accounts import CHAIR, OFFICER, REVIEWER, User, users_with_role
from service.settings import Settings
from service.store import EventStore
from web.common.auth import requires_role
from web.common.forms import Form
from web.common.i18n import N_, translations_of
from web.common.numbers import NumberFormatError, parse_mad
from web.common.sessions import session_data
from web.common.views import see_other
from web.pages.committee.views import BLANK, FLASH, domain_error, new_form_key
from web.pages.committee.workspace import file_page, flash, visible_file

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

Data = URLEncodedBody[dict[str, str]]
#: The page after an action waits this long for the queue's projection to apply it.
READ_OWN_WRITE_S = 3.0
QUEUE = review_queue.PROJECTION.name
UPDATING = N_("The file's status is being updated: reload the page in a moment to see it.")
BAD_AMOUNT = N_("Enter an amount in MAD, such as 250000 or 250000.50.")
NOT_CONFIRMED = N_("Tick the box to confirm this decision.")
STALE_FORM = N_("This form has expired: check it and send it again.")
TEXT_MAX = 2000
#: Hidden and confirmation fields of a decisive form (``Action.decisive``).
GUARD_FIELDS = ("confirm", "key")
CONFIRMED = "yes"
KEY = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Ctx:
    """What a use case call needs: the store, the user, the file, the checked input."""

    store: EventStore
    pool: asyncpg.Pool
    settings: Settings
    user: User
    application_id: UUID
    values: dict[str, str]
    amount: int | None
    key: str | None = None  # this form's idempotency key, scoped to the user and the action


@dataclass(frozen=True)
class Action:
    """One form: its fields (those required), the use case, the confirmation."""

    name: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    run: Callable[[Ctx], Awaitable[Any]]
    done: str
    back_to_queue: bool = False
    #: A decision that cannot be taken back: the form asks for an explicit confirmation and
    #: carries an idempotency key, so a double click or a retry records it once.
    decisive: bool = False


async def _assign(c: Ctx) -> None:
    reviewers = {str(u.id): u.id for u in await users_with_role(pool=c.pool, role=REVIEWER)}
    reviewer = reviewers.get(c.values["reviewer_id"])
    if reviewer is None:
        raise _FieldError("reviewer_id", N_("Choose a reviewer from the list."))
    await apps.assign_reviewer(
        c.store, application_id=c.application_id, reviewer_id=reviewer, by=c.user.id
    )


async def _fund(c: Ctx) -> None:
    await decisions.fund(
        c.store, application_id=c.application_id, decided_by=c.user.id,
        amount_centimes=c.amount or 0, note=c.values.get("note", ""),
        override_justification=c.values.get("justification", ""), policy=c.settings.policy,
        idempotency_key=c.key,
    )  # fmt: skip


async def _conflict(c: Ctx) -> None:
    await apps.declare_conflict(
        c.store, application_id=c.application_id, reviewer_id=c.user.id, reason=c.values["reason"]
    )


async def _reject(c: Ctx) -> None:
    await decisions.reject(
        c.store, application_id=c.application_id, decided_by=c.user.id,
        reason=c.values["reason"], idempotency_key=c.key,
    )  # fmt: skip


async def _ask(c: Ctx) -> None:
    await apps.request_information(
        c.store, application_id=c.application_id, by=c.user.id, question=c.values["question"]
    )


async def _screen_out(c: Ctx) -> None:
    await apps.screen_out(
        c.store, application_id=c.application_id, by=c.user.id, reason=c.values["reason"],
        idempotency_key=c.key,
    )  # fmt: skip


async def _sign(c: Ctx) -> None:
    await decisions.sign_agreement(c.store, application_id=c.application_id, by=c.user.id)


async def _disburse(c: Ctx) -> None:
    await decisions.disburse(
        c.store, application_id=c.application_id, amount_centimes=c.amount or 0, by=c.user.id,
        idempotency_key=c.key,
    )  # fmt: skip


ACTIONS = {
    a.name: a
    for a in (
        Action("assign", ("reviewer_id",), ("reviewer_id",), _assign, N_("The reviewer is assigned.")),
        Action("conflict", ("reason",), ("reason",), _conflict, N_("Your conflict of interest is recorded; the file is no longer shown to you."), back_to_queue=True, decisive=True),
        Action("fund", ("amount", "note"), ("amount",), _fund, N_("The funding decision is recorded."), decisive=True),
        Action("override", ("amount", "note", "justification"), ("amount", "justification"), _fund, N_("The funding decision is recorded, with its justification."), decisive=True),
        Action("reject", ("reason",), ("reason",), _reject, N_("The rejection is recorded."), decisive=True),
        Action("request-information", ("question",), ("question",), _ask, N_("The question is sent to the investor.")),
        Action("screen-out", ("reason",), ("reason",), _screen_out, N_("The file is screened out."), decisive=True),
        Action("agreement", (), (), _sign, N_("The signed agreement is recorded.")),
        Action("tranches", ("amount",), ("amount",), _disburse, N_("The tranche is recorded."), decisive=True),
    )
}  # fmt: skip


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def _check(action: Action, data: dict[str, str]) -> tuple[Form, int | None]:
    form = Form.from_data(data, (*action.fields, *(GUARD_FIELDS if action.decisive else ())))
    for name in action.required:
        if not form.values[name]:
            form.error(name, BLANK)
    if action.decisive:
        if form.values["confirm"] != CONFIRMED:
            form.error("confirm", NOT_CONFIRMED)
        if not KEY.fullmatch(form.values["key"]):
            form.values["key"] = new_form_key()  # a fresh key for the corrected retry
            form.error("_form", STALE_FORM)
    for name in ("note", "justification", "reason", "question"):
        if len(form.values.get(name, "")) > TEXT_MAX:
            form.error(name, N_("At most 2000 characters."))
    amount = None
    if "amount" in action.fields and form.values["amount"]:
        try:
            amount = parse_mad(form.values["amount"]) or None
        except NumberFormatError:
            amount = None
        if amount is None:
            form.error("amount", BAD_AMOUNT)
    return form, amount


async def act(
    request: Request[Any, Any, Any],
    name: str,
    application_id: FromPath[UUID],
    data: dict[str, str],
    *,
    store: EventStore,
    pool: asyncpg.Pool,
    settings: Settings,
    user: User,
) -> Template | Redirect:
    """Check, run, confirm; or re-render the file page with this form's errors (422)."""
    await visible_file(pool, user, application_id)  # 404 for a file the user may not see
    action = ACTIONS[name]
    form, amount = _check(action, data)
    if form.valid:
        key = f"{user.id}:{name}:{form.values['key']}" if action.decisive else None
        ctx = Ctx(store, pool, settings, user, application_id, form.values, amount, key)
        try:
            await action.run(ctx)
        except _FieldError as error:
            form.error(error.field, error.message)
        except DomainError as error:
            domain_error(request, form, error)
        else:
            flash(request, action.done)
            # read your own write: the page after a decision shows the new status, or says why not
            head = await store.max_notification_id()
            if not await tracking.reached(pool, QUEUE, head, timeout_s=READ_OWN_WRITE_S):
                session_data(request)[FLASH] += " " + translations_of(request).gettext(UPDATING)
            return see_other("/committee/queue" if action.back_to_queue
                             else f"/committee/files/{application_id}")  # fmt: skip
    return await file_page(request, pool, user, application_id, status=422, forms={name: form})


def _route(name: str, *roles: str) -> Any:
    async def handler(
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        data: Data,
        store: NamedDependency[EventStore],
        pool: NamedDependency[asyncpg.Pool],
        settings: NamedDependency[Settings],
        user: NamedDependency[User],
    ) -> Template | Redirect:
        return await act(
            request, name, application_id, data,
            store=store, pool=pool, settings=settings, user=user,
        )  # fmt: skip

    handler.__name__ = handler.__qualname__ = f"committee_{name.replace('-', '_')}"
    handler.__doc__ = f"POST the {name} form of a file."
    return post(f"/committee/files/{{application_id:uuid}}/{name}", guards=[requires_role(*roles)])(
        handler
    )


ROUTES = [
    _route("assign", OFFICER),
    _route("conflict", REVIEWER),
    _route("fund", CHAIR),
    _route("override", CHAIR),
    _route("reject", CHAIR),
    _route("request-information", OFFICER),
    _route("screen-out", OFFICER),
    _route("agreement", OFFICER),
    _route("tranches", OFFICER),
]
