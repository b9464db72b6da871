"""An investor applies in the Arabic interface, mistypes the ICE, is told next to the field, fixes it."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from domain.identifiers import ice_with_check
from tests.browser.conftest import screenshot, serious_violations, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

ICE = ice_with_check("0024681357913")
WRONG_ICE = ICE[:-1] + str((int(ICE[-1]) + 1) % 10)
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _fill_application(page: Page, title: str) -> None:
    page.select_option("#f-call_id", index=1)
    page.fill("#f-company_name", "شركة واحة زاكورة للخدمات")
    page.select_option("#f-legal_form", "sarl")
    page.fill("#f-ice", WRONG_ICE.translate(ARABIC))
    page.fill("#f-rc_court", "ورزازات")
    page.fill("#f-rc_number", "٤٥٢١")
    page.fill("#f-contact_name", "سلمى آيت بنحدو")
    page.fill("#f-contact_email", "salma@example.ma")
    page.fill("#f-contact_phone", "٠٦١٢٣٤٥٦٧٨")
    page.select_option("#f-sector", "offshoring")
    page.select_option("#f-province", "zagora")
    page.select_option("#f-commune", "agdz")
    page.fill("#f-title", title)
    page.fill("#f-summary", "مركز نداء ثنائي اللغة يشغل شباب المنطقة.")
    page.fill("#f-total_investment", "٢ ٠٠٠ ٠٠٠")
    page.fill("#f-requested", "٥٠٠٬٠٠٠")
    page.fill("#f-jobs", "٤٠")
    page.fill("#f-jobs_women", "٢٥")
    page.fill("#f-timeline_months", "١٨")


def test_an_investor_applies_in_arabic_and_corrects_a_wrong_ice(page: Page, server: str) -> None:
    sign_in(page, server, "investor1@demo.ma")
    response = page.goto(f"{server}/my/applications/new")
    assert response is not None
    assert response.status == 200
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert serious_violations(page) == []
    screenshot(page, "portal-1-application-form")

    title = f"مركز نداء أكدز {secrets.token_hex(3)}"
    _fill_application(page, title)
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()
    error = page.locator("#f-ice-error")
    assert error.is_visible()
    assert "15 رقمًا" in error.inner_text()
    ice = page.locator("#f-ice")
    assert ice.get_attribute("aria-invalid") == "true"
    assert "f-ice-error" in (ice.get_attribute("aria-describedby") or "")
    assert page.locator("#f-title").input_value() == title  # what was typed is kept
    assert page.locator("#f-commune").input_value() == "agdz"
    assert serious_violations(page) == []
    screenshot(page, "portal-2-ice-error-next-to-the-field")

    ice.fill(ICE.translate(ARABIC))
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()
    assert re.search(r"/my/files/[0-9a-f-]{36}\?submitted=true$", page.url), page.url
    assert page.locator("h1").inner_text() == title
    screenshot(page, "portal-3-submitted")

    for _ in range(40):  # the in-process projection records the file within moments
        page.goto(f"{server}/my/files")
        if page.get_by_text(title).count():
            break
        page.wait_for_timeout(250)
    link = page.get_by_role("link", name=title)
    assert link.count() == 1
    screenshot(page, "portal-4-my-files")
    link.click()
    page.wait_for_load_state()
    assert page.locator(".timeline li").count() >= 1
    screenshot(page, "portal-5-file-timeline")


def test_the_form_fits_a_phone_screen(page: Page, server: str) -> None:
    sign_in(page, server, "investor2@demo.ma")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{server}/my/applications/new")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    submit = page.locator("button[name=action][value=submit]").bounding_box()
    assert submit is not None
    assert submit["height"] >= 44  # a comfortable touch target
    screenshot(page, "portal-6-form-on-a-phone")
