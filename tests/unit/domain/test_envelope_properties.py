"""Property: whatever commands arrive, in any order, the envelope never overspends."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.applications import GrantApplication, Status
from domain.envelopes import SupportEnvelope
from domain.errors import DomainError
from tests.unit.domain.builders import CHAIR, GOOD, INVESTOR, OFFICER, R1, R2, facts, rubric
from tests.unit.domain.support import at, uid

TOTAL = 6_000_000_00
TWO_AGGREGATE_STEPS = frozenset({"fund", "disburse", "cancel", "complete"})
ACTIONS = ("assign", "score", "fund", "sign", "disburse", "cancel", "complete", "withdraw", "close")


def _fund(env: SupportEnvelope, app: GrantApplication, amount: int) -> None:
    # The service's rule: both aggregates decide before either appends.
    app.fund(CHAIR, amount, "", at(3), threshold_hundredths=6_000)
    env.reserve(app.id, amount, at(3))


def _disburse(env: SupportEnvelope, app: GrantApplication, amount: int) -> None:
    app.disburse(amount, OFFICER, at(5))
    env.disburse(app.id, amount, at(5))


def _release(env: SupportEnvelope, app: GrantApplication, command: Callable[[], None]) -> None:
    left = app.undisbursed_centimes
    command()
    if left:
        env.release(app.id, left, at(6))


def _run(env: SupportEnvelope, app: GrantApplication, action: str, amount: int) -> None:
    commands: dict[str, Callable[[], Any]] = {
        "assign": lambda: (
            app.assign_reviewer(R1, OFFICER, at(1)),
            app.assign_reviewer(R2, OFFICER, at(1)),
        ),
        "score": lambda: (
            app.score(R1, rubric(), GOOD, "", at(2)),
            app.score(R2, rubric(), GOOD, "", at(2)),
        ),
        "fund": lambda: _fund(env, app, amount),
        "sign": lambda: app.sign_agreement(OFFICER, at(4)),
        "disburse": lambda: _disburse(env, app, amount),
        "cancel": lambda: _release(env, app, lambda: app.cancel(OFFICER, "", at(6))),
        "complete": lambda: _release(env, app, lambda: app.complete(OFFICER, at(6))),
        "withdraw": lambda: app.withdraw(INVESTOR, at(2)),
        "close": lambda: env.close(at(7)),
    }
    commands[action]()


def _pending(env: SupportEnvelope, apps: list[GrantApplication]) -> int:
    return len(env.pending_events) + sum(len(a.pending_events) for a in apps)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from(ACTIONS),
            st.integers(1, 3_000_000_00),
        ),
        max_size=40,
    )
)
def test_reserved_plus_disbursed_never_exceeds_the_total(steps: list[tuple[int, str, int]]) -> None:
    env = SupportEnvelope.open(envelope_id=uid(1), name="DT", total_centimes=TOTAL, at=at())
    apps = [
        GrantApplication.submit(
            application_id=uid(100 + i), at=at(), **facts(total_investment_centimes=10_000_000_00)
        )
        for i in range(4)
    ]
    for index, action, amount in steps:
        app = apps[index]
        before = _pending(env, apps)
        saved = copy.deepcopy((env, app))
        try:
            _run(env, app, action, amount)
        except DomainError:
            if action in TWO_AGGREGATE_STEPS:
                # One aggregate may have decided before the other refused: the service then
                # discards both (load -> decide -> append, or nothing), and so do we.
                env, apps[index] = saved
            assert _pending(env, apps) == before
        assert env.reserved_centimes + env.disbursed_centimes <= TOTAL
        assert all(isinstance(a.status, Status) for a in apps)
        for a in apps:
            assert env.reserved_for(a.id) == a.undisbursed_centimes or a.status in (
                Status.CANCELLED,
                Status.COMPLETED,
            )
