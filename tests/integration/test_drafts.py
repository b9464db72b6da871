"""Application drafts: kept per investor, never reachable by another, erased with the person."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import uuid4

from service import accounts, drafts
from service.passwords import Passwords

if TYPE_CHECKING:
    import asyncpg


async def _investor(pool: asyncpg.Pool, email: str) -> accounts.User:
    return await accounts.create_user(
        pool=pool, passwords=Passwords(), email=email, display_name="Investor",
        role=accounts.INVESTOR, password="a long enough secret",
    )  # fmt: skip


async def test_a_draft_is_updated_in_place_and_only_by_its_investor(pool: asyncpg.Pool) -> None:
    owner, other = await _investor(pool, "a@example.ma"), await _investor(pool, "b@example.ma")
    draft_id = await drafts.save_draft(pool, investor_id=owner.id, values={"title": "v1"})
    assert draft_id is not None
    again = await drafts.save_draft(
        pool, investor_id=owner.id, values={"title": "v2"}, draft_id=draft_id
    )
    assert again == draft_id
    stolen = await drafts.save_draft(
        pool, investor_id=other.id, values={"title": "x"}, draft_id=draft_id
    )
    assert stolen is None
    assert await drafts.draft(pool, investor_id=other.id, draft_id=draft_id) is None
    await drafts.delete_draft(pool, investor_id=other.id, draft_id=draft_id)
    kept = await drafts.draft(pool, investor_id=owner.id, draft_id=draft_id)
    assert kept is not None
    assert kept.values == {"title": "v2"}


async def test_erasing_an_investor_removes_all_their_drafts_and_no_one_elses(
    pool: asyncpg.Pool,
) -> None:
    owner, other = await _investor(pool, "a@example.ma"), await _investor(pool, "b@example.ma")
    for title in ("one", "two"):
        await drafts.save_draft(pool, investor_id=owner.id, values={"contact_name": title})
    await drafts.save_draft(pool, investor_id=other.id, values={"contact_name": "three"})
    assert await drafts.erase_drafts(pool, owner.id) == 2
    assert await drafts.drafts(pool, investor_id=owner.id) == []
    assert len(await drafts.drafts(pool, investor_id=other.id)) == 1
    assert await drafts.erase_drafts(pool, uuid4()) == 0
