"""Receiving a file as it streams in: bounded memory, refused as early as the bytes allow.

The body is read chunk by chunk; the content is recognised (PDF/PNG/JPEG) from its first bytes,
so anything else is refused before the rest is read; the SHA-256 is computed as chunks arrive;
and the read stops with ``DocumentTooLargeError`` the moment the file passes the limit. What is
kept is one copy of the file (at most the limit) for sealing, never the whole request twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain import documents as rules

if TYPE_CHECKING:
    from collections.abc import AsyncIterable


@dataclass(frozen=True, kw_only=True)
class Received:
    """A file read to its end: its bytes, what it is by content, and its SHA-256."""

    content: bytes
    media_type: str
    sha256: str

    @property
    def size(self) -> int:
        """Its length in bytes."""
        return len(self.content)


async def receive(chunks: AsyncIterable[bytes], *, limit: int) -> Received:
    """Read ``chunks`` to the end; refuse (without reading further) a file that is not a PDF,
    PNG or JPEG by its first bytes, or one longer than ``limit`` bytes."""
    kept, digest = bytearray(), hashlib.sha256()
    media_type: str | None = None
    async for chunk in chunks:
        if len(kept) + len(chunk) > limit:
            raise rules.DocumentTooLargeError(len(kept) + len(chunk), limit)
        kept += chunk
        digest.update(chunk)
        if media_type is None and len(kept) >= rules.MAGIC_BYTES:
            media_type = rules.recognise(bytes(kept[: rules.MAGIC_BYTES]))
    if media_type is None:  # shorter than the longest signature: judge what there is
        media_type = rules.recognise(bytes(kept))
    return Received(content=bytes(kept), media_type=media_type, sha256=digest.hexdigest())
