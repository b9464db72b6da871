"""RFC 9162 / RFC 6962 Merkle tree: vectors, every size up to 64 and every pair, an independent
verifier (sigstore's RFC 6962 code) and the transparency-dev JSON vectors (tests/data/merkle)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sigstore._internal.merkle import verify_merkle_inclusion
from sigstore.errors import VerificationError

from domain.merkle import (
    EMPTY_ROOT,
    ProofError,
    Tree,
    leaf_hash,
    node_hash,
    root_of,
    split,
    verify_consistency,
    verify_inclusion,
)

DATA = Path(__file__).parents[2] / "data" / "merkle"
# The RFC 6962 test leaves (as used by Certificate Transparency's reference implementations).
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
          "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    EMPTY_ROOT.hex(),
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
MAX = 64


def test_empty_root_is_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_rfc6962_roots(size: int) -> None:
    tree = Tree(leaf_hash(x) for x in LEAVES)
    assert tree.root(size).hex() == ROOTS[size]
    assert root_of([leaf_hash(x) for x in LEAVES[:size]]).hex() == ROOTS[size]


def _spec_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH, written as the recursion in the text (a second implementation)."""
    n = len(leaves)
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return [*_spec_path(m, leaves[:k]), root_of(leaves[k:])]
    return [*_spec_path(m - k, leaves[k:]), root_of(leaves[:k])]


def _spec_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """RFC 9162 2.1.4.1 SUBPROOF, as written in the text."""
    n = len(leaves)
    if m == n:
        return [] if complete else [root_of(leaves)]
    k = split(n)
    if m <= k:
        return [*_spec_subproof(m, leaves[:k], complete), root_of(leaves[k:])]
    return [*_spec_subproof(m - k, leaves[k:], False), root_of(leaves[:k])]


@pytest.fixture(scope="module")
def big() -> tuple[Tree, list[bytes]]:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(MAX)]
    return Tree(hashes), hashes


def test_every_size_and_index_up_to_64(big: tuple[Tree, list[bytes]]) -> None:
    tree, hashes = big
    for size in range(1, MAX + 1):
        root = tree.root(size)
        assert root == root_of(hashes[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == _spec_path(index, hashes[:size])
            verify_inclusion(hashes[index], index, size, proof, root)
            if proof:
                bad = [proof[0][::-1], *proof[1:]]
                with pytest.raises(ProofError):
                    verify_inclusion(hashes[index], index, size, bad, root)
            with pytest.raises(ProofError):
                verify_inclusion(hashes[(index + 1) % MAX], index, size, proof, root)


def test_every_pair_of_sizes_up_to_64(big: tuple[Tree, list[bytes]]) -> None:
    tree, hashes = big
    for new in range(1, MAX + 1):
        for old in range(1, new + 1):
            proof = tree.consistency_proof(old, new)
            assert proof == (_spec_subproof(old, hashes[:new], True) if old < new else [])
            verify_consistency(old, new, proof, tree.root(old), tree.root(new))
            if old < new:
                forked = node_hash(tree.root(old), b"\x00" * 32)
                with pytest.raises(ProofError):
                    verify_consistency(old, new, proof, forked, tree.root(new))
                with pytest.raises(ProofError):
                    verify_consistency(old, new, proof[:-1], tree.root(old), tree.root(new))


def test_sigstore_verifier_agrees_on_every_proof_up_to_64() -> None:
    """An independent verifier (sigstore's Rekor inclusion code) accepts our proofs and rejects
    a tampered one; it hashes raw entries, so the tree is built over raw entries here."""
    entries = [f'{{"seq":{i}}}'.encode() for i in range(MAX)]
    tree = Tree(leaf_hash(e) for e in entries)
    for size in range(1, MAX + 1):
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            verify_merkle_inclusion(_rekor_entry(entries[index], index, size, proof, root))
            with pytest.raises(VerificationError):
                verify_merkle_inclusion(_rekor_entry(b"forged", index, size, proof, root))


def _rekor_entry(body: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> Any:
    inclusion = SimpleNamespace(log_index=index, tree_size=size, hashes=proof, root_hash=root)
    return SimpleNamespace(
        _inner=SimpleNamespace(inclusion_proof=inclusion, canonicalized_body=body)
    )


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _cases(kind: str) -> list[Path]:
    return sorted((DATA / kind).glob("*/*.json"))


@pytest.mark.parametrize("path", _cases("inclusion"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_transparency_dev_inclusion_vectors(path: Path) -> None:
    case = json.loads(path.read_text())
    proof = [_b64(p) for p in case["proof"] or []]
    args = (_b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _cases("consistency"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_transparency_dev_consistency_vectors(path: Path) -> None:
    case = json.loads(path.read_text())
    proof = [_b64(p) for p in case["proof"] or []]
    args = (case["size1"], case["size2"], proof, _b64(case["root1"]), _b64(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_the_vectors_happy_paths_are_proofs_we_produce() -> None:
    """The vectors' trees are the RFC 6962 leaves: our proofs for the same sizes are theirs."""
    tree = Tree(leaf_hash(x) for x in LEAVES)
    for path in _cases("inclusion"):
        case = json.loads(path.read_text())
        if path.stem == "happy-path":
            got = tree.inclusion_proof(case["leafIdx"], case["treeSize"])
            assert got == [_b64(p) for p in case["proof"] or []]
    for path in _cases("consistency"):
        case = json.loads(path.read_text())
        if path.stem == "happy-path":
            got = tree.consistency_proof(case["size1"], case["size2"])
            assert got == [_b64(p) for p in case["proof"] or []]


def test_sizes_beyond_the_log_are_refused() -> None:
    tree = Tree(leaf_hash(x) for x in LEAVES)
    with pytest.raises(ProofError):
        tree.inclusion_proof(0, 9)
    with pytest.raises(ProofError):
        tree.inclusion_proof(8, 8)
    with pytest.raises(ProofError):
        tree.consistency_proof(0, 4)
    with pytest.raises(ProofError):
        tree.consistency_proof(5, 4)
