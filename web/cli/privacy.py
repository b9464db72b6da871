"""``grants privacy erase PERSON_ID``: erase a natural person (law 09-08) from the command line."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from service.erasure import UnknownPersonError, erase_person

if TYPE_CHECKING:
    import argparse

    from service.settings import Settings


def add_privacy_commands(commands: Any, with_store: Any, error: type[Exception]) -> None:
    """Register ``privacy erase``; ``with_store`` runs a coroutine with (pool, store)."""
    privacy = commands.add_parser("privacy", help="personal data (law 09-08)").add_subparsers(
        required=True, metavar="ACTION"
    )
    erase = privacy.add_parser("erase", help="erase a person: key, account data, sessions, mail")
    erase.add_argument("person_id", metavar="PERSON_ID", help="the person's (account's) id, a UUID")
    erase.set_defaults(handler=lambda s, a: _erase(s, a, with_store, error))


def _erase(settings: Settings, args: argparse.Namespace, with_store: Any, error: Any) -> int:
    try:
        person_id = uuid.UUID(args.person_id)
    except ValueError:
        raise error(f"not a person id (a UUID expected): {args.person_id!r}") from None

    async def run(pool: Any, _store: Any) -> int:
        try:
            done = await erase_person(pool, person_id)
        except UnknownPersonError as problem:
            raise error(str(problem)) from None
        note = " (it had been erased before)" if done.already_erased else ""
        print(f"erased person {person_id}{note}: key destroyed={done.key_destroyed}, "
              f"account erased={done.account_erased}")  # fmt: skip
        return 0

    return int(with_store(settings, run))
