"""Programme administration in a real Chromium, in Arabic: projections and calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import screenshot, serious_violations, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_an_officer_sees_the_projections_in_arabic(page: Page, server: str) -> None:
    sign_in(page, server, "officer@demo.ma")
    page.click("a[href='/admin']")
    page.click(".admin-nav a[href='/admin/projections']")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text() == "الإسقاطات"
    rows = page.locator("table tbody tr")
    assert rows.count() >= 6
    assert page.locator("th[scope=row]", has_text="review_queue").count() == 1
    screenshot(page, "admin-projections-ar")
    assert serious_violations(page) == []


def test_an_officer_sees_the_calls_and_a_mistake_next_to_its_field(page: Page, server: str) -> None:
    sign_in(page, server, "officer@demo.ma")
    page.goto(f"{server}/admin/calls")
    assert page.locator("h1").inner_text() == "طلبات الترشيح"
    assert page.locator(".status-open").count() >= 1  # the demo's open call
    screenshot(page, "admin-calls-ar")
    assert serious_violations(page) == []
    page.select_option("#f-envelope_id", index=1)
    page.fill("#f-title", "طلب ترشيح تجريبي")
    page.fill("#f-min_request", "١٠٠ ٠٠٠")
    page.fill("#f-max_request", "٥٠")
    page.click("form[action='/admin/calls'] [type=submit]")
    page.wait_for_load_state()
    error = page.locator("#f-max_request-error")
    assert error.inner_text() == "يجب ألا يقل الحد الأقصى عن الحد الأدنى."
    assert page.locator("#f-min_request").input_value() == "١٠٠ ٠٠٠"
    assert page.locator("#f-max_request").get_attribute("aria-invalid") == "true"
    screenshot(page, "admin-calls-error-ar")
    assert serious_violations(page) == []
