"""The committee in a real Chromium on the demo programme: a reviewer scores with a live weighted
total (in Arabic, French and English), two reviewers score and the chair funds a file; axe finds
nothing serious on the queue and scoring pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.browser.journeys import (
    LANGUAGES,
    assert_language,
    assign_reviewers,
    caught_up,
    expected_total,
    fund,
    score_all,
    submit_score,
    switch_language,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REVIEWER = {"ar": "reviewer1@demo.ma", "fr": "reviewer2@demo.ma", "en": "reviewer3@demo.ma"}
COMMENT = {
    "ar": "ملف متين، أثر واضح على التشغيل المحلي.",
    "fr": "Dossier solide, effet net sur l’emploi local.",
    "en": "A sound file with a clear effect on local jobs.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reviewer_scores_an_assigned_file_with_a_live_total(
    page: Page, server: str, language: str
) -> None:
    caught_up(server)
    sign_in(page, server, REVIEWER[language])
    page.goto(f"{server}/committee/queue?status=in_review&sort=date")
    switch_language(page, language)  # back on the queue, without its filters: set them again
    page.goto(f"{server}/committee/queue?status=in_review&sort=date")
    assert_language(page, language)
    rows = page.locator("tr[data-file][data-status='in_review']")
    assert rows.count() > 0
    screenshot(page, f"committee-{language}-queue-reviewer")
    assert serious_violations(page) == []

    rows.first.locator("th a").click()
    page.wait_for_load_state()
    page.locator("a[href$='/score']").click()
    page.wait_for_load_state()
    assert_language(page, language)
    assert page.locator("input[data-weight]").count() == 8
    total = page.locator("#score-total")
    assert score_all(page, "5") == expected_total(page)  # facts are scored from the file
    page.fill("#s-stable_jobs", "1")  # weight 25: 20.00 points fewer
    assert total.inner_text() == expected_total(page)
    assert total.get_attribute("aria-live") == "polite"
    screenshot(page, f"committee-{language}-score-live-total")
    assert serious_violations(page) == []

    assert f"{expected_total(page)} / 100" in submit_score(page, language, COMMENT[language])
    screenshot(page, f"committee-{language}-scored")


def test_two_reviewers_score_and_the_chair_funds(page: Page, server: str, browser: Browser) -> None:
    caught_up(server)
    watcher = browser.new_context(locale="ar-MA").new_page()  # the chair's queue, left open
    sign_in(watcher, server, "chair@demo.ma")
    watcher.goto(f"{server}/committee/queue?status=in_review")
    sign_in(page, server, "officer@demo.ma")
    page.goto(f"{server}/committee/queue?status=in_review&sort=date")
    file_path = page.locator("tr[data-file] th a").last.get_attribute("href")
    assert file_path is not None
    app_id = file_path.rsplit("/", 1)[-1]
    assign_reviewers(page, server, app_id, ("Reviewer One", "Reviewer Two"))

    for email in ("reviewer1@demo.ma", "reviewer2@demo.ma"):
        sign_in(page, server, email)
        page.goto(f"{server}{file_path}/score")
        total = score_all(page, "5")
        assert total == expected_total(page)
        assert f"{total} / 100" in submit_score(page, "ar")

    # The open queue heard the projection move on (SSE), refreshed itself and said so.
    expect(watcher.locator("#queue-status")).to_have_text("تم تحديث قائمة الملفات.", timeout=15_000)
    row = watcher.locator(f"tr[data-file='{app_id}']")
    expect(row).to_have_attribute(
        "data-score", total.replace(",", "").replace(".", ""), timeout=15_000
    )
    screenshot(watcher, "committee-queue-live")
    watcher.context.close()

    sign_in(page, server, "chair@demo.ma")
    # the call's minimum request: within any file's request
    decided = fund(page, server, app_id, "50000", "مشروع ذو أولوية في الإقليم.")
    assert "تم تسجيل قرار التمويل" in decided
    screenshot(page, "committee-funded")
