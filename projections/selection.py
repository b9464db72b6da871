"""What-if selection: which open files each named policy would fund from what remains.

Advisory arithmetic only: nothing here records or reserves anything. Every policy returns a
selection whose requested amounts never exceed ``remaining_centimes``.

The policies, over the files that can be funded now (quorum reached, mean at or above the
threshold), amounts being each file's requested amount:

- ``raw_mean``: rank by raw mean; fund down the ranking and stop at the first file that does not
  fit (the fundable line).
- ``normalised``: the same, ranked by the reviewer-normalised score.
- ``greedy``: rank by raw mean; fund every file that still fits, skipping those that do not.
- ``optimal``: the 0/1 knapsack that maximises the sum of ``score x amount`` within what remains
  (solved exactly by OR-Tools' branch-and-bound knapsack solver, on integers).
- ``province_balanced``: take each province's best remaining file in turn (provinces in
  alphabetical order of their key), skipping files that do not fit.

``weighted_total`` (sum of score x amount, in hundredths x centimes) is the optimal policy's
objective: as greedy's selection is a feasible knapsack, optimal's total is never below it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from service.errors import Unavailable

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from uuid import UUID

RAW_MEAN: Final = "raw_mean"
NORMALISED: Final = "normalised"
GREEDY: Final = "greedy"
OPTIMAL: Final = "optimal"
PROVINCE_BALANCED: Final = "province_balanced"
POLICIES: Final = (RAW_MEAN, NORMALISED, GREEDY, OPTIMAL, PROVINCE_BALANCED)


@dataclass(frozen=True, kw_only=True)
class OpenFile:
    """A file that can be funded now: its scores (hundredths) and the amount it asks for."""

    application_id: UUID
    title: str
    province: str
    requested_centimes: int
    raw_score: int
    normalised_score: int


@dataclass(frozen=True, kw_only=True)
class Selection:
    """What one policy would fund, in its order, and what would remain."""

    policy: str
    funded: tuple[OpenFile, ...]
    total_centimes: int
    remaining_centimes: int
    weighted_total: int


def _by_raw(f: OpenFile) -> tuple[int, int, str]:
    return (-f.raw_score, f.requested_centimes, str(f.application_id))


def _by_normalised(f: OpenFile) -> tuple[int, int, str]:
    return (-f.normalised_score, f.requested_centimes, str(f.application_id))


def _until_full(ranked: Sequence[OpenFile], remaining: int) -> list[OpenFile]:
    chosen, total = [], 0
    for f in ranked:
        if total + f.requested_centimes > remaining:
            break
        chosen.append(f)
        total += f.requested_centimes
    return chosen


def _every_fit(ranked: Sequence[OpenFile], remaining: int) -> list[OpenFile]:
    chosen, total = [], 0
    for f in ranked:
        if total + f.requested_centimes <= remaining:
            chosen.append(f)
            total += f.requested_centimes
    return chosen


def _knapsack(files: Sequence[OpenFile], remaining: int) -> list[OpenFile]:
    candidates = [f for f in files if 0 < f.requested_centimes <= remaining]
    if not candidates:
        return []
    # Imported when first used: `python3 dev.py serve` installs OR-Tools while the server starts
    # (for a few seconds: a 503 with Retry-After, as when the database is busy, not a 500).
    try:
        from ortools.algorithms.python import knapsack_solver
    except ImportError as error:
        raise Unavailable(f"OR-Tools is not installed yet ({error})", retry_after=10) from None

    solver = knapsack_solver.KnapsackSolver(
        knapsack_solver.SolverType.KNAPSACK_MULTIDIMENSION_BRANCH_AND_BOUND_SOLVER, "what-if"
    )
    values = [f.raw_score * f.requested_centimes for f in candidates]
    solver.init(values, [[f.requested_centimes for f in candidates]], [remaining])
    solver.solve()
    chosen = [f for i, f in enumerate(candidates) if solver.best_solution_contains(i)]
    return sorted(chosen, key=_by_raw)


def _province_balanced(files: Sequence[OpenFile], remaining: int) -> list[OpenFile]:
    queues: dict[str, list[OpenFile]] = defaultdict(list)
    for f in sorted(files, key=_by_raw):
        queues[f.province].append(f)
    chosen, total = [], 0
    while any(queues.values()):
        for province in sorted(queues):
            fitting = [f for f in queues[province] if total + f.requested_centimes <= remaining]
            if not fitting:
                queues[province] = []
                continue
            best = fitting[0]
            queues[province].remove(best)
            chosen.append(best)
            total += best.requested_centimes
    return chosen


_RULES: Final[dict[str, Callable[[Sequence[OpenFile], int], list[OpenFile]]]] = {
    RAW_MEAN: lambda files, left: _until_full(sorted(files, key=_by_raw), left),
    NORMALISED: lambda files, left: _until_full(sorted(files, key=_by_normalised), left),
    GREEDY: lambda files, left: _every_fit(sorted(files, key=_by_raw), left),
    OPTIMAL: _knapsack,
    PROVINCE_BALANCED: _province_balanced,
}


def select(policy: str, files: Sequence[OpenFile], remaining_centimes: int) -> Selection:
    """What ``policy`` would fund from ``files`` with ``remaining_centimes`` left."""
    chosen = _RULES[policy](files, max(remaining_centimes, 0))
    total = sum(f.requested_centimes for f in chosen)
    return Selection(
        policy=policy,
        funded=tuple(chosen),
        total_centimes=total,
        remaining_centimes=remaining_centimes - total,
        weighted_total=sum(f.raw_score * f.requested_centimes for f in chosen),
    )


def compare(
    files: Sequence[OpenFile], remaining_centimes: int, policies: Sequence[str] = POLICIES
) -> list[Selection]:
    """Each named policy's selection, side by side, in the order asked."""
    return [select(p, files, remaining_centimes) for p in policies]
