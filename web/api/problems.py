"""Which problem ``code`` each API operation can answer, for the OpenAPI document.

Some codes follow from the shape of the operation (a body can be malformed, an unsafe request
needs the CSRF token, a signed-in operation can be refused, a path id can be unknown); the rest
are the rules the operation's use case enforces, listed here by hand, by operation
(tests/e2e/test_api_schema.py checks a sample of them; nothing yet proves the lists complete).
"""

from __future__ import annotations

from typing import Any, Final

from domain.reference import LEGAL_FORMS, PROVINCES, SECTORS
from domain.rubrics import SCALE_MAX

#: Operations anyone may call without a session.
PUBLIC: Final = frozenset(
    {
        "GET /api/v1/session", "POST /api/v1/session", "POST /api/v1/accounts",
        "GET /api/v1/envelopes", "GET /api/v1/envelopes/{envelope_id}", "GET /api/v1/calls",
        "GET /api/v1/calls/{call_id}", "GET /api/v1/rubrics", "GET /api/v1/reference",
        "GET /api/v1/ledger", "GET /api/v1/ledger/head", "GET /api/v1/statistics",
        "GET /api/v1/ledger/entries", "GET /api/v1/ledger/proof/inclusion",
        "GET /api/v1/ledger/proof/consistency",
    }
)  # fmt: skip
_APPLY: Final = (
    "invalid_value", "unknown_reference", "ineligible", "call_closed", "envelope_closed",
    "idempotency_key_reused", "idempotency_key_in_flight", "invalid_idempotency_key",
)  # fmt: skip
_DECIDE: Final = ("invalid_transition", "concurrent_change", "invalid_value")
#: The rules each operation's use case enforces, beyond what its shape implies.
RULES: Final[dict[str, tuple[str, ...]]] = {
    "POST /api/v1/session": ("invalid_credentials", "second_factor_required",
                             "invalid_second_factor", "throttled"),
    "POST /api/v1/accounts": ("invalid_email", "invalid_name", "weak_password", "email_taken",
                              "throttled"),
    "POST /api/v1/applications": (*_APPLY, "missing_document"),
    "POST /api/v1/drafts/{draft_id}/documents": (
        "document_too_large", "unsupported_media_type", "payload_too_large", "invalid_value"),
    "POST /api/v1/applications/{application_id}/amendment": (
        "invalid_value", "unknown_reference", "invalid_transition", "not_found"),
    "POST /api/v1/applications/{application_id}/withdrawal": ("invalid_transition",),
    "POST /api/v1/applications/{application_id}/reviews": (
        "invalid_scores", "rubric_not_published", "conflict_of_interest", *_DECIDE),
    "POST /api/v1/applications/{application_id}/funding": (
        "quorum_not_reached", "score_below_threshold", "funding_exceeds_limit",
        "envelope_exhausted", "envelope_closed", "reservation_exceeded", *_DECIDE),
    "POST /api/v1/applications/{application_id}/override": (
        "quorum_not_reached", "funding_exceeds_limit", "envelope_exhausted", "envelope_closed",
        "reservation_exceeded", *_DECIDE),
    "POST /api/v1/applications/{application_id}/tranches": ("tranche_exceeds_funding", *_DECIDE),
    "POST /api/v1/applications/{application_id}/assignments": ("conflict_of_interest", *_DECIDE),
    "POST /api/v1/calls": ("invalid_value", "unknown_reference", "envelope_closed",
                           "idempotency_key_reused", "idempotency_key_in_flight"),
    "POST /api/v1/rubrics": ("invalid_value", "idempotency_key_reused",
                             "idempotency_key_in_flight"),
    "POST /api/v1/rubrics/{rubric_id}/publication": ("invalid_value", "rubric_published"),
    "GET /api/v1/applications": ("invalid_cursor",),
    "GET /api/v1/queue": ("invalid_cursor",),
    "POST /api/v1/users": ("invalid_email", "invalid_name", "email_taken"),
    "GET /api/v1/ledger/entries": ("bad_range", "range_too_large"),
    "GET /api/v1/ledger/proof/inclusion": ("bad_proof_request",),
    "GET /api/v1/ledger/proof/consistency": ("bad_proof_request",),
    "POST /api/v1/applications/{application_id}/documents": (
        "document_too_large", "unsupported_media_type", "payload_too_large", "unknown_document",
        "invalid_value", *_DECIDE),
    "POST /api/v1/applications/{application_id}/information-reply": (
        "document_too_large", "unsupported_media_type", "payload_too_large", "unknown_document",
        "unknown_reference", *_DECIDE),
}  # fmt: skip


