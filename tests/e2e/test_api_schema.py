"""The OpenAPI 3.1 document and its self-hosted docs page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from litestar.routes import HTTPRoute

from tests.e2e.test_security import assert_secure_headers

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

PATH_PARAM = re.compile(r"\{(\w+):\w+\}")


def api_operations(app: Litestar) -> set[tuple[str, str]]:
    """(path as OpenAPI writes it, method) of every route the app serves under /api/v1."""
    found = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/v1"):
            path = PATH_PARAM.sub(r"{\1}", route.path)
            found |= {(path, m.lower()) for m in route.methods if m not in ("HEAD", "OPTIONS")}
    return found


async def test_the_openapi_document_is_3_1_and_lists_every_api_operation(
    app: Litestar, client: AsyncTestClient[Litestar]
) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    documented = {(p, m) for p, item in document["paths"].items() for m in item}
    expected = api_operations(app)
    assert len(expected) > 35
    assert expected <= documented
    assert all(p.startswith("/api/v1") for p, _ in documented)  # pages stay out
    schemes = document["components"]["securitySchemes"]
    assert schemes["csrf"] == {
        "type": "apiKey", "in": "header", "name": "X-CSRF-Token",
        "description": schemes["csrf"]["description"],
    }  # fmt: skip
    assert schemes["session"]["in"] == "cookie"
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type", "title", "status", "code",
    ]  # fmt: skip
    tags = {t["name"] for t in document["tags"]}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), (method, path)
            if "4XX" not in operation["responses"]:
                assert (method, path) in {("get", "/api/v1/reference"), ("get", "/api/v1/session"),
                                          ("get", "/api/v1/envelopes"), ("get", "/api/v1/calls"),
                                          ("get", "/api/v1/ledger/head"), ("get", "/api/v1/rubrics"),
                                          ("get", "/api/v1/statistics")}, (method, path)  # fmt: skip
                continue
            problem = operation["responses"]["4XX"]["content"]["application/problem+json"]
            base, codes = problem["schema"]["allOf"]
            assert base == {"$ref": "#/components/schemas/Problem"}
            assert codes["properties"]["code"]["enum"], (method, path)
            assert set(operation["tags"]) <= tags


async def test_inbound_schemas_forbid_unknown_fields(client: AsyncTestClient[Litestar]) -> None:
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    for name in ("ApplicationIn", "ProjectIn", "ContactIn", "FundingIn", "UserIn", "AmendmentIn"):
        assert schemas[name]["additionalProperties"] is False, name
    money = schemas["FundingIn"]["properties"]["amount_centimes"]
    assert money["type"] == "integer"
    login = schemas["LoginIn"]
    assert set(login["required"]) == {"email", "password"}
    assert "totp" in login["properties"]  # the second factor, in the same request


async def test_the_api_documents_the_second_factor(client: AsyncTestClient[Litestar]) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    assert "second_factor_required" in document["info"]["description"]


async def test_the_docs_page_is_self_hosted_and_has_no_inline_script(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/schema", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_secure_headers(response)
    html = response.text
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    assert all(not body.strip() for body in scripts)  # every script is a file, none inline
    assert re.findall(r"<script\b[^>]*\bsrc=\"(/[^\"]+)\"", html) == ["/static/app.js"]
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from another host
    assert " style=" not in html
    assert "Référence de l'API" in html
    for heading in ("applications", "committee", "transparency"):
        assert f'id="tag-{heading}"' in html
    assert "POST /api/v1/applications/{application_id}/funding" in html
    assert 'id="schema-ApplicationIn"' in html


async def test_the_document_lists_each_operations_problem_codes_enums_and_the_score_scale(
    client: AsyncTestClient[Litestar],
) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    def codes(method: str, path: str) -> set[str]:
        response = document["paths"][path][method]["responses"]["4XX"]
        schema = response["content"]["application/problem+json"]["schema"]
        return set(schema["allOf"][1]["properties"]["code"]["enum"])

    submit = codes("post", "/api/v1/applications")
    assert {"ineligible", "call_closed", "invalid_value", "csrf_token_missing",
            "not_authenticated", "malformed_body", "unknown_field"} <= submit  # fmt: skip
    assert "4XX" not in document["paths"]["/api/v1/reference"]["get"]["responses"]
    assert {"email_taken", "weak_password", "throttled"} <= codes("post", "/api/v1/accounts")
    assert "not_authenticated" not in codes("post", "/api/v1/accounts")
    schemas = document["components"]["schemas"]
    project = schemas["ProjectIn"]["properties"]
    assert "offshoring" in project["sector"]["enum"]
    assert "ouarzazate" in project["province"]["enum"]
    assert "sole_trader" in schemas["ApplicantIn"]["properties"]["legal_form"]["enum"]
    call_id = schemas["ApplicationIn"]["properties"]["call_id"]
    assert "Required unless envelope_id" in str(call_id)
    scores = schemas["ReviewIn"]["properties"]["scores"]["additionalProperties"]
    assert (scores["minimum"], scores["maximum"]) == (0, 5)
    scale = schemas["ScaleOut"]["properties"]
    assert (scale["min"]["const"], scale["max"]["const"]) == (0, 5)
