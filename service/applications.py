"""Use cases of a grant application before the decision: submit, amend, screen and review.

Each is load -> decide -> append through :func:`service.commands.execute`; time comes from the
``clock`` port and new ids from ``uuid4()`` here, never from the domain.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.applications import GrantApplication
from domain.calls import Call
from domain.documents import check_complete, required_of
from domain.errors import InvalidValueError
from domain.reference import SOLE_TRADER
from domain.rubrics import Rubric
from domain.submissions import SOLE_TRADER_IDENTITY, check_applicant
from service.clock import Clock, database_now
from service.commands import Unit, execute
from service.documents import DocumentInfo, record_draft_documents
from service.privacy import encrypt_and_now, encrypt_for

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    import asyncpg

    #: Takes a draft's documents for the new application, in the submission's transaction.
    Claim = Callable[[asyncpg.Connection, UUID], Awaitable[list[DocumentInfo]]]

    from domain.publication import Publication
    from service.store import EventStore


@dataclass(frozen=True, kw_only=True)
class Applicant:
    """Who applies: a company or a sole trader, with its public identifiers."""

    applicant_kind: str
    company_name: str
    legal_form: str
    ice: str
    rc_court: str
    rc_number: str
    rnae_number: str = ""  # auto-entrepreneurs (sole traders): their register instead of the RC


@dataclass(frozen=True, kw_only=True)
class Contact:
    """The contact person's personal data: encrypted before it enters an event."""

    name: str
    email: str
    phone: str
    national_id: str = ""


@dataclass(frozen=True, kw_only=True)
class Project:
    """What the investor proposes and asks for."""

    title: str
    summary: str
    sector: str
    province: str
    commune: str
    total_investment_centimes: int
    requested_centimes: int
    jobs: int
    jobs_women: int
    timeline_months: int


async def submit(
    store: EventStore,
    *,
    investor_id: UUID,
    envelope_id: UUID,
    applicant: Applicant,
    contact: Contact,
    project: Project,
    call_id: UUID | None = None,
    person_id: UUID | None = None,
    clock: Clock = database_now,
    idempotency_key: str | None = None,
    documents: Sequence[DocumentInfo] | None = None,
    publication: Publication | None = None,
    claim: Claim | None = None,
) -> UUID:
    """Submit an application (to a call, if given); returns the new application's id.

    ``publication``: the public title and summary the investor approves for publication (None:
    not approved, public pages stay generic).

    ``documents`` (kept with the draft) are checked against the call's mandatory list and
    recorded on the application in the same append; None leaves documents unchecked.
    ``claim`` (the API) instead takes a draft's files inside the transaction, after every read,
    and checks them against the call's mandatory list.
    """
    application_id, person = uuid4(), person_id or investor_id

    async def decide(unit: Unit) -> UUID:
        # the key's statement also reads now(): no round trip of its own for the time
        sealed, unit.database_time = await encrypt_and_now(unit.conn, person, asdict(contact))
        at = await unit.now(clock)
        call: Call | None = None
        if call_id is not None:
            call = await unit.get(call_id, Call)
            if call.envelope_id != envelope_id:
                raise InvalidValueError("call_id", call_id, "belongs to another envelope")
            call.check_accepts(
                project.sector, project.province, project.requested_centimes, at,
                total_investment_centimes=project.total_investment_centimes,
            )  # fmt: skip
        if documents is not None:
            check_complete(required_of(call), (d.kind for d in documents))
        applicant_facts = await _sealed_if_sole_trader(unit, person, asdict(applicant))
        facts: dict[str, Any] = {**applicant_facts, **asdict(project)}
        app = GrantApplication.submit(
            application_id=application_id, at=at, investor_id=investor_id,
            envelope_id=envelope_id, call_id=call_id, person_id=person, contact=sealed,
            publication=publication, **facts,
        )  # fmt: skip
        held = list(documents or ())
        if claim is not None:
            held = await claim(unit.conn, application_id)
            if call is not None:
                check_complete(required_of(call), (d.kind for d in held))
        unit.add(app)
        record_draft_documents(app, held, at)
        return application_id

    # A draft's files are claimed with their own write, which must commit with the append.
    return await execute(
        store, decide, idempotency=("submit", idempotency_key), single_write=claim is None
    )


