"""Rubric versions: draft one from the latest, weigh its criteria, publish it (then frozen)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from domain.errors import DomainError, InvalidValueError
from domain.rubrics import DEFAULT_CRITERIA, WEIGHTS_TOTAL, Criterion
from projections import programme as programme_model
from service import programme
from service.store import EventStore
from web.common.forms import Form
from web.common.i18n import N_
from web.common.numbers import NumberFormatError, parse_int
from web.common.views import page, see_other
from web.pages.admin.common import OFFICERS_ONLY, field_error, notice

if TYPE_CHECKING:
    from projections.programme import RubricView

Data = URLEncodedBody[dict[str, str]]
BAD_WEIGHT = N_("Each weight must be a whole number greater than zero.")
UNBALANCED = N_("The weights add up to %(total)s; they must add up to 100 to publish.")


def _field(key: str) -> str:
    return f"weight-{key}"


async def _rubric(pool: asyncpg.Pool, rubric_id: UUID) -> RubricView:
    rubric = await programme_model.rubric(pool, rubric_id)
    if rubric is None:
        raise NotFoundException
    return rubric


def _weights_form(rubric: RubricView) -> Form:
    return Form({_field(c["key"]): str(c["weight"]) for c in rubric.criteria})


def _detail(
    rubric: RubricView, form: Form | None = None, status: int = 200, **context: Any
) -> Template:
    form = form or _weights_form(rubric)
    weights = [form.values.get(_field(c["key"]), "") for c in rubric.criteria]
    try:
        total: int | None = sum(parse_int(w) for w in weights)
    except NumberFormatError:
        total = None
    return page(
        "admin/rubric.html", status, form=form, rubric=rubric, total=total,
        required_total=WEIGHTS_TOTAL, field_name=_field, **context,
    )  # fmt: skip


class RubricController(Controller):
    """The versions of the scoring rubric."""

    path = "/admin/rubrics"
    guards = OFFICERS_ONLY

    @get("/")
    async def index(
        self, pool: NamedDependency[asyncpg.Pool], done: FromQuery[str | None] = None
    ) -> Template:
        """Every version, newest first, with its status."""
        rubrics = await programme_model.rubrics(pool)
        return page("admin/rubrics.html", rubrics=rubrics, notice=notice(done))

    @post("/")
    async def draft(
        self, pool: NamedDependency[asyncpg.Pool], store: NamedDependency[EventStore]
    ) -> Redirect:
        """Draft the next version, starting from the latest one (or the Charter's defaults)."""
        rubrics = await programme_model.rubrics(pool)
        if rubrics:
            latest = rubrics[0]
            await programme.draft_rubric(
                store, name=latest.name, rubric_version=latest.rubric_version + 1,
                criteria=[Criterion.from_dict(c) for c in latest.criteria],
            )  # fmt: skip
        else:
            await programme.draft_rubric(store, criteria=DEFAULT_CRITERIA)
        return see_other("/admin/rubrics?done=rubric_drafted")

    @get("/{rubric_id:uuid}")
    async def show(
        self,
        rubric_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        done: FromQuery[str | None] = None,
    ) -> Template:
        """A version: weights editable while it is a draft, read-only once published."""
        return _detail(await _rubric(pool, rubric_id), notice=notice(done))

    @post("/{rubric_id:uuid}")
    async def revise(
        self,
        rubric_id: FromPath[UUID],
        data: Data,
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
    ) -> Template | Redirect:
        """Save new weights for a draft (any total; publishing needs 100)."""
        rubric = await _rubric(pool, rubric_id)
        form = Form.from_data(data, [_field(c["key"]) for c in rubric.criteria])
        criteria = []
        for stored in rubric.criteria:
            name = _field(stored["key"])
            try:
                weight = parse_int(form.values[name])
            except NumberFormatError:
                weight = 0
            if weight <= 0:
                form.error(name, BAD_WEIGHT)
            criteria.append(Criterion.from_dict({**stored, "weight": weight}))
        if form.valid:
            try:
                await programme.revise_rubric(store, rubric_id=rubric_id, criteria=criteria)
            except DomainError as error:
                return _detail(rubric, form, 409, error=field_error(error)[1])
            return see_other(f"/admin/rubrics/{rubric_id}?done=rubric_revised")
        return _detail(rubric, form, 422)

    @get("/{rubric_id:uuid}/publish")
    async def confirm_publish(
        self, rubric_id: FromPath[UUID], pool: NamedDependency[asyncpg.Pool]
    ) -> Template:
        """Ask before publishing: a published version never changes."""
        rubric = await _rubric(pool, rubric_id)
        total = sum(c["weight"] for c in rubric.criteria)
        return page(
            "admin/confirm.html",
            title=N_("Publish this version?"),
            subject=f"{rubric.name} — v{rubric.rubric_version}",
            text=N_("Once published, this version is used for scoring and can never be "
                    "changed. Changes need a new version."),
            action=f"/admin/rubrics/{rubric_id}/publish",
            button=N_("Publish"),
            back=f"/admin/rubrics/{rubric_id}",
            warning=UNBALANCED if total != WEIGHTS_TOTAL else None,
            warning_args={"total": total},
        )  # fmt: skip

    @post("/{rubric_id:uuid}/publish")
    async def publish(
        self,
        rubric_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        store: NamedDependency[EventStore],
    ) -> Template | Redirect:
        """Publish the draft; refused with a clear message unless its weights sum to 100."""
        rubric = await _rubric(pool, rubric_id)
        try:
            await programme.publish_rubric(store, rubric_id=rubric_id)
        except InvalidValueError as error:  # the weights do not sum to 100 (the domain's rule)
            return _detail(rubric, status=422, error=UNBALANCED, error_args={"total": error.value})
        except DomainError as error:
            return _detail(rubric, status=409, error=field_error(error)[1])
        return see_other(f"/admin/rubrics/{rubric_id}?done=rubric_published")
