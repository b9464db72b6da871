"""The golden corpus of stored events: bytes the production transcoder wrote, kept forever.

Stored events are a permanent contract (new fields get defaults, an event class is never
renamed): every event the platform ever stored must load in every later version. So one stored
event of each type, exactly as it lay in the ``events`` table, is kept under
``tests/data/events/``, with what it decoded to when it was written, and is only ever added to:
``tests/integration/test_golden_events.py`` decodes every file with today's code and refuses a
modified or deleted one.

Add the event types the corpus lacks (after adding an event, say), on the test server::

    python -m tests.integration.golden
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service import db
from service.settings import Settings
from service.store import EventStore
from service.testing import scratch_database, server_url

CORPUS = Path(__file__).resolve().parents[1] / "data" / "events"
SETTINGS = Settings(
    secret_key="golden-corpus-secret-key-long-enough-0123456789",
    pool_min_size=1,
    pool_max_size=4,
    run_projections=False,
)


def file_name(topic: str) -> str:
    """``grants.application:Submitted`` -> ``grants.application-Submitted``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", topic)


def expected(event: Any) -> dict[str, str]:
    """What an event decoded to, field by field, as ``repr`` (stable across versions)."""
    return {name: repr(value) for name, value in sorted(vars(event).items())}


def corpus() -> dict[str, dict[str, Any]]:
    """Every stored event of the corpus, by file name."""
    return {p.name: json.loads(p.read_text()) for p in sorted(CORPUS.glob("*.json"))}


async def add_missing(store: EventStore, commit: str) -> list[Path]:
    """Record what the use cases store, one event of each type the corpus lacks."""
    from service.repository import new_mapper
    from tests.integration.service.test_event_roundtrip import every_event

    await every_event(store)
    have = {entry["topic"] for entry in corpus().values()}
    mapper, written = new_mapper(), []
    rows = await store.pool.fetch(
        "SELECT originator_id, originator_version, topic, state FROM events "
        "ORDER BY notification_id"
    )
    for row in rows:
        if row["topic"] in have:
            continue
        have.add(row["topic"])
        stored = await store.select_events(row["originator_id"])
        event = next(s for s in stored if s.originator_version == row["originator_version"])
        path = CORPUS / f"{file_name(row['topic'])}.{row['originator_version']}.json"
        entry = {
            "topic": row["topic"],
            "originator_id": str(row["originator_id"]),
            "originator_version": row["originator_version"],
            "state_base64": base64.b64encode(bytes(row["state"])).decode(),
            "decoded": expected(mapper.to_domain_event(event)),
            "written": datetime.now(UTC).date().isoformat(),
            "written_at_commit": commit,
        }
        path.write_text(json.dumps(entry, indent=1, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()


async def main(commit: str) -> None:
    async with scratch_database(server_url(None)) as url:
        pool = await db.create_pool(replace(SETTINGS), url)
        try:
            async with pool.acquire() as conn:
                await db.migrate(conn)
            store = EventStore(pool)
            for path in await add_missing(store, commit):
                print(f"added {path.relative_to(CORPUS.parents[2])}")
            await store.close()
        finally:
            await pool.close()


if __name__ == "__main__":
    asyncio.run(main(_commit()))
