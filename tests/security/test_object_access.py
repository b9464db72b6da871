"""ASVS 8.2: object-level access (another investor's file, draft, timeline, amendment,
withdrawal and data are a 404 on pages and API, for real and random ids), reviewers reach only
the files assigned to them, and never see an investor's personal identifiers. The walks go over
every route, so routes merged later are covered as soon as they exist."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import uuid4

from service import personal_data
from tests.e2e.conftest import log_in
from tests.security.support import (
    act_as,
    allowed_roles,
    csrf_token,
    endpoints,
    fill,
    load_matrix,
    populate,
)

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore
    from tests.security.support import Endpoint

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
PDF = b"%PDF-1.4\n%%EOF\n"


def _takes_an_id(endpoint: Endpoint) -> bool:
    return any(getattr(d.type, "__name__", "") == "UUID" for d in endpoint.params.values())


async def test_another_investors_objects_are_not_found(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    world = await populate(client, db, store)
    client.cookies.clear()
    await log_in(client, "someone.else@security.test")  # owns world.foreign only
    matrix = load_matrix()
    ids = [world.assigned, world.unassigned, world.conflicted, world.draft, uuid4()]
    events = await db.fetchval("SELECT count(*) FROM events")
    checked = set()
    for endpoint in endpoints(app):
        roles = allowed_roles(matrix["routes"].get(endpoint.key, []))
        if "visitor" in roles or "investor" not in roles or not _takes_an_id(endpoint):
            continue
        for ident in ids:
            path = fill(endpoint, {}, ident)
            if endpoint.method in UNSAFE:
                token = await csrf_token(client)
                headers = {"X-CSRF-Token": token}
                if endpoint.path.endswith(("/documents", "/reply")):  # multipart: a real PDF
                    response = await client.request(
                        endpoint.method, path, files={"file": ("x.pdf", PDF, "application/pdf")},
                        data={"kind": "business_plan", "message": "x", "_csrf": token},
                        headers=headers,
                    )  # fmt: skip
                elif path.startswith("/api/"):  # a valid body: only the owner check may refuse
                    body = {"message": "Taken"} if path.endswith("-reply") else {"title": "Taken"}
                    response = await client.request(
                        endpoint.method, path, json=body, headers=headers
                    )
                else:
                    response = await client.request(
                        endpoint.method, path, data={"title": "Taken", "_csrf": token},
                        headers=headers,
                    )  # fmt: skip
            else:
                response = await client.get(path)
            assert response.status_code == 404, (endpoint.key, ident, response.status_code)
            checked.add(endpoint.key)
    # The portal's and the API's object routes were all walked, and nothing was changed.
    for key in (
        "GET /my/files/{application_id:uuid}", "GET /my/drafts/{draft_id:uuid}",
        "GET /my/files/{application_id:uuid}/amend", "POST /my/files/{application_id:uuid}/amend",
        "GET /my/files/{application_id:uuid}/withdraw",
        "POST /my/files/{application_id:uuid}/withdraw",
        "GET /api/v1/applications/{application_id:uuid}",
        "GET /api/v1/applications/{application_id:uuid}/timeline",
        "POST /api/v1/applications/{application_id:uuid}/amendment",
        "POST /api/v1/applications/{application_id:uuid}/withdrawal",
        "GET /api/v1/applications/{application_id:uuid}/documents",
        "POST /api/v1/applications/{application_id:uuid}/documents",
        "POST /api/v1/applications/{application_id:uuid}/information-reply",
        "GET /api/v1/applications/{application_id:uuid}/decision-letter.pdf",
        "POST /my/files/{application_id:uuid}/documents", "POST /my/files/{application_id:uuid}/reply",
        "GET /applications/{application_id:uuid}/decision-letter.pdf",
    ):  # fmt: skip
        assert key in checked, key
    assert await db.fetchval("SELECT count(*) FROM events") == events
    # Their own data holds nothing of the other investor's files or draft.
    for path in ("/my/data", "/api/v1/me/data", "/my/files", "/api/v1/applications"):
        text = (await client.get(path)).text
        for ident in (world.assigned, world.unassigned, world.conflicted, world.draft):
            assert str(ident) not in text, (path, ident)
        assert str(world.foreign) in text, path  # a real page, not an empty refusal


async def test_reviewers_reach_only_their_assigned_files(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    world = await populate(client, db, store)
    act_as(client, world.people["reviewer"])
    for file in (world.unassigned, world.conflicted, uuid4()):
        for path in (
            f"/committee/files/{file}", f"/committee/files/{file}/score",
            f"/api/v1/applications/{file}",
        ):  # fmt: skip
            response = await client.get(path)
            assert response.status_code == 404, (path, response.status_code)
        token = await csrf_token(client)
        score = await client.post(
            f"/committee/files/{file}/score", data={"_csrf": token, "comment": "x"}
        )
        assert score.status_code == 404, (file, score.status_code)
        review = await client.post(
            f"/api/v1/applications/{file}/reviews", json={"scores": {}, "comment": "x"},
            headers={"X-CSRF-Token": token},
        )  # fmt: skip
        assert review.status_code == 404, (file, review.status_code)
    for path in ("/committee/queue", "/api/v1/queue", "/api/v1/applications"):
        text = (await client.get(path)).text
        assert str(world.assigned) in text, path
        for hidden in (world.unassigned, world.conflicted):
            assert str(hidden) not in text, (path, hidden)
    assert (await client.get(f"/committee/files/{world.assigned}")).status_code == 200


async def test_reviewers_never_see_personal_identifiers(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    world = await populate(client, db, store)
    investor = world.people["investor"].user
    assert investor
    contact = await personal_data.contact_of(store, world.assigned, investor.id)
    assert contact  # decrypted from the file itself: the strings a page must not show
    secrets = [contact[k] for k in ("name", "email", "phone", "national_id")]
    secrets.append(investor.email)
    assert all(len(s) > 5 for s in secrets), secrets
    samples = load_matrix().get("params", {})
    act_as(client, world.people["reviewer"])
    seen = 0
    for endpoint in endpoints(app):
        if endpoint.method != "GET" or endpoint.path.startswith("/static/"):
            continue
        paths = {fill(endpoint, {**samples, **world.samples()}, None)}
        paths |= {fill(endpoint, samples, file) for file in world.files}
        for path in sorted(paths):
            response = await client.get(path)
            seen += response.status_code == 200
            for secret in secrets:
                assert secret not in response.text, (path, secret)
    assert seen > 10
