"""``grants ledger verify|export`` and ``grants export 360giving``: the public record, offline."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from projections import open_data, transparency
from projections.audit import audit, check_chain
from service.checkpoints import Signer, ledger_signer
from web.cli.witness import WitnessError, witness

if TYPE_CHECKING:
    import argparse

    from service.settings import Settings


def add_data_commands(commands: Any, with_store: Any, error: type[Exception]) -> None:
    """Register the subcommands; ``with_store`` runs a coroutine with (pool, store)."""
    ledger_cmds = commands.add_parser("ledger", help="the public ledger").add_subparsers(
        required=True, metavar="ACTION"
    )
    verify = ledger_cmds.add_parser("verify", help="recompute the hash chain (and the log)")
    verify.add_argument("--file", type=Path, help="verify an exported ledger file offline")
    verify.set_defaults(handler=lambda s, a: _verify(s, a, with_store, error))
    export = ledger_cmds.add_parser("export", help="every entry with its hashes, as JSON")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(handler=lambda s, a: with_store(s, lambda p, _st: _export_ledger(p, a)))
    publish = ledger_cmds.add_parser("publish", help="publish new entries, sign a checkpoint")
    publish.set_defaults(handler=lambda s, a: with_store(s, lambda p, _st: _publish(s, p)))
    ledger_cmds.add_parser("keygen", help="print a new ledger signing key").set_defaults(
        handler=_keygen
    )
    witness = ledger_cmds.add_parser("witness", help="check a ledger's checkpoints never fork")
    witness.add_argument("url", help="the platform's address, e.g. https://grants.example.ma")
    witness.add_argument("--state", type=Path, required=True, help="file the witness keeps")
    witness.add_argument("--key", help="the verifier key to trust (default: first one seen)")
    witness.set_defaults(handler=lambda s, a: _witness(a, error))
    data = commands.add_parser("export", help="open data").add_subparsers(
        required=True, metavar="FORMAT"
    )
    giving = data.add_parser("360giving", help="funded grants in the 360Giving standard")
    giving.add_argument("--out", type=Path, help="file to write (default: standard output)")
    giving.add_argument("--csv", action="store_true", help="CSV instead of JSON")
    giving.set_defaults(handler=lambda s, a: with_store(s, lambda p, _st: _export_360(p, a)))


def _verify(settings: Settings, args: argparse.Namespace, with_store: Any, error: Any) -> int:
    if args.file is not None:
        try:
            rows = _read_export(args.file)
        except (OSError, ValueError, KeyError) as problem:
            raise error(f"cannot read {args.file}: {problem}") from None
        finding = check_chain(rows)
    else:
        finding = None

        async def run(pool: Any, store: Any) -> int:
            nonlocal finding
            finding = await audit(pool, store)
            return 0

        with_store(settings, run)
    if finding is not None:
        raise error(f"the ledger does NOT verify: {finding}")
    print("the ledger verifies: every entry matches its hash and the chain is unbroken")
    return 0


async def _publish(settings: Settings, pool: Any) -> int:
    published = await transparency.publish(pool, ledger_signer(settings), settings.ledger_origin)
    if published.divergence is not None:
        print(f"grants: the ledger is NOT published: {published.divergence}", file=sys.stderr)
        return 1
    issued = f", checkpoint {published.checkpoint.size}" if published.checkpoint else ""
    print(f"ledger: {published.size} entries ({published.appended} new){issued}")
    return 0


def _keygen(settings: Settings, _args: argparse.Namespace) -> int:
    signer = Signer.generate(settings.ledger_origin)
    print(signer.skey)
    print(f"verifier key: {signer.verifier.vkey}", file=sys.stderr)
    return 0


def _witness(args: argparse.Namespace, error: Any) -> int:
    try:
        print(witness(args.url, args.state, args.key))
    except WitnessError as problem:
        raise error(f"witness: {problem}") from None
    return 0


def _read_export(path: Path) -> list[dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for entry in document["entries"]:
        row = dict(entry)
        row["occurred_at"] = dt.datetime.fromisoformat(entry["occurred_at"])
        rows.append(row)
    return rows


async def _export_ledger(pool: Any, args: argparse.Namespace) -> int:
    document = await open_data.ledger_document(pool)
    _write(json.dumps(document, ensure_ascii=False, indent=1), args.out)
    return 0


async def _export_360(pool: Any, args: argparse.Namespace) -> int:
    if args.csv:
        # a byte-order mark, as over HTTP: spreadsheet software then reads "Drâa" as UTF-8
        bom = "" if args.out is None else open_data.CSV_BOM
        text, _ = await open_data.giving_csv(pool)
        _write(bom + text, args.out)
    else:
        package = await open_data.giving_package(pool)
        _write(json.dumps(package, ensure_ascii=False), args.out)
    return 0


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
