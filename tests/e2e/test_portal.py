"""The investor portal over HTTP: apply, draft, follow the timeline, amend, withdraw, own data."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

import pytest

from domain.identifiers import ice_with_check
from domain.rubrics import DEFAULT_CRITERIA
from projections import registry
from projections.registry import ALL_PROJECTIONS
from projections.runner import ProjectionRunner
from service import applications, decisions, drafts, investors, programme
from tests.e2e.conftest import csrf_of, log_in, make_user, post_form

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.accounts import User
    from service.store import EventStore

Client = "AsyncTestClient[Litestar]"
KEY = re.compile(r'name="submission_key" value="([^"]+)"')
ICE = ice_with_check("0012345678901")
VALID = {
    "company_name": "Atlas Offshoring SARL",
    "legal_form": "sarl",
    "ice": ICE,
    "rc_court": "Ouarzazate",
    "rc_number": "4521",
    "contact_name": "Salma Ait Benhaddou",
    "contact_email": "salma@example.ma",
    "contact_phone": "+212 6 12 34 56 78",
    "title": "Centre de relation client",
    "summary": "120 postes, service client bilingue.",
    "sector": "offshoring",
    "province": "ouarzazate",
    "commune": "skoura",
    "total_investment": "10 000 000",
    "requested": "2,500,000.50",
    "jobs": "120",
    "jobs_women": "70",
    "timeline_months": "18",
}
EN = {"Accept-Language": "en"}
PDF = b"%PDF-1.4\n%test document\n%%EOF\n"
#: The mandatory documents of a call opened with the default texts (service/call_content.py).
MANDATORY_FILES = {
    "doc_business_plan": ("plan.pdf", PDF, "application/pdf"),
    "doc_ice_certificate": ("ice.pdf", PDF, "application/pdf"),
    "doc_tax_certificate": ("impots.pdf", PDF, "application/pdf"),
}
GOOD_SCORES = [c.key for c in DEFAULT_CRITERIA]


async def catch_up(pool: asyncpg.Pool, store: EventStore) -> None:
    """Run every projection up to the head of the log.

    Runners stop at the oldest transaction still open on the server, which on a shared test
    server can be someone else's: go round until nothing is left behind.
    """
    for _ in range(200):
        for projection in ALL_PROJECTIONS:
            await ProjectionRunner(pool, store, projection, page_size=50).catch_up()
        if all(s.lag_events == 0 for s in await registry.status(pool, store)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the projections did not catch up")


@pytest.fixture
async def call_id(db: asyncpg.Pool, store: EventStore) -> UUID:
    envelope_id = await programme.open_envelope(store)
    call = await programme.open_call(
        store, envelope_id=envelope_id, title="Appel 2026",
        min_request_centimes=100_000_00, max_request_centimes=12_000_000_00,
    )  # fmt: skip
    await catch_up(db, store)
    return call


@pytest.fixture
async def investor(db: asyncpg.Pool, client: AsyncTestClient[Litestar]) -> User:
    user = await make_user(db, "investor@example.ma")
    await log_in(client, user.email)
    return user


async def apply(
    client: AsyncTestClient[Litestar],
    call_id: UUID,
    changes: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    **extra: str,
) -> httpx.Response:
    """Fill in the form and submit it, with the call's mandatory documents unless ``files``."""
    form = await client.get("/my/applications/new", headers=headers)
    key = KEY.search(form.text)
    assert key, "no idempotency key in the form"
    data = {**VALID, "call_id": str(call_id), "submission_key": key[1], "action": "submit"}
    data |= (changes or {}) | extra
    return await client.post(
        "/my/applications/new", data={**data, "_csrf": csrf_of(form)}, headers=headers,
        files=MANDATORY_FILES if files is None else files,
    )  # fmt: skip


def file_id(response: httpx.Response) -> UUID:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/my/files/([0-9a-f-]{36})\?submitted=true", response.headers["location"])
    assert match, response.headers["location"]
    return UUID(match[1])


def field_error(html: str, name: str) -> str:
    """The message shown inside the field's own block, tied to the input by aria-describedby."""
    block = re.search(
        rf'<div class="field field-error">\s*<label for="f-{name}">.*?</div>', html, re.S
    )
    assert block, f"no error next to {name}"
    assert f'aria-describedby="f-{name}-error' in block[0]
    message = re.search(rf'<p class="error" id="f-{name}-error">([^<]+)</p>', block[0])
    assert message
    return message[1]


