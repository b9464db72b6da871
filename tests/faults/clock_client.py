"""One submission from a separate app process, whose clock the test skews with ``faketime``.

``python -m tests.faults.clock_client URL ENVELOPE_ID CALL_ID KEY`` prints one JSON line: this
process's idea of the time, and the new application's id or the name of the refusal.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from uuid import UUID, uuid4

from domain.errors import DomainError
from service import applications, db
from service.settings import Settings
from service.store import EventStore
from tests.integration.service.support import CONTACT, applicant, project


async def main(url: str, envelope_id: str, call_id: str, key: str) -> dict[str, str]:
    pool = await db.create_pool(Settings(secret_key="x" * 40, pool_min_size=1), url)
    store = EventStore(pool)
    out = {"clock": datetime.now(UTC).isoformat()}
    try:
        app_id = await applications.submit(
            store, investor_id=uuid4(), envelope_id=UUID(envelope_id), call_id=UUID(call_id),
            applicant=applicant(), contact=CONTACT, project=project(), idempotency_key=key,
        )  # fmt: skip
        out["app_id"] = str(app_id)
    except DomainError as refusal:
        out["refused"] = type(refusal).__name__
    finally:
        await store.close()
        await pool.close()
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:5]))))
