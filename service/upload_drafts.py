"""Drafts opened over the API: somewhere to keep files before the application exists.

An API client opens a draft, uploads the call's documents to it, then submits with its id; the
submission takes the files in its own transaction (``service.documents.claim_draft_documents``).
These are rows of the portal's ``application_drafts``, whose ``documents_key`` is the draft's
own id, so the portal shows the same draft with its files. Left alone, an API draft expires
(:data:`LIFETIME` after its last upload) and :func:`expire` deletes it with its files; a draft
saved on the portal does not expire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

if TYPE_CHECKING:
    from datetime import datetime

    import asyncpg

#: How long an API draft is kept after it was opened or last given a file.
LIFETIME = timedelta(days=7)
OPEN = """
INSERT INTO application_drafts (id, investor_id, "values", expires_at)
VALUES ($1, $2, $3::jsonb, now() + $4::interval) RETURNING expires_at
"""
SELECT_LIVE = """
SELECT id, "values"->>'documents_key' AS key, expires_at FROM application_drafts
WHERE id = $1 AND investor_id = $2 AND (expires_at IS NULL OR expires_at > now())
"""
PROLONG = """
UPDATE application_drafts SET expires_at = now() + $3::interval, updated_at = now()
WHERE id = $1 AND investor_id = $2 AND expires_at IS NOT NULL RETURNING expires_at
"""
#: A draft's files are kept under the portal form's hidden key, else under the draft's id.
DISCARD = """
WITH gone AS (
    DELETE FROM application_drafts WHERE id = $1 AND investor_id = $2
    RETURNING
        CASE WHEN "values"->>'documents_key' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
               THEN ("values"->>'documents_key')::uuid ELSE id END AS key
), files AS (
    DELETE FROM documents d USING gone
    WHERE d.draft_id = gone.key AND d.owner_id = $2 AND d.application_id IS NULL
)
SELECT count(*) FROM gone
"""
EXPIRE = """
WITH gone AS (
    DELETE FROM application_drafts WHERE expires_at <= now()
    RETURNING investor_id,
        CASE WHEN "values"->>'documents_key' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
               THEN ("values"->>'documents_key')::uuid ELSE id END AS key
), files AS (
    DELETE FROM documents d USING gone
    WHERE d.draft_id = gone.key AND d.owner_id = gone.investor_id AND d.application_id IS NULL
)
SELECT count(*) FROM gone
"""


@dataclass(frozen=True, kw_only=True)
class UploadDraft:
    """A draft the investor may upload to: its id, the key its files are kept under, and when
    it expires (None: a portal draft, kept until submitted or deleted)."""

    id: UUID
    key: UUID
    expires_at: datetime | None


async def open_draft(pool: asyncpg.Pool, *, investor_id: UUID) -> UploadDraft:
    """A new, empty draft of the investor's, expiring after :data:`LIFETIME`."""
    draft_id = uuid4()
    values = json.dumps({"documents_key": str(draft_id)})
    expires_at = await pool.fetchval(OPEN, draft_id, investor_id, values, LIFETIME)
    return UploadDraft(id=draft_id, key=draft_id, expires_at=expires_at)


async def live_draft(
    pool: asyncpg.Pool | asyncpg.Connection, *, investor_id: UUID, draft_id: UUID
) -> UploadDraft | None:
    """One of the investor's drafts that has not expired; None for anyone else's or a gone one."""
    row = await pool.fetchrow(SELECT_LIVE, draft_id, investor_id)
    if row is None:
        return None
    try:
        key = UUID(row["key"]) if row["key"] else row["id"]
    except ValueError:  # a portal draft saved with a mangled hidden field
        key = row["id"]
    return UploadDraft(id=row["id"], key=key, expires_at=row["expires_at"])


async def prolong(pool: asyncpg.Pool, *, investor_id: UUID, draft_id: UUID) -> datetime | None:
    """A file was added: an API draft is kept :data:`LIFETIME` from now (portal drafts: None)."""
    expires_at: datetime | None = await pool.fetchval(PROLONG, draft_id, investor_id, LIFETIME)
    return expires_at


async def discard(pool: asyncpg.Pool, *, investor_id: UUID, draft_id: UUID) -> bool:
    """Delete one of the investor's drafts and the files not yet submitted; False if none."""
    return bool(await pool.fetchval(DISCARD, draft_id, investor_id))


async def expire(pool: asyncpg.Pool) -> int:
    """Delete every expired draft and its files (the app's purge loop runs this); how many."""
    return int(await pool.fetchval(EXPIRE))