async def test_submit_then_follow_the_file_once_projected(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, investor: User,
    call_id: UUID,
) -> None:  # fmt: skip
    app_id = file_id(await apply(client, call_id))
    page = await client.get(f"/my/files/{app_id}?submitted=true", headers=EN)
    assert page.status_code == 200
    assert "being recorded" in page.text
    await catch_up(db, store)
    page = await client.get(f"/my/files/{app_id}", headers=EN)
    assert "Submitted, waiting for screening" in page.text
    assert "You submitted your application, asking for 2,500,000.50\xa0MAD." in page.text
    listing = await client.get("/my/files", headers=EN)
    assert f'href="/my/files/{app_id}"' in listing.text
    assert "Centre de relation client" in listing.text
    app = await investors.own_application(store, investor_id=investor.id, application_id=app_id)
    assert app is not None
    assert app.project["requested_centimes"] == 250_000_050
    assert app.project["total_investment_centimes"] == 1_000_000_000
    assert (app.project["commune"], app.call_id) == ("skoura", call_id)


async def test_arabic_indic_digits_are_accepted_in_every_number_field(
    client: AsyncTestClient[Litestar], store: EventStore, investor: User, call_id: UUID
) -> None:
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    changes = {
        "ice": ICE.translate(arabic),
        "rc_number": "4521".translate(persian),
        "contact_phone": "+212 612 345 678".translate(arabic),
        "total_investment": "١٬٢٥٠٬٠٠٠٫٧٥",
        "requested": "۳۰۰ ۰۰۰",
        "jobs": "١٢",
        "jobs_women": "۵",
        "timeline_months": "٢٤",
    }
    app_id = file_id(await apply(client, call_id, changes))
    app = await investors.own_application(store, investor_id=investor.id, application_id=app_id)
    assert app is not None
    assert (app.ice, app.rc_number) == (ICE, "4521")
    assert app.project["total_investment_centimes"] == 125_000_075
    assert app.project["requested_centimes"] == 30_000_000
    assert (app.project["jobs"], app.project["jobs_women"], app.project["timeline_months"]) == (
        12, 5, 24,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("ar", "يتكون رقم التعريف الموحد للمقاولة من 15 رقمًا"),
        ("fr", "L’ICE compte 15 chiffres"),
    ],
)
async def test_wrong_ice_is_reported_next_to_the_field_with_values_kept(
    client: AsyncTestClient[Litestar], investor: User, call_id: UUID, lang: str, message: str
) -> None:
    wrong = ICE[:-1] + str((int(ICE[-1]) + 1) % 10)
    response = await apply(client, call_id, {"ice": wrong}, headers={"Accept-Language": lang})
    assert response.status_code == 422
    assert f'<html lang="{lang}"' in response.text
    assert message in field_error(response.text, "ice")
    assert f'value="{wrong}"' in response.text
    assert 'value="Atlas Offshoring SARL"' in response.text
    assert '<option value="skoura" selected>' in response.text
    assert "120 postes, service client bilingue." in response.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"requested": "20,000,000"}, "requested"),  # above the total investment
        ({"requested": "50 000"}, "requested"),  # below the call's minimum
        ({"jobs_women": "121"}, "jobs_women"),
        ({"province": "zagora", "commune": "skoura"}, "commune"),
        ({"total_investment": "12,34,5"}, "total_investment"),  # ambiguous grouping
        ({"jobs": "-3"}, "jobs"),
        ({"contact_email": "salma-at-example"}, "contact_email"),
        ({"contact_phone": "12"}, "contact_phone"),
        ({"sector": "gambling"}, "sector"),
        ({"title": ""}, "title"),
    ],
)
async def test_each_wrong_field_gets_its_message(
    client: AsyncTestClient[Litestar], investor: User, call_id: UUID,
    changes: dict[str, str], field: str,
) -> None:  # fmt: skip
    response = await apply(client, call_id, changes, headers=EN)
    assert response.status_code == 422
    assert field_error(response.text, field)


async def test_a_call_closed_meanwhile_is_reported_next_to_the_call(
    client: AsyncTestClient[Litestar], store: EventStore, investor: User, call_id: UUID
) -> None:
    await programme.close_call(store, call_id=call_id)  # the read model still shows it open
    response = await apply(client, call_id, headers=EN)
    assert response.status_code == 422
    assert field_error(response.text, "call_id") == "This call no longer accepts applications."


