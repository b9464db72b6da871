"""Open data: every funded grant in the 360Giving Data Standard (schema 1.4.3), from the ledger.

Built from the public ledger projection only, so it can hold nothing the ledger does not:
organisations are named, sole traders appear anonymised, no natural person's data is present.
Amounts are numbers in MAD (centimes / 100), dates full ISO-8601 date-times.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.local_time import in_morocco
from domain.publication import generic_title
from domain.reference import SOLE_TRADER, french_of, province, sector
from projections import ledger, public_grants, public_texts, transparency
from projections.chain import content_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    import asyncpg

PREFIX = "360G-draatafilalet"
#: Additional field on each grant (360Giving allows them; documented in docs/public-site.md).
OVERRIDE_FIELD = "fundedByOverride"
FUNDER = {"id": "XI-DRAATAFILALET-REGION", "name": "Conseil de la Région Drâa-Tafilalet"}
#: ``issued`` of the package while the ledger is empty: the council's decision opening the programme.
EMPTY_ISSUED = "2022-06-01T00:00:00+00:00"
PROGRAMME = {
    "code": "DT-INVEST-2022",
    "title": "Soutien aux initiatives d'investissement (offshoring et autres secteurs), 50 M MAD",
}
SELECT_ENTRIES = """
SELECT seq, kind, application_id, org_kind, org_name, sector, province, amount_centimes,
       occurred_at, entry_hash
FROM ledger_entries ORDER BY seq
"""
CSV_COLUMNS = (
    "Identifier", "Title", "Description", "Currency", "Amount Awarded", "Amount Disbursed",
    "Award Date", "Recipient Org:Identifier", "Recipient Org:Name", "Recipient Ind:Identifier",
    "Recipient Ind:Name", "Beneficiary Location:Name", "Beneficiary Location:Country Code",
    "Beneficiary Location:Geographic Code", "Funding Org:Identifier", "Funding Org:Name",
    "Grant Programme:Code", "Grant Programme:Title", "Classifications:Code",
    "Classifications:Title", "Last modified", "Funded By Override",
    # Which ledger entry is the grant's funding decision, and the signed checkpoint the file was
    # made at (the same on every row, so that any extract of the file still carries it): the
    # entry is covered by that checkpoint when its number is at most the checkpoint's size.
    "Ledger Entry", "Ledger Checkpoint Size", "Ledger Checkpoint Root",
)  # fmt: skip
#: The checkpoint a CSV download was made at, as response headers (docs/public-site.md).
CHECKPOINT_HEADERS = ("Ledger-Checkpoint-Size", "Ledger-Checkpoint-Root", "Ledger-Entries-Read")


@dataclass(frozen=True)
class MadeAt:
    """The signed checkpoint an export was made at (None before the first) and how many ledger
    entries it read: more than the checkpoint's size when entries arrived since it was signed."""

    size: int | None
    root: str | None  # base64, as in the checkpoint's note
    note: str | None
    entries_read: int

    def headers(self) -> dict[str, str]:
        """The HTTP headers that say it (empty values are left out)."""
        values = (self.size, self.root, self.entries_read)
        return {k: str(v) for k, v in zip(CHECKPOINT_HEADERS, values, strict=True) if v is not None}


def mad(centimes: int) -> float | int:
    """Centimes as a JSON number of MAD, exact (an int when whole, else two decimals)."""
    value = Decimal(centimes) / 100
    return int(value) if value == value.to_integral_value() else float(value)


async def grants(pool: asyncpg.Pool | asyncpg.Connection) -> list[dict[str, Any]]:
    """Every funded grant, oldest decision first, with its tranches as disbursements."""
    return [grant for _, grant in await _funded(pool)]


async def _funded(pool: asyncpg.Pool | asyncpg.Connection) -> list[tuple[int, dict[str, Any]]]:
    """The grants with the ledger entry (seq) of each one's funding decision."""
    by_application: dict[Any, list[Any]] = defaultdict(list)
    for row in await pool.fetch(SELECT_ENTRIES):
        by_application[row["application_id"]].append(row)
    funded = [rows for rows in by_application.values() if rows[0]["kind"] == "funding_decision"]
    overrides = await public_grants.overrides(pool)
    texts = await public_texts.of(pool, [rows[0]["application_id"] for rows in funded])
    return [
        (
            rows[0]["seq"],
            _grant(rows)
            | _override(rows[0]["application_id"], overrides)
            | _approved_texts(texts.get(rows[0]["application_id"])),
        )
        for rows in funded
    ]


