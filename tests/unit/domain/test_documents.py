"""Specifications of documents: recognised by content, required by the call, recorded as facts."""

from __future__ import annotations

from typing import ClassVar

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from domain import documents as d
from domain.applications import GrantApplication, NotYourApplicationError
from domain.documents import (
    DocumentTooLargeError,
    MissingDocumentError,
    RequiredDocument,
    UnknownDocumentError,
    UnsupportedDocumentError,
)
from domain.errors import InvalidTransitionError, InvalidValueError
from tests.unit.domain.builders import INVESTOR, OFFICER, funded, submitted
from tests.unit.domain.support import at, given, names, uid, when

SHA = "0" * 64


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\xff\xd8\xff\xe1\x00\x10Exif", "image/jpeg"),
    ],
)
def test_pdf_png_and_jpeg_are_recognised_by_their_first_bytes(head: bytes, media_type: str) -> None:
    assert d.recognise(head) == media_type


@pytest.mark.parametrize(
    "head",
    [
        b"MZ\x90\x00\x03\x00",  # a Windows executable, whatever it is called
        b"\x7fELF\x02\x01",  # a Linux executable
        b"<html><script>",  # a page that a browser would run
        b"PK\x03\x04",  # a zip (and so docx, xlsx)
        b" %PDF-1.7",  # a PDF header that does not start the file
        b"",
    ],
)
def test_anything_else_is_refused_whatever_its_name(head: bytes) -> None:
    with pytest.raises(UnsupportedDocumentError):
        d.recognise(head)


@for_all(st.binary(max_size=16))
def test_recognition_accepts_exactly_the_three_signatures(head: bytes) -> None:
    signature = any(head.startswith(prefix) for prefix, _ in d.MAGIC)
    try:
        d.recognise(head)
    except UnsupportedDocumentError:
        assert not signature
    else:
        assert signature


def test_sizes_are_checked_per_file_and_per_application() -> None:
    d.check_size(10, 0, each=10, total=100)
    with pytest.raises(DocumentTooLargeError) as each:
        d.check_size(11, 0, each=10, total=100)
    assert not each.value.total
    with pytest.raises(DocumentTooLargeError) as total:
        d.check_size(10, 95, each=10, total=100)
    assert total.value.total


def test_a_submission_lacking_mandatory_documents_names_each_one() -> None:
    with pytest.raises(MissingDocumentError) as error:
        d.check_complete(d.DEFAULT_REQUIRED, ["quotes"])
    assert error.value.kinds == ("business_plan", "registration_certificate")
    d.check_complete(d.DEFAULT_REQUIRED, ["registration_certificate", "business_plan"])


def test_a_call_with_its_own_list_is_honoured_and_one_without_gets_the_default() -> None:
    class CallWithList:
        required_documents = ({"kind": "quotes", "mandatory": True},)

    assert d.required_of(None) == d.DEFAULT_REQUIRED
    assert d.required_of(object()) == d.DEFAULT_REQUIRED
    assert d.required_of(CallWithList()) == (RequiredDocument(kind="quotes", mandatory=True),)


def test_only_staff_may_attach_the_signed_agreement_kind() -> None:
    assert d.check_kind("signed_agreement", staff=True) == "signed_agreement"
    with pytest.raises(InvalidValueError):
        d.check_kind("signed_agreement", staff=False)
    with pytest.raises(InvalidValueError):
        d.check_kind("selfie", staff=False)


def test_attaching_records_the_facts_never_the_bytes() -> None:
    app = given(submitted())
    [event] = when(app, lambda a: a.attach_document(
        by=INVESTOR, document_id=uid(7), kind="business_plan", size=1234, sha256=SHA,
        media_type="application/pdf", staff=False, at=at(1),
    ))  # fmt: skip
    assert names([event]) == ["DocumentAttached"]
    assert (event.document_id, event.kind, event.size, event.sha256) == (
        uid(7), "business_plan", 1234, SHA,
    )  # fmt: skip
    assert not any(isinstance(v, bytes) for v in vars(event).values())
    assert (app.documents, app.documents_bytes) == ({uid(7): "business_plan"}, 1234)


