"""Application use cases end to end through the store: each happy path, and a refusal that appends nothing."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.applications import GrantApplication, NotYourApplicationError, Status
from domain.calls import CallClosedError, IneligibleError
from domain.errors import InvalidTransitionError, InvalidValueError
from domain.reviews import ConflictOfInterestError
from domain.rubrics import RubricNotPublishedError
from service import applications, programme
from service.privacy import decrypt_for
from service.repository import Repository
from service.store import EventStore
from tests.integration.service.support import (
    CONTACT,
    GOOD,
    OFFICER,
    R1,
    R2,
    applicant,
    clock,
    event_count,
    open_programme,
    project,
    reviewed,
    submit,
)


async def load(store: EventStore, app_id: object) -> GrantApplication:
    return await Repository(store).get(app_id, cls=GrantApplication)  # type: ignore[arg-type]


async def test_submit_records_the_application_with_contact_encrypted(store: EventStore) -> None:
    prog = await open_programme(store)
    investor = uuid4()
    app_id = await submit(store, prog, investor_id=investor)
    app = await load(store, app_id)
    assert (app.status, app.investor_id, app.call_id) == (Status.SUBMITTED, investor, prog.call_id)
    assert app.company_name == "Atlas Offshoring SARL"
    assert await decrypt_for(store.pool, app.person_id, app.contact) == {
        "name": CONTACT.name, "email": CONTACT.email, "phone": CONTACT.phone,
        "national_id": CONTACT.national_id,
    }  # fmt: skip
    states = await store.pool.fetch("SELECT state FROM events")
    assert not any(CONTACT.email.encode() in row["state"] for row in states)


async def test_submit_refused_by_the_call_appends_nothing(store: EventStore) -> None:
    prog = await open_programme(store)
    before = await event_count(store)
    with pytest.raises(IneligibleError):
        await submit(store, prog, requested_centimes=50_000_00)  # below the call's minimum
    await programme.close_call(store, call_id=prog.call_id, clock=clock)
    before = await event_count(store)
    with pytest.raises(CallClosedError):
        await submit(store, prog)
    assert await event_count(store) == before


async def test_submit_to_a_call_of_another_envelope_is_refused(store: EventStore) -> None:
    prog = await open_programme(store)
    other = await programme.open_envelope(store, total_centimes=1_000_00, clock=clock)
    with pytest.raises(InvalidValueError):
        await applications.submit(
            store, investor_id=uuid4(), envelope_id=other, call_id=prog.call_id,
            applicant=applicant(), contact=CONTACT, project=project(), clock=clock,
        )  # fmt: skip


async def test_amend_changes_the_project_and_only_its_investor_may(store: EventStore) -> None:
    prog = await open_programme(store)
    investor = uuid4()
    app_id = await submit(store, prog, investor_id=investor)
    await applications.amend(
        store, application_id=app_id, investor_id=investor, changes={"jobs": 150}, clock=clock
    )
    assert (await load(store, app_id)).project["jobs"] == 150
    before = await event_count(store)
    with pytest.raises(NotYourApplicationError):
        await applications.amend(
            store, application_id=app_id, investor_id=uuid4(), changes={"jobs": 1}, clock=clock
        )
    assert await event_count(store) == before


async def test_withdraw_by_the_investor_only(store: EventStore) -> None:
    prog = await open_programme(store)
    investor = uuid4()
    app_id = await submit(store, prog, investor_id=investor)
    before = await event_count(store)
    with pytest.raises(NotYourApplicationError):
        await applications.withdraw(store, application_id=app_id, investor_id=uuid4())
    assert await event_count(store) == before
    await applications.withdraw(store, application_id=app_id, investor_id=investor, clock=clock)
    assert (await load(store, app_id)).status == Status.WITHDRAWN


async def test_request_information_then_answer(store: EventStore) -> None:
    prog = await open_programme(store)
    investor = uuid4()
    app_id = await submit(store, prog, investor_id=investor)
    before = await event_count(store)
    with pytest.raises(InvalidValueError):
        await applications.request_information(
            store, application_id=app_id, by=OFFICER, question="  ", clock=clock
        )
    assert await event_count(store) == before
    await applications.request_information(
        store, application_id=app_id, by=OFFICER, question="Plan de financement ?", clock=clock
    )
    assert (await load(store, app_id)).status == Status.INFORMATION_REQUESTED
    await applications.amend(
        store, application_id=app_id, investor_id=investor, changes={"jobs": 130}, clock=clock
    )
    assert (await load(store, app_id)).status == Status.SUBMITTED


async def test_screen_out_before_review_only(store: EventStore) -> None:
    prog = await open_programme(store)
    app_id = await submit(store, prog)
    await applications.screen_out(
        store, application_id=app_id, by=OFFICER, reason="Hors région", clock=clock
    )
    assert (await load(store, app_id)).status == Status.SCREENED_OUT
    in_review = await reviewed(store, prog)
    before = await event_count(store)
    with pytest.raises(InvalidTransitionError):
        await applications.screen_out(
            store, application_id=in_review, by=OFFICER, reason="Trop tard", clock=clock
        )
    assert await event_count(store) == before


async def test_assign_reviewer_and_conflict_of_interest(store: EventStore) -> None:
    prog = await open_programme(store)
    app_id = await submit(store, prog)
    await applications.assign_reviewer(
        store, application_id=app_id, reviewer_id=R1, by=OFFICER, clock=clock
    )
    await applications.declare_conflict(store, application_id=app_id, reviewer_id=R2, clock=clock)
    app = await load(store, app_id)
    assert (app.status, app.reviewers, app.conflicts) == (Status.IN_REVIEW, {R1}, {R2})
    before = await event_count(store)
    with pytest.raises(ConflictOfInterestError):
        await applications.assign_reviewer(
            store, application_id=app_id, reviewer_id=R2, by=OFFICER, clock=clock
        )
    assert await event_count(store) == before


async def test_declare_conflict_refused_once_the_file_is_closed(store: EventStore) -> None:
    prog = await open_programme(store)
    investor = uuid4()
    app_id = await submit(store, prog, investor_id=investor)
    await applications.withdraw(store, application_id=app_id, investor_id=investor, clock=clock)
    before = await event_count(store)
    with pytest.raises(InvalidTransitionError):
        await applications.declare_conflict(store, application_id=app_id, reviewer_id=R1)
    assert await event_count(store) == before


async def test_review_scores_under_the_published_rubric(store: EventStore) -> None:
    prog = await open_programme(store)
    app_id = await reviewed(store, prog)
    app = await load(store, app_id)
    assert [r.weighted_score for r in app.counted_reviews()] == [8_000, 8_000]
    draft = await programme.draft_rubric(store, rubric_version=2, clock=clock)
    before = await event_count(store)
    with pytest.raises(RubricNotPublishedError):
        await applications.review(
            store, application_id=app_id, reviewer_id=R1, rubric_id=draft, scores=GOOD
        )
    assert await event_count(store) == before


async def test_clock_port_sets_event_times(store: EventStore) -> None:
    prog = await open_programme(store)
    app_id = await submit(store, prog)
    app = await load(store, app_id)
    assert clock.now - timedelta(minutes=5) < app.submitted_at <= clock.now
