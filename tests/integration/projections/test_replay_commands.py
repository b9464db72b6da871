"""Replay equals live, with every command driven through the service layer.

Random histories of use cases (submit with sealed contact data, for companies and sole
traders; assign, declare a conflict, review; ask, amend, withdraw, screen out; fund, reject,
sign, pay, cancel, complete; draft, revise and publish a rubric; close the call and the
envelope) run against the real store, with the read models caught up in random pages between
them. Then every projection is rebuilt from zero: the tables must be identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.reference import SOLE_TRADER
from domain.rubrics import DEFAULT_CRITERIA
from projections.registry import ALL_PROJECTIONS, ensure_all, rebuild
from projections.runner import ProjectionRunner
from service import applications, decisions, programme
from tests.integration.projections.test_replay import reset, tables
from tests.integration.service.support import (
    CHAIR,
    CONTACT,
    GOOD,
    OFFICER,
    R1,
    R2,
    R3,
    applicant,
    clock,
    open_programme,
    project,
)

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import EventStore
    from tests.integration.service.support import Programme

REVIEWERS = (R1, R2, R3)
INVESTORS = ("a", "b", "c")
FILE_COMMANDS = (
    "assign", "conflict", "review", "reviewed", "ask", "amend", "withdraw", "screen_out", "fund", "reject",
    "sign", "disburse", "cancel", "complete",
)  # fmt: skip
ops = st.one_of(
    st.tuples(st.just("submit"), st.integers(0, 2), st.booleans(), st.integers(1, 30)),
    st.tuples(st.sampled_from(FILE_COMMANDS), st.integers(0, 9), st.integers(0, 2)),
    st.tuples(
        st.sampled_from(["reviewed", "fund", "sign", "disburse"]),
        st.integers(0, 3),
        st.integers(0, 2),
    ),
    st.tuples(st.sampled_from(["draft_rubric", "revise_rubric", "publish_rubric"])),
    st.tuples(st.just("catch_up"), st.integers(1, 9)),
)
ENDINGS = st.lists(st.sampled_from(["close_call", "close_envelope"]), max_size=2, unique=True)


@dataclass
class Programme_:
    """The state the random commands pick from: files, investors, the latest rubric."""

    store: EventStore
    prog: Programme
    files: list[UUID] = field(default_factory=list)
    owners: dict[UUID, UUID] = field(default_factory=dict)
    investors: dict[str, UUID] = field(default_factory=dict)
    draft: UUID | None = None
    rubrics: int = 1


async def play(world: Programme_, op: tuple[Any, ...], pool: asyncpg.Pool) -> None:
    kind, *args = op
    store = world.store
    if kind == "catch_up":
        for p in ALL_PROJECTIONS:
            await ProjectionRunner(pool, store, p, page_size=args[0]).step()
        return
    try:
        event(kind)  # --hypothesis-show-statistics: how often each command ran ...
        if kind == "submit":
            await _submit(world, *args)
        elif kind.endswith("_rubric"):
            await _rubric(world, kind)
        elif world.files:
            await _file_command(world, kind, world.files[args[0] % len(world.files)], args[1])
    except DomainError as error:
        event(f"{kind} refused: {type(error).__name__} {getattr(error, 'field', '')}")
        return  # a refused command records nothing, in the live run as in the replay


async def _submit(world: Programme_, investor: int, sole_trader: bool, millions: int) -> None:
    from uuid import uuid4

    owner = world.investors.setdefault(INVESTORS[investor], uuid4())
    kind = {
        "applicant_kind": SOLE_TRADER,
        "legal_form": SOLE_TRADER,
        "company_name": "Hassan Ouchen Services",
        "rc_court": "Zagora",
        "rc_number": "4711",
    }
    file = await applications.submit(
        world.store, investor_id=owner, envelope_id=world.prog.envelope_id,
        call_id=world.prog.call_id, applicant=applicant(**kind) if sole_trader else applicant(),
        contact=replace(CONTACT, name=f"Personne {len(world.files)}"),
        project=project(requested_centimes=millions * 100_000_00), clock=clock,
    )  # fmt: skip
    world.files.append(file)
    world.owners[file] = owner


async def _rubric(world: Programme_, kind: str) -> None:
    store = world.store
    if kind == "draft_rubric":
        world.rubrics += 1
        world.draft = await programme.draft_rubric(store, rubric_version=world.rubrics, clock=clock)
    elif world.draft is not None and kind == "revise_rubric":
        criteria = list(reversed(DEFAULT_CRITERIA))
        await programme.revise_rubric(store, rubric_id=world.draft, criteria=criteria, clock=clock)
    elif world.draft is not None:
        await programme.publish_rubric(store, rubric_id=world.draft, clock=clock)


async def _file_command(world: Programme_, kind: str, file: UUID, n: int) -> None:
    store, reviewer, investor = world.store, REVIEWERS[n], world.owners[file]
    by = {"application_id": file, "clock": clock}
    commands: dict[str, Any] = {
        "assign": lambda: applications.assign_reviewer(store, reviewer_id=reviewer, by=OFFICER, **by),
        "conflict": lambda: applications.declare_conflict(store, reviewer_id=reviewer, **by),
        "review": lambda: applications.review(
            store, reviewer_id=reviewer, rubric_id=world.prog.rubric_id, scores=GOOD,
            comment="Solide", **by,
        ),
        "reviewed": lambda: _reviewed(world, file),  # two reviews: a decision becomes possible
        "ask": lambda: applications.request_information(store, by=OFFICER, question="Bilan ?", **by),
        "amend": lambda: applications.amend(
            store, investor_id=investor, changes={"jobs": 100 + n}, **by
        ),
        "withdraw": lambda: applications.withdraw(store, investor_id=investor, **by),
        "screen_out": lambda: applications.screen_out(store, by=OFFICER, reason="Hors zone", **by),
        "fund": lambda: decisions.fund(
            store, decided_by=CHAIR, amount_centimes=(n + 1) * 50_000_00, **by
        ),
        "reject": lambda: decisions.reject(store, decided_by=CHAIR, reason="Non", **by),
        "sign": lambda: decisions.sign_agreement(store, by=OFFICER, **by),
        "disburse": lambda: decisions.disburse(
            store, amount_centimes=(n + 1) * 10_000_00, by=OFFICER, **by
        ),
        "cancel": lambda: decisions.cancel(store, by=OFFICER, reason="Abandon", **by),
        "complete": lambda: decisions.complete(store, by=OFFICER, **by),
    }  # fmt: skip
    await commands[kind]()


async def _reviewed(world: Programme_, file: UUID) -> None:
    for reviewer in (R1, R2):
        await applications.assign_reviewer(
            world.store, application_id=file, reviewer_id=reviewer, by=OFFICER, clock=clock
        )
        await applications.review(
            world.store, application_id=file, reviewer_id=reviewer,
            rubric_id=world.prog.rubric_id, scores=GOOD, comment="Solide", clock=clock,
        )  # fmt: skip


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(ops, min_size=10, max_size=60), endings=ENDINGS)
async def test_every_command_through_the_service_replays_to_the_same_tables(
    pool: asyncpg.Pool, store: EventStore, history: list[tuple[Any, ...]], endings: list[str]
) -> None:
    await reset(pool)
    await ensure_all(pool)
    world = Programme_(store, await open_programme(store, total_centimes=20_000_000_00))
    for op in history:
        await play(world, op, pool)
    for ending in endings:
        if ending == "close_call":
            await programme.close_call(store, call_id=world.prog.call_id, clock=clock)
        else:
            await programme.close_envelope(store, envelope_id=world.prog.envelope_id, clock=clock)
    for p in ALL_PROJECTIONS:
        await ProjectionRunner(pool, store, p, page_size=4).catch_up()
    live = await tables(pool)
    for p in ALL_PROJECTIONS:
        await rebuild(pool, store, p.name)
    assert await tables(pool) == live
    # Personal data stays sealed: the contact's name is in no read model, live or rebuilt.
    assert not any("Personne" in row for rows in live.values() for row in rows)
