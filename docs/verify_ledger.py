"""Verify the grants ledger offline: signed checkpoints, inclusion and consistency proofs.

Standard library plus one Ed25519 package (``cryptography``). Files come from the platform:
  KEY   = /ledger/key                               (the verifier key; compare it with a copy
                                                     you trust, e.g. the one a witness recorded)
  NOTE  = /ledger/checkpoint                        (a signed checkpoint; keep old ones!)
  PROOF = /api/v1/ledger/proof/inclusion?index=I&size=N   or   .../consistency?from=M&to=N

  python3 verify_ledger.py checkpoint KEY NOTE
  python3 verify_ledger.py inclusion KEY NOTE PROOF [ENTRY]     ENTRY: the entry's exact bytes
  python3 verify_ledger.py consistency KEY OLD_NOTE NEW_NOTE PROOF
  python3 verify_ledger.py ledger.json                          (the old hash chain export)

Hashing is RFC 9162: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right).
Exit status 0 and one "OK" line, or non-zero and one line saying what does not hold.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path


def fail(why):
    raise SystemExit(f"FAILED: {why}")


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def open_checkpoint(vkey, note):
    """C2SP signed note + tlog-checkpoint: (origin, size, root) once the signature verifies."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    name, key_id, key = vkey.strip().split("+", 2)
    key = base64.b64decode(key)
    if (
        key[:1] != b"\x01"
        or hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() != key_id
    ):
        fail("the verifier key is malformed")
    cut = note.rfind("\n\n")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    for line in lines:
        signer, _, signature = line.removeprefix("\u2014 ").partition(" ")
        signature = base64.b64decode(signature)
        if signer == name and signature[:4].hex() == key_id:
            try:
                Ed25519PublicKey.from_public_bytes(key[1:]).verify(signature[4:], text.encode())
            except Exception:
                fail("bad signature on the checkpoint")
            origin, size, root = text.splitlines()[:3]
            return origin, int(size), base64.b64decode(root)
    return fail(f"the checkpoint is not signed by {name}")


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old, new, proof, old_root, new_root):
    """RFC 9162 section 2.1.4.2."""
    if old == 0:
        return True  # everything extends the empty tree
    if old == new:
        return not proof and old_root == new_root
    if not 0 < old < new or not proof:
        return False
    path = ([old_root] if old & (old - 1) == 0 else []) + list(proof)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def read(path):
    return Path(path).read_text(encoding="utf-8")


def hashes(proof):
    return [base64.b64decode(h) for h in proof["proof"]]


def chain(path):
    """The old export (/open-data/ledger.json): recompute the hash chain."""
    document = json.loads(read(path))
    prev = "0" * 64
    for entry in document["entries"]:
        content = {k: v for k, v in entry.items() if k not in ("prev_hash", "entry_hash")}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(bytes.fromhex(prev) + canonical.encode()).hexdigest()
        if entry["prev_hash"] != prev or entry["entry_hash"] != digest:
            fail(f"entry {entry['seq']} does NOT match its hash: the ledger was altered")
        prev = digest
    if prev != document["head"]["entry_hash"]:
        fail("the last entry is not the head the document names: entries are missing")
    print(f"OK: {len(document['entries'])} entries chain up to head {prev}")


def main(args):
    if len(args) == 1 and args[0].endswith(".json"):
        return chain(args[0])
    command, vkey, rest = args[0], read(args[1]), args[2:]
    if command == "checkpoint" and len(rest) == 1:
        origin, size, root = open_checkpoint(vkey, read(rest[0]))
        print(f"OK: {origin} signed size {size} root {base64.b64encode(root).decode()}")
    elif command == "inclusion" and len(rest) in (2, 3):
        origin, size, root = open_checkpoint(vkey, read(rest[0]))
        proof = json.loads(read(rest[1]))
        leaf = base64.b64decode(proof["leaf_hash"])
        if len(rest) == 3:
            leaf = hashlib.sha256(b"\x00" + Path(rest[2]).read_bytes()).digest()
        if proof["size"] != size or not verify_inclusion(
            leaf, proof["index"], size, hashes(proof), root
        ):
            fail(f"entry {proof['index']} is NOT in the signed tree of size {size}")
        print(f"OK: entry {proof['index']} is in the tree of size {size} signed by {origin}")
    elif command == "consistency" and len(rest) == 3:
        _, old, old_root = open_checkpoint(vkey, read(rest[0]))
        origin, new, new_root = open_checkpoint(vkey, read(rest[1]))
        proof = json.loads(read(rest[2]))
        if new < old:
            fail(f"the log shrank from {old} to {new} entries")
        if (proof["from"], proof["to"]) != (old, new) or not verify_consistency(
            old, new, hashes(proof), old_root, new_root
        ):
            fail(f"size {new} does NOT extend size {old}: the log forked")
        print(f"OK: size {new} extends size {old}, both signed by {origin}")
    else:
        sys.exit(__doc__)
    return None


if __name__ == "__main__":
    main(sys.argv[1:] or ["--help"])
