"""Drafts over the API (issue 13): another investor, staff and a visitor cannot read, fill,
discard or submit someone's draft; a draft's files never reach another person's application."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from service import upload_drafts
from tests.e2e.conftest import log_in
from tests.integration.service.support import CONTACT, applicant, project
from tests.security.support import Actor, act_as, csrf_token, populate

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore

PDF = b"%PDF-1.7\n" + b"canary-draft-" + os.urandom(16).hex().encode() + b"\n%%EOF\n"


async def _send(client: AsyncTestClient[Litestar], method: str, path: str, **kw: Any) -> Any:
    headers = {"X-CSRF-Token": await csrf_token(client)}
    return await client.request(method, path, headers=headers, **kw)


async def test_nobody_but_the_owner_touches_a_draft(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    world = await populate(client, db, store)
    investor = world.people["investor"].user
    assert investor
    draft = await upload_drafts.open_draft(db, investor_id=investor.id)
    act_as(client, world.people["investor"])
    path = f"/api/v1/drafts/{draft.id}"
    mine = await _send(client, "POST", f"{path}/documents", params={"kind": "business_plan"},
                       content=PDF)  # fmt: skip
    assert mine.status_code == 201, mine.text

    client.cookies.clear()
    assert (await log_in(client, "someone.else@security.test")).status_code == 303
    other = Actor("investor", None, dict(client.cookies))  # another investor
    others = [other, *(world.people[r] for r in ("reviewer", "chair", "officer", "visitor"))]
    for actor in others:
        act_as(client, actor)
        for method, kw in (("GET", {}), ("DELETE", {})):
            response = await _send(client, method, path, **kw)
            assert response.status_code in (401, 403, 404), (actor.role, method)
        upload = await _send(client, "POST", f"{path}/documents",
                             params={"kind": "business_plan"}, content=PDF)  # fmt: skip
        assert upload.status_code in (401, 403, 404), actor.role
    assert await db.fetchval("SELECT count(*) FROM documents") == 1

    # Another investor naming the draft in a submission gets its files no more than its page.
    act_as(client, other)
    body = {
        "call_id": str(world.call), "draft_id": str(draft.id), "applicant": asdict(applicant()),
        "contact": asdict(CONTACT), "project": asdict(project()),
    }  # fmt: skip
    taken = await _send(client, "POST", "/api/v1/applications", json=body)
    assert (taken.status_code, taken.json()["field"]) == (422, "draft_id")
    assert await db.fetchval("SELECT count(*) FROM documents WHERE draft_id = $1", draft.id) == 1
    act_as(client, world.people["investor"])
    assert len((await client.get(path)).json()["documents"]) == 1
