"""An investor applies, mistypes the ICE, is told next to the field, fixes it: in Arabic, French
and English, switching language with the page's own switcher."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.browser.journeys import LANGUAGES, apply_with_a_wrong_ice, assert_language, open_my_file

if TYPE_CHECKING:
    from playwright.sync_api import Page

INVESTOR = {"ar": "investor1@demo.ma", "fr": "investor3@demo.ma", "en": "investor4@demo.ma"}
TITLE = {"ar": "مركز نداء أكدز", "fr": "Centre d’appels d’Agdz", "en": "Agdz call centre"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_investor_applies_and_corrects_a_wrong_ice(
    page: Page, server: str, language: str
) -> None:
    sign_in(page, server, INVESTOR[language])
    title = f"{TITLE[language]} {secrets.token_hex(3)}"
    apply_with_a_wrong_ice(page, server, title, language, shot=f"portal-{language}")

    open_my_file(page, server, title)
    assert_language(page, language)
    assert page.locator(".timeline li").count() >= 1
    screenshot(page, f"portal-{language}-4-file-timeline")


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
