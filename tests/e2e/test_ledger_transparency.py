"""The transparency log over real HTTP: checkpoints, key, entries and proofs (checked with the
offline script docs/verify_ledger.py), 422 on bad parameters, the grant page's proof link, and
the witness CLI against a running server across decisions, and against a rewritten log."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import socket
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

from domain.merkle import leaf_hash, verify_consistency, verify_inclusion
from projections import ledger, transparency
from projections.rebuild import rebuild
from projections.transparency import LedgerDivergedError
from service.checkpoints import Verifier, ledger_signer, open_checkpoint
from tests.e2e.public_support import MAD, catch_up_all, programme
from web.app import create_app

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings
    from service.store import EventStore

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "docs" / "verify_ledger.py"


async def _publish(pool: asyncpg.Pool, settings: Settings) -> transparency.Published:
    return await transparency.publish(pool, ledger_signer(settings), settings.ledger_origin)


async def _run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_checkpoint_key_entries_and_proofs_verify_offline(
    client: AsyncTestClient[Litestar], pool: asyncpg.Pool, store: EventStore,
    web_settings: Settings, tmp_path: Path,
) -> None:  # fmt: skip
    funded = await programme(pool, store)
    first = await _publish(pool, web_settings)
    await funded.world.disburse(funded.company, 100_000 * MAD)
    await catch_up_all(pool, store)
    second = await _publish(pool, web_settings)
    assert first.checkpoint
    assert second.checkpoint
    assert second.checkpoint.size == first.size + 1

    key = await client.get("/ledger/key")
    assert key.headers["content-type"].startswith("text/plain")
    verifier = Verifier.from_vkey(key.text)
    note = await client.get("/ledger/checkpoint")
    assert note.headers["content-type"].startswith("text/plain")
    assert "public" in note.headers["cache-control"]
    assert note.headers["etag"]
    cached = await client.get("/ledger/checkpoint", headers={"if-none-match": note.headers["etag"]})
    assert cached.status_code == 304
    checkpoint = open_checkpoint(note.text, verifier, web_settings.ledger_origin)
    assert checkpoint.size == second.size
    history = (await client.get("/ledger/checkpoints")).json()["checkpoints"]
    assert [c["size"] for c in history] == [second.size, first.size]

    entries = (
        await client.get("/api/v1/ledger/entries", params={"start": 0, "end": checkpoint.size})
    ).json()
    assert (
        "immutable"
        in (await client.get("/api/v1/ledger/entries?start=0&end=1")).headers["cache-control"]
    )
    raw = [base64.b64decode(e["leaf_input"]) for e in entries["entries"]]
    assert json.loads(raw[0]) == entries["entries"][0]["entry"]
    assert all(b"Ouali" not in r for r in raw)  # the sole trader's name is never published
    for index in range(checkpoint.size):
        proof = (
            await client.get(
                "/api/v1/ledger/proof/inclusion", params={"index": index, "size": checkpoint.size}
            )
        ).json()
        verify_inclusion(
            leaf_hash(raw[index]),
            index,
            checkpoint.size,
            [base64.b64decode(h) for h in proof["proof"]],
            checkpoint.root,
        )
    consistency = (
        await client.get(
            "/api/v1/ledger/proof/consistency", params={"from": first.size, "to": second.size}
        )
    ).json()
    verify_consistency(first.size, second.size, [base64.b64decode(h) for h in consistency["proof"]], first.checkpoint.root, checkpoint.root)  # fmt: skip

    # the offline script, with files as a citizen would save them
    (tmp_path / "key").write_text(key.text)
    (tmp_path / "new").write_text(note.text)
    (tmp_path / "old").write_text(history[1]["note"])
    (tmp_path / "entry").write_bytes(raw[2])
    (tmp_path / "inclusion").write_text(
        json.dumps(
            (
                await client.get(f"/api/v1/ledger/proof/inclusion?index=2&size={checkpoint.size}")
            ).json()
        )
    )
    (tmp_path / "consistency").write_text(json.dumps(consistency))  # fmt: skip
    for args in (["checkpoint", "key", "new"], ["inclusion", "key", "new", "inclusion", "entry"],
                 ["consistency", "key", "old", "new", "consistency"]):  # fmt: skip
        code, out = await _run(sys.executable, str(SCRIPT), *args, cwd=tmp_path)
        assert code == 0, out
        assert out.startswith("OK"), out
    (tmp_path / "entry").write_bytes(raw[2].replace(b"1", b"2", 1))
    code, out = await _run(
        sys.executable, str(SCRIPT), "inclusion", "key", "new", "inclusion", "entry", cwd=tmp_path
    )
    assert code != 0
    assert "is NOT in the signed tree" in out
    code, out = await _run(
        sys.executable, str(SCRIPT), "consistency", "key", "new", "old", "consistency", cwd=tmp_path
    )
    assert code != 0
    assert "shrank" in out  # fmt: skip

    giving = (await client.get("/open-data/360giving.json")).json()["ledgerCheckpoint"]
    assert (giving["size"], giving["note"]) == (checkpoint.size, note.text)
    assert base64.b64decode(giving["root"]) == checkpoint.root
    assert giving["ledgerEntries"] == checkpoint.size

    page = (await client.get(f"/ledger/grants/{funded.company}", params={"lang": "en"})).text
    assert f"/api/v1/ledger/proof/inclusion?index=0&amp;size={checkpoint.size}" in page


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/ledger/proof/inclusion?index=5&size=3", "bad_proof_request"),
        ("/api/v1/ledger/proof/inclusion?index=0&size=999", "bad_proof_request"),
        ("/api/v1/ledger/proof/inclusion?index=-1&size=3", "validation_failed"),
        ("/api/v1/ledger/proof/inclusion?index=x&size=3", "validation_failed"),
        ("/api/v1/ledger/proof/consistency?from=4&to=2", "bad_proof_request"),
        ("/api/v1/ledger/proof/consistency?from=0&to=2", "validation_failed"),
        ("/api/v1/ledger/entries?start=3&end=3", "bad_range"),
        ("/api/v1/ledger/entries?start=0&end=99999", "bad_range"),
    ],
)
async def test_bad_parameters_get_a_422_problem(
    client: AsyncTestClient[Litestar], pool: asyncpg.Pool, store: EventStore,
    web_settings: Settings, path: str, code: str,
) -> None:  # fmt: skip
    await programme(pool, store)
    await _publish(pool, web_settings)
    answer = await client.get(path)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code


def _read(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - a test's own server
        return bytes(answer.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_witness_follows_a_running_server_and_catches_a_rewrite(
    web_settings: Settings, database_url: str, pool: asyncpg.Pool, store: EventStore,
    tmp_path: Path,
) -> None:  # fmt: skip
    port = _free_port()
    settings = dataclasses.replace(web_settings, port=port)
    funded = await programme(pool, store)
    await _publish(pool, settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database_url=database_url),
                                           port=port, log_level="warning", lifespan="on"))  # fmt: skip
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    state = tmp_path / "witness.json"
    env = {"GRANTS_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}

    async def witness() -> tuple[int, str]:
        return await _run(sys.executable, "-c", "from web.cli.main import main; raise SystemExit(main())",
                          "ledger", "witness", f"http://127.0.0.1:{port}", "--state", str(state),
                          cwd=ROOT, env=env)  # fmt: skip

    try:
        code, out = await witness()
        assert code == 0, out
        assert "(first seen)" in out, out
        for amount in (10_000, 20_000, 30_000):  # a few new decisions, each checkpointed
            await funded.world.disburse(funded.company, amount * MAD)
            await catch_up_all(pool, store)
            size = (await _publish(pool, settings)).size
            code, out = await witness()
            assert code == 0, out
            assert f"checkpoint size {size} " in out, out
            assert "consistent with" in out, out
        # Tampering: a funding decision removed from the event log. The rebuild refuses, the
        # public ledger is unchanged, and the witness names the entry the log no longer gives.
        before = await pool.fetch("SELECT * FROM ledger_log ORDER BY idx")
        await pool.execute(
            "DELETE FROM events WHERE topic = 'grants.application:Funded' AND originator_id = $1",
            funded.sole,
        )
        with pytest.raises(LedgerDivergedError):
            await rebuild(pool, store, ledger.PROJECTION)
        assert await pool.fetch("SELECT * FROM ledger_log ORDER BY idx") == before
        health = json.loads(await asyncio.to_thread(_read, f"http://127.0.0.1:{port}/healthz"))
        assert health["status"] == "ledger_inconsistent"
        assert health["ledger"]["diverging_entry"] >= 1
        code, out = await witness()
        assert code != 0, out
        assert len(out.strip().splitlines()) == 1, out
        assert f"no longer reproduces published entry {health['ledger']['diverging_entry']}" in out
        # An operator who forces it (triggers off, the published log wiped and re-published
        # from the tampered event log) signs a smaller tree: the witness names the shrink...
        await pool.execute("ALTER TABLE ledger_log DISABLE TRIGGER USER; ALTER TABLE ledger_checkpoints DISABLE TRIGGER USER; "
                           "DELETE FROM ledger_log; DELETE FROM ledger_checkpoints")  # fmt: skip
        await pool.execute(
            "ALTER TABLE ledger_log ENABLE TRIGGER USER; ALTER TABLE ledger_checkpoints ENABLE TRIGGER USER"
        )
        await rebuild(pool, store, ledger.PROJECTION)
        shrunk = await _publish(pool, settings)
        code, out = await witness()
        assert code != 0, out
        assert len(out.strip().splitlines()) == 1, out
        assert "shrank" in out, out
        assert f"to {shrunk.size} entries" in out, out
        # ...and once it has grown back past the size the witness saw: a fork.
        for amount in range(4):
            await funded.world.disburse(funded.company, (amount + 1) * 1_000 * MAD)
        await catch_up_all(pool, store)
        await _publish(pool, settings)
        code, out = await witness()
        assert code != 0, out
        assert "fork" in out, out
        assert "Traceback" not in out, out
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


async def test_the_server_issues_checkpoints_by_itself_after_decisions(
    web_settings: Settings, database_url: str, pool: asyncpg.Pool, store: EventStore
) -> None:
    settings = dataclasses.replace(
        web_settings, run_projections=True, ledger_checkpoint_seconds=0.1
    )
    funded = await programme(pool, store)
    app = create_app(settings, database_url=database_url)
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        size = None
        for _ in range(100):
            answer = await client.get("/ledger/checkpoint")
            if answer.status_code == 200:
                size = int(answer.text.split("\n")[1])
                if size == 8:
                    break
            await asyncio.sleep(0.1)
        assert size == 8
        await funded.world.disburse(funded.company, 5_000 * MAD)
        for _ in range(100):
            if int((await client.get("/ledger/checkpoint")).text.split("\n")[1]) == 9:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("no checkpoint of size 9 was issued")
        health = (await client.get("/healthz")).json()
        assert health["ledger"] == {"consistent": True}
