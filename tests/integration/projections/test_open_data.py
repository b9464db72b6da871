"""The 360Giving export validates against schema 1.4.3 and adds up to the ledger."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from projections import ledger, open_data
from tests.integration.projections.conftest import MAD
from tests.integration.projections.test_read_models import catch_up
from tests.unit.domain.builders import OFFICER

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore
    from tests.integration.projections.scenario import World

SCHEMAS = Path(__file__).parents[2] / "data" / "360giving"


def validator() -> Draft202012Validator:
    """The package schema, with the grant schema registered under both URLs it is known by."""
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    resource = Resource.from_contents(grant, default_specification=DRAFT202012)
    registry = Registry().with_resources(
        (url, resource)
        for url in (
            grant["$id"],
            "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json",
        )
    )
    return Draft202012Validator(package, registry=registry)


async def decided(world: World) -> list[object]:
    a1, a2, a3 = list(world.apps)[:3]
    await world.fund(a1, 1_000_000 * MAD)
    await world.fund(a2, 500_000 * MAD)
    await world.do(a1, "sign_agreement", OFFICER, world.now())
    await world.disburse(a1, 400_000 * MAD)
    await world.disburse(a1, 100_000 * MAD)
    return [a1, a2, a3]


async def test_export_validates_and_matches_the_ledger(
    pool: asyncpg.Pool, store: EventStore, world: World
) -> None:
    await decided(world)
    await catch_up(pool, store)
    grants = await open_data.grants(pool)
    document = open_data.package(grants, issued="2026-11-29T00:00:00+00:00")
    errors = [e.message for e in validator().iter_errors(document)]
    assert errors == []
    broken = {"grants": [{**grants[0], "amountAwarded": "1 000 MAD"}]}
    assert list(validator().iter_errors(broken)), "the validator must be able to fail"
    assert len(grants) == 2
    entries = await ledger.entries(pool, limit=1000)
    awarded = sum(e["amount_centimes"] for e in entries if e["kind"] == "funding_decision")
    paid = sum(e["amount_centimes"] for e in entries if e["kind"] == "tranche")
    assert sum(g["amountAwarded"] for g in grants) * 100 == awarded
    assert sum(g["amountDisbursed"] for g in grants) * 100 == paid
    for grant in grants:
        assert grant["amountDisbursed"] == sum(t["value"] for t in grant["disbursementTransaction"])
        assert grant["beneficiaryLocation"][0]["countryCode"] == "MA"
    sole = [g for g in grants if "recipientIndividual" in g]
    assert [g["recipientIndividual"]["name"] for g in sole] == ["Entrepreneur individuel, Zagora"]
    assert "Ouali" not in json.dumps(document)


async def test_csv_reads_back_with_the_same_totals(
    pool: asyncpg.Pool, store: EventStore, world: World
) -> None:
    await decided(world)
    await catch_up(pool, store)
    grants = await open_data.grants(pool)
    rows = list(csv.DictReader(io.StringIO(open_data.to_csv(grants))))
    assert [r["Identifier"] for r in rows] == [g["id"] for g in grants]
    assert sum(float(r["Amount Awarded"]) for r in rows) == sum(g["amountAwarded"] for g in grants)
