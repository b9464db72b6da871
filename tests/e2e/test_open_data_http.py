"""Open data over HTTP and the CLI: 360Giving JSON and CSV valid against schema 1.4.3 with the
ledger's totals, the empty export, and the ledger export verified by the documented script."""

from __future__ import annotations

import copy
import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from projections import ledger
from tests.e2e.public_support import SOLE_TRADER_NAME, programme
from tests.integration.projections.test_open_data import validator
from web.cli import main as cli

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore
    from tests.e2e.public_support import Programme

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "verify_ledger.py"


@pytest.fixture
async def funded(db: asyncpg.Pool, store: EventStore) -> Programme:
    return await programme(db, store)


async def ledger_totals(pool: asyncpg.Pool) -> tuple[int, int]:
    entries = await ledger.entries(pool, limit=1000)
    # a cancelled grant stays in the export: it was awarded, then cancelled
    awarded = sum(e["amount_centimes"] for e in entries if e["kind"] == "funding_decision")
    paid = sum(e["amount_centimes"] for e in entries if e["kind"] == "tranche")
    return awarded, paid


def centimes(value: float | str) -> int:
    return round(float(value) * 100)


def grants_from_csv(text: str) -> list[dict[str, Any]]:
    """Read the flat CSV back into 360Giving grant objects (one row per grant)."""
    grants = []
    for r in csv.DictReader(io.StringIO(text)):
        grant = {
            "id": r["Identifier"], "title": r["Title"], "description": r["Description"],
            "currency": r["Currency"], "amountAwarded": float(r["Amount Awarded"]),
            "amountDisbursed": float(r["Amount Disbursed"]), "awardDate": r["Award Date"],
            "beneficiaryLocation": [{
                "name": r["Beneficiary Location:Name"],
                "countryCode": r["Beneficiary Location:Country Code"],
                "geoCode": r["Beneficiary Location:Geographic Code"],
            }],
            "fundingOrganization": [
                {"id": r["Funding Org:Identifier"], "name": r["Funding Org:Name"]}
            ],
            "grantProgramme": [
                {"code": r["Grant Programme:Code"], "title": r["Grant Programme:Title"]}
            ],
            "classifications": [
                {"code": r["Classifications:Code"], "title": r["Classifications:Title"]}
            ],
            "dateModified": r["Last modified"],
        }  # fmt: skip
        if r["Recipient Org:Identifier"]:
            org = {"id": r["Recipient Org:Identifier"], "name": r["Recipient Org:Name"]}
            grant["recipientOrganization"] = [org]
        else:
            ind = {"id": r["Recipient Ind:Identifier"], "name": r["Recipient Ind:Name"]}
            grant["recipientIndividual"] = ind
        grants.append(grant)
    return grants


async def test_360giving_json_validates_and_adds_up_to_the_ledger(
    client: AsyncTestClient[Litestar], funded: Programme, db: asyncpg.Pool
) -> None:
    response = await client.get("/open-data/360giving.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert [e.message for e in validator().iter_errors(document)] == []
    awarded, paid = await ledger_totals(db)
    assert sum(centimes(g["amountAwarded"]) for g in document["grants"]) == awarded
    assert sum(centimes(g["amountDisbursed"]) for g in document["grants"]) == paid
    assert len(document["grants"]) == 4
    assert SOLE_TRADER_NAME not in response.text


async def test_360giving_csv_reads_back_valid_with_the_same_totals(
    client: AsyncTestClient[Litestar], funded: Programme, db: asyncpg.Pool
) -> None:
    response = await client.get("/open-data/360giving.csv")
    assert response.headers["content-type"].startswith("text/csv")
    grants = grants_from_csv(response.content.decode("utf-8-sig"))
    package = {"version": "1.4", "grants": grants}
    assert [e.message for e in validator().iter_errors(package)] == []
    awarded, paid = await ledger_totals(db)
    assert sum(centimes(g["amountAwarded"]) for g in grants) == awarded
    assert sum(centimes(g["amountDisbursed"]) for g in grants) == paid
    individuals = [g["recipientIndividual"]["name"] for g in grants if "recipientIndividual" in g]
    assert individuals == ["Entrepreneur individuel, Zagora"]


async def test_an_empty_ledger_exports_a_package_with_no_grants(
    client: AsyncTestClient[Litestar],
) -> None:
    document = (await client.get("/open-data/360giving.json")).json()
    assert document["grants"] == []
    strict = [e.validator for e in validator().iter_errors(document)]
    assert strict == ["minItems"], "only the schema's 'at least one grant' is not met"
    relaxed = validator()
    relaxed_schema = copy.deepcopy(relaxed.schema)
    del relaxed_schema["properties"]["grants"]["minItems"]
    assert list(relaxed.evolve(schema=relaxed_schema).iter_errors(document)) == []
    csv_text = (await client.get("/open-data/360giving.csv")).content.decode("utf-8-sig")
    assert csv_text.count("\n") == 1, "the header row only"
    entries = (await client.get("/open-data/ledger.json")).json()
    assert entries == {
        "head": {"seq": 0, "entry_hash": "0" * 64},
        "entries": [],
        "overrides": [],
        "grants": [],
    }


def run_script(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False
    )


async def test_the_documented_script_verifies_the_ledger_export_offline(
    client: AsyncTestClient[Litestar], funded: Programme, tmp_path: Path
) -> None:
    document = (await client.get("/open-data/ledger.json")).json()
    # small enough to read before running it: the chain plus checkpoints and proofs (issue 15)
    assert len(SCRIPT.read_text().splitlines()) <= 200
    good = tmp_path / "ledger.json"
    good.write_text(json.dumps(document), encoding="utf-8")
    result = run_script(good)
    assert result.returncode == 0, result.stderr
    assert document["head"]["entry_hash"] in result.stdout
    altered = copy.deepcopy(document)
    altered["entries"][2]["amount_centimes"] += 100
    (tmp_path / "altered.json").write_text(json.dumps(altered), encoding="utf-8")
    result = run_script(tmp_path / "altered.json")
    assert result.returncode == 1
    assert "entry 3 does NOT match" in result.stderr
    truncated = {**document, "entries": document["entries"][:-1]}
    (tmp_path / "truncated.json").write_text(json.dumps(truncated), encoding="utf-8")
    assert run_script(tmp_path / "truncated.json").returncode == 1


async def test_the_cli_writes_the_same_exports_to_a_file(
    client: AsyncTestClient[Litestar],
    funded: Programme,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRANTS_DATABASE_URL", database_url)
    monkeypatch.setenv("GRANTS_DATA_DIR", str(tmp_path))
    out = tmp_path / "grants.json"
    over_http = (await client.get("/open-data/360giving.json")).json()
    code = await _in_thread(["export", "360giving", "--out", str(out)])
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == over_http
    csv_out = tmp_path / "grants.csv"
    assert await _in_thread(["export", "360giving", "--csv", "--out", str(csv_out)]) == 0
    over_http_csv = (await client.get("/open-data/360giving.csv")).text
    assert csv_out.read_text(encoding="utf-8").splitlines() == over_http_csv.splitlines()
    assert over_http_csv.startswith("\ufeff"), "a byte-order mark for spreadsheet software"


async def _in_thread(argv: list[str]) -> int:
    """The CLI runs its own event loop: give it a thread."""
    import asyncio

    return await asyncio.to_thread(cli.main, argv)