def test_another_investor_cannot_attach_to_the_file() -> None:
    app = given(submitted())
    with pytest.raises(NotYourApplicationError):
        app.attach_document(by=uid(9), document_id=uid(7), kind="quotes", size=1, sha256=SHA,
                            media_type="image/png", staff=False, at=at(1))  # fmt: skip
    assert app.collect_events() == []


def test_the_officer_attaches_the_signed_agreement_only_once_funded() -> None:
    with pytest.raises(InvalidTransitionError):
        given(submitted()).attach_document(
            by=OFFICER, document_id=uid(7), kind="signed_agreement", size=1, sha256=SHA,
            media_type="application/pdf", staff=True, at=at(1),
        )  # fmt: skip
    app = given(funded())
    events = when(app, lambda a: a.attach_document(
        by=OFFICER, document_id=uid(7), kind="signed_agreement", size=1, sha256=SHA,
        media_type="application/pdf", staff=True, at=at(9),
    ))  # fmt: skip
    assert names(events) == ["DocumentAttached"]


def asked() -> GrantApplication:
    app = submitted()
    app.request_information(OFFICER, "Votre certificat RC ?", at(1))
    app.attach_document(by=INVESTOR, document_id=uid(7), kind="registration_certificate", size=9,
                        sha256=SHA, media_type="application/pdf", staff=False, at=at(2))  # fmt: skip
    return given(app)


def test_a_reply_records_the_sealed_answer_and_returns_the_file() -> None:
    app = asked()
    events = when(app, lambda a: a.reply_to_information(
        INVESTOR, message=b"sealed", document_ids=[uid(7)], changes={"jobs": 130}, at=at(3),
    ))  # fmt: skip
    assert names(events) == ["InformationReplied", "Amended"]
    assert (events[0].message, events[0].document_ids) == (b"sealed", [uid(7)])
    assert events[1].changes == {"jobs": 130}
    assert app.status == "submitted"


def test_a_reply_without_an_amendment_still_returns_the_file() -> None:
    app = asked()
    events = when(app, lambda a: a.reply_to_information(
        INVESTOR, message=b"sealed", document_ids=[], changes={}, at=at(3),
    ))  # fmt: skip
    assert names(events) == ["InformationReplied", "Amended"]
    assert events[1].changes == {}


def test_a_reply_refused_when_nothing_was_asked_or_a_document_is_not_the_files() -> None:
    with pytest.raises(InvalidTransitionError):
        given(submitted()).reply_to_information(
            INVESTOR, message=b"x", document_ids=[], changes={}, at=at(3)
        )
    with pytest.raises(UnknownDocumentError):
        asked().reply_to_information(
            INVESTOR, message=b"", document_ids=[uid(8)], changes={}, at=at(3)
        )
    with pytest.raises(InvalidValueError):
        asked().reply_to_information(INVESTOR, message=b"", document_ids=[], changes={}, at=at(3))


def test_a_published_description_lists_the_calls_documents_with_its_own_names() -> None:
    class Listed:
        kind, languages, mandatory = "ice_certificate", ("fr",), True
        labels: ClassVar = {"fr": "Attestation ICE", "ar": "شهادة ICE"}

    class Description:
        documents = (Listed(),)

    class CallWithDescription:
        description = Description()

    [required] = d.required_of(CallWithDescription())
    assert (required.kind, required.mandatory, required.languages) == (
        "ice_certificate",
        True,
        ("fr",),
    )
    assert required.label("fr") == "Attestation ICE"
    assert required.label("en") is None
    assert (
        d.check_kind("ice_certificate", staff=False, also=["ice_certificate"]) == "ice_certificate"
    )


def test_a_form_for_several_calls_asks_for_what_any_of_them_needs() -> None:
    first = (
        RequiredDocument(kind="business_plan", mandatory=True),
        RequiredDocument(kind="quotes"),
    )
    second = (
        RequiredDocument(kind="quotes", mandatory=True),
        RequiredDocument(kind="tax_certificate"),
    )
    merged = d.union_of([first, second])
    assert [(r.kind, r.mandatory) for r in merged] == [
        ("business_plan", True), ("quotes", True), ("tax_certificate", False),
    ]  # fmt: skip