def codes_for(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    """Every problem code ``method path`` can answer, sorted."""
    key = f"{method.upper()} {path}"
    codes = set(RULES.get(key, ()))
    if "requestBody" in operation:
        codes |= {"malformed_body", "validation_failed", "unknown_field"}
    elif operation.get("parameters"):
        codes.add("validation_failed")
    if method in ("post", "put", "patch", "delete"):
        codes.add("csrf_token_missing")
    if key not in PUBLIC:
        codes |= {"not_authenticated", "second_factor_required", "forbidden"}
    if "{" in path:
        codes.add("not_found")
    return sorted(codes)


def problem_response(codes: list[str]) -> dict[str, Any]:
    """The operation's ``4XX`` response: a problem document whose ``code`` is one of ``codes``."""
    return {
        "description": "Refused: a problem document; `code` is one of: "
        + ", ".join(f"`{c}`" for c in codes),
        "content": {
            "application/problem+json": {
                "schema": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Problem"},
                        {"type": "object", "properties": {"code": {"enum": codes}}},
                    ]
                }
            }
        },
    }


#: Fields whose values come from the reference data, checked by the domain (which answers
#: ``unknown_reference`` naming the field) rather than by the wire type: the document still
#: lists their values.
REFERENCE_ENUMS: Final = {
    ("ProjectIn", "sector"): [t.key for t in SECTORS],
    ("ProjectIn", "province"): [p.key for p in PROVINCES],
    ("ProjectIn", "commune"): sorted({c.key for p in PROVINCES for c in p.communes}),
    ("AmendmentIn", "commune"): sorted({c.key for p in PROVINCES for c in p.communes}),
    ("ApplicantIn", "legal_form"): [t.key for t in LEGAL_FORMS],
}


def with_reference_enums(schema: dict[str, Any]) -> dict[str, Any]:
    """The document with the reference data's keys as each such field's ``enum``."""
    components = schema.get("components", {}).get("schemas", {})
    for (name, field), values in REFERENCE_ENUMS.items():
        prop = components.get(name, {}).get("properties", {}).get(field)
        if prop is None:
            continue
        if "oneOf" in prop:  # an optional field: the string branch gets the enum
            for branch in prop["oneOf"]:
                if branch.get("type") == "string":
                    branch["enum"] = values
        else:
            prop["enum"] = values
    scores = components.get("ReviewIn", {}).get("properties", {}).get("scores")
    if scores is not None:  # Litestar drops the dict's value constraints: the 0-5 scale
        scores["additionalProperties"] = {
            "type": "integer", "minimum": 0, "maximum": SCALE_MAX,
            "description": "0 (absent) to 5 (excellent); see the rubric's level descriptors",
        }  # fmt: skip
    return schema


#: Operations whose body is a file sent as it is (read as it streams, see ``web.api.drafts``):
#: Litestar documents no body for a handler that reads the stream itself.
RAW_UPLOADS: Final = {("/api/v1/drafts/{draft_id}/documents", "post")}
RAW_UPLOAD_BODY: Final = {
    "required": True,
    "description": "The file's bytes: PDF, PNG or JPEG, recognised by content (any Content-Type)",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


#: Operations whose multipart body is read as it streams (``web.common.multipart``).
STREAMED_FORMS: Final = {("/api/v1/applications/{application_id}/documents", "post")}
STREAMED_FORM_BODY: Final = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "kind"],
                "properties": {
                    "file": {"type": "string", "format": "binary",
                             "description": "PDF, PNG or JPEG, recognised by content"},
                    "kind": {"type": "string", "description": "business_plan, "
                             "registration_certificate, ... or signed_agreement (officers)"},
                },
            }
        }
    },
}  # fmt: skip


def with_raw_uploads(schema: dict[str, Any]) -> dict[str, Any]:
    """The document with the request body of each operation that reads its own upload."""
    for bodies, body in ((RAW_UPLOADS, RAW_UPLOAD_BODY), (STREAMED_FORMS, STREAMED_FORM_BODY)):
        for path, method in bodies:
            operation = schema.get("paths", {}).get(path, {}).get(method)
            if operation is not None:
                operation["requestBody"] = body
    return schema
