"""What the API's controllers share: pagination, Idempotency-Key, conversions, refusals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import msgspec
from litestar import MediaType, Request, Response
from litestar.params import HeaderParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from service import idempotency
from web.api.schemas import Page
from web.common.errors import ProblemError as ProblemError  # re-exported for the controllers

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import asyncpg

    from service.accounts import User

T = TypeVar("T")
IDEMPOTENCY_HEADER = "idempotency-key"
MAX_LIMIT = 500
#: The largest value of a PostgreSQL ``bigint``: an integer cursor beyond it is refused (422)
#: before it reaches a query, which would otherwise fail on it (a 500).
MAX_BIGINT = 2**63 - 1

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size (1..500)")]
After = Annotated[
    str | None,
    QueryParameter(max_length=100, description="The `next_after` of the previous page"),
]
Filter = Annotated[str | None, QueryParameter(max_length=40)]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        max_length=idempotency.MAX_KEY_LENGTH,
        description="Replaying a request with the same key returns the first response and "
        "creates nothing more; the same key with another body is refused (422).",
        required=False,
    ),
]


def not_found() -> ProblemError:
    """The one answer for what does not exist *or* is not the caller's to see."""
    return ProblemError(404, "not_found")


def convert(value: Any, to: type[T]) -> T:
    """A read-model row (dict or dataclass) as an outbound struct; extra columns are dropped."""
    return msgspec.convert(value, to, from_attributes=True)


def page(
    items: Sequence[Any], to: type[T], key: Callable[[Any], Any], limit: int, after: str | None
) -> Page[T]:
    """Items after the one whose ``key`` is ``after`` (in the list's order), at most ``limit``.

    A cursor rather than an offset: a file arriving meanwhile never shifts what the next page
    shows. An ``after`` no longer in the list is refused, so a client notices instead of looping.
    """
    start = 0
    if after is not None:
        keys = [str(key(item)) for item in items]
        if after not in keys:
            raise ProblemError(400, "invalid_cursor", "'after' is not in this list (any more)")
        start = keys.index(after) + 1
    chosen = items[start : start + limit]
    more = start + limit < len(items)
    return Page(
        items=[convert(i, to) for i in chosen],
        next_after=str(key(chosen[-1])) if more and chosen else None,
    )


def scoped_key(user: User, key: str | None) -> str | None:
    """The key as the use case records it: scoped to the user, so two users never collide."""
    return None if key is None else f"{user.id}:{key}"


async def created(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    user: User,
    key: str | None,
    create: Callable[[str | None], Awaitable[msgspec.Struct]],
) -> Response[Any]:
    """Run ``create`` once per (user, Idempotency-Key) and answer 201 with what it returned.

    A replay answers with the recorded status and body (and ``Idempotent-Replayed: true``).
    """
    if key is None:
        return _json(await create(None), HTTP_201_CREATED)
    if not key.isprintable() or not key.strip():
        raise ProblemError(400, "invalid_idempotency_key", "use printable characters")
    method, path = request.method.encode(), request.url.path.encode()
    print_ = idempotency.fingerprint(method, path, await request.body())
    recorded = await idempotency.claim(pool, user.id, key, print_)
    if recorded is not None:
        response = Response(recorded.body, status_code=recorded.status, media_type=MediaType.JSON)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        result = await create(scoped_key(user, key))
    except BaseException:
        await idempotency.release(pool, user.id, key)
        raise
    body = msgspec.json.encode(result)
    await idempotency.record(pool, user.id, key, HTTP_201_CREATED, body)
    return Response(body, status_code=HTTP_201_CREATED, media_type=MediaType.JSON)


def _json(result: msgspec.Struct, status: int) -> Response[Any]:
    return Response(msgspec.json.encode(result), status_code=status, media_type=MediaType.JSON)
