"""Supervised projections: each runner restarts alone, with backoff, and says how it is.

A ``TaskGroup`` cancels every task when one fails: one projection's bad event would stop them
all. Here each runner runs in its own supervised task; when it ends with an error (a failing
handler, tables of a newer version, a connection error its own retry did not absorb) it is
restarted after a pause that doubles up to ``max_backoff``, while the others go on. Its
:class:`RunnerHealth` (state, restarts, last error) is what ``/healthz`` reports as degraded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from projections.rebuild import NewerTablesError

if TYPE_CHECKING:
    from projections.runner import ProjectionRunner
    from service.live import Waker

logger = logging.getLogger(__name__)

#: States of a supervised runner. ``running`` covers leading and standing by (another process
#: leads); ``restarting`` is the pause after a failure; ``stopped`` is after shutdown.
RUNNING: Final = "running"
RESTARTING: Final = "restarting"
STOPPED: Final = "stopped"


@dataclass
class RunnerHealth:
    """How one supervised projection runner is doing in this process."""

    name: str
    state: str = RUNNING
    restarts: int = 0
    last_error: str | None = None
    changed_at: float = field(default_factory=time.monotonic)

    @property
    def degraded(self) -> bool:
        """True while the runner is down, waiting to be restarted."""
        return self.state == RESTARTING

    def set(self, state: str, error: str | None = None) -> None:
        """Record a change of state (and the error that caused it, if any)."""
        self.state, self.changed_at = state, time.monotonic()
        if error is not None:
            self.last_error = error


@dataclass
class Supervisor:
    """Runs each projection runner in its own task and restarts the ones that fail."""

    min_backoff: float = 0.5
    max_backoff: float = 60.0
    health: dict[str, RunnerHealth] = field(default_factory=dict)

    async def run(
        self, runners: list[ProjectionRunner], wakers: list[Waker], stop: asyncio.Event
    ) -> None:
        """Supervise every runner until ``stop`` is set; a failure never cancels the others."""
        tasks = [
            asyncio.create_task(self._supervise(runner, waker, stop), name=runner.projection.name)
            for runner, waker in zip(runners, wakers, strict=True)
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _supervise(self, runner: ProjectionRunner, waker: Waker, stop: asyncio.Event) -> None:
        name = runner.projection.name
        health = self.health.setdefault(name, RunnerHealth(name))
        backoff = self.min_backoff
        while not stop.is_set():
            health.set(RUNNING)
            started = time.monotonic()
            try:
                await runner.run(stop, waker)
            except Exception as error:  # any failure: restart this one alone
                if isinstance(error, NewerTablesError):
                    logger.warning("%s", error)
                else:
                    logger.error("projection %s failed: %s", name, error, exc_info=error)
                health.restarts += 1
                health.set(RESTARTING, f"{type(error).__name__}: {error}")
                if time.monotonic() - started > self.max_backoff:
                    backoff = self.min_backoff  # it ran well for a while: start small again
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, self.max_backoff)
        health.set(STOPPED)

    def degraded(self) -> list[str]:
        """Names of the projections that are down in this process."""
        return sorted(h.name for h in self.health.values() if h.degraded)
