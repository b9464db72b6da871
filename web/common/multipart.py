"""A ``multipart/form-data`` body read as it streams, so that an upload is never buffered whole.

Litestar's own form parsing reads the whole body first, then copies the file into a spooled
file, which the handler reads again. Here the parts come one at a time from ``request.stream()``
(each chunk at most what the server hands over), and a file part's bytes go straight to
:func:`service.uploads.receive`, which recognises, hashes and limits them as they arrive: a
refusal stops the read there. Text fields are small and capped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from service.uploads import Received, receive
from web.common.errors import ProblemError

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator

    from litestar import Request

#: A part's headers, and a text field's value, are short; anything longer is not a form of ours.
HEADERS_MAX = 16 * 1024
TEXT_MAX = 16 * 1024
_NAME = re.compile(r'\bname="([^"]*)"', re.IGNORECASE)
_FILENAME = re.compile(r'\bfilename="([^"]*)"', re.IGNORECASE)


class MalformedFormError(ProblemError):
    """Raised when the body is not the ``multipart/form-data`` it says it is."""

    def __init__(self, why: str) -> None:
        super().__init__(400, "malformed_body", f"not a valid multipart/form-data body: {why}")


@dataclass
class StreamedForm:
    """The text fields, and the one file field read to its end (None: no file was sent)."""

    fields: dict[str, str] = field(default_factory=dict)
    file: Received | None = None


class _Parts:
    """The parts of one body; each part's bytes must be read before the next part starts."""

    def __init__(self, stream: AsyncIterable[bytes], boundary: bytes) -> None:
        self._chunks = stream.__aiter__()
        # A leading CRLF lets the first boundary be found like every other delimiter.
        self._buf = bytearray(b"\r\n")
        self._delimiter = b"\r\n--" + boundary

    async def _more(self) -> None:
        async for chunk in self._chunks:
            if chunk:
                self._buf += chunk
                return
        raise MalformedFormError("the body ended inside the form")

    async def headers(self) -> str | None:
        """Skip to the next part and return its headers; None after the closing boundary."""
        while len(self._buf) < 2:
            await self._more()
        if self._buf[:2] == b"--":
            return None
        if self._buf[:2] != b"\r\n":
            raise MalformedFormError("a boundary is not followed by a line break")
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            if len(self._buf) > HEADERS_MAX:
                raise MalformedFormError("a part's headers are too long")
            await self._more()
        text = bytes(self._buf[2:end]).decode("utf-8", "replace")
        del self._buf[: end + 4]
        return text

    async def body(self) -> AsyncIterator[bytes]:
        """The current part's bytes, chunk by chunk, up to the next delimiter."""
        keep = len(self._delimiter) - 1  # a delimiter may straddle two chunks
        while (at := self._buf.find(self._delimiter)) < 0:
            if len(self._buf) > keep:
                ready = bytes(self._buf[: len(self._buf) - keep])
                del self._buf[: len(ready)]
                yield ready
            await self._more()
        if at:
            yield bytes(self._buf[:at])
        del self._buf[: at + len(self._delimiter)]

    async def start(self) -> None:
        """Skip the preamble up to the first boundary."""
        async for _ in self.body():
            pass


def boundary_of(request: Request[Any, Any, Any]) -> bytes:
    """The body's boundary; 415 for a body that is not ``multipart/form-data``."""
    media_type, options = request.content_type
    boundary = options.get("boundary", "")
    if media_type != "multipart/form-data":
        raise ProblemError(415, "unsupported_media_type", "send multipart/form-data")
    if not boundary or len(boundary) > 70:  # RFC 2046 §5.1.1
        raise MalformedFormError("no usable boundary")
    return boundary.encode("latin-1")


async def read_form(
    stream: AsyncIterable[bytes], boundary: bytes, *, file_field: str, limit: int
) -> StreamedForm:
    """Text fields and the ``file_field`` file of a streamed body; the file is refused (415 or
    413, see :func:`service.uploads.receive`) as soon as its bytes show it, unread beyond."""
    parts, form = _Parts(stream, boundary), StreamedForm()
    await parts.start()
    while (headers := await parts.headers()) is not None:
        name = _NAME.search(headers)
        if name is None:
            raise MalformedFormError("a part has no name")
        if name[1] == file_field and _FILENAME.search(headers) and form.file is None:
            form.file = await receive(parts.body(), limit=limit)
            continue
        value = bytearray()
        async for chunk in parts.body():
            value += chunk
            if len(value) > TEXT_MAX:
                raise MalformedFormError(f"the field {name[1]!r} is too long")
        form.fields.setdefault(name[1], value.decode("utf-8", "replace"))
    return form