async def test_a_double_submission_creates_one_application(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, investor: User,
    call_id: UUID,
) -> None:  # fmt: skip
    form = await client.get("/my/applications/new")
    key = KEY.search(form.text)
    assert key
    documents_key = re.search(r'name="documents_key" value="([^"]*)"', form.text)
    assert documents_key
    data = {**VALID, "call_id": str(call_id), "submission_key": key[1], "action": "submit",
            "documents_key": documents_key[1]}  # fmt: skip
    data["_csrf"] = csrf_of(form)
    first = await client.post("/my/applications/new", data=data, files=MANDATORY_FILES)
    second = await client.post("/my/applications/new", data=data, files=MANDATORY_FILES)
    assert file_id(first) == file_id(second)
    await catch_up(db, store)
    listing = await client.get("/my/files")
    assert listing.text.count('href="/my/files/') == 1


async def test_a_draft_is_saved_reopened_and_gone_once_submitted(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, investor: User, call_id: UUID
) -> None:
    form = await client.get("/my/applications/new")
    key = KEY.search(form.text)
    assert key
    partial = {"title": "Gîte à Skoura", "ice": "12", "submission_key": key[1], "action": "draft"}
    plan = {"doc_business_plan": MANDATORY_FILES["doc_business_plan"]}
    saved = await client.post(
        "/my/applications/new", data={**partial, "_csrf": csrf_of(form)}, files=plan
    )
    assert saved.status_code == 303
    match = re.fullmatch(r"/my/drafts/([0-9a-f-]{36})\?saved=true", saved.headers["location"])
    assert match
    draft_id = match[1]
    reopened = await client.get(saved.headers["location"], headers=EN)
    assert reopened.status_code == 200
    assert 'value="Gîte à Skoura"' in reopened.text
    assert 'value="12"' in reopened.text
    assert f'name="submission_key" value="{key[1]}"' in reopened.text
    assert "Your draft is saved" in reopened.text
    assert f'href="/my/drafts/{draft_id}"' in (await client.get("/my/files")).text
    assert (
        "Attached: <bdi>business_plan-" in reopened.text
    )  # the file chosen with the draft is kept
    documents_key = re.search(r'name="documents_key" value="([^"]+)"', reopened.text)
    assert documents_key
    data = {**VALID, "call_id": str(call_id), "submission_key": key[1], "action": "submit",
            "documents_key": documents_key[1], "draft_id": draft_id, "_csrf": csrf_of(reopened)}  # fmt: skip
    lacking = await client.post("/my/applications/new", data=data, files={}, headers=EN)
    assert lacking.status_code == 422
    for kind in ("ice_certificate", "tax_certificate"):  # each one named next to its input
        assert field_error(lacking.text, f"doc_{kind}") == (
            "This document is required: please attach it."
        )
    assert 'value="Gîte à Skoura"' not in lacking.text  # VALID's title replaced the draft's
    assert "Attached: <bdi>business_plan-" in lacking.text
    rest = {k: v for k, v in MANDATORY_FILES.items() if k != "doc_business_plan"}
    submitted = await client.post("/my/applications/new", data=data, files=rest)
    file_id(submitted)
    assert (await client.get(f"/my/drafts/{draft_id}")).status_code == 404
    assert await drafts.drafts(db, investor_id=investor.id) == []


async def test_the_investor_answers_an_information_request_by_amending(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, investor: User,
    call_id: UUID,
) -> None:  # fmt: skip
    app_id = file_id(await apply(client, call_id))
    assert (await client.get(f"/my/files/{app_id}/amend")).status_code == 409
    early = await post_form(client, f"/my/files/{app_id}/amend", {"jobs": "130"}, page="/my/files")
    assert early.status_code == 409  # not before the committee asks
    await applications.request_information(
        store, application_id=app_id, by=uuid4(), question="Combien de postes en CDI ?"
    )
    await catch_up(db, store)
    page = await client.get(f"/my/files/{app_id}", headers=EN)
    assert "The committee asked you for more information:" in page.text
    assert "Combien de postes en CDI ?" in page.text
    assert f'href="/my/files/{app_id}/amend"' in page.text
    form = await client.get(f"/my/files/{app_id}/amend", headers=EN)
    assert form.status_code == 200
    assert 'value="2500000.50"' in form.text
    assert "Combien de postes en CDI ?" in form.text
    amended = {**{k: VALID[k] for k in ("title", "summary", "commune", "total_investment",
               "requested", "jobs_women", "timeline_months")}, "jobs": "130"}  # fmt: skip
    unchanged = await post_form(client, f"/my/files/{app_id}/amend", {**amended, "jobs": "120"})
    assert unchanged.status_code == 422
    response = await post_form(client, f"/my/files/{app_id}/amend", amended)
    assert response.status_code == 303
    await catch_up(db, store)
    page = await client.get(f"/my/files/{app_id}", headers=EN)
    assert "You amended your application: Jobs created." in page.text
    assert "Submitted, waiting for screening" in page.text


