"""Every refusal of the API: no session, wrong role, no CSRF token, someone else's file,
unknown fields, and Idempotency-Key replays."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pyotp
import pytest

from service import mfa
from tests.e2e.api_support import (
    API,
    CHAIR,
    INVESTOR,
    MANDATORY,
    OFFICER,
    OTHER_INVESTOR,
    REVIEWER1,
    Api,
    application_body,
    catch_up,
    open_programme,
    people,
    with_documents,
)
from tests.e2e.conftest import PASSWORD, totp_secret_for
from tests.e2e.test_security import assert_secure_headers
from tests.integration.service.support import GOOD

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore

ANY = "00000000-0000-4000-8000-000000000001"
PROTECTED = [
    ("GET", "/me"), ("GET", "/me/data"), ("DELETE", "/session"), ("GET", "/applications"),
    ("POST", "/applications"), ("GET", f"/applications/{ANY}"),
    ("GET", f"/applications/{ANY}/timeline"), ("POST", f"/applications/{ANY}/amendment"),
    ("POST", f"/applications/{ANY}/withdrawal"),
    ("POST", f"/applications/{ANY}/information-request"),
    ("POST", f"/applications/{ANY}/screen-out"), ("POST", f"/applications/{ANY}/assignments"),
    ("POST", f"/applications/{ANY}/conflict"), ("POST", f"/applications/{ANY}/reviews"),
    ("POST", f"/applications/{ANY}/funding"), ("POST", f"/applications/{ANY}/rejection"),
    ("POST", f"/applications/{ANY}/override"), ("POST", f"/applications/{ANY}/agreement"),
    ("POST", f"/applications/{ANY}/tranches"), ("POST", f"/applications/{ANY}/cancellation"),
    ("GET", "/queue"), ("POST", "/envelopes"), ("POST", f"/envelopes/{ANY}/closure"),
    ("POST", "/calls"), ("POST", f"/calls/{ANY}/closure"), ("POST", "/rubrics"),
    ("POST", f"/rubrics/{ANY}/publication"), ("GET", "/users"), ("POST", "/users"),
    ("GET", "/projections"),
]  # fmt: skip
#: (who, method, path) a role may not use: 403.
WRONG_ROLE = [
    (INVESTOR, "POST", f"/applications/{ANY}/assignments"),
    (INVESTOR, "POST", f"/applications/{ANY}/funding"),
    (INVESTOR, "POST", f"/applications/{ANY}/reviews"),
    (INVESTOR, "GET", "/queue"),
    (INVESTOR, "GET", "/users"),
    (INVESTOR, "POST", "/envelopes"),
    (REVIEWER1, "POST", f"/applications/{ANY}/funding"),
    (REVIEWER1, "POST", "/applications"),
    (REVIEWER1, "GET", "/me/data"),
    (REVIEWER1, "GET", f"/applications/{ANY}/timeline"),
    (CHAIR, "POST", f"/applications/{ANY}/assignments"),
    (CHAIR, "POST", f"/applications/{ANY}/tranches"),
    (CHAIR, "POST", f"/applications/{ANY}/amendment"),
    (CHAIR, "GET", "/projections"),
    (OFFICER, "POST", f"/applications/{ANY}/funding"),
    (OFFICER, "POST", f"/applications/{ANY}/reviews"),
    (OFFICER, "POST", f"/applications/{ANY}/withdrawal"),
]


@pytest.fixture
async def world(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> dict[str, Any]:
    users = await people(db)
    api = Api(client)
    return {"api": api, "users": users, **await open_programme(api, db, store)}


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"] == f"urn:grants:problem:{code}"
    assert body["title"]


async def send(api: Api, method: str, path: str, body: Any = None) -> httpx.Response:
    if method == "GET":
        return await api.get(path)
    if method == "DELETE":
        return await api.delete(path)
    return await api.post(path, body if body is not None else {})


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_protected_endpoint_wants_a_session(
    client: AsyncTestClient[Litestar], method: str, path: str
) -> None:
    response = await client.request(method, API + path, json={})
    assert_problem(response, 401, "not_authenticated")


async def test_each_role_is_refused_what_is_not_its_own(world: dict[str, Any]) -> None:
    api: Api = world["api"]
    for who, method, path in WRONG_ROLE:
        await api.sign_in(who)
        assert_problem(await send(api, method, path), 403, "forbidden")


async def test_unsafe_requests_need_the_csrf_header(world: dict[str, Any]) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    body = application_body(world["call_id"])
    missing = await api.client.post(f"{API}/applications", json=body)
    assert_problem(missing, 403, "csrf_token_missing")
    assert_secure_headers(missing)
    assert missing.headers["cache-control"] == "no-store"  # a signed-in answer is never cached
    wrong = await api.client.post(
        f"{API}/applications", json=body, headers={"X-CSRF-Token": "not-the-token"}
    )
    assert_problem(wrong, 403, "csrf_token_missing")
    logout = await api.client.delete(f"{API}/session")
    assert_problem(logout, 403, "csrf_token_missing")
    assert (await api.get("/me")).status_code == 200  # still signed in


async def test_logging_in_and_out_through_the_api(world: dict[str, Any]) -> None:
    api: Api = world["api"]
    api.client.cookies.clear()
    start = (await api.get("/session")).json()
    assert start["user"] is None
    credentials = {"email": INVESTOR, "password": PASSWORD}
    refused = await api.client.post(f"{API}/session", json=credentials)
    assert_problem(refused, 403, "csrf_token_missing")
    api.csrf = start["csrf_token"]
    wrong = await api.post("/session", {"email": INVESTOR, "password": "not it at all"})
    assert_problem(wrong, 401, "invalid_credentials")
    signed = await api.post("/session", credentials)
    assert signed.status_code == 200, signed.text
    assert signed.json()["user"]["email"] == INVESTOR
    assert signed.json()["csrf_token"] != start["csrf_token"]  # a new session, a new token
    stale = await api.post("/applications", application_body(world["call_id"]))
    assert_problem(stale, 403, "csrf_token_missing")
    api.csrf = signed.json()["csrf_token"]
    assert (await api.get("/me")).json()["role"] == "investor"
    assert (await api.delete("/session")).status_code == 204
    assert_problem(await api.get("/me"), 401, "not_authenticated")


@pytest.mark.parametrize("who", [OFFICER, CHAIR, REVIEWER1])
async def test_staff_log_in_over_the_api_only_with_the_second_factor(
    world: dict[str, Any], who: str
) -> None:
    api: Api = world["api"]
    api.client.cookies.clear()
    api.csrf = (await api.get("/session")).json()["csrf_token"]
    credentials = {"email": who, "password": PASSWORD}
    missing = await api.post("/session", credentials)
    assert_problem(missing, 401, "second_factor_required")
    assert_problem(await api.get("/me"), 401, "not_authenticated")  # no session was left behind
    wrong = await api.post("/session", {**credentials, "totp": "000000"})
    assert_problem(wrong, 401, "invalid_second_factor")
    assert_problem(await api.get("/me"), 401, "not_authenticated")
    api.csrf = (await api.get("/session")).json()["csrf_token"]  # the failed attempt ended it
    secret = await totp_secret_for(api.client, who)
    signed = await api.post("/session", {**credentials, "totp": pyotp.TOTP(secret).now()})
    assert signed.status_code == 200, signed.text
    api.csrf = signed.json()["csrf_token"]
    assert (await api.get("/me")).json()["email"] == who
    assert (await api.get("/queue")).status_code == 200


async def test_a_recovery_code_replaces_the_totp_once(
    world: dict[str, Any], db: asyncpg.Pool
) -> None:
    api: Api = world["api"]
    user_id = await db.fetchval("SELECT id FROM users WHERE email = $1", CHAIR)
    codes = await mfa.enrol(db, api.client.app.state.settings.secret_key, user_id, mfa.new_secret())
    api.client.cookies.clear()
    api.csrf = (await api.get("/session")).json()["csrf_token"]
    body = {"email": CHAIR, "password": PASSWORD, "totp": codes[0]}
    signed = await api.post("/session", body)
    assert signed.status_code == 200, signed.text
    api.client.cookies.clear()
    api.csrf = (await api.get("/session")).json()["csrf_token"]
    assert_problem(await api.post("/session", body), 401, "invalid_second_factor")


async def test_an_investor_never_reaches_another_investors_file(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore
) -> None:
    api: Api = world["api"]
    await api.sign_in(OTHER_INVESTOR)
    body = await with_documents(api, application_body(world["call_id"]))
    theirs = (await api.post("/applications", body)).json()
    await catch_up(db, store)
    await api.sign_in(INVESTOR)
    for target in (theirs["application_id"], str(uuid.uuid4())):
        for method, path, body in (
            ("GET", f"/applications/{target}", None),
            ("GET", f"/applications/{target}/timeline", None),
            ("POST", f"/applications/{target}/amendment", {"title": "Mine now"}),
            ("POST", f"/applications/{target}/withdrawal", None),
        ):
            assert_problem(await send(api, method, path, body), 404, "not_found")
    assert (await api.get("/applications")).json()["items"] == []
    data = await api.get("/me/data")
    assert data.json()["applications"] == []
    assert theirs["application_id"] not in data.text
    await api.sign_in(OTHER_INVESTOR)  # nothing was changed by the attempts
    steps = (await api.get(f"/applications/{theirs['application_id']}/timeline")).json()
    assert [s["kind"] for s in steps] == ["submitted", *["document_attached"] * len(MANDATORY)]


async def test_a_reviewer_reaches_only_the_files_assigned_to_them(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore
) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    body = await with_documents(api, application_body(world["call_id"]))
    app_id = (await api.post("/applications", body)).json()["application_id"]
    await catch_up(db, store)
    await api.sign_in(REVIEWER1)
    for target in (app_id, str(uuid.uuid4())):
        assert_problem(await api.get(f"/applications/{target}"), 404, "not_found")
        scored = await api.post(f"/applications/{target}/reviews", {"scores": GOOD})
        assert_problem(scored, 404, "not_found")
        declared = await api.post(f"/applications/{target}/conflict", {"reason": "Associé"})
        assert_problem(declared, 404, "not_found")
    assert (await api.get("/applications")).json()["items"] == []
    await api.sign_in(CHAIR)
    missing = await api.post(f"/applications/{uuid.uuid4()}/funding", {"amount_centimes": 100})
    assert_problem(missing, 404, "not_found")


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda b: b | {"status": "funded"}, "unknown_field"),
        (lambda b: b | {"investor_id": str(uuid.uuid4())}, "unknown_field"),
        (lambda b: {**b, "project": b["project"] | {"funded_centimes": 1}}, "unknown_field"),
        (lambda b: {**b, "applicant": b["applicant"] | {"verified": True}}, "unknown_field"),
        (
            lambda b: {**b, "project": b["project"] | {"requested_centimes": 12.5}},
            "validation_failed",
        ),
        (lambda b: {**b, "project": b["project"] | {"jobs": -1}}, "validation_failed"),
    ],
)
async def test_unknown_or_ill_typed_fields_are_refused(
    world: dict[str, Any], db: asyncpg.Pool, mutate: Any, code: str
) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    response = await api.post("/applications", mutate(application_body(world["call_id"])))
    assert_problem(response, 422, code)
    assert response.json()["errors"]
    assert await db.fetchval("SELECT count(*) FROM events WHERE topic LIKE '%Submitted'") == 0


async def test_other_bodies_refuse_unknown_fields_and_bad_json(world: dict[str, Any]) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    not_amendable = await api.post(f"/applications/{ANY}/amendment", {"sector": "mining"})
    assert_problem(not_amendable, 422, "unknown_field")
    await api.sign_in(OFFICER)
    escalate = await api.post(
        "/users",
        {"email": "x@region.ma", "display_name": "X", "role": "officer",
         "password": "a long enough secret", "disabled": False, "id": ANY},
    )  # fmt: skip
    assert_problem(escalate, 422, "unknown_field")
    investor_staff = await api.post(
        "/users",
        {"email": "y@region.ma", "display_name": "Y", "role": "investor",
         "password": "a long enough secret"},
    )  # fmt: skip
    assert_problem(investor_staff, 422, "validation_failed")
    malformed = await api.client.post(
        f"{API}/envelopes",
        content=b'{"name": "x", ',
        headers={"X-CSRF-Token": api.csrf, "Content-Type": "application/json"},
    )
    assert_problem(malformed, 400, "malformed_body")


async def test_domain_rules_become_precise_problems(world: dict[str, Any]) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    bad_ice = application_body(world["call_id"])
    bad_ice["applicant"]["ice"] = "123"
    refused = await api.post("/applications", bad_ice)
    assert_problem(refused, 422, "invalid_value")
    assert refused.json()["field"] == "ice"
    unknown = application_body(world["call_id"], province="casablanca")
    assert_problem(await api.post("/applications", unknown), 422, "unknown_reference")
    await api.sign_in(OFFICER)
    closed = await api.post(f"/calls/{world['call_id']}/closure")
    assert closed.status_code == 200
    await api.sign_in(INVESTOR)
    late = await api.post("/applications", application_body(world["call_id"]))
    assert_problem(late, 422, "call_closed")
    assert late.json()["field"] == "call_id"


async def test_an_idempotency_key_creates_one_application_once(
    world: dict[str, Any], db: asyncpg.Pool
) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    body = await with_documents(api, application_body(world["call_id"]))
    key = {"Idempotency-Key": "submit-7f3a"}
    first = await api.post("/applications", body, headers=key)
    again = await api.post("/applications", body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    submitted = "SELECT count(DISTINCT originator_id) FROM events WHERE topic LIKE '%:Submitted'"
    assert await db.fetchval(submitted) == 1

    changed = {**body, "project": {**body["project"], "title": "Another project"}}
    assert_problem(
        await api.post("/applications", changed, headers=key), 422, "idempotency_key_reused"
    )
    await api.sign_in(OTHER_INVESTOR)  # the key is the user's own: another user's is unrelated
    theirs = await api.post("/applications", await with_documents(api, body), headers=key)
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["application_id"] != first.json()["application_id"]
    assert await db.fetchval(submitted) == 2


async def test_a_refused_request_does_not_burn_its_idempotency_key(
    world: dict[str, Any], db: asyncpg.Pool
) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    key = {"Idempotency-Key": "retry-after-fixing"}
    right = await with_documents(api, application_body(world["call_id"]))
    wrong = {**right, "project": {**right["project"], "province": "casablanca"}}
    assert (await api.post("/applications", wrong, headers=key)).status_code == 422
    fixed = await api.post("/applications", {**wrong, "project": right["project"]}, headers=key)
    assert fixed.status_code == 201, fixed.text


async def test_a_tranche_is_paid_once_per_idempotency_key(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore
) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    body = await with_documents(api, application_body(world["call_id"]))
    app_id = (await api.post("/applications", body)).json()["application_id"]
    await api.sign_in(OFFICER)
    for reviewer in ("reviewer1@region.ma", "reviewer2@region.ma"):
        body = {"reviewer_id": str(world["users"][reviewer].id)}
        await api.post(f"/applications/{app_id}/assignments", body)
    await catch_up(db, store)
    for reviewer in ("reviewer1@region.ma", "reviewer2@region.ma"):
        await api.sign_in(reviewer)
        await api.post(f"/applications/{app_id}/reviews", {"scores": GOOD})
    await api.sign_in(CHAIR)
    await api.post(f"/applications/{app_id}/funding", {"amount_centimes": 1_000_000_00})
    await api.sign_in(OFFICER)
    await api.post(f"/applications/{app_id}/agreement")
    key = {"Idempotency-Key": "tranche-1"}
    for _ in range(3):
        paid = await api.post(
            f"/applications/{app_id}/tranches", {"amount_centimes": 100}, headers=key
        )
        assert paid.status_code == 201
    tranches = "SELECT count(*) FROM events WHERE topic = 'grants.application:TrancheDisbursed'"
    assert await db.fetchval(tranches) == 1
    over = await api.post(f"/applications/{app_id}/tranches", {"amount_centimes": 10**12})
    assert_problem(over, 422, "tranche_exceeds_funding")
