"""Demo accounts and the demo programme, for ``grants demo`` and ``grants serve --demo``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from service import accounts, mfa, notifier
from service.demo import DemoSummary, load_demo
from service.passwords import Passwords
from service.store import EventStore

if TYPE_CHECKING:
    import asyncpg

# A development-only password, printed on the console; --demo is refused in production.
DEMO_PASSWORD = "Sahara-Oasis-7391"  # noqa: S105
# Demo staff's TOTP secret, so that a newcomer can add it to an authenticator app and browser
# tests can compute codes. Demo only: --demo and `grants demo` are refused in production.
DEMO_TOTP_SECRET = "DRAATAFILALETDEMOSTAFFTOTPKEY234"  # noqa: S105
STAFF = (
    ("officer@demo.ma", "Programme officer", "officer"),
    ("chair@demo.ma", "Committee chair", "chair"),
    ("reviewer1@demo.ma", "Reviewer One", "reviewer"),
    ("reviewer2@demo.ma", "Reviewer Two", "reviewer"),
    ("reviewer3@demo.ma", "Reviewer Three", "reviewer"),
)
INVESTORS = 5
PEOPLE = (
    *STAFF,
    *((f"investor{i}@demo.ma", f"Investor {i}", "investor") for i in range(1, INVESTORS + 1)),
)


async def load_if_empty(pool: asyncpg.Pool, secret_key: str) -> bool:
    """Create the demo accounts and programme in an empty database; False if it held events."""
    if await pool.fetchval("SELECT EXISTS (SELECT 1 FROM events)"):
        return False
    # The demo's history is not news: nobody is mailed about it (only what happens from now),
    # even when a server runs meanwhile.
    async with notifier.silenced(pool):
        summary = await _load(pool, secret_key)
    if sys.stderr.isatty():
        print(file=sys.stderr)  # end the line counted up in place
    print(
        f"grants: demo loaded: {summary.applications} applications, "
        f"{summary.committed_centimes // 100:,} of {summary.total_centimes // 100:,} MAD committed",
        file=sys.stderr,
    )
    print(
        "grants: demo accounts (password "
        + DEMO_PASSWORD
        + "): "
        + ", ".join(email for email, _n, _r in PEOPLE),
        file=sys.stderr,
    )
    print(
        "grants: demo staff two-step verification (demo only): add the key "
        + DEMO_TOTP_SECRET
        + " to an authenticator app, or "
        + mfa.provisioning_uri(DEMO_TOTP_SECRET, "demo staff"),
        file=sys.stderr,
    )
    return True


async def _load(pool: asyncpg.Pool, secret_key: str) -> DemoSummary:
    passwords = Passwords()
    users: dict[str, list[accounts.User]] = {}
    for email, name, role in PEOPLE:
        user = await accounts.create_user(
            pool=pool,
            passwords=passwords,
            email=email,
            display_name=name,
            role=role,
            password=DEMO_PASSWORD,
        )
        users.setdefault(role, []).append(user)
        if role != "investor":
            await mfa.enrol(pool, secret_key, user.id, DEMO_TOTP_SECRET)
    return await load_demo(
        EventStore(pool),
        pool,
        investors=[u.id for u in users["investor"]],
        reviewers=[u.id for u in users["reviewer"]],
        chair=users["chair"][0].id,
        officer=users["officer"][0].id,
        progress=_progress,
    )


def _progress(done: int, total: int) -> None:
    # On a terminal one line counts up in place; in a log (not a TTY) a carriage return
    # would glue the counts into one unreadable line, so each gets its own, less often.
    if sys.stderr.isatty():
        if done % 20 == 0 or done == total:
            print(f"\rgrants: demo applications {done}/{total}", end="", file=sys.stderr)
            sys.stderr.flush()
    elif done % 50 == 0 or done == total:
        print(f"grants: demo applications {done}/{total}", file=sys.stderr, flush=True)
