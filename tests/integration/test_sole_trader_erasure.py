"""A sole trader's trade name, ICE and RNAE number are sealed with the person's key (issue 17,
item 3): readable by the programme while the key lives, found nowhere in a ``pg_dump`` once the
person is erased (neither as text nor inside the events' bytes), while the ledger and every
projection still rebuild."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from domain.identifiers import ice_with_check
from domain.rubrics import DEFAULT_CRITERIA
from projections import registry
from projections.audit import audit
from service import accounts, decisions, personal_data, programme
from service import applications as apps
from service.erasure import erase_person
from service.passwords import Passwords
from tests.e2e.public_support import catch_up_all
from tests.integration.pgdump import dump, pg_dump_binary
from tests.integration.service import support

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

TRADE_NAME = "Atelier Zoubida Testtraderouarzazi"
ICE = ice_with_check("0099887766554")
RNAE = "987650123401"


def traces(text: str) -> list[str]:
    """Which of the sole trader's identifiers ``text`` holds, as text or as hex-encoded bytes."""
    found = []
    for secret in (TRADE_NAME, "Testtraderouarzazi", ICE, RNAE):
        if secret in text or secret.encode().hex() in text:
            found.append(secret)
    return found


async def test_a_sole_traders_identity_is_sealed_and_gone_after_erasure(
    pool: asyncpg.Pool, store: EventStore, database_url: str
) -> None:
    binary = await pg_dump_binary(pool)
    if binary is None:
        pytest.skip("no pg_dump matching the server's version")
    await registry.ensure_all(pool)
    staff = {
        role: await accounts.create_user(
            pool=pool,
            passwords=Passwords(),
            email=f"{role}{n}@region.ma",
            display_name=role,
            role=role,
            password="a long enough secret",
        )
        for n, role in enumerate(("officer", "chair", "reviewer", "reviewer"))
    }
    reviewers = [
        await accounts.create_user(
            pool=pool,
            passwords=Passwords(),
            email=f"r{n}@region.ma",
            display_name="R",
            role="reviewer",
            password="a long enough secret",
        )
        for n in range(2)
    ]
    person = await accounts.create_user(
        pool=pool, passwords=Passwords(), email="zoubida@exemple.ma", display_name="Zoubida",
        role="investor", password="a long enough secret",
    )  # fmt: skip
    envelope_id = await programme.open_envelope(store)
    rubric_id = await programme.draft_rubric(store)
    await programme.publish_rubric(store, rubric_id=rubric_id)
    call_id = await programme.open_call(
        store, envelope_id=envelope_id, title="Appel", min_request_centimes=100,
        max_request_centimes=10**12,
    )  # fmt: skip
    sole = apps.Applicant(
        applicant_kind="sole_trader", company_name=TRADE_NAME, legal_form="sole_trader",
        ice=ICE, rc_court="", rc_number="", rnae_number=RNAE,
    )  # fmt: skip
    app_id = await apps.submit(
        store, investor_id=person.id, envelope_id=envelope_id, call_id=call_id,
        applicant=sole, contact=support.CONTACT, project=support.project(),
    )  # fmt: skip
    for reviewer in reviewers:
        await apps.assign_reviewer(
            store, application_id=app_id, reviewer_id=reviewer.id, by=staff["officer"].id
        )
        await apps.review(
            store, application_id=app_id, reviewer_id=reviewer.id, rubric_id=rubric_id,
            scores={c.key: 4 for c in DEFAULT_CRITERIA},
        )  # fmt: skip
    await decisions.fund(
        store, application_id=app_id, decided_by=staff["chair"].id,
        amount_centimes=support.project().requested_centimes,
    )  # fmt: skip
    await catch_up_all(pool, store)

    # Sealed, not dropped: the programme reads it while the key lives ...
    assert await personal_data.identity_of(store, app_id) == {
        "company_name": TRADE_NAME, "ice": ICE, "rnae_number": RNAE,
    }  # fmt: skip
    # ... and no event, snapshot or projection row holds it in clear, even before erasure.
    assert traces(dump(binary, database_url)) == []
    head_before = await pool.fetchval(
        "SELECT entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"
    )
    assert head_before is not None

    done = await erase_person(pool, person.id)

    assert done.key_destroyed
    assert await personal_data.identity_of(store, app_id) is None
    assert traces(dump(binary, database_url)) == []
    for projection in registry.select():
        await registry.rebuild(pool, store, projection.name)
    assert await audit(pool, store) is None
    head = await pool.fetchval("SELECT entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")
    assert head == head_before, "amounts and decisions are untouched"
