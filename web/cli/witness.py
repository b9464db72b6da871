"""``grants ledger witness URL --state FILE``: hold the operator to every checkpoint it signed.

A witness fetches the latest signed checkpoint, checks its signature with the verifier key it
trusts (given with ``--key``, or the one it saw on its first run, kept in the state file), asks
for a consistency proof from the last checkpoint it recorded, verifies it, and records the new
one. A shrink, a fork (same size, other root; or a proof that does not lead to both roots), a
bad signature or a changed key ends it with one line and a non-zero exit.

It also reads the server's own finding (``/healthz``, ``ledger``): when the event log no longer
reproduces an entry already published (someone edited, deleted or reordered an event and the
rebuild was refused, so the public log did not change), the witness fails naming that entry,
after recording the checkpoint it verified: the operator has something to explain.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.merkle import ProofError, verify_consistency
from service.checkpoints import Checkpoint, NoteError, Verifier, open_checkpoint

TIMEOUT_S = 30


class WitnessError(RuntimeError):
    """Raised when the log cannot be witnessed, or is caught rewriting itself."""


@dataclass(frozen=True)
class Seen:
    """What the witness recorded: the key it trusts and the last checkpoint it verified."""

    vkey: str
    checkpoint: Checkpoint | None
    note: str | None


def _get(base: str, path: str, query: dict[str, int] | None = None) -> bytes:
    url = base.rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise WitnessError(f"not an http(s) address: {base}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:  # noqa: S310 (scheme checked)
            return bytes(answer.read())
    except urllib.error.HTTPError as error:
        raise WitnessError(f"{url} answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise WitnessError(f"cannot reach {url}: {getattr(error, 'reason', error)}") from None


def load_state(path: Path) -> Seen | None:
    """The state file's content, or None before the first run."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        note = data.get("note")
        verifier = Verifier.from_vkey(data["vkey"])
        checkpoint = open_checkpoint(note, verifier) if note else None
    except (OSError, ValueError, KeyError, NoteError) as error:
        raise WitnessError(f"the state file {path} is unreadable: {error}") from None
    return Seen(data["vkey"], checkpoint, note)


def save_state(path: Path, seen: Seen) -> None:
    """Record what was verified (written beside, then renamed: never half a file)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"vkey": seen.vkey, "note": seen.note}, indent=1) + "\n")
    temporary.replace(path)


def witness(url: str, state: Path, vkey: str | None = None) -> str:
    """Verify the log at ``url`` against the state; record and describe the new checkpoint."""
    seen = load_state(state)
    trusted = vkey or (seen.vkey if seen else None)
    if trusted is None:
        trusted = _get(url, "/ledger/key").decode().strip()  # trust on first use
    if seen is not None and seen.vkey != trusted:
        raise WitnessError("the verifier key differs from the one this witness trusts")
    try:
        verifier = Verifier.from_vkey(trusted)
    except NoteError as error:
        raise WitnessError(f"bad verifier key: {error}") from None
    note = _get(url, "/ledger/checkpoint").decode()
    try:
        new = open_checkpoint(note, verifier, verifier.name)
    except NoteError as error:
        raise WitnessError(f"bad signature on the checkpoint: {error}") from None
    old = seen.checkpoint if seen else None
    if old is not None:
        _check_consistent(url, old, new)
    save_state(state, Seen(trusted, new, note))
    _check_reproduced(url)
    grown = f", consistent with size {old.size}" if old is not None else " (first seen)"
    return f"checkpoint size {new.size} root {base64.b64encode(new.root).decode()}{grown}"


def _check_reproduced(url: str) -> None:
    """Fail when the server reports that its event log no longer reproduces what it published."""
    health = _json(_get(url, "/healthz"))
    ledger = health.get("ledger") if isinstance(health, dict) else None
    if not isinstance(ledger, dict) or "consistent" not in ledger:
        raise WitnessError("the server's /healthz does not report the ledger's consistency")
    if ledger["consistent"] is not True:
        raise WitnessError(
            f"the server's event log no longer reproduces published entry "
            f"{ledger.get('diverging_entry')} ({ledger.get('problem')}); the published log is "
            "unchanged, but its operator has something to explain"
        )


def _check_consistent(url: str, old: Checkpoint, new: Checkpoint) -> None:
    if new.size < old.size:
        raise WitnessError(f"the log shrank from {old.size} to {new.size} entries")
    if new.size == old.size:
        if new.root != old.root:
            raise WitnessError(f"fork: two different roots signed for size {new.size}")
        return
    if old.size == 0:
        return  # every tree extends the empty one
    answer = _json(
        _get(url, "/api/v1/ledger/proof/consistency", {"from": old.size, "to": new.size})
    )
    try:
        proof = [base64.b64decode(h, validate=True) for h in answer["proof"]]
        verify_consistency(old.size, new.size, proof, old.root, new.root)
    except ProofError as error:
        raise WitnessError(
            f"fork: size {new.size} does not extend the size {old.size} seen before ({error})"
        ) from None
    except (KeyError, TypeError, ValueError) as error:
        raise WitnessError(f"the consistency proof is malformed: {error}") from None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise WitnessError("the server's answer is not JSON") from None
