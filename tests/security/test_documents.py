"""Documents (issue 13): who gets a 404 on every document route, content recognition, an
oversized upload refused before it is read whole, and nothing of a person's documents left in a
``pg_dump`` after their erasure."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from service import documents
from service.documents import Limits
from service.erasure import erase_person
from tests.e2e.conftest import log_in
from tests.integration.pgdump import dump, pg_dump_binary
from tests.security.support import act_as, csrf_token, populate

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings
    from service.store import EventStore
    from tests.security.support import World

PDF = b"%PDF-1.7\n" + b"canary-document-" + os.urandom(16).hex().encode() + b"\n%%EOF\n"
LIMITS = Limits(each=10 * 1_048_576, total=50 * 1_048_576)


async def _attach(store: EventStore, world: World, application_id: object) -> str:
    investor = world.people["investor"].user
    assert investor
    info = await documents.attach_to_application(
        store, user=investor, application_id=application_id,  # type: ignore[arg-type]
        kind="business_plan", content=PDF, limits=LIMITS,
    )  # fmt: skip
    return str(info.id)


def _routes(app_id: object, doc: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/api/v1/applications/{app_id}/documents"),
        ("GET", f"/api/v1/applications/{app_id}/documents/{doc}"),
        ("POST", f"/api/v1/applications/{app_id}/documents"),
        ("GET", f"/applications/{app_id}/documents/{doc}"),
    ]


async def _status(client: AsyncTestClient[Litestar], method: str, path: str) -> int:
    if method == "GET":
        return (await client.get(path)).status_code
    token = await csrf_token(client)
    response = await client.post(
        path, files={"file": ("x.pdf", PDF, "application/pdf")}, data={"kind": "business_plan"},
        headers={"X-CSRF-Token": token},
    )  # fmt: skip
    return response.status_code


async def test_every_document_route_is_a_404_for_anyone_not_entitled(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    world = await populate(client, db, store)
    assigned = await _attach(store, world, world.assigned)
    unassigned = await _attach(store, world, world.unassigned)
    conflicted = await _attach(store, world, world.conflicted)
    refused: list[str] = []

    async def expect(status: set[int], app_id: object, doc: str, who: str) -> None:
        for method, path in _routes(app_id, doc):
            got = await _status(client, method, path)
            if method == "POST" and who == "reviewer":
                status = {403, 404}  # refused by role before any body is read
            if got not in status:
                refused.append(f"{who} {method} {path}: {got}")

    client.cookies.clear()
    await log_in(client, "someone.else@security.test")  # another investor
    for app_id, doc in ((world.assigned, assigned), (world.unassigned, unassigned)):
        await expect({404}, app_id, doc, "other investor")
    act_as(client, world.people["reviewer"])
    await expect({404}, world.unassigned, unassigned, "reviewer")  # not assigned
    await expect({404}, world.conflicted, conflicted, "reviewer")  # conflicted
    client.cookies.clear()
    for app_id, doc in ((world.assigned, assigned), (world.unassigned, unassigned)):
        for method, path in _routes(app_id, doc):
            got = await _status(client, method, path)
            if got not in (401, 403, 404) and not (got == 303 and method == "GET"):
                refused.append(f"visitor {method} {path}: {got}")
    assert not refused, "\n".join(refused)
    # The entitled reviewer does get the assigned file's document, as an attachment.
    act_as(client, world.people["reviewer"])
    got = await client.get(f"/applications/{world.assigned}/documents/{assigned}")
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-disposition"].startswith("attachment")


async def test_an_id_of_another_aggregate_is_no_application(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    world = await populate(client, db, store)
    act_as(client, world.people["officer"])
    for path in (f"/api/v1/applications/{world.call}/documents",
                 f"/applications/{world.envelope}/decision-letter.pdf"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path


async def test_an_exe_renamed_pdf_is_refused_on_the_page_too(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    world = await populate(client, db, store)
    act_as(client, world.people["investor"])
    token = await csrf_token(client)
    exe = b"MZ\x90\x00" + bytes(200)
    sent = await client.post(
        f"/my/files/{world.assigned}/documents",
        files={"file": ("plan.pdf", exe, "application/pdf")},
        data={"kind": "business_plan", "_csrf": token},
    )
    assert sent.status_code == 303
    assert sent.headers["location"].endswith("?document=unsupported_media_type#documents")
    assert await db.fetchval("SELECT count(*) FROM documents") == 0


async def test_an_oversized_upload_is_refused_before_it_is_read_whole(
    settings: Settings, database_url: str, db: asyncpg.Pool, store: EventStore,
    client: AsyncTestClient[Litestar],
) -> None:  # fmt: skip
    """A client announces 1 GB and sends 64 KB: the server answers 413 at once, never waiting
    for (nor buffering) the rest. Over real HTTP, against uvicorn."""
    from tests.faults.live import serving

    world = await populate(client, db, store)
    act_as(client, world.people["investor"])
    token = await csrf_token(client)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    async with serving(settings, database_url) as url:
        host, port = urlsplit(url).hostname, urlsplit(url).port
        reader, writer = await asyncio.open_connection(host, port)
        head = (
            f"POST /api/v1/applications/{world.assigned}/documents HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nX-CSRF-Token: {token}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {1 << 30}\r\n\r\n"
        )
        writer.write(head.encode() + b"--b\r\n" + bytes(65_536))
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        writer.close()
    assert status_line.split()[1] == b"413", status_line
    assert await db.fetchval("SELECT count(*) FROM documents") == 0


async def test_after_erasure_no_document_byte_is_left_in_a_pg_dump(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, database_url: str
) -> None:
    binary = await pg_dump_binary(db)
    if binary is None:
        pytest.skip("no pg_dump of the server's major version")
    world = await populate(client, db, store)
    await _attach(store, world, world.assigned)
    sealed = bytes(await db.fetchval("SELECT sealed FROM documents"))
    before = dump(binary, database_url)
    assert sealed.hex()[:64] in before  # the dump does show the sealed bytes while they exist
    investor = world.people["investor"].user
    assert investor
    await erase_person(db, investor.id)
    after = dump(binary, database_url)
    assert sealed.hex()[:64] not in after
    assert PDF.hex()[:64] not in after
    assert b"canary-document".hex() not in after
    assert "canary-document" not in after
    assert await db.fetchval("SELECT count(*) FROM documents") == 0
    # The record of the attachment (kind, size, SHA-256) stays in the log; the bytes never were.
    topics = await db.fetchval("SELECT count(*) FROM events WHERE topic LIKE '%DocumentAttached'")
    assert topics == 1
