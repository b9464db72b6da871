"""Drafts over the API: upload the call's documents first, then submit with the draft's id.

The journey runs against uvicorn on a real port (the client speaks real HTTP); the refusals
use the in-process client. The security side (another investor, staff) is in
tests/security/test_drafts_api.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from service import drafts, upload_drafts
from tests.e2e.api_support import (
    API,
    INVESTOR,
    MANDATORY,
    PDF,
    Api,
    application_body,
    open_programme,
    people,
    upload_to_draft,
)
from tests.e2e.test_documents_api import EXE, PNG
from tests.faults.live import serving, session_client

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings
    from service.store import EventStore


@pytest.fixture
async def world(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> dict[str, Any]:
    """Everyone's account and an open programme (as tests/e2e/test_api.py has it)."""
    api = Api(client)
    users = await people(db)
    return {"api": api, "users": users, **await open_programme(api, db, store)}


async def _draft_with_plan(api: Api) -> str:
    """A new draft of the investor's, holding a business plan."""
    await api.sign_in(INVESTOR)
    draft_id = str((await api.post("/drafts")).json()["draft_id"])
    assert (await upload_to_draft(api, draft_id, PDF)).status_code == 201
    return draft_id


async def _upload(http: httpx.AsyncClient, draft_id: str, content: bytes, kind: str) -> Any:
    sent = await http.post(f"/drafts/{draft_id}/documents", params={"kind": kind},
                           content=content, headers={"Content-Type": "image/png"})  # fmt: skip
    assert sent.status_code == 201, sent.text
    return sent.json()


