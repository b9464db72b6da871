"""Errors mapped to HTTP in one place: pages for HTML, RFC 9457 problem+json under ``/api/``."""

from __future__ import annotations

import logging
import re
import secrets
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import msgspec
from litestar import MediaType, Response
from litestar.exceptions import (
    ClientException,
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

from domain.errors import DomainError, InvalidValueError
from service.accounts import AccountError
from service.commands import CommandConflictError
from service.errors import DATABASE_ERRORS, ErrorClass, Unavailable, classify
from service.idempotency import IdempotencyKeyInFlightError, IdempotencyKeyReusedError
from service.privacy import PersonErasedError
from service.repository import AggregateNotFoundError
from service.store import ConcurrencyError
from service.throttle import LoginThrottledError
from web.common.auth import SecondFactorRequiredError
from web.common.i18n import N_
from web.common.sessions import CSRFError

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
CONFLICTS: tuple[type[Exception], ...] = (ConcurrencyError, CommandConflictError)
NOT_FOUND: tuple[type[Exception], ...] = (AggregateNotFoundError,)

#: The status of each domain error's ``code``; any other DomainError is a 409 (a rule).
#: 422: the value can never be right here; 409: the file's or envelope's state refuses it now;
#: 404: the caller acted on a file that is not theirs, which must look like a missing one.
DOMAIN_STATUS = {
    "invalid_value": 422,
    "unknown_reference": 422,
    "invalid_scores": 422,
    "ineligible": 422,
    "call_closed": 422,  # a submission after the deadline: the call_id field is at fault
    "funding_exceeds_limit": 422,
    "tranche_exceeds_funding": 422,
    "not_your_application": 404,
    "reviewer_not_assigned": 404,
    "document_too_large": 413,
    "unsupported_media_type": 415,
    "missing_document": 422,
    "unknown_document": 422,
}
#: Account errors: (status, code).
ACCOUNT_STATUS = {
    "InvalidEmailError": (422, "invalid_email"),
    "InvalidNameError": (422, "invalid_name"),
    "WeakPasswordError": (422, "weak_password"),
    "EmailTakenError": (409, "email_taken"),
    "InvalidCredentialsError": (401, "invalid_credentials"),
    "InvalidResetTokenError": (422, "invalid_reset_token"),
}
#: The ``code`` of a problem without a more precise one.
STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "throttled",
    500: "server_error",
    503: "service_unavailable",
}


class ProblemError(Exception):
    """Raised by an API handler to answer with a problem document of ``status`` and ``code``."""

    def __init__(self, status: int, code: str, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or code)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def is_api(request: Request[Any, Any, Any]) -> bool:
    """True for the JSON API, which gets problem+json instead of pages."""
    return request.url.path.startswith("/api/")


