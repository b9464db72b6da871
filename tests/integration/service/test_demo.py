"""Demo data: loaded through the use cases, deterministic, and keeping the envelope's invariant."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from domain.applications import GrantApplication
from domain.envelopes import SupportEnvelope
from domain.reference import SOLE_TRADER
from service import call_content, documents
from service.accounts import CHAIR as CHAIR_ROLE
from service.accounts import User
from service.demo import DemoError, DemoSummary, load_demo
from service.repository import Repository

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

PEOPLE = [UUID(int=i) for i in range(1, 60)]
INVESTORS, REVIEWERS, CHAIR, OFFICER = PEOPLE[:40], PEOPLE[40:48], PEOPLE[50], PEOPLE[51]


async def load(store: EventStore, pool: asyncpg.Pool, count: int) -> DemoSummary:
    return await load_demo(
        store, pool, investors=INVESTORS, reviewers=REVIEWERS, chair=CHAIR, officer=OFFICER,
        applications=count,
    )  # fmt: skip


async def check_invariant(store: EventStore, summary: DemoSummary) -> None:
    envelope = await Repository(store).get(summary.envelope_id, cls=SupportEnvelope)
    assert envelope.reserved_centimes + envelope.disbursed_centimes <= envelope.total_centimes
    assert summary.committed_centimes == envelope.reserved_centimes + envelope.disbursed_centimes


async def test_a_small_demo_keeps_the_envelope_invariant(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    summary = await load(store, pool, 30)
    assert summary.applications == sum(summary.by_status.values()) == 30
    await check_invariant(store, summary)
    with pytest.raises(DemoError):
        await load(store, pool, 1)


async def test_the_full_demo_commits_about_four_fifths_of_the_envelope(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    started = time.perf_counter()
    summary = await load(store, pool, 200)
    elapsed = time.perf_counter() - started
    print(f"demo: {summary} committed {summary.committed_share:.1%} in {elapsed:.1f}s")
    await check_invariant(store, summary)
    assert 0.70 <= summary.committed_share <= 0.81
    assert summary.total_centimes == 5_000_000_000
    for status in ("in_review", "funded", "rejected", "screened_out", "withdrawn"):
        assert summary.by_status.get(status, 0) > 0, status
    assert elapsed < 30


async def test_each_demo_file_states_the_jobs_it_declares_even_after_an_amendment(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    await load(store, pool, 60)
    repo = Repository(store)
    ids = [r[0] for r in await pool.fetch(SUBMITTED)]
    amended = await pool.fetchval(AMENDED)
    assert amended > 0, "the demo answers some questions by amending the jobs"
    for application_id in ids:
        project = (await repo.get(application_id, cls=GrantApplication)).project
        assert f"{project['jobs']} emplois directs" in project["summary"], application_id


async def test_each_demo_file_carries_the_calls_mandatory_documents_as_readable_pdfs(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    """A reviewer of the demo reads a business plan and a registry extract for every file."""
    await load(store, pool, 12)
    chair = User(id=CHAIR, email="chair@example.ma", display_name="Chair", role=CHAIR_ROLE)
    ids = [r[0] for r in await pool.fetch(SUBMITTED)]
    assert len(ids) == 12
    for application_id in ids:
        app = await Repository(store).get(application_id, cls=GrantApplication)
        held = {d.kind: d for d in await documents.listing(store, chair, application_id) or []}
        sole = app.applicant_kind == SOLE_TRADER
        register = "rnae_card" if sole else "rc_extract"
        assert set(held) == {*MANDATORY, register}, application_id
        assert len(app.documents) == len(held)
        sent = {d.created_at for d in held.values()}
        assert sent == {app.submitted_at}, "sent with the submission, in the demo's past"
        plan = await documents.download(store, chair, application_id, held["business_plan"].id)
        assert plan is not None
        assert plan.info.media_type == "application/pdf"
        if shutil.which("pdftotext"):  # CI installs poppler: the PDF is read back as text
            text = await asyncio.to_thread(pdftotext, plan.content)
            assert app.project["title"] in text
            assert "Plan d'affaires" in text


MANDATORY = {d.kind for d in call_content.DOCUMENTS if d.mandatory}


def pdftotext(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


SUBMITTED = "SELECT DISTINCT originator_id FROM events WHERE topic = 'grants.application:Submitted'"
AMENDED = "SELECT count(*) FROM events WHERE topic = 'grants.application:Amended'"
