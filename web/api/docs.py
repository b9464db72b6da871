"""The OpenAPI document and its self-hosted, server-rendered docs page at ``/schema``.

Litestar's documentation UIs load JavaScript from CDNs and use inline scripts, which the site's
Content-Security-Policy forbids. Instead ``/schema`` renders the same document as a plain page
(operations grouped by tag, parameters, request and response schemas) through our templates, so
it is translated, accessible and covered by the security headers like any page.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, cast

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag

from web.api.problems import codes_for, problem_response, with_raw_uploads, with_reference_enums
from web.common.errors import PROBLEM_JSON
from web.common.sessions import cookie_name

if TYPE_CHECKING:
    from litestar import Request
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.enums import MediaType
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition

    from service.settings import Settings

METHODS = ("get", "post", "put", "patch", "delete")
TAGS = (
    ("session", "Log in and out; the signed-in user and their own data."),
    ("applications", "Files: investors submit, read, amend and withdraw their own."),
    ("documents", "Files' documents (PDF, PNG, JPEG by content), answers to questions, letters."),
    ("drafts", "An investor's files uploaded before submitting; the submission takes them."),
    ("committee", "The queue and the committee's commands: assign, review, fund, pay."),
    ("programme", "Envelopes, calls for applications and scoring rubrics."),
    ("transparency", "The public ledger, its head hash, and programme statistics."),
    ("administration", "Accounts and read-model status, for officers."),
)
DESCRIPTION = """\
The Drâa-Tafilalet investment-support programme's JSON API.

