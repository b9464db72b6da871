"""Domain aggregates appended through the repository, as the service layer would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.applications import GrantApplication
from domain.envelopes import SupportEnvelope
from service.repository import Repository
from tests.unit.domain.builders import CHAIR, OFFICER, facts, rubric
from tests.unit.domain.support import at, uid

if TYPE_CHECKING:
    from domain.rubrics import Rubric
    from service.store import EventStore

ENVELOPE = uid(1)


def _all(points: int) -> dict[str, int]:
    from domain.rubrics import DEFAULT_CRITERIA

    return {c.key: points for c in DEFAULT_CRITERIA}


@dataclass
class World:
    """The programme, one command at a time, each saved in its own transaction."""

    store: EventStore
    repo: Repository = field(init=False)
    apps: dict[UUID, GrantApplication] = field(default_factory=dict)
    envelope: SupportEnvelope | None = None
    rubric: Rubric = field(default_factory=rubric)
    day: int = 0

    def __post_init__(self) -> None:
        self.repo = Repository(self.store)

    def now(self) -> Any:
        self.day += 1
        return at(self.day)

    async def open_envelope(self, total: int) -> None:
        self.envelope = SupportEnvelope.open(
            envelope_id=ENVELOPE, name="Programme 2022", total_centimes=total, at=self.now()
        )
        await self.repo.save(self.envelope)

    async def submit(self, n: int, **overrides: Any) -> UUID:
        app = GrantApplication.submit(
            application_id=uid(1000 + n), at=self.now(), **facts(**overrides)
        )
        self.apps[app.id] = app
        await self.repo.save(app)
        return app.id

    async def do(self, app_id: UUID, command: str, *args: Any, **kwargs: Any) -> None:
        app = self.apps[app_id]
        getattr(app, command)(*args, **kwargs)
        await self.repo.save(app)

    async def assign(self, app_id: UUID, reviewer: UUID) -> None:
        await self.do(app_id, "assign_reviewer", reviewer, OFFICER, self.now())

    async def score(self, app_id: UUID, reviewer: UUID, points: int) -> None:
        await self.do(app_id, "score", reviewer, self.rubric, _all(points), "ok", self.now())

    async def fund(self, app_id: UUID, amount: int) -> None:
        app, envelope = self.apps[app_id], self.envelope
        assert envelope is not None
        when = self.now()
        app.fund(CHAIR, amount, "good", when, threshold_hundredths=0)
        envelope.reserve(app_id, amount, when)
        await self.repo.save(app, envelope)

    async def disburse(self, app_id: UUID, amount: int) -> None:
        app, envelope = self.apps[app_id], self.envelope
        assert envelope is not None
        when = self.now()
        app.disburse(amount, OFFICER, when)
        envelope.disburse(app_id, amount, when)
        await self.repo.save(app, envelope)

    async def cancel(self, app_id: UUID) -> None:
        app, envelope = self.apps[app_id], self.envelope
        assert envelope is not None
        when = self.now()
        left = app.undisbursed_centimes
        app.cancel(OFFICER, "abandoned", when)
        if left:
            envelope.release(app_id, left, when)
        await self.repo.save(app, envelope)
