"""ASVS 8.2: object-level access (another investor's file is a 404, for real and random ids) and
reviewers never see an investor's personal identifiers. Both walk every GET route, so the portal
and committee routes merged later are covered as soon as they exist."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from uuid import uuid4

from service.demo import load_demo
from tests.e2e.conftest import log_in, make_user
from tests.security.support import (
    act_as,
    actors,
    allowed_roles,
    endpoints,
    fill,
    load_matrix,
    real_ids,
)

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore
    from tests.security.support import Actor

# The demo's contact details (service/demo_data.py) and the investor's own account.
PERSONAL = (
    re.compile(r"[\w.]+@exemple\.ma"),
    re.compile(r"\+2126\d{8}"),
    re.compile(r"\b[DJKUZ]\d{6}\b"),
    re.compile(r"investor@security\.test"),
)


async def seeded(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> dict[str, Actor]:
    people = await actors(client, db)
    users = {role: actor.user for role, actor in people.items() if actor.user}
    await load_demo(
        store, db, investors=[users["investor"].id], reviewers=[users["reviewer"].id, uuid4(), uuid4()],
        chair=users["chair"].id, officer=users["officer"].id, applications=6,
    )  # fmt: skip
    return people


async def test_another_investors_objects_are_not_found(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    await seeded(client, db, store)
    other = await make_user(db, email="other@security.test")
    client.cookies.clear()
    await log_in(client, other.email)
    matrix = load_matrix()
    ids = [*await real_ids(db), uuid4()]
    for endpoint in endpoints(app):
        roles = allowed_roles(matrix["routes"].get(endpoint.key, []))
        if endpoint.method != "GET" or "visitor" in roles or "investor" not in roles:
            continue
        if not any(getattr(d.type, "__name__", "") == "UUID" for d in endpoint.params.values()):
            continue
        for ident in ids:
            response = await client.get(fill(endpoint, {}, ident))
            assert response.status_code == 404, (endpoint.key, ident, response.status_code)


async def test_reviewers_never_see_personal_identifiers(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    people = await seeded(client, db, store)
    samples = load_matrix().get("params", {})
    ids = [*await real_ids(db), None]
    act_as(client, people["reviewer"])
    for endpoint in endpoints(app):
        if endpoint.method != "GET" or endpoint.path.startswith("/static/"):
            continue
        for path in sorted({fill(endpoint, samples, ident) for ident in ids}):
            text = (await client.get(path)).text
            for pattern in PERSONAL:
                assert not pattern.search(text), (path, pattern.pattern)
