"""Time travel: a file "as the committee saw it" at a moment of the log, rebuilt from the events.

The event log is replayed in its own order (``(tx_id, notification_id)``) up to the chosen
moment, through the domain's own aggregates (``event.mutate``): every application of the file's
envelope and the envelope itself, so that the file's rank on the fundable line and what the
envelope had left are those of that moment. By default the moment is just before the file's
decision (funded, rejected or screened out): what the committee had in front of it when it decided.

Nothing is stored: each view is computed from the log (one pass over it; see README's limits).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast
from uuid import UUID

from domain.applications import GrantApplication, Status
from domain.envelopes import SupportEnvelope
from domain.rubrics import mean_half_up
from projections.scoring import Candidate, fundable_line
from service.repository import new_mapper

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.domain import Aggregate
    from eventsourcing.persistence import Mapper

    from service.store import EventStore, LogNotification

APPLICATION: Final = "grants.application:"
ENVELOPE: Final = "grants.envelope:"
DECISIONS: Final = frozenset(
    APPLICATION + kind for kind in ("Funded", "Rejected", "ScreenedOut", "Withdrawn")
)
PAGE: Final = 1000


#: Other files' events that move what the committee saw of this one: the envelope's remainder
#: and the queue (a decision takes a file off the line, a cancellation gives money back).
OTHERS_MOVES: Final = DECISIONS | {APPLICATION + "Cancelled"}
SUBMITTED: Final = APPLICATION + "Submitted"


@dataclass(frozen=True, kw_only=True)
class Moment:
    """A moment one may travel to (the state just after it): one of the file's own events, or
    (``other``) another file's decision on the same envelope while this one was open."""

    notification_id: int
    kind: str
    at: dt.datetime
    other: bool = False


@dataclass(frozen=True, kw_only=True)
class ReviewSeen:
    """A reviewer's latest review at that moment."""

    reviewer_id: UUID
    rubric_version: int
    scores: dict[str, int]
    weighted_score: int
    revision: int
    conflicted: bool


@dataclass(frozen=True, kw_only=True)
class AsSeen:
    """The file at one moment: its fields, reviews, rank on the line, the envelope's remainder.

    ``notification_id`` is the last event included; ``documents`` the file's documents attached
    by then (id and kind, in the order they were attached)."""

    application_id: UUID
    notification_id: int
    at: dt.datetime | None
    before_decision: bool
    status: str
    applicant_kind: str
    company_name: str
    legal_form: str
    project: dict[str, Any]
    reviews: tuple[ReviewSeen, ...]
    rubric_versions: tuple[int, ...]
    raw_score: int | None
    review_count: int
    rank: int | None
    in_line: int
    above_line: bool | None
    remaining_centimes: int
    documents: tuple[tuple[UUID, str], ...] = ()


async def _log(store: EventStore) -> list[LogNotification]:
    """The application and envelope events of the whole log, in log order."""
    found: list[LogNotification] = []
    after = None
    while page := await store.select_notifications(after, PAGE):
        found += [n for n in page if n.topic.startswith((APPLICATION, ENVELOPE))]
        after = page[-1].position
    return found


def window(log: Sequence[LogNotification], application_id: UUID) -> range:
    """The indexes of ``log`` from the file's submission to its decision (or the log's end, for a
    file still open): the positions one may travel to besides the file's own later events."""
    own = [i for i, n in enumerate(log) if n.originator_id == application_id]
    if not own:
        return range(0)
    end = next((i for i in own if log[i].topic in DECISIONS), len(log) - 1)
    return range(own[0], end + 1)


def moments(
    log: Sequence[LogNotification], application_id: UUID, mapper: Mapper[Any]
) -> list[Moment]:
    """The moments to offer: the file's own events, and every decision on another file of the
    same envelope between this file's submission and its decision, in log order."""
    span = window(log, application_id)
    if not span:
        return []
    neighbours = _same_envelope(log[: span.stop], _event(mapper, log[span.start]), mapper)
    # Offered only when dated between the submission and the decision too: a log written out of
    # time order (the demo submits every file first, then decides) would offer a decision taken
    # before this file existed. Every position of the span stays reachable by ``?at=``.
    since = _event(mapper, log[span.start]).timestamp
    ends = log[span.stop - 1]
    until = _event(mapper, ends).timestamp if ends.topic in DECISIONS else None
    found = []
    for i, n in enumerate(log):
        mine = n.originator_id == application_id
        if mine or (i in span and n.topic in OTHERS_MOVES and _originator(n) in neighbours):
            at = _event(mapper, n).timestamp
            if mine or (since <= at and (until is None or at <= until)):
                kind = n.topic.removeprefix(APPLICATION)
                found.append(Moment(notification_id=n.id, kind=kind, at=at, other=not mine))
    return found


