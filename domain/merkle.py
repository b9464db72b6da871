"""RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, proofs and their verification.

Hashing, section 2.1.1: ``leaf = SHA-256(0x00 || entry)``, ``node = SHA-256(0x01 || left ||
right)``, and the empty tree's hash is ``SHA-256("")``. A tree of ``n`` leaves splits at ``k``,
the largest power of two below ``n``, into a complete left subtree ``[0, k)`` and the rest.

:class:`Tree` keeps every complete, aligned subtree's hash (level by level, like the "tiles" of a
static log), so a root, an inclusion proof (section 2.1.3.1) or a consistency proof (section
2.1.4.1) at any size costs O(log^2 n) hashes, never a pass over the leaves. The verifiers follow
sections 2.1.3.2 and 2.1.4.2 word for word. Pure: no I/O, standard library only.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32


class ProofError(ValueError):
    """Raised when a proof does not verify, or is asked for sizes that do not make sense."""


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one log entry: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """An append-only Merkle tree over leaf hashes, with every complete subtree's hash kept."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    def __len__(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash, completing the subtrees it closes."""
        level, node = 0, leaf
        self.levels[0].append(node)
        while len(self.levels[level]) % 2 == 0:
            pair = self.levels[level][-2:]
            node = node_hash(pair[0], pair[1])
            level += 1
            if level == len(self.levels):
                self.levels.append([])
            self.levels[level].append(node)

    def _hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end); ``start`` is aligned as the RFC's recursion leaves it."""
        n = end - start
        if n & (n - 1) == 0:  # a complete subtree: kept
            return self.levels[n.bit_length() - 1][start // n]
        k = split(n)
        return node_hash(self._hash(start, start + k), self._hash(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """The tree hash at ``size`` leaves (default: all of them)."""
        size = len(self) if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._hash(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size]): the audit path of leaf ``index`` in the tree of ``size``."""
        self._check_size(size)
        if not 0 <= index < size:
            raise ProofError(f"leaf index {index} is outside a tree of size {size}")
        path: list[bytes] = []
        start, end, m = 0, size, index
        while end - start > 1:
            k = split(end - start)
            if m < k:
                path.append(self._hash(start + k, end))
                end = start + k
            else:
                path.append(self._hash(start, start + k))
                start, m = start + k, m - k
        path.reverse()
        return path

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """PROOF(old, D[0:new]): how the tree of ``old`` leaves is a prefix of that of ``new``."""
        self._check_size(new)
        if not 0 < old <= new:
            raise ProofError(f"no consistency proof from size {old} to size {new}")
        path: list[bytes] = []
        start, end, m, complete = 0, new, old, True
        while m != end - start:
            k = split(end - start)
            if m <= k:
                path.append(self._hash(start + k, end))
                end = start + k
            else:
                path.append(self._hash(start, start + k))
                start, m, complete = start + k, m - k, False
        if not complete:
            path.append(self._hash(start, end))
        path.reverse()
        return path

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= len(self):
            raise ProofError(f"tree size {size} is beyond the log's {len(self)} entries")


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes, by the RFC's recursion (a reference, O(n))."""
    if not leaf_hashes:
        return EMPTY_ROOT
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = split(len(leaf_hashes))
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


def _check_lengths(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError(f"every hash is {HASH_SIZE} bytes")


def _shift_while_set(fn: int, sn: int) -> tuple[int, int]:
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 section 2.1.3.2; raises :class:`ProofError` unless ``leaf`` is in the tree."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_lengths(leaf, root, *proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("the inclusion proof does not lead to the root hash")


def verify_consistency(
    old: int, new: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """RFC 9162 section 2.1.4.2; raises :class:`ProofError` unless ``old`` is a prefix of ``new``."""
    if new < old:
        raise ProofError(f"the tree shrank from {old} to {new} entries")
    if old == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if old == new:
        if proof:
            raise ProofError("equal sizes take an empty proof")
        if old_root != new_root:
            raise ProofError("same size, different root hashes: a fork")
        return
    if not proof:
        raise ProofError("an empty consistency proof")
    _check_lengths(old_root, new_root, *proof)
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = _shift_while_set(old - 1, new - 1)
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is deep")
    if fr != old_root or sr != new_root:
        raise ProofError("the consistency proof does not lead to both root hashes: a fork")