def _approved_texts(found: public_texts.PublicTexts | None) -> dict[str, Any]:
    """The investor-approved public title (in French, the export's language, when given; else
    the original) and summary in place of the neutral ones; nothing when none was approved."""
    if found is None:
        return {}
    title, _ = found.title_in("fr")
    return {"title": title, "description": found.summary}


def _override(application_id: Any, overrides: set[Any]) -> dict[str, Any]:
    """The documented additional field (docs/public-site.md): funded below the threshold by the
    chair's override, whose justification the grant's public page publishes."""
    return {OVERRIDE_FIELD: application_id in overrides}


def _grant(rows: list[Any]) -> dict[str, Any]:
    decision, tranches = rows[0], [r for r in rows if r["kind"] == "tranche"]
    grant_id = f"{PREFIX}-{decision['application_id']}"
    where = province(decision["province"])
    what = sector(decision["sector"])
    grant: dict[str, Any] = {
        "id": grant_id,
        "title": f"{what.labels.fr} — {where.labels.fr}",
        "description": f"Subvention d'investissement, secteur {what.labels.fr}, province "
        f"{french_of(where.labels.fr)}.",
        "currency": "MAD",
        "amountAwarded": mad(decision["amount_centimes"]),
        "amountDisbursed": mad(sum(r["amount_centimes"] for r in tranches)),
        "awardDate": in_morocco(decision["occurred_at"]).isoformat(),
        "beneficiaryLocation": [
            {"name": where.labels.fr, "countryCode": "MA", "geoCode": where.key.upper()}
        ],
        "fundingOrganization": [FUNDER],
        "grantProgramme": [PROGRAMME],
        "classifications": [
            {"vocabulary": "DT-SECTORS", "code": what.key, "title": what.labels.fr}
        ],
        "disbursementTransaction": [
            {
                "id": f"{grant_id}-T{i}",
                "transactionDate": in_morocco(r["occurred_at"]).isoformat(),
                "currency": "MAD",
                "value": mad(r["amount_centimes"]),
            }
            for i, r in enumerate(tranches, start=1)
        ],
        "dateModified": in_morocco(rows[-1]["occurred_at"]).isoformat(),
    }
    grant |= _recipient(decision, where.labels.fr)
    return grant


def _recipient(decision: Any, province_name: str) -> dict[str, Any]:
    recipient_id = f"{PREFIX}-ORG-{decision['application_id']}"
    if decision["org_kind"] == SOLE_TRADER:
        name = f"Entrepreneur individuel, {province_name}"
        return {"recipientIndividual": {"id": recipient_id, "name": name}}
    return {"recipientOrganization": [{"id": recipient_id, "name": decision["org_name"]}]}


def package(items: list[dict[str, Any]], *, issued: str) -> dict[str, Any]:
    """A 360Giving data package around the grants."""
    return {
        "version": "1.4",
        "title": "Drâa-Tafilalet investment-support grants",
        "issued": issued,
        "grants": items,
    }


#: A cell a spreadsheet would read as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


#: Put before the CSV in files and downloads (not by :func:`to_csv`): without it, spreadsheet
#: software guesses a legacy encoding and shows "DrÃ¢a" for "Drâa".
CSV_BOM = "\ufeff"


def to_csv(
    items: list[dict[str, Any]], made_at: MadeAt | None = None, entries: Sequence[int] = ()
) -> str:
    """The grants as 360Giving's flat CSV (one row per grant); free text never a formula.

    ``entries``: each grant's funding decision in the ledger; ``made_at``: the checkpoint."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    size, root = (made_at.size, made_at.root) if made_at else (None, None)
    ledger_cells: list[tuple[int | None, int | None, str | None]] = [
        (e, size, root) for e in entries
    ] or [(None, None, None)] * len(items)
    for g, ledger_cell in zip(items, ledger_cells, strict=True):
        # a sole trader goes in the "Recipient Ind" columns, an organisation in "Recipient Org"
        org = g.get("recipientOrganization", [{"id": "", "name": ""}])[0]
        ind = g.get("recipientIndividual", {"id": "", "name": ""})
        location, classification = g["beneficiaryLocation"][0], g["classifications"][0]
        writer.writerow([inert_cell(cell) for cell in [
            g["id"], g["title"], g["description"], g["currency"], g["amountAwarded"],
            g["amountDisbursed"], g["awardDate"], org["id"], org["name"], ind["id"], ind["name"],
            location["name"], location["countryCode"], location["geoCode"], FUNDER["id"],
            FUNDER["name"],
            PROGRAMME["code"], PROGRAMME["title"], classification["code"],
            classification["title"], g["dateModified"], g.get(OVERRIDE_FIELD, False),
            *("" if cell is None else cell for cell in ledger_cell),
        ]])  # fmt: skip
    return out.getvalue()


async def giving_csv(pool: asyncpg.Pool) -> tuple[str, MadeAt]:
    """The flat CSV and the checkpoint it was made at, read in one snapshot: the rows are
    exactly the ledger entries the checkpoint's ``entries_read`` counts."""
    async with _snapshot(pool) as conn:
        funded = await _funded(conn)
        made_at = await _made_at(conn)
    text = to_csv([g for _, g in funded], made_at, [seq for seq, _ in funded])
    return text, made_at


