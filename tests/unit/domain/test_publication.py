"""The public title and summary an investor approves at submission (issues 14 and 18)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from domain.applications import GrantApplication
from domain.errors import InvalidValueError
from domain.publication import Publication, generic_title, title_in
from service.repository import new_mapper
from tests.unit.domain.builders import submitted

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "events"
APPROVED = Publication(approved=True, title="  Centrale solaire à Skoura ", summary="Pompage.",
                       language="fr", titles={"en": "Solar plant in Skoura", "ar": " "})  # fmt: skip


def test_an_approved_publication_is_recorded_in_submitted_trimmed_with_its_translations() -> None:
    [event] = submitted(publication=APPROVED).collect_events()
    assert (event.public_approved, event.public_title, event.public_summary) == (
        True, "Centrale solaire à Skoura", "Pompage.")  # fmt: skip
    assert event.public_language == "fr"
    assert event.public_titles == {"en": "Solar plant in Skoura", "fr": "Centrale solaire à Skoura"}


def test_texts_typed_without_the_approval_are_not_recorded() -> None:
    typed = Publication(approved=False, title="Projet de M. Alaoui", summary="Privé", language="fr")
    [event] = submitted(publication=typed).collect_events()
    assert (event.public_approved, event.public_title, event.public_summary) == (False, "", "")
    assert not event.public_titles
    [plain] = submitted().collect_events()
    assert (plain.public_approved, plain.public_title) == (False, "")


@pytest.mark.parametrize(
    ("publication", "field"),
    [
        (Publication(approved=True, title=" ", summary="S", language="fr"), "public_title"),
        (Publication(approved=True, title="T", summary="", language="fr"), "public_summary"),
        (Publication(approved=True, title="T" * 201, summary="S", language="fr"), "public_title"),
        (Publication(approved=True, title="T", summary="S", language="es"), "public_language"),
        (Publication(approved=True, title="T", summary="S", language="fr",
                     titles={"es": "Título"}), "public_titles"),
    ],
)  # fmt: skip
def test_an_approval_without_valid_texts_is_refused(publication: Publication, field: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        submitted(publication=publication)
    assert refused.value.field == field


def test_a_submitted_event_stored_before_the_approval_replays_as_not_approved() -> None:
    entry = json.loads((GOLDEN / "grants.application-Submitted.1.json").read_text())
    stored = StoredEvent(UUID(entry["originator_id"]), entry["originator_version"],
                         entry["topic"], base64.b64decode(entry["state_base64"]))  # fmt: skip
    event = new_mapper().to_domain_event(stored)
    app = event.mutate(None)
    assert isinstance(app, GrantApplication)
    assert app.publication == Publication()


def test_the_title_in_the_page_language_or_the_original_with_its_language() -> None:
    titles = {"fr": "Centrale solaire", "ar": "محطة شمسية"}
    assert title_in(titles, "fr", "ar") == ("محطة شمسية", "ar")
    assert title_in(titles, "fr", "en") == ("Centrale solaire", "fr")
    assert generic_title("renewable_energy", "zagora", "fr") == "Énergies renouvelables — Zagora"
