"""Receiving a file as it streams: recognised on its first bytes, refused past the limit without
reading further, hashed as it arrives, and held once in memory (tracemalloc)."""

from __future__ import annotations

import hashlib
import tracemalloc
from typing import TYPE_CHECKING

import pytest

from domain.documents import DocumentTooLargeError, UnsupportedDocumentError
from service.uploads import receive

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

CHUNK = 65_536
PDF_HEAD = b"%PDF-1.7\n"


class Body:
    """A request body in chunks, counting how many were read."""

    def __init__(self, head: bytes, total: int) -> None:
        self.head, self.total, self.read = head, total, 0

    async def chunks(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.total:
            chunk = (self.head if sent == 0 else b"") + bytes(
                CHUNK - (len(self.head) if sent == 0 else 0)
            )
            self.read += 1
            sent += len(chunk)
            yield chunk


async def test_a_file_is_hashed_and_recognised_as_it_streams() -> None:
    body = Body(PDF_HEAD, 4 * CHUNK)
    received = await receive(body.chunks(), limit=10 * CHUNK)
    assert received.media_type == "application/pdf"
    assert received.size == 4 * CHUNK
    assert received.sha256 == hashlib.sha256(received.content).hexdigest()


async def test_anything_else_is_refused_on_its_first_chunk() -> None:
    body = Body(b"MZ\x90\x00\x03\x00\x00\x00\x04", 160 * CHUNK)
    with pytest.raises(UnsupportedDocumentError):
        await receive(body.chunks(), limit=200 * CHUNK)
    assert body.read == 1


async def test_a_file_past_the_limit_is_refused_without_reading_the_rest() -> None:
    body = Body(PDF_HEAD, 160 * CHUNK)  # 10 MiB sent against a 1 MiB limit
    with pytest.raises(DocumentTooLargeError):
        await receive(body.chunks(), limit=16 * CHUNK)
    assert body.read == 17


async def test_memory_holds_the_file_once_not_the_request_twice() -> None:
    size = 64 * CHUNK  # 4 MiB
    tracemalloc.start()
    try:
        received = await receive(Body(PDF_HEAD, size).chunks(), limit=2 * size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received.size == size
    # The growing buffer and the final bytes: about twice the file at the very end, never the
    # many copies a buffered multipart body makes (body, parsed part, spooled file, read()).
    assert peak < 2.3 * size, peak
    tracemalloc.start()
    try:
        with pytest.raises(DocumentTooLargeError):
            await receive(Body(PDF_HEAD, 16 * size).chunks(), limit=size)
        _, refused_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused_peak < 1.3 * size, refused_peak  # 64 MiB sent, never more than the limit held
