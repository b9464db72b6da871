"""Application drafts: what an investor typed into the form, kept until they submit it.

Drafts are not events (nothing happened yet) and hold personal data, so they live in a plain
table that :func:`erase_drafts` empties when the person is erased.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    import asyncpg

UPSERT = """
INSERT INTO application_drafts (id, investor_id, "values") VALUES ($1, $2, $3::jsonb)
ON CONFLICT (id) DO UPDATE SET "values" = excluded."values", updated_at = now(), expires_at = NULL
WHERE application_drafts.investor_id = excluded.investor_id
RETURNING id
"""
SELECT_ONE = """
SELECT id, "values", updated_at FROM application_drafts WHERE id = $1 AND investor_id = $2
AND (expires_at IS NULL OR expires_at > now())
"""
SELECT_ALL = """
SELECT id, "values", updated_at FROM application_drafts WHERE investor_id = $1
AND (expires_at IS NULL OR expires_at > now())
ORDER BY updated_at DESC, id
"""
DELETE_ONE = "DELETE FROM application_drafts WHERE id = $1 AND investor_id = $2"
DELETE_ALL = "DELETE FROM application_drafts WHERE investor_id = $1"
MAX_VALUE_LENGTH = 5_000


@dataclass(frozen=True, kw_only=True)
class Draft:
    """A saved form: field name -> text as typed."""

    id: UUID
    values: dict[str, str]
    updated_at: datetime


def _draft(row: asyncpg.Record) -> Draft:
    return Draft(id=row["id"], values=json.loads(row["values"]), updated_at=row["updated_at"])


async def save_draft(
    pool: asyncpg.Pool,
    *,
    investor_id: UUID,
    values: Mapping[str, str],
    draft_id: UUID | None = None,
) -> UUID | None:
    """Store the values (a new draft, or over the investor's own ``draft_id``); None if not theirs."""
    kept = {k: str(v)[:MAX_VALUE_LENGTH] for k, v in values.items()}
    text = json.dumps(kept, ensure_ascii=False, sort_keys=True)
    saved: UUID | None = await pool.fetchval(UPSERT, draft_id or uuid4(), investor_id, text)
    return saved


async def draft(pool: asyncpg.Pool, *, investor_id: UUID, draft_id: UUID) -> Draft | None:
    """One of the investor's drafts (None for a missing draft or someone else's)."""
    row = await pool.fetchrow(SELECT_ONE, draft_id, investor_id)
    return _draft(row) if row else None


async def drafts(pool: asyncpg.Pool, *, investor_id: UUID) -> list[Draft]:
    """The investor's drafts, latest first."""
    return [_draft(row) for row in await pool.fetch(SELECT_ALL, investor_id)]


async def delete_draft(pool: asyncpg.Pool, *, investor_id: UUID, draft_id: UUID) -> None:
    """Forget one draft (once submitted); someone else's draft is left alone."""
    await pool.execute(DELETE_ONE, draft_id, investor_id)


async def erase_drafts(pool: asyncpg.Pool | asyncpg.Connection, investor_id: UUID) -> int:
    """Delete every draft of the investor (the privacy erasure calls this); returns how many."""
    status: str = await pool.execute(DELETE_ALL, investor_id)
    return int(status.rsplit(" ", 1)[-1])
