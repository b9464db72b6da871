"""A document is listed under the name its call gives its kind, in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from uuid import uuid4

import pytest

from domain.documents import required_of
from projections.dashboard import Step
from service import call_content
from service.documents import DocumentInfo
from web.common.document_words import call_names, document_lines
from web.common.i18n import load_catalogs
from web.pages.portal.file_words import step_line


def info(kind: str) -> DocumentInfo:
    return DocumentInfo(id=uuid4(), kind=kind, media_type="application/pdf", size=2048,
                        sha256="0" * 64, created_at=datetime(2024, 3, 1, 9, tzinfo=UTC))  # fmt: skip


@pytest.mark.parametrize(
    ("language", "ice", "card"),
    [
        ("fr", "Attestation ICE", "Carte d'auto-entrepreneur (RNAE) — personnes physiques"),
        (
            "ar",
            "شهادة التعريف الموحد للمقاولة (ICE)",
            "بطاقة المقاول الذاتي (RNAE) — للأشخاص الذاتيين",
        ),
        ("en", "ICE certificate", "Auto-entrepreneur card (RNAE) — sole traders"),
    ],
)
def test_kinds_of_the_call_are_named_as_the_call_names_them(
    language: str, ice: str, card: str
) -> None:
    # as the service reads the demo call's published description
    required = required_of(
        SimpleNamespace(description=SimpleNamespace(documents=call_content.DOCUMENTS))
    )
    named = call_names(required, language)
    lines = document_lines([info("business_plan"), info("ice_certificate"), info("rnae_card"),
                            info("something_else")], language, named)  # fmt: skip
    # the programme's own kinds keep their translated words; the call's own kinds its names
    assert [line.label for line in lines] == ["Business plan", ice, card, "Other document"]


def test_the_investors_timeline_names_an_attached_document_as_the_call_does() -> None:
    required = required_of(
        SimpleNamespace(description=SimpleNamespace(documents=call_content.DOCUMENTS))
    )
    step = Step(kind="document_attached", params={"kind": "ice_certificate"},
                occurred_at=datetime(2024, 3, 1, 9, tzinfo=UTC))  # fmt: skip
    t = load_catalogs()["fr"]
    line = step_line(step, t, "fr", call_names(required, "fr"))
    assert line.sentence == "Un document a été joint : Attestation ICE."