def problem(
    request: Request[Any, Any, Any],
    status: int,
    detail: str | None = None,
    *,
    code: str | None = None,
    **extra: Any,
) -> Response[bytes]:
    """An RFC 9457 problem document with a stable ``code`` (also in its ``type`` URI)."""
    code = code or STATUS_CODES.get(status, "error")
    body = {
        "type": f"urn:grants:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
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
        return on_validation(request, exc)
    if isinstance(exc, NotAuthorizedException):
        return on_unauthorised(request, exc)
    if is_api(request) and type(exc) is ClientException:  # Litestar's "body is not JSON"
        return problem(request, status, "the body is not valid JSON", code="malformed_body")
    return error_page(request, status)


_AT: Final = re.compile(r"- at `\$\.([^`]+)`")
_MISSING: Final = re.compile(r"missing required field `([^`]+)`")


def field_named(key: str, message: str) -> str:
    """The body field a msgspec message is about (``$.project.jobs`` -> ``project.jobs``; a
    missing one by its name), rather than Litestar's name for the whole body (``data``)."""
    if key != "data":
        return key
    at, missing = _AT.search(message), _MISSING.search(message)
    path = [at[1]] if at else []
    return ".".join([*path, missing[1]] if missing else path) or key


def on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """A body that is not JSON: 400; values the types refuse (unknown fields included): 422."""
    if not is_api(request):
        return error_page(request, HTTP_422_UNPROCESSABLE_ENTITY)
    errors = [
        {"field": field_named(str(e.get("key") or ""), str(e.get("message") or "")),
         "source": str(e.get("source") or ""), "message": str(e.get("message") or "")}
        for e in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(e, dict)
    ]  # fmt: skip
    malformed = any("malformed" in e["message"].lower() for e in errors) or "decode" in (
        exc.detail.lower()
    )
    if malformed:
        return problem(request, 400, "the body is not valid JSON", code="malformed_body")
    unknown = any("unknown field" in e["message"].lower() for e in errors)
    code = "unknown_field" if unknown else "validation_failed"
    return problem(request, HTTP_422_UNPROCESSABLE_ENTITY, code=code, errors=errors)


def on_domain_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A rule of the programme refused the command: the status its ``code`` maps to."""
    code = getattr(exc, "code", "domain_error")
    status = DOMAIN_STATUS.get(code, HTTP_409_CONFLICT)
    if not is_api(request):
        return error_page(request, status)
    if status == HTTP_404_NOT_FOUND:  # as for a missing file: say nothing more
        return problem(request, status, code="not_found")
    if isinstance(exc, InvalidValueError):  # the field and why; never the value (personal data)
        return problem(request, status, exc.reason, code=code, field=exc.field)
    extra: dict[str, Any] = {}
    if isinstance(field := getattr(exc, "field", None), str):
        extra["field"] = field
    if isinstance(rule := getattr(exc, "rule", None), str):
        extra["rule"] = rule
    if isinstance(kinds := getattr(exc, "kinds", None), tuple):  # the missing documents
        extra["kinds"] = list(kinds)
    return problem(request, status, str(exc), code=code, **extra)


def on_account_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """An account refused (taken e-mail, weak password, wrong credentials)."""
    status, code = ACCOUNT_STATUS.get(
        type(exc).__name__, (HTTP_422_UNPROCESSABLE_ENTITY, "invalid")
    )
    if not is_api(request):
        return error_page(request, status)
    extra: dict[str, Any] = {}
    if field := getattr(exc, "field", None):
        extra["field"] = field
    if reason := getattr(exc, "code", None):
        extra["reason"] = reason
    return problem(request, status, code=code, **extra)


def on_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A refusal an API handler raised itself (``web.api.support.ProblemError``)."""
    assert isinstance(exc, ProblemError)
    if not is_api(request):
        return error_page(request, exc.status)
    return problem(request, exc.status, exc.detail, code=exc.code, **exc.extra)


def on_idempotency(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A key reused for another request (422) or still in flight (409)."""
    reused = isinstance(exc, IdempotencyKeyReusedError)
    status = HTTP_422_UNPROCESSABLE_ENTITY if reused else HTTP_409_CONFLICT
    detail = (
        "this Idempotency-Key was used for another request"
        if reused
        else "a request with this Idempotency-Key is still being processed"
    )
    return problem(request, status, detail, code=getattr(exc, "code", "idempotency"))


def on_throttled(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Too many failed log-ins: 429 with Retry-After."""
    retry = getattr(exc, "retry_after", 60)
    response = (
        problem(request, 429, code="throttled", retry_after=retry)
        if is_api(request)
        else error_page(request, 429)
    )
    response.headers["Retry-After"] = str(retry)
    return response


def on_unauthorised(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A visitor on a signed-in page goes to the log-in page and comes back afterwards.

    A user who still owes the second factor goes to that step instead (the API says so)."""
    second_factor = isinstance(exc, SecondFactorRequiredError)
    if is_api(request):
        if second_factor:
            detail = "second factor required: log in again with totp, or complete /login/mfa"
            return problem(request, HTTP_401_UNAUTHORIZED, detail, code="second_factor_required")
        return problem(request, HTTP_401_UNAUTHORIZED)
    target = "/login/mfa" if second_factor else "/login"
    return Redirect(path=f"{target}?next={quote(request.url.path)}", status_code=303)


def on_conflict(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    """A rule or concurrency conflict: 409."""
    if is_api(request):
        return problem(request, HTTP_409_CONFLICT, code="concurrent_change")
    return error_page(request, HTTP_409_CONFLICT)


def on_not_found(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    """Something asked for does not exist: 404."""
    return error_page(request, HTTP_404_NOT_FOUND)


def on_forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A role or CSRF refusal: 403."""
    if is_api(request):
        code = "csrf_token_missing" if isinstance(exc, CSRFError) else "forbidden"
        return problem(request, HTTP_403_FORBIDDEN, code=code)
    return error_page(request, HTTP_403_FORBIDDEN)


def on_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database is busy or unreachable: 503 with ``Retry-After``, so clients back off."""
    retry_after = exc.retry_after if isinstance(exc, Unavailable) else 1
    logger.warning("503 on %s %s: %s", request.method, request.url.path, exc)
    response = error_page(request, HTTP_503_SERVICE_UNAVAILABLE)
    response.headers["Retry-After"] = str(retry_after)
    return response


def on_database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A database or network error outside a command, mapped by :func:`service.errors.classify`."""
    kind = classify(exc)
    if kind.retryable:
        return on_unavailable(request, exc)
    if kind is ErrorClass.CONFLICT:
        return on_conflict(request, exc)
    return on_server_error(request, exc)


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
    handlers[Unavailable] = on_unavailable
    handlers.update(dict.fromkeys(DATABASE_ERRORS, on_database_error))
    handlers.update(dict.fromkeys(CONFLICTS, on_conflict))
    handlers.update(dict.fromkeys(NOT_FOUND, on_not_found))
    handlers.update(
        {
            ValidationException: on_validation,
            DomainError: on_domain_error,
            AccountError: on_account_error,
            ProblemError: on_problem,
            IdempotencyKeyReusedError: on_idempotency,
            IdempotencyKeyInFlightError: on_idempotency,
            LoginThrottledError: on_throttled,
            PersonErasedError: on_not_found,
        }
    )
    return handlers