def _same_envelope(
    log: Sequence[LogNotification], submitted: Any, mapper: Mapper[Any]
) -> set[UUID]:
    """The files of ``log`` submitted to the same envelope as ``submitted``."""
    envelope_id = getattr(submitted, "envelope_id", None)
    return {
        _originator(n) for n in log
        if n.topic == SUBMITTED and getattr(_event(mapper, n), "envelope_id", None) == envelope_id
    }  # fmt: skip


def cut(
    log: Sequence[LogNotification], application_id: UUID, upto: int | None
) -> tuple[list[LogNotification], bool]:
    """The log up to and including event ``upto`` (None: just before the file's decision, or
    all of it when there is none); and whether the cut is the default one before a decision.

    A cut never splits a transaction: a decision and the envelope's reservation were appended
    together, and nobody ever saw one without the other."""
    for index, n in enumerate(log):
        if upto is None and n.originator_id == application_id and n.topic in DECISIONS:
            start = index
            while start and log[start - 1].tx_id == n.tx_id:
                start -= 1
            return list(log[:start]), True
        if upto is not None and n.id == upto:
            end = index + 1
            while end < len(log) and log[end].tx_id == n.tx_id:
                end += 1
            return list(log[:end]), False
    return list(log), False


def _event(mapper: Mapper[Any], n: LogNotification) -> Aggregate.Event:
    """The domain event of a notification (every topic read here is an aggregate's event)."""
    return cast("Aggregate.Event", mapper.to_domain_event(n))


def _originator(n: LogNotification) -> UUID:
    return n.originator_id if isinstance(n.originator_id, UUID) else UUID(n.originator_id)


def replay(log: Sequence[LogNotification], mapper: Mapper[Any]) -> dict[UUID, Any]:
    """Every aggregate of ``log`` as its events leave it."""
    aggregates: dict[UUID, Any] = {}
    for n in log:
        key = _originator(n)
        aggregates[key] = _event(mapper, n).mutate(aggregates.get(key))
    return aggregates


def view(application_id: UUID, log: Sequence[LogNotification], mapper: Mapper[Any],
         *, before_decision: bool = False) -> AsSeen | None:  # fmt: skip
    """The file as ``log`` leaves it (None if it was not submitted yet)."""
    aggregates = replay(log, mapper)
    app = aggregates.get(application_id)
    if not isinstance(app, GrantApplication):
        return None
    envelope = aggregates.get(app.envelope_id)
    remaining = envelope.remaining_centimes if isinstance(envelope, SupportEnvelope) else 0
    counted = app.counted_reviews()
    raw = mean_half_up([r.weighted_score for r in counted]) if counted else None
    line = fundable_line(_candidates(aggregates, app.envelope_id), remaining)
    rank, _, above = line.get(application_id, (None, None, None))
    reviews = tuple(
        ReviewSeen(reviewer_id=r.reviewer_id, rubric_version=r.rubric_version,
                   scores=dict(r.scores), weighted_score=r.weighted_score, revision=r.revision,
                   conflicted=r.reviewer_id in app.conflicts)
        for r in sorted(app.reviews.values(), key=lambda r: str(r.reviewer_id))
    )  # fmt: skip
    return AsSeen(
        application_id=application_id, notification_id=log[-1].id if log else 0,
        at=_event(mapper, log[-1]).timestamp if log else None,
        before_decision=before_decision, status=str(app.status),
        applicant_kind=app.applicant_kind, company_name=app.company_name,
        legal_form=app.legal_form, project=dict(app.project), reviews=reviews,
        rubric_versions=tuple(sorted({r.rubric_version for r in reviews})), raw_score=raw,
        review_count=len(counted), rank=rank, in_line=len(line), above_line=above,
        remaining_centimes=remaining, documents=tuple(app.documents.items()),
    )  # fmt: skip


def _candidates(aggregates: dict[UUID, Any], envelope_id: UUID) -> list[Candidate]:
    """The files the line ranks at that moment: in review, in this envelope, scored."""
    found = []
    for app in aggregates.values():
        if not isinstance(app, GrantApplication) or app.envelope_id != envelope_id:
            continue
        counted = app.counted_reviews()
        if app.status == Status.IN_REVIEW and counted:
            score = mean_half_up([r.weighted_score for r in counted])
            found.append(Candidate(app.id, score, app.requested_centimes))
    return found


async def as_seen(
    store: EventStore, application_id: UUID, *, upto: int | None = None
) -> tuple[AsSeen | None, list[Moment]]:
    """The file at event ``upto`` (default: just before its decision), and the moments to
    offer; None for a file that does not exist or an ``upto`` that is neither one of its own
    events nor an event of the log between its submission and its decision."""
    mapper = new_mapper()
    log = await _log(store)
    its_moments = moments(log, application_id, mapper)
    reachable = {m.notification_id for m in its_moments} | {
        log[i].id for i in window(log, application_id)
    }
    if upto is not None and upto not in reachable:
        return None, its_moments
    part, before_decision = cut(log, application_id, upto)
    return view(application_id, part, mapper, before_decision=before_decision), its_moments
