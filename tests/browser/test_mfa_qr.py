"""The MFA setup page's QR code, drawn server-side, scans back to the page's otpauth address.

zbarimg (Debian's zbar-tools, an independent QR reader) decodes what Chromium drew, so the
code is checked the way an authenticator app's camera would check it, in Arabic and French, on
a desktop and a phone-sized screen.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import ARTIFACTS, screenshot, serious_violations, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools is not installed")
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(("locale", "language"), [("ar-MA", "ar"), ("fr-FR", "fr")])
def test_the_setup_page_shows_a_qr_code_an_app_can_scan(
    browser: Browser, server: str, locale: str, language: str, width: int
) -> None:
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, server, "investor3@demo.ma")  # an investor may turn the second factor on
        page.goto(f"{server}/account/mfa/setup")
        assert page.locator("html").get_attribute("lang") == language
        image = page.locator("img.qr")
        box = image.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width  # whole on a phone's screen
        assert (image.get_attribute("src") or "").startswith("data:image/svg+xml")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0  # no sideways scrolling, even with the long otpauth address
        shot = ARTIFACTS / f"mfa-qr-{language}-{width}.png"
        image.screenshot(path=str(shot))
        screenshot(page, f"mfa-setup-{language}-{width}")
        read = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(shot)], capture_output=True, text=True, check=True
        )
        address = page.locator("code.secret").nth(1).inner_text()
        assert address.startswith("otpauth://totp/")
        assert read.stdout.strip() == address
        assert serious_violations(page) == []
    finally:
        context.close()
