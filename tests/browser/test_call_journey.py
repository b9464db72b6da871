"""Issue 12 in a real browser, in French on an English-speaking browser: register, read the call
page, apply with a real ICE and as an RNAE sole trader; be refused clearly for an ICE valid only
under the old rule, for 72 % of the investment, and after the deadline."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pyotp

from tests.browser.conftest import screenshot
from tests.browser.journeys import assert_language, attach_mandatory_documents, caught_up

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REAL_ICE = "001561191000066"
OLD_RULE_ICE = "001234567000063"


def field_error(page: Page, name: str) -> str:
    """The message shown next to the field (tied to it by aria-describedby)."""
    assert "f-" + name + "-error" in (page.get_attribute(f"#f-{name}", "aria-describedby") or "")
    return page.inner_text(f"#f-{name}-error")


def fill(page: Page, *, ice: str, requested: str, title: str, sole_trader: bool = False) -> None:
    if sole_trader:
        page.select_option("#f-legal_form", "sole_trader")
        page.fill("#f-company_name", "Hanane Oubella")
        page.fill("#f-ice", "")
        page.fill("#f-rnae_number", "20231234")
        assert not page.is_visible("#f-rc_number")  # no commercial register for her
    else:
        page.select_option("#f-legal_form", "sarl")
        page.fill("#f-company_name", "Atlas Offshoring SARL")
        page.fill("#f-ice", ice)
        page.fill("#f-rc_court", "Ouarzazate")
        page.fill("#f-rc_number", "4521")
        assert not page.is_visible("#f-rnae_number")
    page.fill("#f-contact_name", "Salma Ait Benhaddou")
    page.fill("#f-contact_email", "salma@example.ma")
    page.fill("#f-contact_phone", "06 12 34 56 78")
    page.select_option("#f-sector", "offshoring")
    page.select_option("#f-province", "ouarzazate")
    page.select_option("#f-commune", "skoura")
    page.fill("#f-title", title)
    page.fill("#f-summary", "Centre de relation client bilingue.")
    page.fill("#f-total_investment", "10 000 000")
    page.fill("#f-requested", requested)
    page.fill("#f-jobs", "120")
    page.fill("#f-jobs_women", "70")
    page.fill("#f-timeline_months", "18")
    attach_mandatory_documents(page)  # the call's required documents (business plan, ...)


def submit(page: Page) -> None:
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()


def open_call_closing_soon(browser: Browser, server: str, seconds: int) -> str:
    """As the demo officer over the API (second factor included): a call closing in ``seconds``."""
    from web.cli.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    context = browser.new_context()
    api = context.request
    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    for attempt in range(4):  # a code works once: other journeys may have used this window's
        token = api.get(f"{server}/api/v1/session").json()["csrf_token"]  # a refusal ends it
        at = time.time() + (30 if attempt % 2 else 0)
        login = api.post(
            f"{server}/api/v1/session", headers={"X-CSRF-Token": token},
            data={"email": "officer@demo.ma", "password": DEMO_PASSWORD, "totp": totp.at(at)},
        )  # fmt: skip
        if login.ok:
            break
        if attempt == 1:
            time.sleep(31 - time.time() % 30)
    assert login.ok, login.text()
    token = login.json()["csrf_token"]
    envelope = api.get(f"{server}/api/v1/envelopes").json()[0]["envelope_id"]
    closes = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
    call = api.post(
        f"{server}/api/v1/calls", headers={"X-CSRF-Token": token},
        data={"envelope_id": envelope, "title": f"Appel éclair {secrets.token_hex(2)}",
              "min_request_centimes": 100, "max_request_centimes": 10**12, "closes_at": closes},
    )  # fmt: skip
    assert call.status == 201, call.text()
    call_id = str(call.json()["id"])
    context.close()
    return call_id


def test_a_french_investor_registers_reads_the_call_and_applies(
    browser: Browser, server: str
) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/?lang=fr")
    assert_language(page, "fr")
    page.click("a.button[href='/register?lang=fr']")
    assert_language(page, "fr")
    page.fill("input[name=email]", f"nadia.{secrets.token_hex(3)}@exemple.ma")
    page.fill("input[name=display_name]", "Nadia Amzil")
    page.fill("input[name=password]", "une phrase assez longue")
    page.fill("input[name=password_confirm]", "une phrase assez longue")
    page.click("form[action='/register'] [type=submit]")
    page.wait_for_load_state()
    assert "/my/files" in page.url
    assert_language(page, "fr")

    page.click("nav a[href^='/calls']")
    assert_language(page, "fr")
    page.click(".call-list a >> nth=0")
    assert page.locator("h2#who").inner_text() == "Qui peut déposer un dossier"
    assert "30 % de l’investissement total" in page.inner_text("dl.call-rules").replace("'", "’")
    assert page.locator(".rubric-table tbody tr").count() == 8
    assert "Date limite" in page.inner_text(".call-status")
    screenshot(page, "call-fr-1280-page")
    page.click("a.button[href^='/my/applications/new?call_id=']")
    assert_language(page, "fr")
    assert "encore" in page.inner_text(".call-deadlines")  # the time left

    title = f"Centre de relation client {secrets.token_hex(2)}"
    fill(page, ice=OLD_RULE_ICE, requested="2 500 000", title=title)
    submit(page)
    assert field_error(page, "ice").startswith("L’ICE compte 15 chiffres")
    screenshot(page, "call-fr-1280-old-rule-ice-refused")

    page.fill("#f-ice", REAL_ICE)
    page.fill("#f-requested", "7 200 000")  # 72 % of the investment
    submit(page)
    assert field_error(page, "requested").startswith("Le montant demandé dépasse la part")
    screenshot(page, "call-fr-1280-share-refused")

    page.fill("#f-requested", "2 500 000")
    submit(page)
    assert "/my/files/" in page.url, page.inner_text("main")
    assert_language(page, "fr")

    page.goto(f"{server}/my/applications/new")
    page.select_option("#f-call_id", index=1)
    fill(
        page, ice="", requested="300 000", title=f"Atelier {secrets.token_hex(2)}", sole_trader=True
    )
    screenshot(page, "call-fr-1280-sole-trader-form")
    submit(page)
    assert "/my/files/" in page.url, page.inner_text("main")

    call_id = open_call_closing_soon(browser, server, seconds=20)
    caught_up(server)
    page.goto(f"{server}/my/applications/new?call_id={call_id}")
    fill(page, ice=REAL_ICE, requested="2 500 000", title=f"Trop tard {secrets.token_hex(2)}")
    time.sleep(21)  # the deadline passes while the investor is typing
    submit(page)
    assert field_error(page, "call_id") == "Cet appel n’accepte plus de candidatures."
    screenshot(page, "call-fr-1280-after-deadline")
    context.close()


def test_the_call_page_on_a_phone_and_in_arabic(browser: Browser, server: str) -> None:
    for language, width in (("ar", 390), ("fr", 390), ("ar", 1280)):
        context = browser.new_context(viewport={"width": width, "height": 840})
        page = context.new_page()
        page.goto(f"{server}/calls?lang={language}")
        page.click(".call-list a >> nth=0")
        assert_language(page, language)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        screenshot(page, f"call-{language}-{width}-page")
        assert overflow <= 0 or width > 400, f"the page scrolls sideways by {overflow}px"
        context.close()