async def _sealed_if_sole_trader(
    unit: Unit, person: UUID, applicant: dict[str, Any]
) -> dict[str, Any]:
    """A sole trader's name, ICE and RNAE number identify a natural person: checked in clear by
    the domain's rule, then sealed with the person's key (erasing the key erases them)."""
    if applicant["applicant_kind"] != SOLE_TRADER:
        return applicant
    clear = check_applicant(applicant)
    identity = {name: clear[name] for name in SOLE_TRADER_IDENTITY}
    sealed = await encrypt_for(unit.conn, person, identity)
    return {**applicant, **dict.fromkeys(identity, ""), "rc_court": "", "rc_number": "",
            "identity": sealed}  # fmt: skip


async def amend(
    store: EventStore,
    *,
    application_id: UUID,
    investor_id: UUID,
    changes: Mapping[str, Any],
    clock: Clock = database_now,
) -> None:
    """The investor changes amendable project fields (or answers a question)."""

    async def decide(unit: Unit) -> None:
        app = await unit.get(application_id, GrantApplication)
        app.amend(investor_id, changes, await unit.now(clock))

    await execute(store, decide)


async def withdraw(
    store: EventStore, *, application_id: UUID, investor_id: UUID, clock: Clock = database_now
) -> None:
    """The investor withdraws the application before a decision."""

    async def decide(unit: Unit) -> None:
        (await unit.get(application_id, GrantApplication)).withdraw(
            investor_id, await unit.now(clock)
        )

    await execute(store, decide)


async def request_information(
    store: EventStore, *, application_id: UUID, by: UUID, question: str, clock: Clock = database_now
) -> None:
    """The committee asks the investor a question; the file waits for an amendment."""

    async def decide(unit: Unit) -> None:
        app = await unit.get(application_id, GrantApplication)
        app.request_information(by, question, await unit.now(clock))

    await execute(store, decide)


async def screen_out(
    store: EventStore,
    *,
    application_id: UUID,
    by: UUID,
    reason: str,
    clock: Clock = database_now,
    idempotency_key: str | None = None,
) -> None:
    """Declare the file ineligible before review (once per ``idempotency_key``)."""

    async def decide(unit: Unit) -> None:
        (await unit.get(application_id, GrantApplication)).screen_out(
            by, reason, await unit.now(clock)
        )

    await execute(store, decide, idempotency=("screen_out", idempotency_key))


async def assign_reviewer(
    store: EventStore,
    *,
    application_id: UUID,
    reviewer_id: UUID,
    by: UUID,
    clock: Clock = database_now,
) -> None:
    """Assign a reviewer to the file (again: nothing recorded)."""

    async def decide(unit: Unit) -> None:
        app = await unit.get(application_id, GrantApplication)
        app.assign_reviewer(reviewer_id, by, await unit.now(clock))

    await execute(store, decide)


async def declare_conflict(
    store: EventStore,
    *,
    application_id: UUID,
    reviewer_id: UUID,
    reason: str = "",
    clock: Clock = database_now,
) -> None:
    """A reviewer declares a conflict of interest: they no longer see nor score the file."""

    async def decide(unit: Unit) -> None:
        (await unit.get(application_id, GrantApplication)).declare_conflict(
            reviewer_id, await unit.now(clock), reason
        )

    await execute(store, decide)


async def review(
    store: EventStore,
    *,
    application_id: UUID,
    reviewer_id: UUID,
    rubric_id: UUID,
    scores: Mapping[str, int],
    comment: str = "",
    clock: Clock = database_now,
) -> int:
    """A reviewer scores the file under a published rubric; returns the weighted score."""

    async def decide(unit: Unit) -> int:
        app = await unit.get(application_id, GrantApplication)
        # Read, not changed: loaded without registering it for the append.
        rubric = await unit.repository.get(rubric_id, conn=unit.conn, cls=Rubric)
        app.score(reviewer_id, rubric, scores, comment, await unit.now(clock))
        return app.reviews[reviewer_id].weighted_score

    return await execute(store, decide)
