"""Demo staff sign in with the second factor in a real Chromium; the code step is accessible."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import screenshot, serious_violations, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_demo_staff_pass_the_code_step(page: Page, server: str) -> None:
    sign_in(page, server, "officer@demo.ma")
    assert "/login" not in page.url
    page.goto(f"{server}/account/mfa/setup")
    assert page.locator("h1").count() == 1
    assert "/login/mfa" not in page.url  # the session is past the second factor


def test_the_code_step_is_accessible_and_required(page: Page, server: str) -> None:
    from web.cli.demo import DEMO_PASSWORD

    page.goto(f"{server}/login")
    page.fill("input[name=email]", "chair@demo.ma")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action='/login'] [type=submit]")
    page.wait_for_load_state()
    assert "/login/mfa" in page.url
    screenshot(page, "mfa-step")
    assert serious_violations(page) == []
    page.goto(f"{server}/account/password")  # a staff page before the code: sent back
    assert "/login/mfa" in page.url
    page.fill("input[name=code]", "000000")
    page.click("form[action='/login/mfa'] [type=submit]")
    page.wait_for_load_state()
    assert page.locator("[aria-invalid=true]").count() == 1
