"""Given / when / then helpers for aggregate specifications (no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def at(days: int = 0) -> datetime:
    """A point in the programme's life, ``days`` after the first of March 2024."""
    return T0 + timedelta(days=days)


def uid(n: int) -> UUID:
    """A readable, deterministic id."""
    return UUID(int=n)


def given(aggregate: A) -> A:
    """Turn a freshly built aggregate into its past: replay its events into a new object."""
    replayed: Any = None
    for past_event in aggregate.collect_events():
        replayed = past_event.mutate(replayed)
    assert isinstance(replayed, type(aggregate))
    return replayed


def when(aggregate: A, command: Callable[[A], object]) -> Sequence[Aggregate.Event]:
    """Run a command and return exactly the new events it produced."""
    command(aggregate)
    return aggregate.collect_events()  # type: ignore[return-value]


def names(events: Sequence[object]) -> list[str]:
    """The class names of events, the vocabulary tests compare against."""
    return [type(e).__name__ for e in events]
