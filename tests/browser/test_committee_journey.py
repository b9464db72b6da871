"""The committee in a real Chromium on the demo programme, in Arabic: a reviewer scores with a
live weighted total, the chair funds a file; axe finds nothing serious on the queue and scoring
pages."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_violations, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def caught_up(server: str, seconds: float = 60) -> None:
    """Wait until the projections have read the whole demo log (the server answers earlier)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{server}/healthz", timeout=5) as response:  # noqa: S310
            lags = [p["lag_events"] for p in json.load(response)["projections"].values()]
        if not any(lags):
            return
        time.sleep(0.2)
    raise AssertionError("the projections did not catch up with the demo")


def test_a_reviewer_scores_an_assigned_file_with_a_live_total(page: Page, server: str) -> None:
    caught_up(server)
    sign_in(page, server, "reviewer1@demo.ma")
    page.goto(f"{server}/committee/queue?status=in_review&sort=date")
    rows = page.locator("tr[data-file][data-status='in_review']")
    assert rows.count() > 0
    screenshot(page, "committee-queue-reviewer")
    assert serious_violations(page) == []

    file_path = rows.first.locator("th a").get_attribute("href")
    page.goto(f"{server}{file_path}")
    score_path = page.locator("a[href$='/score']").get_attribute("href")
    page.goto(f"{server}{score_path}")
    total = page.locator("#score-total")
    inputs = page.locator("input[data-weight]")
    assert inputs.count() == 8
    for i in range(inputs.count()):
        inputs.nth(i).fill("5")
    assert total.inner_text() == "100.00"
    page.fill("#s-stable_jobs", "1")  # weight 25: 100 - 25 * 4 * 20 / 100
    assert total.inner_text() == "80.00"
    assert total.get_attribute("aria-live") == "polite"
    screenshot(page, "committee-score-live-total")
    assert serious_violations(page) == []

    page.fill("#s-comment", "ملف متين، أثر واضح على التشغيل المحلي.")
    page.locator("form[data-score-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert "/committee/files/" in page.url
    assert "/score" not in page.url
    assert "80.00 / 100" in page.locator(".notice").inner_text()
    screenshot(page, "committee-scored")


def test_two_reviewers_score_and_the_chair_funds(page: Page, server: str, browser: Browser) -> None:
    caught_up(server)
    watcher = browser.new_context(locale="ar-MA").new_page()  # the chair's queue, left open
    sign_in(watcher, server, "chair@demo.ma")
    watcher.goto(f"{server}/committee/queue?status=in_review")
    sign_in(page, server, "officer@demo.ma")
    page.goto(f"{server}/committee/queue?status=in_review&sort=date")
    file_path = page.locator("tr[data-file] th a").last.get_attribute("href")
    assert file_path is not None
    for reviewer in ("Reviewer One", "Reviewer Two"):
        page.goto(f"{server}{file_path}")
        page.select_option("#assign-reviewer_id", label=reviewer)
        page.locator("form[action$='/assign'] button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(".notice").count() == 1, page.locator(".alert").all_inner_texts()

    for email in ("reviewer1@demo.ma", "reviewer2@demo.ma"):
        sign_in(page, server, email)
        page.goto(f"{server}{file_path}/score")
        for field in page.locator("input[data-weight]").all():
            field.fill("5")
        assert page.locator("#score-total").inner_text() == "100.00"
        page.locator("form[data-score-form] button[type=submit]").click()
        page.wait_for_load_state()
        assert "100.00 / 100" in page.locator(".notice").inner_text()

    # The open queue heard the projection move on (SSE), refreshed itself and said so.
    expect(watcher.locator("#queue-status")).to_have_text("تم تحديث قائمة الملفات.", timeout=15_000)
    row = watcher.locator(f"tr[data-file='{file_path.rsplit('/', 1)[-1]}']")
    expect(row).to_have_attribute("data-score", "10000", timeout=15_000)
    screenshot(watcher, "committee-queue-live")
    watcher.context.close()

    sign_in(page, server, "chair@demo.ma")
    page.goto(f"{server}{file_path}")
    page.fill("#fund-amount", "50000")  # the call's minimum request: within any file's request
    page.fill("#fund-note", "مشروع ذو أولوية في الإقليم.")
    page.locator("form[action$='/fund'] button[type=submit]").click()
    page.wait_for_load_state()
    notice = page.locator(".notice")
    assert notice.count() == 1, page.locator(".alert").all_inner_texts()
    assert "تم تسجيل قرار التمويل" in notice.inner_text()
    screenshot(page, "committee-funded")
