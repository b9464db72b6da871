"""The 360Giving CSV names the signed checkpoint it was made at: in three columns on every row
(which survive a spreadsheet) and in ``Ledger-Checkpoint-*`` headers with a ``Link`` to it, so
that a verifier can prove each row's funding decision is in the signed ledger."""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import TYPE_CHECKING, Any

from domain.merkle import leaf_hash, verify_inclusion
from projections import transparency
from service.checkpoints import Verifier, ledger_signer, open_checkpoint
from tests.e2e.public_support import MAD, catch_up_all, programme, reviewed

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings
    from service.store import EventStore

CSV = "/open-data/360giving.csv"


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


async def _publish(pool: asyncpg.Pool, settings: Settings) -> transparency.Published:
    return await transparency.publish(pool, ledger_signer(settings), settings.ledger_origin)


async def test_the_csv_names_its_checkpoint_and_every_row_proves_against_it(
    client: AsyncTestClient[Litestar], pool: asyncpg.Pool, store: EventStore,
    web_settings: Settings,
) -> None:  # fmt: skip
    await programme(pool, store)
    published = await _publish(pool, web_settings)
    assert published.checkpoint is not None
    verifier = Verifier.from_vkey((await client.get("/ledger/key")).text)
    note = (await client.get("/ledger/checkpoint")).text
    checkpoint = open_checkpoint(note, verifier, web_settings.ledger_origin)
    root = base64.b64encode(checkpoint.root).decode()

    response = await client.get(CSV)
    assert response.headers["ledger-checkpoint-size"] == str(checkpoint.size)
    assert response.headers["ledger-checkpoint-root"] == root
    assert response.headers["ledger-entries-read"] == str(checkpoint.size)
    link = response.headers["link"]
    assert link == f'</ledger/checkpoints?below={checkpoint.size + 1}>; rel="describedby"'
    listed = (await client.get(link[1 : link.index(">")])).json()["checkpoints"][0]
    assert (listed["size"], listed["note"]) == (checkpoint.size, note)

    rows = rows_of(response.text)
    assert len(rows) == 4  # four decisions, one cancelled later: four grants
    entries = (await client.get(f"/api/v1/ledger/entries?start=0&end={checkpoint.size}")).json()
    for row in rows:
        assert (row["Ledger Checkpoint Size"], row["Ledger Checkpoint Root"]) == (
            str(checkpoint.size), root,
        )  # fmt: skip
        index = int(row["Ledger Entry"]) - 1  # entries are numbered from 1, leaves from 0
        logged = entries["entries"][index]
        entry: dict[str, Any] = logged["entry"]
        assert entry["kind"] == "funding_decision"
        assert entry["amount_centimes"] == round(float(row["Amount Awarded"]) * 100)
        assert row["Identifier"].endswith(entry["application_id"])
        proof = (await client.get(
            "/api/v1/ledger/proof/inclusion", params={"index": index, "size": checkpoint.size}
        )).json()  # fmt: skip
        leaf = leaf_hash(base64.b64decode(logged["leaf_input"]))
        hashes = [base64.b64decode(h) for h in proof["proof"]]
        verify_inclusion(leaf, index, checkpoint.size, hashes, checkpoint.root)


async def test_a_decision_after_the_checkpoint_is_marked_as_not_yet_covered(
    client: AsyncTestClient[Litestar], pool: asyncpg.Pool, store: EventStore,
    web_settings: Settings,
) -> None:  # fmt: skip
    funded = await programme(pool, store)
    first = await _publish(pool, web_settings)
    before = await client.get(CSV)
    newcomer = await reviewed(funded.world, 5)
    await funded.world.fund(newcomer, 100_000 * MAD)
    await catch_up_all(pool, store)  # in the ledger, not yet in a checkpoint

    unsigned = await client.get(CSV)
    assert unsigned.headers["etag"] != before.headers["etag"]
    assert unsigned.headers["ledger-checkpoint-size"] == str(first.size)
    assert unsigned.headers["ledger-entries-read"] == str(first.size + 1)
    last = rows_of(unsigned.text)[-1]
    assert int(last["Ledger Entry"]) == first.size + 1 > int(last["Ledger Checkpoint Size"])

    second = await _publish(pool, web_settings)  # the next checkpoint covers it
    signed = await client.get(CSV, headers={"if-none-match": unsigned.headers["etag"]})
    assert signed.status_code == 200, "a new checkpoint is a new version of the file"
    assert signed.headers["ledger-checkpoint-size"] == str(second.size) == str(first.size + 1)
    assert rows_of(signed.text)[-1]["Ledger Checkpoint Size"] == str(second.size)
    package = (await client.get("/open-data/360giving.json")).json()
    assert package["ledgerCheckpoint"]["size"] == second.size
    assert package["ledgerCheckpoint"]["root"] == signed.headers["ledger-checkpoint-root"]


async def test_before_any_checkpoint_the_columns_are_empty_and_no_header_claims_one(
    client: AsyncTestClient[Litestar], pool: asyncpg.Pool, store: EventStore
) -> None:
    await programme(pool, store)
    response = await client.get(CSV)
    assert "ledger-checkpoint-size" not in response.headers
    assert "link" not in response.headers
    assert response.headers["ledger-entries-read"] == "8"
    rows = rows_of(response.text)
    assert {(r["Ledger Checkpoint Size"], r["Ledger Checkpoint Root"]) for r in rows} == {("", "")}
    assert sorted(int(r["Ledger Entry"]) for r in rows) == [int(r["Ledger Entry"]) for r in rows]
    assert (
        json.loads((await client.get("/open-data/360giving.json")).text)["ledgerCheckpoint"] is None
    )
