"""Transparency-log proofs at 100,000 entries: our tree against the RFC's recursion.

    python -m bench.ledger [--entries 100000] [--samples 2000] [--baseline-samples 20] [--rounds 3]

Builds the tree of ``--entries`` leaves as the server keeps it (``domain.merkle.Tree``: every
complete subtree's hash kept), then times ``--samples`` inclusion proofs (random index and size)
and consistency proofs (random pair of sizes), each also verified, and prints p50/p99 in ms.
Baseline, side by side in the same process: the same proofs computed by the RFC 9162 recursion
over the leaf list (``PATH``/``SUBPROOF`` with ``MTH`` recomputed, O(n) per proof), on
``--baseline-samples`` requests. Medians of the rounds' percentiles; ratio = baseline / ours.

Measures the proof computation and its verification in process, not HTTP (the endpoint adds
one query for new leaves and the JSON encoding; see bench/RESULTS.md). Target: p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from domain.merkle import Tree, leaf_hash, root_of, split, verify_consistency, verify_inclusion


def spec_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH, the recursion as written (the baseline)."""
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return [*spec_path(m, leaves[:k]), root_of(leaves[k:])]
    return [*spec_path(m - k, leaves[k:]), root_of(leaves[:k])]


def spec_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """RFC 9162 2.1.4.1 SUBPROOF, the recursion as written (the baseline)."""
    if m == len(leaves):
        return [] if complete else [root_of(leaves)]
    k = split(len(leaves))
    if m <= k:
        return [*spec_subproof(m, leaves[:k], complete), root_of(leaves[k:])]
    return [*spec_subproof(m - k, leaves[k:], False), root_of(leaves[:k])]


def percentiles(timings: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def timed(samples: list[tuple[int, int]], work: Callable[[int, int], object]) -> list[float]:
    out = []
    for a, b in samples:
        start = time.perf_counter()
        work(a, b)
        out.append(time.perf_counter() - start)
    return out


def run(
    entries: int, samples: int, baseline_samples: int, rounds: int, seed: int = 15
) -> dict[str, float]:
    """Measure; return the medians (ms) and the ratios."""
    rng = random.Random(seed)
    leaves = [leaf_hash(i.to_bytes(8, "big")) for i in range(entries)]
    tree = Tree(leaves)
    results: dict[str, list[float]] = {}

    def inclusion(index: int, size: int) -> None:
        verify_inclusion(
            leaves[index], index, size, tree.inclusion_proof(index, size), tree.root(size)
        )

    def consistency(old: int, new: int) -> None:
        proof = tree.consistency_proof(old, new)
        verify_consistency(old, new, proof, tree.root(old), tree.root(new))

    def pairs(n: int) -> list[tuple[int, int]]:
        out = []
        for _ in range(n):
            size = rng.randint(2, entries)
            out.append((rng.randrange(1, size), size))
        return out

    for _ in range(rounds):
        for name, work, base in (
            ("inclusion", inclusion, lambda i, n: spec_path(i, leaves[:n])),
            ("consistency", consistency, lambda m, n: spec_subproof(m, leaves[:n], True)),
        ):
            ours = percentiles(timed(pairs(samples), work))
            theirs = percentiles(timed(pairs(baseline_samples), base))
            for key, value in ((f"{name}_p50", ours[0]), (f"{name}_p99", ours[1]),
                               (f"{name}_baseline_p50", theirs[0]), (f"{name}_baseline_p99", theirs[1])):  # fmt: skip
                results.setdefault(key, []).append(value)
    medians = {k: statistics.median(v) for k, v in results.items()}
    for name in ("inclusion", "consistency"):
        medians[f"{name}_ratio_p50"] = medians[f"{name}_baseline_p50"] / medians[f"{name}_p50"]
    return medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--baseline-samples", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    m = run(args.entries, args.samples, args.baseline_samples, args.rounds)
    print(f"{args.entries:,} entries, {args.rounds} rounds, medians (ms)")
    print(
        "| proof | ours p50 | ours p99 | RFC recursion p50 | RFC recursion p99 | ratio (p50) | target p99 < 20 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name in ("inclusion", "consistency"):
        met = "met" if m[f"{name}_p99"] < 20 else "MISSED"
        print(f"| {name} | {m[f'{name}_p50']:.3f} | {m[f'{name}_p99']:.3f} | "
              f"{m[f'{name}_baseline_p50']:.1f} | {m[f'{name}_baseline_p99']:.1f} | "
              f"{m[f'{name}_ratio_p50']:.0f}x | {met} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
