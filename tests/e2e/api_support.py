"""Helpers for the API tests: sign in as someone, send JSON with the CSRF header, a programme."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pyotp

from projections import tracking
from projections.registry import ALL_PROJECTIONS
from projections.runner import ProjectionRunner
from service import call_content
from tests.e2e.conftest import PASSWORD, make_user, totp_secret_for
from tests.integration.service import support

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore

API = "/api/v1"
OFFICER, CHAIR = "officer@region.ma", "chair@region.ma"
REVIEWER1, REVIEWER2 = "reviewer1@region.ma", "reviewer2@region.ma"
INVESTOR, OTHER_INVESTOR = "investor@example.ma", "other@example.ma"
ROLES = {
    OFFICER: "officer", CHAIR: "chair", REVIEWER1: "reviewer", REVIEWER2: "reviewer",
    INVESTOR: "investor", OTHER_INVESTOR: "investor",
}  # fmt: skip


@dataclass
class Api:
    """One client that signs in as one person at a time (the session cookie is replaced)."""

    client: AsyncTestClient[Litestar]
    csrf: str = ""

    async def sign_in(self, email: str) -> None:
        """Log in over the API itself; staff send their authenticator's code as ``totp``."""
        self.client.cookies.clear()
        self.csrf = (await self.get("/session")).json()["csrf_token"]
        body = {"email": email, "password": PASSWORD}
        if ROLES.get(email, "investor") != "investor":
            body["totp"] = pyotp.TOTP(await totp_secret_for(self.client, email)).now()
        response = await self.post("/session", body)
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(API + path, **kwargs)

    async def post(
        self, path: str, body: Any = None, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = {"X-CSRF-Token": self.csrf, **(headers or {})}
        return await self.client.post(API + path, json=body, headers=sent)

    async def delete(self, path: str) -> httpx.Response:
        return await self.client.delete(API + path, headers={"X-CSRF-Token": self.csrf})


async def people(pool: asyncpg.Pool) -> dict[str, Any]:
    """Every role's account, by e-mail address."""
    return {email: await make_user(pool, email, role) for email, role in ROLES.items()}


async def catch_up(pool: asyncpg.Pool, store: EventStore, timeout_s: float = 20) -> None:
    """The read models up to the log's head (the app under test runs no projections).

    Readers stop below the oldest transaction still open on the *server*; on a shared test
    server another test's transaction can hold that fence for a moment, so wait it out.
    """
    deadline = asyncio.get_running_loop().time() + timeout_s
    for projection in ALL_PROJECTIONS:
        runner = ProjectionRunner(pool, store, projection)
        while True:
            await runner.catch_up()
            if await store.count_after(await tracking.position(pool, projection.name)) == 0:
                break
            assert asyncio.get_running_loop().time() < deadline, f"{projection.name} stuck"
            await asyncio.sleep(0.02)


def application_body(call_id: str, **project: Any) -> dict[str, Any]:
    """A valid application to ``call_id``, JSON-ready."""
    return {
        "call_id": call_id,
        "applicant": asdict(support.applicant()),
        "contact": asdict(support.CONTACT),
        "project": asdict(support.project(**project)),
    }


#: The smallest files the content check accepts (a PDF's signature and trailer).
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
#: What the calls these tests open ask for by default (service/call_content.py).
MANDATORY = tuple(d.kind for d in call_content.DOCUMENTS if d.mandatory)


async def upload_to_draft(
    api: Api, draft_id: str, content: bytes, kind: str = "business_plan"
) -> httpx.Response:
    """One file sent as the raw body of ``POST /api/v1/drafts/{id}/documents``."""
    return await api.client.post(
        f"{API}/drafts/{draft_id}/documents", params={"kind": kind}, content=content,
        headers={"X-CSRF-Token": api.csrf, "Content-Type": "application/pdf"},
    )  # fmt: skip


async def with_documents(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with a new draft of the signed-in investor holding the call's mandatory files."""
    opened = await api.post("/drafts")
    assert opened.status_code == 201, opened.text
    draft_id = opened.json()["draft_id"]
    for kind in MANDATORY:
        sent = await upload_to_draft(api, draft_id, PDF, kind)
        assert sent.status_code == 201, sent.text
    return {**body, "draft_id": draft_id}


async def open_programme(api: Api, pool: asyncpg.Pool, store: EventStore) -> dict[str, str]:
    """As an officer over the API: an envelope, a call and a published rubric."""
    await api.sign_in(OFFICER)
    envelope = await api.post("/envelopes", {"name": "Envelope 2026", "total_centimes": 5 * 10**9})
    assert envelope.status_code == 201, envelope.text
    envelope_id = envelope.json()["id"]
    call = await api.post(
        "/calls",
        {"envelope_id": envelope_id, "title": "Call 2026", "min_request_centimes": 10_000_000,
         "max_request_centimes": 1_200_000_000},
    )  # fmt: skip
    assert call.status_code == 201, call.text
    rubric = await api.post("/rubrics", {"name": "Charter grid", "rubric_version": 1})
    assert rubric.status_code == 201, rubric.text
    rubric_id = rubric.json()["id"]
    published = await api.post(f"/rubrics/{rubric_id}/publication")
    assert published.status_code == 200, published.text
    await catch_up(pool, store)
    return {"envelope_id": envelope_id, "call_id": call.json()["id"], "rubric_id": rubric_id}