async def test_submission_takes_the_drafts_files_and_names_what_is_missing(
    world: dict[str, Any], web_settings: Settings, database_url: str
) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    body = application_body(world["call_id"])
    async with serving(web_settings, database_url) as url, session_client(api, url) as http:
        bare = await http.post("/applications", json=body)
        assert bare.status_code == 422, bare.text
        assert bare.json()["code"] == "missing_document"
        assert bare.json()["kinds"] == list(MANDATORY)

        opened = await http.post("/drafts")
        assert opened.status_code == 201, opened.text
        draft_id = opened.json()["draft_id"]
        assert opened.json()["expires_at"] is not None
        plan = await _upload(http, draft_id, PDF, "business_plan")
        assert plan["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert plan["media_type"] == "application/pdf"  # by content, whatever the header said
        half = await http.post("/applications", json={**body, "draft_id": draft_id})
        assert half.status_code == 422, half.text
        assert half.json()["kinds"] == list(MANDATORY[1:])
        kept = (await http.get(f"/drafts/{draft_id}")).json()  # the refusal took nothing
        assert [d["document_id"] for d in kept["documents"]] == [plan["document_id"]]

        rc = await _upload(http, draft_id, PNG, MANDATORY[1])
        for kind in MANDATORY[2:]:
            await _upload(http, draft_id, PDF, kind)
        done = await http.post("/applications", json={**body, "draft_id": draft_id})
        assert done.status_code == 201, done.text
        app_id = done.json()["application_id"]
        listed = (await http.get(f"/applications/{app_id}/documents")).json()
        assert {plan["document_id"], rc["document_id"]} <= {d["document_id"] for d in listed}
        assert sorted(d["kind"] for d in listed) == sorted(MANDATORY)
        got = await http.get(f"/applications/{app_id}/documents/{rc['document_id']}")
        assert got.content == PNG
        assert (await http.get(f"/drafts/{draft_id}")).status_code == 404  # used up
        again = await http.post("/applications", json={**body, "draft_id": draft_id})
        assert again.status_code == 422
        assert (again.json()["code"], again.json()["field"]) == ("unknown_reference", "draft_id")


async def test_a_draft_refuses_files_by_content_kind_and_size(
    world: dict[str, Any], db: asyncpg.Pool
) -> None:
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    draft_id = (await api.post("/drafts")).json()["draft_id"]
    exe = await upload_to_draft(api, draft_id, EXE)  # declared application/pdf
    assert (exe.status_code, exe.json()["code"]) == (415, "unsupported_media_type")
    empty = await upload_to_draft(api, draft_id, b"")
    assert (empty.status_code, empty.json()["code"]) == (415, "unsupported_media_type")
    odd = await upload_to_draft(api, draft_id, PDF, kind="passport_scan")
    assert (odd.status_code, odd.json()["code"], odd.json()["field"]) == (
        422, "invalid_value", "kind")  # fmt: skip
    limit = 10 * 1_048_576
    big = await upload_to_draft(api, draft_id, PDF + bytes(limit))
    assert (big.status_code, big.json()["code"]) == (413, "payload_too_large")
    assert await db.fetchval("SELECT count(*) FROM documents") == 0


async def test_a_draft_left_alone_expires_with_its_files(
    world: dict[str, Any], db: asyncpg.Pool
) -> None:
    api: Api = world["api"]
    draft_id = await _draft_with_plan(api)
    await db.execute(
        "UPDATE application_drafts SET expires_at = now() - interval '1 second' WHERE id = $1",
        draft_id,
    )
    assert (await api.get(f"/drafts/{draft_id}")).status_code == 404
    body = {**application_body(world["call_id"]), "draft_id": draft_id}
    assert (await api.post("/applications", body)).json()["field"] == "draft_id"
    assert await upload_drafts.expire(db) == 1
    assert await db.fetchval("SELECT count(*) FROM documents") == 0
    assert await db.fetchval("SELECT count(*) FROM application_drafts") == 0


async def test_an_api_draft_saved_on_the_portal_keeps_its_files_and_no_longer_expires(
    world: dict[str, Any], db: asyncpg.Pool
) -> None:
    api: Api = world["api"]
    draft_id = await _draft_with_plan(api)
    investor = world["users"][INVESTOR].id
    saved = await drafts.draft(db, investor_id=investor, draft_id=draft_id)
    assert saved is not None
    assert saved.values["documents_key"] == draft_id  # the portal form finds the files here
    await drafts.save_draft(db, investor_id=investor, values=saved.values, draft_id=saved.id)
    shown = (await api.get(f"/drafts/{draft_id}")).json()
    assert shown["expires_at"] is None
    assert len(shown["documents"]) == 1
    assert (await api.delete(f"/drafts/{draft_id}")).status_code == 204
    assert await db.fetchval("SELECT count(*) FROM documents") == 0


async def test_a_body_past_the_limit_is_refused_before_it_is_all_sent(
    world: dict[str, Any], web_settings: Settings, database_url: str
) -> None:
    """Chunked, with no length announced: the server answers 413 once the limit is passed,
    while the client still has most of its 8 MB to send (the rest is never read)."""
    api: Api = world["api"]
    await api.sign_in(INVESTOR)
    draft_id = (await api.post("/drafts")).json()["draft_id"]
    small = dataclasses.replace(web_settings, document_max_bytes=1_048_576)
    cookie = "; ".join(f"{k}={v}" for k, v in api.client.cookies.items())
    total, chunk = 8 * 1_048_576, PDF + bytes(65_536 - len(PDF))
    async with serving(small, database_url) as url:
        port = urlsplit(url).port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"POST {API}/drafts/{draft_id}/documents?kind=business_plan HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nX-CSRF-Token: {api.csrf}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        answer = asyncio.create_task(reader.readline())
        sent = 0
        try:
            while sent < total and not answer.done():
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                sent += len(chunk)
                await asyncio.sleep(0.005)
        except ConnectionError:
            pass  # the server stopped reading: what this test wants
        status_line = await asyncio.wait_for(answer, timeout=10)
        writer.close()
    assert status_line.split()[1] == b"413", status_line
    assert sent < total / 2, sent