async def test_the_investor_withdraws_after_confirming(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, investor: User,
    call_id: UUID,
) -> None:  # fmt: skip
    app_id = file_id(await apply(client, call_id))
    confirm = await client.get(f"/my/files/{app_id}/withdraw", headers=EN)
    assert confirm.status_code == 200
    assert "Yes, withdraw the application" in confirm.text
    response = await post_form(
        client, f"/my/files/{app_id}/withdraw", {}, page=f"/my/files/{app_id}/withdraw"
    )
    assert response.status_code == 303
    await catch_up(db, store)
    page = await client.get(f"/my/files/{app_id}", headers=EN)
    assert "You withdrew your application." in page.text
    assert f"/my/files/{app_id}/withdraw" not in page.text
    assert (await client.get(f"/my/files/{app_id}/withdraw")).status_code == 409
    again = await post_form(client, f"/my/files/{app_id}/withdraw", {}, page="/my/files")
    assert again.status_code == 409


async def test_the_data_download_holds_everything_about_the_investor_only(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, investor: User,
    call_id: UUID,
) -> None:  # fmt: skip
    app_id = file_id(await apply(client, call_id))
    other = await make_user(db, "other@example.ma")
    await drafts.save_draft(db, investor_id=other.id, values={"title": "Not mine"})
    await drafts.save_draft(db, investor_id=investor.id, values={"title": "Mine, later"})
    await catch_up(db, store)
    response = await client.get("/my/data")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(response.text)
    assert data["account"]["email"] == "investor@example.ma"
    assert data["account"]["role"] == "investor"
    assert "password_hash" not in data["account"]
    [record] = data["applications"]
    assert record["application_id"] == str(app_id)
    assert record["contact"]["email"] == "salma@example.ma"
    assert record["contact"]["phone"] == "+212612345678"
    assert record["applicant"]["ice"] == ICE
    assert record["project"]["requested_centimes"] == 250_000_050
    assert [step["kind"] for step in record["timeline"]] == [
        "submitted", "document_attached", "document_attached", "document_attached",
    ]  # fmt: skip
    assert [d["values"]["title"] for d in data["drafts"]] == ["Mine, later"]
    assert "Not mine" not in response.text


async def test_another_investors_file_and_draft_are_not_found(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, investor: User,
    call_id: UUID,
) -> None:  # fmt: skip
    app_id = file_id(await apply(client, call_id))
    draft_id = await drafts.save_draft(db, investor_id=investor.id, values={"title": "Mine"})
    await catch_up(db, store)
    await post_form(client, "/logout", {}, page="/")
    intruder = await make_user(db, "intruder@example.ma")
    await log_in(client, intruder.email)
    for path in (
        f"/my/files/{app_id}", f"/my/files/{app_id}/amend", f"/my/files/{app_id}/withdraw",
        f"/my/drafts/{draft_id}", f"/my/files/{uuid4()}", f"/my/drafts/{uuid4()}",
        f"/my/files/{call_id}",
    ):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path
    for path in (f"/my/files/{app_id}/amend", f"/my/files/{app_id}/withdraw"):
        response = await post_form(client, path, dict(VALID), page="/my/files")
        assert response.status_code == 404, path
    token = csrf_of(await client.get("/my/files"))
    overwrite = await client.post(
        "/my/applications/new",
        data={"title": "Hijacked", "draft_id": str(draft_id), "action": "draft", "_csrf": token},
    )
    assert overwrite.status_code == 404
    mine = await drafts.draft(db, investor_id=investor.id, draft_id=draft_id)
    assert mine is not None
    assert mine.values == {"title": "Mine"}
    app = await investors.own_application(store, investor_id=investor.id, application_id=app_id)
    assert app is not None
    assert app.status == "submitted"
    assert "Centre de relation client" not in (await client.get("/my/data")).text


