"""Helpers for the Server-Sent Events streams fed by the process's live broadcasts."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

T = TypeVar("T")


async def for_at_most(values: AsyncIterator[T], seconds: float) -> AsyncIterator[T]:
    """The items of ``values`` until ``seconds`` have passed (then ``values`` is closed).

    A stream must end by itself: a server shutting down waits for open responses, and the
    browser's EventSource reconnects anyway.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    try:
        while (left := deadline - loop.time()) > 0:
            try:
                async with asyncio.timeout(left):
                    value = await anext(values)
            except (TimeoutError, StopAsyncIteration):
                return
            yield value
    finally:
        with contextlib.suppress(RuntimeError):  # already closed by the timeout's cancellation
            await values.aclose()  # type: ignore[attr-defined]
