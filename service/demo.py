"""Demo data: a programme three and a half years in, written through the use cases only.

Every application gets a planned life (submission, review, decision, agreement, tranches) on a
timeline from 2023 to mid-2026; the steps of all files run in time order through the clock
port, so funding decisions see the envelope as it was that day. Files whose next step falls
after the demo's "today" stay where they are: still in review, funded but not yet signed...
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final
from uuid import uuid4

from domain.applications import GrantApplication
from domain.call_texts import CallDescription
from domain.envelopes import SupportEnvelope
from domain.reference import province
from domain.rubrics import DEFAULT_CRITERIA, FULL_SCORE
from service import applications as apps
from service import call_content, decisions, demo_data, documents, programme
from service.documents import Limits
from service.repository import Repository

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from domain.documents import RequiredDocument
    from service.documents import DocumentInfo
    from service.store import EventStore

START: Final = datetime(2023, 1, 9, 9, tzinfo=UTC)
#: The demo's documents are a kilobyte each, far below any limit the settings may set.
DOCUMENT_LIMITS: Final = Limits(each=1_048_576, total=10 * 1_048_576)
#: The demo call closes at the end of 30 June 2027, Moroccan time (UTC+1).
DEMO_CALL_CLOSES_AT: Final = datetime(2027, 6, 30, 23, tzinfo=UTC)
DEMO_CALL_TITLES: Final = {
    "ar": "طلب مشاريع 2023-2027: ترحيل الخدمات وقطاعات أخرى",
    "fr": "Appel à projets 2023-2027 : offshoring et autres secteurs",
    "en": "Call for projects 2023-2027: offshoring and other sectors",
}


def demo_call_description() -> CallDescription:
    """The demo call's texts, in the three languages."""
    default = call_content.default_description(DEMO_CALL_TITLES["fr"])
    return replace(default, titles=DEMO_CALL_TITLES)


TODAY: Final = datetime(2026, 6, 30, 17, tzinfo=UTC)
LAST_SUBMISSION: Final = datetime(2026, 6, 20, tzinfo=UTC)
LAST_DECISIONS: Final = datetime(2026, 3, 31, tzinfo=UTC)
TARGET_SHARE: Final = 0.80  # of the envelope the committee commits over the period
THRESHOLD: Final = decisions.DEFAULT_POLICY.funding_threshold_hundredths
Step = Callable[[datetime], Awaitable[None]]


class DemoError(RuntimeError):
    """Raised when demo data would be loaded into a database that already holds events."""


@dataclass(frozen=True, kw_only=True)
class DemoSummary:
    """What the demo loaded: counts per status and the envelope's figures."""

    envelope_id: UUID
    call_id: UUID
    rubric_id: UUID
    applications: int
    by_status: dict[str, int]
    total_centimes: int
    committed_centimes: int  # reserved for funded files plus already disbursed
    disbursed_centimes: int

    @property
    def committed_share(self) -> float:
        """Committed / total, for display."""
        return self.committed_centimes / self.total_centimes


@dataclass
class _Demo:
    store: EventStore
    rng: random.Random
    reviewers: list[UUID]
    chair: UUID
    officer: UUID
    envelope_id: UUID
    call_id: UUID
    rubric_id: UUID
    total_centimes: int
    #: What the call asks investors to send (the demo sends it, as an investor must).
    required: tuple[RequiredDocument, ...] = ()
    committed: int = 0
    queue: list[tuple[datetime, int, Step]] = field(default_factory=list)
    seq: itertools.count[int] = field(default_factory=itertools.count)

    def later(self, at: datetime, days: tuple[int, int], step: Step) -> None:
        """Schedule ``step`` some days after ``at``, unless that is after the demo's today."""
        when = at + timedelta(days=self.rng.randint(*days), minutes=self.rng.randint(0, 480))
        if when <= TODAY:
            heapq.heappush(self.queue, (when, next(self.seq), step))

    async def run(self) -> None:
        while self.queue:
            when, _, step = heapq.heappop(self.queue)
            await step(when)


def _at(when: datetime) -> Callable[[], datetime]:
    return lambda: when