**Sessions.** `GET /api/v1/session` starts a session and returns a CSRF token; `POST
/api/v1/session` with `{email, password}` logs in (send the token in `X-CSRF-Token`), sets the
session cookie and returns a new token. Staff, and investors who enrolled an authenticator, add
`totp` (the app's current code, or a recovery code) to the same request: without it the answer
is 401 `second_factor_required`, with a wrong one 401 `invalid_second_factor`. Every unsafe request (POST, DELETE) carries the current
token in the `X-CSRF-Token` header.

**Errors** are RFC 9457 problem documents (`application/problem+json`) with a stable `code`:
400 malformed request, 401 not logged in, 403 wrong role or missing CSRF token, 404 missing *or
not yours*, 409 a rule or a concurrent change, 422 invalid values (with `field` or `errors`).

**Money** is always an integer number of centimes (`*_centimes`). Lists are paginated with
`limit` and `after` (the `next_after` of the previous page). POSTs that create something honour
an `Idempotency-Key` header.
"""


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details, with a stable `code`.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "urn:grants:problem:CODE"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable, e.g. not_found, unknown_field"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": "string", "description": "The field at fault, when one is"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


RETRY_AFTER: dict[str, Any] = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
UNAVAILABLE_RESPONSE: dict[str, Any] = {
    "description": "The database is busy or unreachable for a moment: try again after "
    "`Retry-After` seconds (a problem document, `code` service_unavailable).",
    "headers": {"Retry-After": RETRY_AFTER},
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
THROTTLED_RESPONSE: dict[str, Any] = {
    "description": "Too many failed log-ins from here or for this account: try again after "
    "`Retry-After` seconds.",
    "headers": {"Retry-After": RETRY_AFTER},
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
#: The operations that count failed attempts and answer 429 (``web.api.session``).
THROTTLED: frozenset[tuple[str, str]] = frozenset(
    {("/api/v1/session", "post"), ("/api/v1/accounts", "post")}  # log-ins; accounts per address
)


def with_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """The document with the Problem schema, a ``4XX`` and a ``503`` on every operation.

    Litestar documents responses per handler only, and its automatic ``400`` says
    ``application/json``; every API refusal goes through ``web.common.errors`` as
    ``application/problem+json``, so one shared entry says it once and truly.
    """
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    with_raw_uploads(schema)
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            responses = item[method].setdefault("responses", {})
            for status, response in list(responses.items()):
                # Litestar's automatic "400 Validation Exception" says application/json: not
                # what is sent. A refusal a handler declares as a problem document stays.
                if status.startswith("4") and PROBLEM_JSON not in response.get("content", {}):
                    del responses[status]
            # Each operation's own problem codes; one that refuses nothing has no 4XX entry.
            if codes := codes_for(method, path, item[method]):
                responses["4XX"] = problem_response(codes)
            responses["503"] = UNAVAILABLE_RESPONSE
            if (path, method) in THROTTLED:
                responses["429"] = THROTTLED_RESPONSE
    return with_reference_enums(schema)


class ProblemsJson(JsonRenderPlugin):
    """``/schema/openapi.json``, with the problem responses."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The JSON document."""
        return super().render(request, with_problems(openapi_schema))


class DocsPage(OpenAPIRenderPlugin):
    """``/schema``: the document as a page of our own (no CDN, no inline script)."""

    def __init__(self) -> None:
        # Litestar types media_type as its enums; the header value with charset is what we send.
        super().__init__(path="/", media_type=cast("MediaType", "text/html; charset=utf-8"))

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """Rendered with the site's Jinja environment, in the visitor's language."""
        engine: Any = request.app.template_engine
        template = engine.get_template("api_docs.html")
        context = reference(with_problems(openapi_schema))
        html: str = template.render(request=request, **context)
        return html.encode()


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Documents ``forbid_unknown_fields`` as ``additionalProperties: false``.

    Litestar's own plugin leaves it out, so clients would not learn that extra fields are
    refused (it is a private module of Litestar's: pinned by the test of the document).
    """

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        """The struct's schema, closed when the struct refuses unknown fields."""
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if getattr(info, "forbid_unknown_fields", False):
            schema.additional_properties = False
        return schema


def openapi_config(settings: Settings) -> OpenAPIConfig:
    """OpenAPI 3.1 at ``/schema/openapi.json``, the docs page at ``/schema``."""
    security = {
        "session": SecurityScheme(
            type="apiKey",
            security_scheme_in="cookie",
            name=cookie_name(settings),
            description="The session cookie set by POST /api/v1/session: `__Host-grants` in "
            "production (HTTPS only), `grants_session` on a development server over plain "
            "http. This document names the one this server sets.",
        ),
        "csrf": SecurityScheme(
            type="apiKey",
            security_scheme_in="header",
            name="X-CSRF-Token",
            description="The session's CSRF token; required on every unsafe request.",
        ),
    }
    return OpenAPIConfig(
        title="Drâa-Tafilalet investment support API",
        version="1.0.0",
        description=DESCRIPTION,
        tags=[Tag(name=name, description=text) for name, text in TAGS],
        components=Components(security_schemes=security),  # type: ignore[arg-type]
        security=[{"session": [], "csrf": []}],
        path="/schema",
        render_plugins=[DocsPage(), ProblemsJson()],
        use_handler_docstrings=True,
    )


def reference(schema: dict[str, Any]) -> dict[str, Any]:
    """What the page shows: operations by tag, and each named schema's fields."""
    by_tag: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if (op := item.get(method)) is not None:
                by_tag[(op.get("tags") or ["other"])[0]].append(_operation(path, method, op))
    tags = [t for t in schema.get("tags", []) if t["name"] in by_tag]
    components = schema.get("components", {}).get("schemas", {})
    return {
        "info": schema.get("info", {}),
        "tags": tags,
        "operations": by_tag,
        "schemas": {name: _fields(s) for name, s in sorted(components.items())},
    }


def _operation(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = op.get("requestBody", {}).get("content", {})
    first: dict[str, Any] = next(iter(body.values()), {})
    body_schema = first.get("schema") if body else None
    return {
        "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
        "method": method.upper(),
        "path": path,
        "summary": op.get("summary", ""),
        "description": op.get("description", ""),
        "parameters": [
            {
                "name": p["name"],
                "in": p["in"],
                "required": p.get("required", False),
                "type": type_of(p.get("schema", {})),
                "description": p.get("description", ""),
            }
            for p in op.get("parameters", [])
        ],
        "body": type_of(body_schema) if body_schema else None,
        "responses": [
            {
                "status": status,
                "description": r.get("description", ""),
                "type": _response_type(r),
            }
            for status, r in sorted(op.get("responses", {}).items())
        ],
    }


def _response_type(response: dict[str, Any]) -> str:
    content = response.get("content") or {}
    media = next(iter(content.values()), None)
    return type_of(media["schema"]) if media and "schema" in media else ""


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": type_of(prop),
            "required": name in required,
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def type_of(schema: dict[str, Any]) -> str:
    """A short, readable type: ``string (uuid)``, ``array of Page``, ``integer | null``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return " | ".join(type_of(s) for s in schema[combinator])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        return " | ".join(type_of({**schema, "type": k}) for k in kind)
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    extra = [schema["format"]] if "format" in schema else []
    for key, sign in (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "length ≤")):
        if key in schema:
            extra.append(f"{sign} {schema[key]}")
    return f"{kind} ({', '.join(extra)})" if extra else str(kind)
