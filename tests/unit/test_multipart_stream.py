"""The streamed multipart reader: the same fields and file whatever the chunking, a file refused
on its first bytes or past the limit without reading on, and a broken body a 400."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.documents import DocumentTooLargeError, UnsupportedDocumentError
from web.common.errors import ProblemError
from web.common.multipart import read_form

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

BOUNDARY = b"----formdata-7d2a"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\r\n--not-the-boundary\r\n%%EOF\n"


def body(file: bytes, kind: str = "business_plan", *, kind_first: bool = False) -> bytes:
    kind_part = (b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="kind"\r\n\r\n'
                 + kind.encode() + b"\r\n")  # fmt: skip
    file_part = (b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; '
                 b'filename="plan.pdf"\r\nContent-Type: application/pdf\r\n\r\n' + file + b"\r\n")  # fmt: skip
    parts = kind_part + file_part if kind_first else file_part + kind_part
    return b"preamble\r\n" + parts + b"--" + BOUNDARY + b"--\r\n"


class Chunks:
    """``data`` in pieces of the given sizes (cycled), counting the pieces read."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.read = data, sizes, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        at = 0
        while at < len(self.data):
            size = self.sizes[self.read % len(self.sizes)]
            self.read += 1
            yield self.data[at : at + size]
            at += size
        yield b""  # Litestar's stream ends with an empty chunk


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=5),
       kind_first=st.booleans())  # fmt: skip
async def test_any_chunking_gives_the_same_form(sizes: list[int], kind_first: bool) -> None:
    form = await read_form(Chunks(body(PDF, kind_first=kind_first), sizes), BOUNDARY,
                           file_field="file", limit=len(PDF))  # fmt: skip
    assert form.fields == {"kind": "business_plan"}
    assert form.file is not None
    assert form.file.content == PDF
    assert form.file.sha256 == hashlib.sha256(PDF).hexdigest()
    assert form.file.media_type == "application/pdf"


async def test_an_executable_is_refused_on_its_first_chunk() -> None:
    chunks = Chunks(body(b"MZ\x90\x00" + bytes(1_000_000)), [4096])
    with pytest.raises(UnsupportedDocumentError):
        await read_form(chunks, BOUNDARY, file_field="file", limit=2_000_000)
    assert chunks.read <= 2


async def test_a_file_past_the_limit_stops_the_read() -> None:
    chunks = Chunks(body(PDF * 100), [4096])  # about 1 MB against a 16 KB limit
    with pytest.raises(DocumentTooLargeError):
        await read_form(chunks, BOUNDARY, file_field="file", limit=16_384)
    assert chunks.read <= 6


@pytest.mark.parametrize(
    "broken",
    [
        body(PDF)[:-40],
        b"no boundary here at all",
        b"--" + BOUNDARY + b"\r\nX-Endless: " + b"x" * 40_000,
    ],
)
async def test_a_broken_body_is_a_400(broken: bytes) -> None:
    with pytest.raises(ProblemError) as refused:
        await read_form(Chunks(broken, [512]), BOUNDARY, file_field="file", limit=len(PDF))
    assert (refused.value.status, refused.value.code) == (400, "malformed_body")
