"""Password policy and argon2id hashing, kept off the event loop."""

from __future__ import annotations

import asyncio
import os
import string
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128
# Words a guesser tries first against this programme's accounts: its name and the region's
# provinces (context-specific words, NIST SP 800-63B 3.1.1.2).
PROGRAMME_WORDS = (
    "draa", "tafilalet", "tafilalt", "errachidia", "ouarzazate", "midelt", "tinghir", "zagora",
)  # fmt: skip


@dataclass(frozen=True)
class PasswordProblem:
    """Why a new password is refused: ``too_short``, ``too_long`` or ``too_common``."""

    code: str


def check_policy(password: str) -> PasswordProblem | None:
    """The reason ``password`` may not be chosen, or ``None`` when it is acceptable."""
    length = len(unicodedata.normalize("NFC", password))
    if length < MIN_LENGTH:
        return PasswordProblem("too_short")
    if length > MAX_LENGTH:
        return PasswordProblem("too_long")
    folded = _fold(password)
    # "Password2024!" is "password" with the usual decorations: compare the core too.
    core = folded.strip(string.digits + string.punctuation + string.whitespace)
    if {folded, core} & common_passwords() or names_the_programme(password):
        return PasswordProblem("too_common")
    return None


def names_the_programme(password: str) -> bool:
    """True when ``password`` contains the region's, the programme's or a province's name (a
    refusal worth telling apart from a merely common password, so the page can say why)."""
    folded = _fold(password)
    return any(word in folded for word in PROGRAMME_WORDS)


def _fold(text: str) -> str:
    """Lower case without accents, so 'Drâa' and 'DRAA' count as the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to accept (folded)."""
    text = resources.files("service").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        _fold(line.strip())
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


class Passwords:
    """argon2id hashing in worker threads, at most one per core at a time."""

    def __init__(
        self, hasher: PasswordHasher | None = None, concurrency: int | None = None
    ) -> None:
        # OWASP's minimum for argon2id: m=19 MiB, t=2, p=1.
        self.hasher = hasher or PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
        self._slots = asyncio.Semaphore(concurrency or os.cpu_count() or 1)
        # Verified against when the account does not exist, so timing does not reveal it.
        self._dummy = self.hasher.hash("not a real password")

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password``."""
        async with self._slots:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored`` (``None``: burn the same time, then False)."""
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with weaker parameters than the current ones."""
        return self.hasher.check_needs_rehash(stored)