async def load_demo(
    store: EventStore,
    pool: asyncpg.Pool,
    *,
    investors: list[UUID],
    reviewers: list[UUID],
    chair: UUID,
    officer: UUID,
    seed: int = 2026,
    applications: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Open the envelope, a call and the rubric, then live through ``applications`` files."""
    if await pool.fetchval("SELECT EXISTS (SELECT 1 FROM events)"):
        raise DemoError("the database already holds events; load the demo into an empty one")
    rng = random.Random(seed)
    envelope_id = await programme.open_envelope(store, clock=_at(START))
    call_id = await programme.open_call(
        store, envelope_id=envelope_id, title=DEMO_CALL_TITLES["fr"],
        min_request_centimes=50_000_00, max_request_centimes=12_000_000_00,
        closes_at=DEMO_CALL_CLOSES_AT, description=demo_call_description(),
        clock=_at(START + timedelta(days=7)),
    )  # fmt: skip
    rubric_id = await programme.draft_rubric(store, clock=_at(START + timedelta(days=8)))
    await programme.publish_rubric(store, rubric_id=rubric_id, clock=_at(START + timedelta(days=9)))
    envelope = await Repository(store).get(envelope_id, cls=SupportEnvelope)
    demo = _Demo(store, rng, reviewers, chair, officer, envelope_id, call_id, rubric_id,
                 envelope.total_centimes, await documents.required_for(store, call_id))  # fmt: skip
    span = (LAST_SUBMISSION - START - timedelta(days=14)).total_seconds()
    times = sorted(
        START + timedelta(days=14, seconds=rng.random() * span) for _ in range(applications)
    )
    ids = [await _submit(demo, rng.choice(investors), at) for at in times]
    for done, app_id in enumerate(ids, 1):
        _plan(demo, app_id, times[done - 1])
        if progress:
            progress(done, applications)
    await demo.run()
    return await _summary(store, demo, ids)


async def _submit(demo: _Demo, investor_id: UUID, at: datetime) -> UUID:
    sector = demo_data.pick_sector(demo.rng)
    project = demo_data.project(demo.rng, sector)
    court = province(project.province).labels.fr
    applicant = demo_data.applicant(demo.rng, sector, court)
    # As an investor does: the call's mandatory documents first, kept under a key of the draft's,
    # then taken by the submission in its transaction.
    key = uuid4()
    for kind, content in demo_data.documents(applicant, project, demo.required).items():
        await documents.attach_to_draft(
            demo.store.pool, investor_id=investor_id, draft_id=key, kind=kind, content=content,
            limits=DOCUMENT_LIMITS, also=[r.kind for r in demo.required], at=at,
        )  # fmt: skip

    async def claim(conn: asyncpg.Connection, application_id: UUID) -> list[DocumentInfo]:
        return await documents.claim_draft_documents(
            conn, draft_id=key, application_id=application_id, investor_id=investor_id
        )

    return await apps.submit(
        demo.store, investor_id=investor_id, envelope_id=demo.envelope_id, call_id=demo.call_id,
        applicant=applicant, contact=demo_data.contact(demo.rng), project=project, clock=_at(at),
        publication=demo_data.publication(project), claim=claim,
    )  # fmt: skip


def _plan(demo: _Demo, app_id: UUID, submitted: datetime) -> None:
    """Choose the file's fate and schedule its first step."""
    roll, s, rng = demo.rng.random(), demo.store, demo.rng

    async def withdraw(at: datetime) -> None:
        app = await Repository(s).get(app_id, cls=GrantApplication)
        await apps.withdraw(s, application_id=app_id, investor_id=app.investor_id, clock=_at(at))

    async def screen_out(at: datetime) -> None:
        reason = rng.choice(
            ("Projet hors du périmètre de l'appel", "Dossier incomplet : RC non fourni")
        )
        await apps.screen_out(
            s, application_id=app_id, by=demo.officer, reason=reason, clock=_at(at)
        )

    async def ask(at: datetime) -> None:
        await apps.request_information(
            s, application_id=app_id, by=demo.officer, clock=_at(at),
            question="Merci de préciser le plan de financement et les emplois féminins.",
        )  # fmt: skip
        demo.later(at, (5, 25), answer)

    async def answer(at: datetime) -> None:
        app = await Repository(s).get(app_id, cls=GrantApplication)
        jobs = int(app.project["jobs"]) + 1
        # the summary states the jobs too: amend both, so the file never contradicts itself
        summary = app.project["summary"].replace(
            f"{app.project['jobs']} emplois directs", f"{jobs} emplois directs"
        )
        await apps.amend(s, application_id=app_id, investor_id=app.investor_id,
                         changes={"jobs": jobs, "summary": summary}, clock=_at(at))  # fmt: skip
        demo.later(at, (3, 15), lambda when: _review(demo, app_id, when))

    if roll < 0.07:
        demo.later(submitted, (5, 60), withdraw)
    elif roll < 0.15:
        demo.later(submitted, (3, 20), screen_out)
    elif roll < 0.22:
        demo.later(submitted, (5, 20), ask)
    else:
        demo.later(submitted, (7, 25), lambda at: _review(demo, app_id, at))


async def _review(demo: _Demo, app_id: UUID, at: datetime) -> None:
    """Assign two or three reviewers (one may declare a conflict), who score the file."""
    rng, s = demo.rng, demo.store
    panel = rng.sample(demo.reviewers, min(len(demo.reviewers), 3 if rng.random() < 0.1 else 2))
    if rng.random() < 0.05 and len(demo.reviewers) > len(panel):
        conflicted = rng.choice([r for r in demo.reviewers if r not in panel])
        await apps.declare_conflict(s, application_id=app_id, reviewer_id=conflicted, clock=_at(at))
    for reviewer in panel:
        await apps.assign_reviewer(s, application_id=app_id, reviewer_id=reviewer,
                                   by=demo.officer, clock=_at(at))  # fmt: skip
    quality = rng.betavariate(2.2, 2.0)

    async def score(when: datetime) -> None:
        for reviewer in panel:
            scores = {c.key: max(0, min(5, round(quality * 5 + rng.gauss(0, 0.8))))
                      for c in DEFAULT_CRITERIA}  # fmt: skip
            await apps.review(s, application_id=app_id, reviewer_id=reviewer,
                              rubric_id=demo.rubric_id, scores=scores,
                              comment="Avis motivé joint au dossier.", clock=_at(when))  # fmt: skip
        demo.later(when, (10, 40), lambda t: _decide(demo, app_id, t))

    demo.later(at, (10, 35), score)


async def _decide(demo: _Demo, app_id: UUID, at: datetime) -> None:
    """Fund good files while the committee's budget lasts; reject the others."""
    app = await Repository(demo.store).get(app_id, cls=GrantApplication)
    reviews = app.counted_reviews()
    score = sum(r.weighted_score for r in reviews) // len(reviews)
    share = demo.rng.uniform(0.7, 1.0)
    amount = min(app.requested_centimes, int(app.requested_centimes * share) // 100_000 * 100_000)
    # The committee paces itself: by a given day it commits its target pro rata of the period.
    pace = min(1.0, (at - START) / (LAST_DECISIONS - START))
    budget = int(demo.total_centimes * TARGET_SHARE * pace) - demo.committed
    if score >= THRESHOLD and 0 < amount <= budget:
        await decisions.fund(demo.store, application_id=app_id, decided_by=demo.chair,
                             amount_centimes=amount, note="Projet retenu par le comité.",
                             clock=_at(at))  # fmt: skip
        demo.committed += amount
        demo.later(at, (15, 45), lambda t: _sign(demo, app_id, amount, t))
        return
    reason = (
        f"Note moyenne {score / 100:.2f}/{FULL_SCORE // 100} inférieure au seuil."
        if score < THRESHOLD
        else "Enveloppe du comité engagée pour la période."
    )
    await decisions.reject(demo.store, application_id=app_id, decided_by=demo.chair,
                           reason=reason, clock=_at(at))  # fmt: skip


async def _sign(demo: _Demo, app_id: UUID, funded: int, at: datetime) -> None:
    """Sign the agreement, then pay two or three tranches (a few files are cancelled)."""
    s = demo.store
    await decisions.sign_agreement(s, application_id=app_id, by=demo.officer, clock=_at(at))
    tranches = demo.rng.choice((2, 3))
    cancel_after = 1 if demo.rng.random() < 0.05 else None
    amounts = [funded // tranches] * (tranches - 1) + [funded - funded // tranches * (tranches - 1)]

    async def pay(when: datetime, paid: int = 0) -> None:
        if cancel_after is not None and paid == cancel_after:
            await decisions.cancel(s, application_id=app_id, by=demo.officer, clock=_at(when),
                                   reason="Projet abandonné par l'investisseur.")  # fmt: skip
            demo.committed -= sum(amounts[paid:])
            return
        if paid == len(amounts):
            await decisions.complete(s, application_id=app_id, by=demo.officer, clock=_at(when))
            return
        await decisions.disburse(s, application_id=app_id, amount_centimes=amounts[paid],
                                 by=demo.officer, clock=_at(when))  # fmt: skip
        demo.later(when, (60, 180), lambda t: pay(t, paid + 1))

    demo.later(at, (20, 60), pay)


async def _summary(store: EventStore, demo: _Demo, ids: list[UUID]) -> DemoSummary:
    repository = Repository(store)
    statuses: Counter[str] = Counter()
    for app_id in ids:
        statuses[(await repository.get(app_id, cls=GrantApplication)).status.value] += 1
    envelope = await repository.get(demo.envelope_id, cls=SupportEnvelope)
    return DemoSummary(
        envelope_id=demo.envelope_id, call_id=demo.call_id, rubric_id=demo.rubric_id,
        applications=len(ids), by_status=dict(sorted(statuses.items())),
        total_centimes=envelope.total_centimes,
        committed_centimes=envelope.reserved_centimes + envelope.disbursed_centimes,
        disbursed_centimes=envelope.disbursed_centimes,
    )  # fmt: skip
