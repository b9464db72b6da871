"""ASVS 1.2, 3.2: injection payloads stored in every text field a user can write (application,
draft, committee questions, reasons, comments and notes, envelope and call titles, display
names) render inert on every page that shows them, for every role, public pages included."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import TYPE_CHECKING

from service import applications, decisions, drafts, programme
from service.applications import Contact
from tests.e2e.api_support import catch_up
from tests.e2e.conftest import make_user
from tests.integration.service import support as service_support
from tests.integration.service.support import GOOD
from tests.security.support import act_as, actors, endpoints, fill, load_matrix
from tests.security.test_output import PAYLOADS, assert_inert
from web.pages.portal.application_form import FIELDS

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore

#: Every payload in one value, so one file carries them all; it starts like a spreadsheet
#: formula, for the open-data CSV.
FORMULA = '=HYPERLINK("http://evil.example","x")'
MIXED = " ".join((FORMULA, *PAYLOADS))
#: How a payload looks once escaped: proof that the page really showed the stored text.
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


async def _stored_everywhere(
    store: EventStore, db: asyncpg.Pool, people: dict[str, UUID]
) -> list[UUID]:
    """The payloads in every free-text field, through the use cases; returns every id."""
    officer, chair, reviewer = people["officer"], people["chair"], people["reviewer"]
    envelope = await programme.open_envelope(store, name=MIXED, total_centimes=5 * 10**9)
    call = await programme.open_call(
        store, envelope_id=envelope, title=MIXED, min_request_centimes=100_000_00,
        max_request_centimes=12_000_000_00,
    )  # fmt: skip
    rubric = await programme.draft_rubric(store)
    await programme.publish_rubric(store, rubric_id=rubric)
    prog = service_support.Programme(envelope, call, rubric)

    async def submit() -> UUID:
        return await applications.submit(
            store, investor_id=people["investor"], envelope_id=envelope, call_id=call,
            applicant=service_support.applicant(company_name=MIXED),
            contact=Contact(name=MIXED, email="p@example.ma", phone="+212600000009"),
            project=replace(service_support.project(), title=MIXED, summary=MIXED),
        )  # fmt: skip

    second = (await make_user(db, "second.reviewer@security.test", "reviewer")).id

    async def reviewed() -> UUID:
        file = await submit()
        for someone in (reviewer, second):  # the quorum
            await applications.assign_reviewer(
                store, application_id=file, reviewer_id=someone, by=officer
            )
            await applications.review(
                store, application_id=file, reviewer_id=someone, rubric_id=prog.rubric_id,
                scores=GOOD, comment=MIXED,
            )  # fmt: skip
        return file

    funded, rejected, asked, screened = (
        await reviewed(),
        await reviewed(),
        await submit(),
        await submit(),
    )
    await decisions.fund(
        store, application_id=funded, decided_by=chair, amount_centimes=2_000_000_00, note=MIXED
    )
    await decisions.sign_agreement(store, application_id=funded, by=officer)
    await decisions.disburse(store, application_id=funded, amount_centimes=500_000_00, by=officer)
    await decisions.reject(store, application_id=rejected, decided_by=chair, reason=MIXED)
    await applications.request_information(store, application_id=asked, by=officer, question=MIXED)
    await applications.screen_out(store, application_id=screened, by=officer, reason=MIXED)
    draft = await drafts.save_draft(
        db, investor_id=people["investor"], values=dict.fromkeys(FIELDS, MIXED)
    )
    assert draft
    # Display names: the registration form keeps them as typed (test_output.py checks that).
    await db.execute("UPDATE users SET display_name = $1", MIXED)
    await catch_up(db, store)
    return [funded, rejected, asked, screened, draft, envelope, call, rubric, *people.values()]


async def test_stored_payloads_render_inert_on_every_page_for_every_role(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    people = await actors(client, db)
    ids = await _stored_everywhere(
        store, db, {role: actor.user.id for role, actor in people.items() if actor.user}
    )
    samples = load_matrix().get("params", {})
    gets = [e for e in endpoints(app) if e.method == "GET" and not e.path.startswith("/static")]
    shown: dict[str, set[str]] = {}
    for role, actor in people.items():
        act_as(client, actor)
        for endpoint in gets:
            for path in sorted({fill(endpoint, samples, ident) for ident in ids}):
                response = await client.get(path)
                assert response.status_code < 500, (path, role)
                assert_inert(response, f"{path} as {role}")
                assert "1337" not in response.text or "{{7*191}}" in response.text, path
                if ESCAPED in response.text or MIXED in response.text:
                    shown.setdefault(role, set()).add(endpoint.path)
    # The crawl really met the stored text where each role reads it.
    expected = {
        "visitor": {"/ledger", "/ledger/grants/{application_id:uuid}"},
        "investor": {"/my/files", "/my/files/{application_id:uuid}", "/my/drafts/{draft_id:uuid}"},
        "reviewer": {"/committee/queue", "/committee/files/{application_id:uuid}"},
        "chair": {"/committee/queue", "/committee/files/{application_id:uuid}"},
        "officer": {"/admin/calls", "/admin/envelopes", "/admin/users", "/committee/files/{application_id:uuid}"},
    }  # fmt: skip
    for role, paths in expected.items():
        assert paths <= shown.get(role, set()), (role, paths - shown.get(role, set()))
    # The open-data CSV carries the funded file's texts, none of them a live formula.
    client.cookies.clear()
    body = (await client.get("/open-data/360giving.csv")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    cells = [cell for row in rows[1:] for cell in row]
    assert any(FORMULA in cell for cell in cells)
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], cells