@contextlib.asynccontextmanager
async def _snapshot(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield conn


async def _made_at(conn: asyncpg.Connection) -> MadeAt:
    row = await conn.fetchrow(transparency.LATEST)
    read = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM ledger_entries")
    if row is None:
        return MadeAt(None, None, None, read)
    return MadeAt(row["size"], base64.b64encode(row["root"]).decode(), row["note"], read)


async def giving_package(pool: asyncpg.Pool) -> dict[str, Any]:
    """Every funded grant as a 360Giving package, ``issued`` at the last ledger entry's time (so
    the same ledger always gives the same bytes). An empty ledger gives ``"grants": []``: the
    package schema asks for at least one grant, and we would rather publish a well-formed
    "nothing yet" than nothing (docs/open-data.md)."""
    async with _snapshot(pool) as conn:  # the grants and the checkpoint from one snapshot
        items = await grants(conn)
        last = await conn.fetchval("SELECT max(occurred_at) FROM ledger_entries")
        made_at = await _made_at(conn)
    made = package(items, issued=in_morocco(last).isoformat() if last else EMPTY_ISSUED)
    return made | {"ledgerCheckpoint": _checkpoint(made_at)}


def _checkpoint(made_at: MadeAt) -> dict[str, Any] | None:
    """The signed checkpoint the export was produced from (an extra field, which the 360Giving
    package schema allows): its tree size and root, the signed note, and how many ledger entries
    the export read (more than ``size`` when entries arrived since the last checkpoint)."""
    if made_at.size is None:
        return None
    return {"size": made_at.size, "root": made_at.root, "note": made_at.note,
            "ledgerEntries": made_at.entries_read}  # fmt: skip


async def ledger_document(pool: asyncpg.Pool) -> dict[str, Any]:
    """The ledger export: the head and every entry's hashed content, ``prev_hash`` and
    ``entry_hash``, in chain order, so anyone can recompute the chain offline."""
    entries = await ledger.entries(pool, limit=10**9)
    return {
        "head": await ledger.head(pool),
        "entries": [
            {**content_of(e), "prev_hash": e["prev_hash"], "entry_hash": e["entry_hash"]}
            for e in entries
        ],
        # Beside the hashed entries (whose content the chain fixes): the grants funded by an
        # override, with the chair's published justification.
        "overrides": await _overrides(pool),
        # and every funded grant's public title and summary: the investor's approved texts
        # (titles by language), or the neutral sector-and-province title.
        "grants": await _titles(pool, entries),
    }


async def _titles(pool: asyncpg.Pool, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    funded = {e["application_id"]: e for e in entries if e["kind"] == "funding_decision"}
    texts = await public_texts.of(pool, funded)
    return [_titled(str(a), e, texts.get(a)) for a, e in funded.items()]


def _titled(application_id: str, entry: dict[str, Any], found: Any) -> dict[str, Any]:
    if found is None:
        return {"application_id": application_id, "approved": False,
                "title": generic_title(entry["sector"], entry["province"], "fr"),
                "titles": {}, "summary": ""}  # fmt: skip
    return {"application_id": application_id, "approved": True, "title": found.title,
            "title_language": found.language, "titles": dict(found.titles),
            "summary": found.summary}  # fmt: skip


async def _overrides(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    found = [await public_grants.grant(pool, a) for a in await public_grants.overrides(pool)]
    return sorted(
        (
            {"application_id": str(g.application_id), "decided_at": g.decided_at.isoformat(),
             "justification": g.justification}
            for g in found if g is not None
        ),
        key=lambda o: (o["decided_at"], o["application_id"]),
    )  # fmt: skip
