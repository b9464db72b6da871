"""The chair's queue in a real Chromium: the fundable line ranks only files that can be funded
now, the others are listed apart with the reason; the file page shows mean, normalised score,
quorum and threshold. Arabic and French, at 1280 and 390 pixels wide."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.browser.journeys import assert_language, caught_up, switch_language

if TYPE_CHECKING:
    from playwright.sync_api import Browser

HEADING = {
    "ar": "قيد التقييم، خارج خط التمويل",
    "fr": "En évaluation, hors de la ligne de financement",
}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_chair_sees_the_honest_line_and_the_files_kept_off_it(
    browser: Browser, server: str, language: str, width: int
) -> None:
    caught_up(server)
    context = browser.new_context(locale="ar-MA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, server, "chair@demo.ma")
        page.goto(f"{server}/committee/queue?status=in_review")
        switch_language(page, language)  # on a phone the switcher sits behind the Menu button
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{server}/committee/queue?status=in_review")
        assert_language(page, language)
        ranked = page.locator("tr[data-file][data-eligibility='fundable']")
        kept_off = page.locator("tr[data-apart]")
        assert kept_off.count() > 0, "the demo has files in review without quorum"
        assert page.get_by_role("heading", name=HEADING[language]).is_visible()
        # Nothing kept off the line carries a rank or a place against it.
        for row in page.locator("tr[data-file][data-eligibility^='below']").all():
            assert row.get_attribute("data-line") == "none"
        screenshot(page, f"fundable-line-{language}-{width}-queue")
        assert serious_violations(page) == []

        target = ranked.first if ranked.count() else page.locator("tr[data-file]").first
        target.locator("th a").click()
        page.wait_for_load_state()
        assert page.locator("[data-quorum]").count() == 1
        assert page.locator("[data-threshold]").count() == 1
        screenshot(page, f"fundable-line-{language}-{width}-file")
        assert serious_violations(page) == []
    finally:
        context.close()
