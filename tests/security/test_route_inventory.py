"""ASVS 8.1-8.2, 3.5: every route is classified, each role gets exactly what the matrix says,
and no GET changes state.

The walk goes over ``app.routes`` of ``create_app``, so routes added by later branches are covered
the moment they are registered: an unclassified one fails ``test_every_route_is_classified``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import uuid4

from service.demo import load_demo
from tests.security.support import (
    account_snapshot,
    act_as,
    actors,
    allowed_roles,
    csrf_token,
    endpoints,
    fill,
    load_matrix,
    populate,
    real_ids,
    refresh,
    sent_to_login,
)

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore
    from tests.security.support import Actor, Endpoint

DENIED = (401, 403, 404)
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def answered(endpoint: Endpoint, response: httpx.Response, also: list[int]) -> bool:
    """A role the matrix allows gets a real answer: a page or data (2xx), a redirect that is
    not the log-in page (3xx), or, for a form sent empty, the form again with its messages
    (422); ``also``: the statuses the matrix's [answers] table allows the route, each with its
    reason. A 404, 409 or 400 is no answer: the samples must be objects this role may use."""
    status = response.status_code
    if sent_to_login(response):
        return False
    empty_form = endpoint.method in UNSAFE and status == 422
    return 200 <= status < 400 or empty_form or status in also


def test_every_route_is_classified(app: Litestar) -> None:
    matrix = load_matrix()["routes"]
    present = {endpoint.key for endpoint in endpoints(app)}
    missing = sorted(present - matrix.keys())
    assert not missing, (
        f"routes not classified in tests/security/route_matrix.toml: {missing}. "
        "Add each with the roles allowed to use it (deny by default: list the fewest)."
    )
    stale = sorted(matrix.keys() - present)
    assert not stale, f"route_matrix.toml lists routes the app no longer has: {stale}"
    for key, roles in matrix.items():
        assert roles, key
        assert allowed_roles(roles) <= allowed_roles(["*"]), key


async def _call(
    client: AsyncTestClient[Litestar], actor: Actor, endpoint: Endpoint, path: str
) -> httpx.Response:
    act_as(client, actor)
    if endpoint.method not in UNSAFE:
        return await client.request(endpoint.method, path)
    token = await csrf_token(client)
    if path.startswith("/api/"):  # the API's empty "form": an empty JSON object
        return await client.request(endpoint.method, path, json={}, headers={"X-CSRF-Token": token})
    return await client.request(
        endpoint.method, path, data={"_csrf": token}, headers={"X-CSRF-Token": token}
    )


async def test_each_role_gets_what_the_matrix_says(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    matrix = load_matrix()
    world = await populate(client, db, store)  # real ids: the investor's file, their draft...
    people = world.people
    answers = matrix.get("answers", {})
    wrong = []
    for endpoint in endpoints(app):
        allowed = allowed_roles(matrix["routes"].get(endpoint.key, []))
        path = fill(endpoint, {**matrix.get("params", {}), **world.samples(endpoint.key)})
        for role, actor in people.items():
            response = await _call(client, actor, endpoint, path)
            await refresh(client, db, actor)
            refused = response.status_code in DENIED or sent_to_login(response)
            if role in allowed and not answered(endpoint, response, answers.get(endpoint.key, [])):
                wrong.append(f"{endpoint.key} as {role}: no real answer ({response.status_code})")
            if role not in allowed and not refused:
                wrong.append(f"{endpoint.key} as {role}: allowed ({response.status_code})")
            if response.status_code >= 500:
                wrong.append(f"{endpoint.key} as {role}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


async def test_no_get_changes_state_for_any_role(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    people = await actors(client, db)
    staff = {role: actor.user for role, actor in people.items() if actor.user}
    await load_demo(
        store, db, investors=[staff["investor"].id], reviewers=[staff["reviewer"].id, uuid4(), uuid4()],
        chair=staff["chair"].id, officer=staff["officer"].id, applications=6,
    )  # fmt: skip
    world = await populate(client, db, store, people)  # a draft, files in every reviewer state
    ids = [*await real_ids(db), *world.files, world.draft, None]  # None: a random id
    samples = load_matrix().get("params", {})
    gets = [e for e in endpoints(app) if e.method in ("GET", "HEAD")]
    before = await account_snapshot(db)
    drafts_before = await db.fetchval(
        "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM application_drafts t"
    )
    for endpoint in gets:
        paths = {fill(endpoint, samples, ident) for ident in ids}
        paths.add(fill(endpoint, {**samples, **world.samples()}))
        for actor in people.values():
            act_as(client, actor)
            for path in sorted(paths):
                response = await client.request(endpoint.method, path)
                assert response.status_code < 500, (endpoint.key, actor.role, path)
                if actor.user is not None and not path.startswith("/static/"):
                    assert response.headers["cache-control"] == "no-store", (path, actor.role)
    assert await account_snapshot(db) == before
    assert drafts_before == await db.fetchval(
        "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM application_drafts t"
    )
