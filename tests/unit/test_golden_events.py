"""Every stored event of the golden corpus still decodes, to what it decoded to when written.

The corpus (``tests/data/events/``, written by ``python -m tests.integration.golden`` with the
production transcoder) is only ever added to: a file changed or deleted in the history fails
here, and so does an event type the platform records that the corpus lacks.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from service.repository import new_mapper
from tests.integration.golden import CORPUS, corpus, expected
from tests.integration.service.test_event_roundtrip import AGGREGATES, event_types

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = corpus()


def test_the_corpus_holds_every_event_type_recorded_today() -> None:
    recorded = set().union(*map(event_types, AGGREGATES))
    assert recorded <= {entry["topic"] for entry in ENTRIES.values()}, (
        "an event type is missing from tests/data/events: run python -m tests.integration.golden"
    )


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_a_stored_event_decodes_as_when_it_was_written(name: str) -> None:
    entry = ENTRIES[name]
    stored = StoredEvent(
        originator_id=UUID(entry["originator_id"]),
        originator_version=entry["originator_version"],
        topic=entry["topic"],
        state=base64.b64decode(entry["state_base64"]),
    )
    event = new_mapper().to_domain_event(stored)
    assert type(event) is resolve_topic(entry["topic"])
    now = expected(event)
    # Fields added since get their defaults; every field it was written with reads the same.
    assert {k: now.get(k) for k in entry["decoded"]} == entry["decoded"]


def test_the_corpus_is_only_ever_added_to() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the history cannot be read")
    changed = subprocess.run(
        ["git", "log", "--diff-filter=MDR", "--name-status", "--format=%h %s", "--",
         str(CORPUS.relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert changed == "", f"golden events were modified or deleted:\n{changed}"
    edited = subprocess.run(
        ["git", "status", "--porcelain", "--", str(CORPUS.relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    # New files (untracked or staged) are how the corpus grows; nothing else may change.
    assert not [line for line in edited.splitlines() if set(line[:2]) & set("MDR")], edited
