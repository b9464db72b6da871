"""Errors mapped to HTTP in one place: pages for HTML, RFC 9457 problem+json under ``/api/``."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import msgspec
from litestar import MediaType, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from service.errors import DATABASE_AWAY, Unavailable
from service.repository import AggregateNotFoundError
from service.store import ConcurrencyError
from web.auth import SecondFactorRequiredError
from web.i18n import N_

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ExceptionHandlersMap

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: N_("Bad request"),
    401: N_("Please log in"),
    403: N_("You are not allowed to do this"),
    404: N_("Page not found"),
    405: N_("Method not allowed"),
    409: N_("This changed in the meantime"),
    422: N_("Some information is not valid"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("The service is busy, please try again in a moment"),
}
# Rule and concurrency conflicts from the domain and service layers; colleagues add theirs here.
CONFLICTS: tuple[type[Exception], ...] = (ConcurrencyError,)
NOT_FOUND: tuple[type[Exception], ...] = (AggregateNotFoundError,)


def is_api(request: Request[Any, Any, Any]) -> bool:
    """True for the JSON API, which gets problem+json instead of pages."""
    return request.url.path.startswith("/api/")


def problem(
    request: Request[Any, Any, Any], status: int, detail: str | None = None, **extra: Any
) -> Response[bytes]:
    """An RFC 9457 problem document."""
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    return Response(msgspec.json.encode(body | extra), status_code=status, media_type=PROBLEM_JSON)


def error_page(request: Request[Any, Any, Any], status: int, **context: Any) -> Response[Any]:
    """The error as a page (or problem+json under ``/api/``)."""
    if is_api(request):
        return problem(request, status, **context)
    return Template(
        template_name="error.html",
        context={"status": status, "title": TITLES.get(status, TITLES[500]), **context},
        status_code=status,
        media_type=MediaType.HTML,
    )


def on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own HTTP errors; a validation error is reported as 422."""
    status = exc.status_code
    if isinstance(exc, ValidationException):
        status = HTTP_422_UNPROCESSABLE_ENTITY
    if isinstance(exc, NotAuthorizedException):
        return on_unauthorised(request, exc)
    return error_page(request, status)


def on_unauthorised(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A visitor on a signed-in page goes to the log-in page and comes back afterwards.

    A user who still owes the second factor goes to that step instead (the API says so)."""
    second_factor = isinstance(exc, SecondFactorRequiredError)
    if is_api(request):
        detail = "second factor required: complete it at /login/mfa" if second_factor else None
        return problem(request, HTTP_401_UNAUTHORIZED, detail)
    target = "/login/mfa" if second_factor else "/login"
    return Redirect(path=f"{target}?next={quote(request.url.path)}", status_code=303)


def on_conflict(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    """A rule or concurrency conflict: 409."""
    return error_page(request, HTTP_409_CONFLICT)


def on_not_found(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    """Something asked for does not exist: 404."""
    return error_page(request, HTTP_404_NOT_FOUND)


def on_forbidden(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    """A role or CSRF refusal: 403."""
    return error_page(request, HTTP_403_FORBIDDEN)


def on_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database is busy or unreachable: 503 with ``Retry-After``, so clients back off."""
    retry_after = exc.retry_after if isinstance(exc, Unavailable) else 1
    logger.warning("503 on %s %s: %s", request.method, request.url.path, exc)
    response = error_page(request, HTTP_503_SERVICE_UNAVAILABLE)
    response.headers["Retry-After"] = str(retry_after)
    return response


def on_server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: log it with an id the user can quote, show nothing of its internals."""
    error_id = secrets.token_hex(6)
    logger.error("error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc)
    try:
        return error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, error_id=error_id)
    except Exception:  # the page itself failed: plain text, still no traceback
        logger.exception("error %s: the error page failed too", error_id)
        return Response(f"500 - error {error_id}", status_code=500, media_type=MediaType.TEXT)


def exception_handlers() -> ExceptionHandlersMap:
    """The one mapping from exceptions to responses."""
    handlers: ExceptionHandlersMap = {
        HTTPException: on_http_exception,
        NotFoundException: on_not_found,
        PermissionDeniedException: on_forbidden,
        NotAuthorizedException: on_unauthorised,
        HTTP_401_UNAUTHORIZED: on_unauthorised,
        HTTP_403_FORBIDDEN: on_forbidden,
        Exception: on_server_error,
        HTTP_500_INTERNAL_SERVER_ERROR: on_server_error,
    }
    handlers.update(dict.fromkeys((Unavailable, *DATABASE_AWAY), on_unavailable))
    handlers.update(dict.fromkeys(CONFLICTS, on_conflict))
    handlers.update(dict.fromkeys(NOT_FOUND, on_not_found))
    return handlers