@pytest.mark.parametrize("path", ["/my/files", "/my/applications/new", "/my/data"])
async def test_visitors_are_sent_to_log_in_and_staff_refused(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, path: str
) -> None:
    visitor = await client.get(path)
    assert visitor.status_code == 303
    assert visitor.headers["location"].startswith("/login?next=")
    reviewer = await make_user(db, "reviewer@region.ma", role="reviewer")
    await log_in(client, reviewer.email)
    assert (await client.get(path)).status_code == 403


async def test_the_timeline_tells_the_decision_and_the_payments_in_plain_words(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, investor: User,
    call_id: UUID,
) -> None:  # fmt: skip
    app_id = file_id(await apply(client, call_id))
    rubric_id = await programme.draft_rubric(store)
    await programme.publish_rubric(store, rubric_id=rubric_id)
    officer, chair = uuid4(), uuid4()
    for reviewer in (uuid4(), uuid4()):
        await applications.assign_reviewer(
            store, application_id=app_id, reviewer_id=reviewer, by=officer
        )
        await applications.review(
            store, application_id=app_id, reviewer_id=reviewer, rubric_id=rubric_id,
            scores=dict.fromkeys(GOOD_SCORES, 4), comment="Avis interne du comité",
        )  # fmt: skip
    await decisions.fund(
        store, application_id=app_id, decided_by=chair, amount_centimes=2_000_000_00
    )
    await decisions.sign_agreement(store, application_id=app_id, by=officer)
    await decisions.disburse(store, application_id=app_id, amount_centimes=500_000_00, by=officer)
    await catch_up(db, store)
    page = await client.get(f"/my/files/{app_id}", headers=EN)
    for sentence in (
        "A reviewer was assigned: your file is under review.",
        "A reviewer assessed your file.",
        "The committee decided to fund your project with 2,000,000.00\xa0MAD.",
        "The funding agreement was signed.",
        "A tranche of 500,000.00\xa0MAD was paid to you.",
    ):
        assert sentence in page.text
    assert "Agreement signed" in page.text
    assert "Avis interne du comité" not in page.text  # reviewers' comments stay internal
    assert f"/my/files/{app_id}/withdraw" not in page.text
    french = await client.get(f"/my/files/{app_id}", headers={"Accept-Language": "fr"})
    assert "Une tranche de 500\u202f000,00\xa0MAD vous a été versée." in french.text


async def test_the_investor_answers_a_question_with_a_file_all_or_nothing(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, investor: User,
    call_id: UUID,
) -> None:  # fmt: skip
    app_id = file_id(await apply(client, call_id))
    await catch_up(db, store)
    reply = {"file": ("impots.pdf", PDF, "application/pdf")}
    early = await post_form(
        client, f"/my/files/{app_id}/reply", {"message": "Voici"}, page="/my/files", files=reply
    )
    assert early.headers["location"].endswith("?reply=invalid_transition#thread")
    assert await db.fetchval("SELECT count(*) FROM documents") == 3  # those submitted only
    await applications.request_information(
        store, application_id=app_id, by=uuid4(), question="Votre attestation fiscale ?"
    )
    await catch_up(db, store)
    sent = await post_form(
        client, f"/my/files/{app_id}/reply", {"message": "Voici l'attestation."},
        page="/my/files", files=reply,
    )  # fmt: skip
    assert sent.headers["location"].endswith("?reply=sent#thread")
    await catch_up(db, store)
    page = await client.get(f"/my/files/{app_id}?reply=sent", headers=EN)
    assert "Your answer was sent to the committee." in page.text
    assert "Voici l&#39;attestation." in page.text
    assert "The applicant answered:" in page.text
    assert 'class="status">Submitted, waiting for screening' in page.text
    doc = re.search(rf'href="/applications/{app_id}/documents/([0-9a-f-]{{36}})" download>'
                    r"Document for the committee", page.text)  # fmt: skip
    assert doc
    got = await client.get(f"/applications/{app_id}/documents/{doc[1]}")
    assert got.content == PDF
