"""Signed checkpoints of the ledger's Merkle tree: C2SP ``tlog-checkpoint`` inside a C2SP
``signed-note``, signed with Ed25519.

A checkpoint's note text is three lines, each ending in a newline: the origin (the log's name,
a schema-less URL naming the programme), the tree size in decimal and the root hash in base64.
The signed note appends a blank line and one signature line per key:
``— <key name> base64(key ID || Ed25519 signature of the note text)``, where the key ID is
``SHA-256(key name || 0x0A || 0x01 || public key)[:4]``. The verifier key is published as
``<key name>+<hex key ID>+base64(0x01 || public key)``; the signing key is kept in the form Go's
``note`` package uses, ``PRIVATE+KEY+<key name>+<hex key ID>+base64(0x01 || seed)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

if TYPE_CHECKING:
    from service.settings import Settings

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "
MAX_SIGNATURES = 16


class NoteError(ValueError):
    """Raised when a note, a key or a checkpoint is malformed or its signature does not verify."""


def key_id(name: str, public: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"a key name has no spaces and no '+': {name!r}")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not base64") from None


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier: a key name and a public key."""

    name: str
    public: bytes

    @property
    def id(self) -> bytes:
        """The 4-byte key ID."""
        return key_id(self.name, self.public)

    @property
    def vkey(self) -> str:
        """The verifier key in signed-note form."""
        raw = base64.b64encode(ED25519 + self.public).decode()
        return f"{self.name}+{self.id.hex()}+{raw}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex id>+base64(0x01 || key)``; the ID must match the key."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is <name>+<hex key ID>+<base64 key>")
        name, hex_id, raw = parts
        _check_name(name)
        material = _b64decode(raw, "the verifier key")
        if len(material) != 33 or material[:1] != ED25519:
            raise NoteError("the verifier key is not an Ed25519 key")
        verifier = cls(name, material[1:])
        if verifier.id.hex() != hex_id.lower():
            raise NoteError("the verifier key's ID does not match its name and key")
        return verifier

    def open(self, note: str) -> str:
        """The note's text, once a signature by this key verifies; :class:`NoteError` otherwise."""
        text, signatures = split_note(note)
        public = Ed25519PublicKey.from_public_bytes(self.public)
        for name, signature in signatures:
            if name != self.name or signature[:4] != self.id:
                continue  # another key's signature: ignored, as the spec requires
            try:
                public.verify(signature[4:], text.encode())
            except InvalidSignature:
                raise NoteError(f"bad signature by {self.name}") from None
            return text
        raise NoteError(f"the note carries no signature by {self.name}")


@dataclass(frozen=True)
class Signer:
    """An Ed25519 note signer."""

    name: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A fresh random key."""
        _check_name(name)
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed)``."""
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signing key is PRIVATE+KEY+<name>+<hex key ID>+<base64 key>")
        name, hex_id, raw = parts[2:]
        _check_name(name)
        material = _b64decode(raw, "the signing key")
        if len(material) != 33 or material[:1] != ED25519:
            raise NoteError("the signing key is not an Ed25519 key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(material[1:]))
        if signer.verifier.id.hex() != hex_id.lower():
            raise NoteError("the signing key's ID does not match its name and key")
        return signer

    @property
    def skey(self) -> str:
        """The signing key in the text form :meth:`from_skey` reads."""
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        seed = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        raw = base64.b64encode(ED25519 + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id.hex()}+{raw}"

    @property
    def verifier(self) -> Verifier:
        """The matching verifier."""
        public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Verifier(self.name, public)

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which must end in a newline)."""
        if not text.endswith("\n") or "\n\n" in text:
            raise NoteError("a note's text ends in a newline and has no blank line here")
        signature = self.private.sign(text.encode())
        line = base64.b64encode(self.verifier.id + signature).decode()
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {line}\n"


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A note's text and its (key name, key ID || signature) pairs; checks the format only."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a note holds no control characters but newlines")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("a signed note is text, a blank line and signature lines")
    text, lines = note[: cut + 1], note[cut + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX) or line.count(" ") != 2:
            raise NoteError("a signature line is '— <key name> <base64 signature>'")
        name, raw = line[len(SIGNATURE_PREFIX) :].split(" ")
        signature = _b64decode(raw, "a signature")
        if len(signature) < 5:
            raise NoteError("a signature is too short")
        signatures.append((name, signature))
    return text, signatures


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint: the log's origin, its size and its root hash."""

    origin: str
    size: int
    root: bytes

    @property
    def text(self) -> str:
        """The note text: origin, size and base64 root, one per line."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint's note text (extension lines after the third are allowed)."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise NoteError("a checkpoint is an origin, a size and a root hash, one per line")
        size = lines[1]
        if not size.isascii() or not size.isdigit() or (size.startswith("0") and size != "0"):
            raise NoteError(f"a checkpoint's size is a decimal number: {size!r}")
        root = _b64decode(lines[2], "the root hash")
        if len(root) != 32:
            raise NoteError("the root hash is 32 bytes")
        return cls(lines[0], int(size), root)


def open_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint and read it; the origin must be the expected one if given."""
    checkpoint = Checkpoint.parse(verifier.open(note))
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"the checkpoint names the log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


def ledger_signer(settings: Settings) -> Signer:
    """The signer of the ledger's checkpoints, from the settings (a development key if unset)."""
    from service.settings import SettingsError, with_ledger_key

    key = settings.ledger_signing_key or with_ledger_key(settings, "").ledger_signing_key
    try:
        signer = Signer.from_skey(key)
    except NoteError as error:
        raise SettingsError(f"GRANTS_LEDGER_SIGNING_KEY is not usable: {error}") from None
    if signer.name != settings.ledger_origin:
        raise SettingsError(
            f"GRANTS_LEDGER_SIGNING_KEY is named {signer.name!r}; it must be named after the log, "
            f"{settings.ledger_origin!r}"
        )
    return signer
