"""Builders for service tests: a stepping clock, a programme, applications in a given state."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.identifiers import ice_with_check
from domain.rubrics import DEFAULT_CRITERIA
from service import applications, decisions, programme
from service.applications import Applicant, Contact, Project

if TYPE_CHECKING:
    from service.store import EventStore

GOOD = {c.key: 4 for c in DEFAULT_CRITERIA}  # 80.00 points
POOR = {c.key: 1 for c in DEFAULT_CRITERIA}  # 20.00 points
OFFICER, CHAIR = uuid4(), uuid4()
R1, R2, R3 = uuid4(), uuid4(), uuid4()
_ices = itertools.count(1_000_000_000_000)


class SteppingClock:
    """A fake clock: each reading is one minute after the previous one."""

    def __init__(self, start: datetime = datetime(2024, 3, 1, 9, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


clock = SteppingClock()


def applicant(**overrides: Any) -> Applicant:
    base = Applicant(
        applicant_kind="company",
        company_name="Atlas Offshoring SARL",
        legal_form="sarl",
        ice=ice_with_check(f"{next(_ices):013d}"),
        rc_court="Ouarzazate",
        rc_number="4521",
    )
    if overrides.get("applicant_kind") == "sole_trader":
        overrides = {"rc_court": "", "rc_number": "", "rnae_number": "20231234", **overrides}
    return replace(base, **overrides)


CONTACT = Contact(
    name="Salma Ait Benhaddou", email="salma@example.ma", phone="+212600000001", national_id="X1"
)


def project(**overrides: Any) -> Project:
    base = Project(
        title="Centre de relation client",
        summary="120 postes, service client bilingue.",
        sector="offshoring",
        province="ouarzazate",
        commune="ouarzazate",
        total_investment_centimes=10_000_000_00,
        requested_centimes=2_500_000_00,
        jobs=120,
        jobs_women=70,
        timeline_months=18,
    )
    return replace(base, **overrides)


@dataclass(frozen=True)
class Programme:
    envelope_id: UUID
    call_id: UUID
    rubric_id: UUID


async def open_programme(store: EventStore, total_centimes: int = 5_000_000_000) -> Programme:
    envelope_id = await programme.open_envelope(store, total_centimes=total_centimes, clock=clock)
    call_id = await programme.open_call(
        store,
        envelope_id=envelope_id,
        title="Appel 2024",
        min_request_centimes=100_000_00,
        max_request_centimes=12_000_000_00,
        clock=clock,
    )
    rubric_id = await programme.draft_rubric(store, clock=clock)
    await programme.publish_rubric(store, rubric_id=rubric_id, clock=clock)
    return Programme(envelope_id, call_id, rubric_id)


async def submit(
    store: EventStore, prog: Programme, investor_id: UUID | None = None, **project_overrides: Any
) -> UUID:
    return await applications.submit(
        store,
        investor_id=investor_id or uuid4(),
        envelope_id=prog.envelope_id,
        call_id=prog.call_id,
        applicant=applicant(),
        contact=CONTACT,
        project=project(**project_overrides),
        clock=clock,
    )


async def reviewed(
    store: EventStore, prog: Programme, scores: dict[str, int] = GOOD, **project_overrides: Any
) -> UUID:
    app_id = await submit(store, prog, **project_overrides)
    for reviewer in (R1, R2):
        await applications.assign_reviewer(
            store, application_id=app_id, reviewer_id=reviewer, by=OFFICER, clock=clock
        )
        await applications.review(
            store,
            application_id=app_id,
            reviewer_id=reviewer,
            rubric_id=prog.rubric_id,
            scores=scores,
            comment="Dossier solide",
            clock=clock,
        )
    return app_id


async def signed(store: EventStore, prog: Programme, amount: int = 2_000_000_00) -> UUID:
    app_id = await reviewed(store, prog)
    await decisions.fund(
        store, application_id=app_id, decided_by=CHAIR, amount_centimes=amount, clock=clock
    )
    await decisions.sign_agreement(store, application_id=app_id, by=OFFICER, clock=clock)
    return app_id


async def event_count(store: EventStore) -> int:
    return int(await store.pool.fetchval("SELECT count(*) FROM events"))
