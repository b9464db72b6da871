"""One grant from end to end, each person in their own browser, in Arabic: an investor applies
(and fixes a mistyped ICE), the officer assigns two reviewers, both score, the chair funds, the
officer records the signed agreement and pays a tranche; the investor signs in again and reads
the decision and the payment in the file's timeline; the grant is on the public ledger, without
anyone's personal details."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from tests.browser.conftest import screenshot, sign_in
from tests.browser.journeys import (
    apply_with_a_wrong_ice,
    assert_language,
    assign_reviewers,
    caught_up,
    expected_total,
    fund,
    open_my_file,
    pay_tranche,
    score_all,
    sign_agreement,
    submit_score,
)
from web.common.i18n import format_mad

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

INVESTOR = "investor5@demo.ma"
FUNDED, TRANCHE = 100_000_00, 40_000_00  # centimes; the demo envelope has room for this


def signed_in(browser: Browser, server: str, email: str) -> Page:
    """A browser of the person's own (Arabic by default), signed in."""
    page = browser.new_context(locale="ar-MA", viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, server, email)
    return page


def wait_for(page: Page, url: str, selector: str, tries: int = 40) -> None:
    """Reload ``url`` until ``selector`` is on it (a projection records the change in moments)."""
    for _ in range(tries):
        page.goto(url)
        if page.locator(selector).count():
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"{selector} never appeared on {url}")


def test_a_grant_from_application_to_the_public_ledger(browser: Browser, server: str) -> None:
    caught_up(server)
    title = f"مركز نداء أكدز {secrets.token_hex(3)}"
    investor = signed_in(browser, server, INVESTOR)
    app_id = apply_with_a_wrong_ice(investor, server, title, "ar", shot="journey-1-investor")
    investor.context.close()

    officer = signed_in(browser, server, "officer@demo.ma")
    wait_for(officer, f"{server}/committee/files/{app_id}", "#assign-reviewer_id")
    assign_reviewers(officer, server, app_id, ("Reviewer Two", "Reviewer Three"))
    screenshot(officer, "journey-2-officer-assigned")

    for number, email in enumerate(("reviewer2@demo.ma", "reviewer3@demo.ma"), start=1):
        reviewer = signed_in(browser, server, email)
        wait_for(reviewer, f"{server}/committee/files/{app_id}/score", "input[data-weight]")
        total = score_all(reviewer, "4")
        assert total == expected_total(reviewer)  # the fact criteria are scored from the file
        assert f"{total} / 100" in submit_score(reviewer, "ar", "مشروع واعد.")
        screenshot(reviewer, f"journey-3-reviewer-{number}-scored")
        reviewer.context.close()

    chair = signed_in(browser, server, "chair@demo.ma")
    wait_for(chair, f"{server}/committee/files/{app_id}", "#fund-amount")
    decided = fund(chair, server, app_id, str(FUNDED // 100), "مشروع ذو أولوية في الإقليم.")
    assert "تم تسجيل قرار التمويل" in decided
    screenshot(chair, "journey-4-chair-funded")
    chair.context.close()

    wait_for(officer, f"{server}/committee/files/{app_id}", "form[action$='/agreement']")
    assert "تم تسجيل الاتفاقية الموقعة" in sign_agreement(officer, server, app_id)
    screenshot(officer, "journey-5-agreement-signed")
    wait_for(officer, f"{server}/committee/files/{app_id}", "form[action$='/tranches']")
    assert "تم تسجيل الدفعة" in pay_tranche(officer, server, app_id, str(TRANCHE // 100))
    screenshot(officer, "journey-6-tranche-paid")
    officer.context.close()

    investor = signed_in(browser, server, INVESTOR)  # signs in again, later
    caught_up(server)
    open_my_file(investor, server, title)
    assert_language(investor, "ar")
    timeline = investor.locator(".timeline").inner_text()
    assert f"قررت اللجنة تمويل مشروعك بمبلغ {format_mad(FUNDED, 'ar')}" in timeline
    assert "تم توقيع اتفاقية التمويل." in timeline
    assert f"صُرفت لك دفعة بمبلغ {format_mad(TRANCHE, 'ar')}" in timeline
    screenshot(investor, "journey-7-investor-sees-the-decision")
    investor.context.close()

    visitor = browser.new_context(locale="ar-MA").new_page()
    visitor.goto(f"{server}/ledger")
    assert_language(visitor, "ar")
    entries = visitor.locator(f"a[href^='/ledger/grants/{app_id}']")
    assert entries.count() == 3  # the decision, the agreement, the tranche: newest first
    assert entries.first.inner_text() == "شركة واحة زاكورة للخدمات"
    page_text = visitor.locator("main").inner_text()
    assert "سلمى" not in page_text
    assert "salma@example.ma" not in page_text
    screenshot(visitor, "journey-8-public-ledger")
    entries.first.click()
    visitor.wait_for_load_state()
    assert visitor.locator("main code").first.inner_text() == app_id
    assert visitor.locator("table.data tbody tr").count() == 3
    assert "salma@example.ma" not in visitor.content()
    screenshot(visitor, "journey-9-public-grant")
    visitor.context.close()
