"""A real call a real investor can answer (issue 12), over HTTP: the API alone, the call pages,
the rules at submission, Moroccan time and the language a visitor chose."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from service import applications, programme
from tests.e2e.api_support import Api, catch_up, with_documents
from tests.e2e.conftest import csrf_of, log_in, make_user
from tests.e2e.test_portal import MANDATORY_FILES, VALID, field_error
from tests.integration.service import support

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore

REAL_ICE = "001561191000066"
OLD_RULE_ICE = "001234567000063"  # int % 97 == 1: valid only under the old, wrong rule
MAD = 100
CHECKED = re.compile(r'name="(doc\d+_(?:languages|mandatory))" value="(\w+)" checked')
FIELD = re.compile(r'<input id="f-[^"]+" name="([^"]+)" type="(?:text|email)" value="([^"]*)"')


@pytest.fixture
async def call_id(db: asyncpg.Pool, store: EventStore) -> str:
    envelope_id = await programme.open_envelope(store)
    rubric_id = await programme.draft_rubric(store)
    await programme.publish_rubric(store, rubric_id=rubric_id)
    call = await programme.open_call(
        store, envelope_id=envelope_id, title="Appel 2026 : offshoring et autres secteurs",
        min_request_centimes=100_000 * MAD, max_request_centimes=12_000_000 * MAD,
        closes_at=datetime.now(UTC) + timedelta(days=30),
    )  # fmt: skip
    await catch_up(db, store)
    return str(call)


def body(call_id: str, **changes: Any) -> dict[str, Any]:
    applicant = {
        "applicant_kind": "company", "company_name": "Atlas Offshoring SARL",
        "legal_form": "sarl", "ice": REAL_ICE, "rc_court": "Ouarzazate", "rc_number": "4521",
    }  # fmt: skip
    project = {
        "title": "Centre de relation client", "summary": "120 postes.", "sector": "offshoring",
        "province": "ouarzazate", "commune": "skoura",
        "total_investment_centimes": 10_000_000 * MAD, "requested_centimes": 2_500_000 * MAD,
        "jobs": 120, "jobs_women": 70, "timeline_months": 18,
    }  # fmt: skip
    applicant |= changes.pop("applicant", {})
    project |= changes.pop("project", {})
    contact = {"name": "Salma Ait Benhaddou", "email": "salma@example.ma", "phone": "+212600000001"}
    return {"call_id": call_id, "applicant": applicant, "contact": contact, "project": project}


async def register(api: Api, email: str) -> httpx.Response:
    api.client.cookies.clear()
    api.csrf = (await api.get("/session")).json()["csrf_token"]
    response = await api.post(
        "/accounts",
        {"email": email, "display_name": "Yassine Amrani", "password": "a long enough secret"},
    )
    if response.status_code == 201:
        api.csrf = response.json()["csrf_token"]
    return response


async def test_a_newcomer_registers_reads_the_reference_and_the_call_and_applies_over_the_api(
    client: AsyncTestClient[Litestar], call_id: str
) -> None:
    api = Api(client)
    registered = await register(api, "new.investor@example.ma")
    assert registered.status_code == 201, registered.text
    assert registered.json()["user"]["role"] == "investor"

    reference = (await api.get("/reference")).json()
    assert {p["key"]: p["category"] for p in reference["provinces"]}["ouarzazate"] == "A"
    assert "skoura" in [c["key"] for p in reference["provinces"] for c in p["communes"]]
    sole = next(f for f in reference["legal_forms"] if f["applicant_kind"] == "sole_trader")
    assert set(sole["labels"]) == {"ar", "fr", "en"}

    call = (await api.get(f"/calls/{call_id}")).json()
    assert call["max_share_basis_points"] == 3_000
    assert call["rubric"]["scale"] == {"min": 0, "max": 5}
    assert set(call["rubric"]["criteria"][0]["levels"]) == {"0", "3", "5"}
    assert call["decision"]["quorum"] >= 1
    assert {d["kind"] for d in call["documents"]} >= {"business_plan", "rnae_card"}
    assert call["closes_at"] is not None

    # Each submission brings a draft holding the call's mandatory documents.
    company = await api.post("/applications", await with_documents(api, body(call_id)))
    assert company.status_code == 201, company.text
    sole_trader = body(
        call_id, applicant={"applicant_kind": "sole_trader", "legal_form": "sole_trader",
                            "company_name": "Yassine Amrani", "ice": "", "rc_court": "",
                            "rc_number": "", "rnae_number": "20231234"},
    )  # fmt: skip
    sent = await api.post("/applications", await with_documents(api, sole_trader))
    assert sent.status_code == 201, sent.text


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"applicant": {"ice": OLD_RULE_ICE}}, "invalid_value", "ice"),
        ({"project": {"requested_centimes": 7_200_000 * MAD}}, "ineligible", "requested_centimes"),
        ({"project": {"requested_centimes": 50_000 * MAD}}, "ineligible", "requested_centimes"),
        ({"applicant": {"rc_number": "", "rc_court": "", "applicant_kind": "sole_trader",
                        "legal_form": "sole_trader", "ice": ""}}, "invalid_value", "rnae_number"),
    ],
)  # fmt: skip
async def test_rules_are_refused_at_submission_naming_the_field(
    client: AsyncTestClient[Litestar], call_id: str, changes: dict[str, Any], code: str, field: str
) -> None:
    api = Api(client)
    assert (await register(api, "rules@example.ma")).status_code == 201
    refused = await api.post("/applications", body(call_id, **changes))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (refused.json()["code"], refused.json()["field"]) == (code, field)


async def test_a_submission_after_the_deadline_is_refused_on_the_database_clock(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, call_id: str
) -> None:
    envelope_id = await db.fetchval("SELECT envelope_id FROM call_pages LIMIT 1")
    opened = await db.fetchval("SELECT now() - interval '2 days'")
    late_call = await programme.open_call(
        store, envelope_id=envelope_id, title="Closed yesterday", opens_at=opened,
        closes_at=opened + timedelta(days=1), min_request_centimes=100,
        max_request_centimes=10**12,
    )  # fmt: skip
    await catch_up(db, store)
    api = Api(client)
    assert (await register(api, "late@example.ma")).status_code == 201
    refused = await api.post("/applications", body(str(late_call)))
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == ("call_closed", "call_id")


async def test_api_registration_needs_the_csrf_token_and_keeps_the_pages_rules(
    client: AsyncTestClient[Litestar],
) -> None:
    api = Api(client)
    await api.get("/session")
    no_token = await client.post(
        "/api/v1/accounts",
        json={"email": "x@example.ma", "display_name": "X", "password": "a long enough secret"},
    )
    assert no_token.status_code == 403
    api.csrf = (await api.get("/session")).json()["csrf_token"]
    weak = await api.post(
        "/accounts", {"email": "y@example.ma", "display_name": "Y", "password": "123"}
    )
    assert (weak.status_code, weak.json()["code"]) == (422, "weak_password")
    assert (await register(api, "z@example.ma")).status_code == 201
    taken = await register(api, "z@example.ma")
    assert (taken.status_code, taken.json()["code"]) == (409, "email_taken")


async def test_registration_is_throttled_per_address_by_page_and_api_alike(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    first = await register(Api(client), "first@example.ma")
    assert first.status_code == 201
    # The address's counter now holds one account; it reaches the limit after 20.
    assert (
        await db.fetchval("SELECT failures FROM login_failures WHERE key LIKE 'register:ip:%'") == 1
    )
    await db.execute("UPDATE login_failures SET failures = 19 WHERE key LIKE 'register:ip:%'")
    assert (await register(Api(client), "twentieth@example.ma")).status_code == 201
    blocked = await register(Api(client), "blocked@example.ma")
    assert (blocked.status_code, blocked.json()["code"]) == (429, "throttled")
    assert int(blocked.headers["Retry-After"]) > 0
    page = await client.get("/register")
    form = {"email": "b2@example.ma", "display_name": "B", "password": "a long enough secret",
            "password_confirm": "a long enough secret", "_csrf": csrf_of(page)}  # fmt: skip
    refused = await client.post("/register", data=form)
    assert refused.status_code == 429
    assert await db.fetchval("SELECT count(*) FROM users WHERE email LIKE 'b%'") == 0
    assert (
        "Trop de comptes"
        in (await client.post("/register", data=form, headers={"Accept-Language": "fr"})).text
    )


async def test_the_call_pages_show_rules_rubric_and_a_visible_fallback(
    client: AsyncTestClient[Litestar], call_id: str
) -> None:
    listing = await client.get("/calls?lang=fr")
    assert listing.status_code == 200
    assert f'href="/calls/{call_id}?lang=fr"' in listing.text
    page = await client.get(f"/calls/{call_id}?lang=fr")
    assert page.status_code == 200
    text = page.text
    assert "Qui peut déposer un dossier" in text
    assert "30 % de l" in text
    assert "Offshoring" in text
    assert "Plan d'affaires" in text.replace("&#39;", "'")
    assert "Noté 5" in text
    assert "appels@draa-tafilalet.ma" in text
    english = await client.get(f"/calls/{call_id}?lang=en")
    # The title exists only in French: shown as such, and said so.
    assert "Appel 2026" in english.text
    assert "Not yet translated: shown in Français." in english.text
    assert (
        await client.get("/calls/00000000-0000-0000-0000-000000000000?lang=fr")
    ).status_code == 404


async def test_a_submission_at_0022_moroccan_time_is_dated_7_december(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> None:
    user = await make_user(db, "night@example.ma")
    envelope_id = await programme.open_envelope(store)
    just_after_midnight = datetime(2026, 12, 6, 23, 22, tzinfo=UTC)  # 00:22 on 7 Dec in Morocco
    await applications.submit(
        store, investor_id=user.id, envelope_id=envelope_id, applicant=support.applicant(),
        contact=support.CONTACT, project=support.project(), clock=lambda: just_after_midnight,
    )  # fmt: skip
    await catch_up(db, store)
    token = csrf_of(await client.get("/login?lang=fr"))
    await client.post(
        "/login", data={"email": user.email, "password": "a long enough secret", "_csrf": token}
    )
    files = await client.get("/my/files")
    assert "7 décembre 2026" in files.text
    assert "6 décembre 2026" not in files.text


async def test_a_visitor_who_chose_french_keeps_it_through_register_log_in_apply_and_404(
    client: AsyncTestClient[Litestar], call_id: str
) -> None:
    english_browser = {"Accept-Language": "en"}
    home = await client.get("/?lang=fr", headers=english_browser)
    assert 'href="/register?lang=fr"' in home.text
    register_page = await client.get("/register?lang=fr", headers=english_browser)
    assert '<html lang="fr"' in register_page.text
    form = {"email": "fr@example.ma", "display_name": "Nadia", "password": "a long enough secret",
            "password_confirm": "a long enough secret", "_csrf": csrf_of(register_page)}  # fmt: skip
    registered = await client.post("/register", data=form, headers=english_browser)
    assert registered.status_code == 303
    files = await client.get(registered.headers["location"], headers=english_browser)
    assert '<html lang="fr"' in files.text
    apply_page = await client.get("/my/applications/new", headers=english_browser)
    assert '<html lang="fr"' in apply_page.text
    data = {**VALID, "ice": OLD_RULE_ICE, "call_id": call_id, "action": "submit",
            "submission_key": re.search(r'name="submission_key" value="([^"]+)"', apply_page.text)[1],  # type: ignore[index]
            "_csrf": csrf_of(apply_page)}  # fmt: skip
    refused = await client.post("/my/applications/new", data=data, headers=english_browser)
    assert refused.status_code == 422
    assert '<html lang="fr"' in refused.text
    assert field_error(refused.text, "ice").startswith("L’ICE compte 15 chiffres")
    data |= {"ice": REAL_ICE, "requested": "7 200 000"}  # 72 % of the 10 M investment
    share = await client.post("/my/applications/new", data=data, headers=english_browser)
    assert share.status_code == 422
    assert field_error(share.text, "requested").startswith("Le montant demandé dépasse la part")
    data |= {"requested": "2 500 000"}
    applied = await client.post(
        "/my/applications/new", data=data, headers=english_browser, files=MANDATORY_FILES
    )
    assert applied.status_code == 303, applied.text
    missing = await client.get(
        "/my/files/00000000-0000-0000-0000-000000000000", headers=english_browser
    )
    assert missing.status_code == 404
    assert '<html lang="fr"' in missing.text
    out = await client.post("/logout", data={"_csrf": csrf_of(files)})
    assert out.headers["location"] == "/?lang=fr"
    home_again = await client.get(out.headers["location"], headers=english_browser)
    assert 'href="/login?lang=fr"' in home_again.text
    login_page = await client.get("/login?lang=fr", headers=english_browser)
    token = csrf_of(login_page)
    logged = await client.post(
        "/login", data={"email": "fr@example.ma", "password": "a long enough secret", "_csrf": token},
        headers=english_browser,
    )  # fmt: skip
    assert logged.status_code == 303
    after = await client.get("/my/files", headers=english_browser)
    assert '<html lang="fr"' in after.text


async def test_an_officer_edits_the_calls_texts_and_the_public_page_shows_them(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, call_id: str
) -> None:
    officer = await make_user(db, "officer@region.ma", "officer")
    await log_in(client, officer.email)
    form = await client.get(f"/admin/calls/{call_id}/texts", headers={"Accept-Language": "en"})
    assert form.status_code == 200
    values: dict[str, Any] = dict(FIELD.findall(form.text))
    assert values["doc0_kind"] == "business_plan"
    for name, value in CHECKED.findall(form.text):
        values.setdefault(name, []).append(value)
    assert values["doc0_languages"] == ["ar", "fr"]
    values |= {"title_en": "Call 2026: offshoring and other sectors", "_csrf": csrf_of(form),
               "contact_email": "not an address"}  # fmt: skip
    refused = await client.post(f"/admin/calls/{call_id}/texts", data=values)
    assert refused.status_code == 422
    assert 'id="f-contact_email-error"' in refused.text
    values["contact_email"] = "calls@draa-tafilalet.ma"
    saved = await client.post(f"/admin/calls/{call_id}/texts", data=values)
    assert saved.status_code == 303, saved.text
    await catch_up(db, store)
    page = await client.get(f"/calls/{call_id}?lang=en")
    assert "Call 2026: offshoring and other sectors" in page.text
    assert "calls@draa-tafilalet.ma" in page.text
    assert "Not yet translated" not in page.text.split("<h2")[0]


async def test_the_privacy_notice_names_each_personal_field_the_forms_collect(
    client: AsyncTestClient[Litestar],
) -> None:
    from web.pages.portal import application_form as af

    notice = (await client.get("/privacy?lang=en")).text
    # Each personal field of the registration and application forms, and how the notice says it.
    said = {
        "display_name": "name", "email": "e-mail address", "password": "password",
        "contact_name": "name", "contact_email": "e-mail address",
        "contact_phone": "telephone number", "company_name": "the name you are registered under",
        "ice": "your ICE", "rnae_number": "RNAE number",
    }  # fmt: skip
    assert set(af.CONTACT_FIELDS) <= set(said)
    for field, words in said.items():
        assert words in notice, field
    assert "national identity card number" in notice  # only through the API, and said so
    assert "Only an application sent through the API" in notice
