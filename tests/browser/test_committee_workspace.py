"""The committee's workspace in a real Chromium (Arabic and French, 1280 and 390 px wide): a
reviewer scores from the landing page's list without leaving it; the chair compares two
selection policies; every money-moving form sent twice at once records one decision.

Named to run after test_committee_journey.py on the shared demo server: funding files here takes
them out of the reviewers' queues that journey scores from."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, screenshot, serious_violations, sign_in
from tests.browser.journeys import (
    assert_language,
    assign_reviewers,
    caught_up,
    expected_total,
    notice,
    score_all,
    sign_agreement,
    switch_language,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REVIEWER = {"ar": "reviewer1@demo.ma", "fr": "reviewer2@demo.ma"}
REVIEWER_NAME = {"ar": "Reviewer One", "fr": "Reviewer Two"}
RECORDED = {"ar": "تم تسجيل تقييمك", "fr": "Votre évaluation est enregistrée"}
COMPARE = {"ar": "قارن", "fr": "Comparer"}
WIDTHS = (1280, 390)
REVIEWER_EMAILS = {
    "Reviewer One": "reviewer1@demo.ma", "Reviewer Two": "reviewer2@demo.ma",
    "Reviewer Three": "reviewer3@demo.ma",
}  # fmt: skip


def _narrow_too(page: Page, name: str) -> None:
    """Screenshots at both widths (the page is re-laid out at 390 px, then put back): the
    whole page, and what the first screen shows; the page never scrolls sideways."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-screen.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_reviewer_scores_from_the_landing_list_without_leaving_it(
    page: Page, server: str, language: str
) -> None:
    caught_up(server)
    _give_work(page.context.browser, server, REVIEWER_NAME[language])  # whatever ran before
    sign_in(page, server, REVIEWER[language])
    assert page.url.endswith("/committee/assignments")  # staff land on their work
    switch_language(page, language)
    page.goto(f"{server}/committee/assignments")
    assert_language(page, language)
    to_score = page.locator("#to-score + ul li[data-assignment]")
    before = to_score.count()
    assert before > 0
    chosen = to_score.first.get_attribute("data-assignment")
    to_score.first.locator("a").click()
    page.wait_for_load_state()
    assert "/committee/assignments" in page.url
    expect(page.locator("nav.assignment-lists")).to_be_visible()
    assert page.locator("input[data-fact][readonly]").count() == 2
    _narrow_too(page, f"committee-{language}-assignments")
    assert serious_violations(page) == []

    assert score_all(page, "4") == expected_total(page)
    total = expected_total(page)
    page.fill("#s-comment", "Dossier clair." if language == "fr" else "ملف واضح.")
    page.locator("form[data-score-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/committee/assignments")  # back on the list, never elsewhere
    assert_language(page, language)
    shown = notice(page)
    assert RECORDED[language] in shown
    assert re.sub(r"\D", "", total) in re.sub(r"\D", "", shown.translate(ARABIC))
    caught_up(server)
    page.reload()
    scored = page.locator(f"details:has(#scored) li[data-assignment='{chosen}']")
    expect(scored).to_have_count(1)
    _narrow_too(page, f"committee-{language}-assignments-scored")


ARABIC = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_chair_compares_two_policies(
    page: Page, server: str, browser: Browser, language: str
) -> None:
    caught_up(server)
    _fresh_file(
        browser, server, "5", shift=-1
    )  # one more file the policies can fund, whatever the demo
    sign_in(page, server, "chair@demo.ma")
    assert page.url.endswith("/committee/queue")
    switch_language(page, language)
    page.goto(f"{server}/committee/what-if")
    assert_language(page, language)
    for box in page.locator("input[name=policy]").all():
        box.uncheck()
    page.check("input[name=policy][value=raw_mean]")
    page.check("input[name=policy][value=optimal]")
    page.get_by_role("button", name=COMPARE[language]).click()
    page.wait_for_load_state()
    assert "policy=raw_mean" in page.url
    assert "policy=optimal" in page.url
    headers = page.locator("table.what-if thead th.policy")
    expect(headers).to_have_count(2)
    assert page.locator("table.what-if tbody tr").count() > 0
    _narrow_too(page, f"committee-{language}-what-if")
    assert serious_violations(page) == []


def _fresh_file(browser: Browser, server: str, points: str, shift: int = 0) -> str:
    """A file in review whose counted reviews all say ``points``: its assigned reviewers (two
    more assigned if need be) score it, a second review superseding a first."""
    officer = browser.new_context(locale="ar-MA").new_page()
    sign_in(officer, server, "officer@demo.ma")
    officer.goto(f"{server}/committee/queue?status=in_review&sort=amount")
    rows = officer.locator("tr[data-file][data-status='in_review']")
    app_id = rows.nth(rows.count() // 2 + shift).get_attribute("data-file")
    assert app_id is not None
    officer.goto(f"{server}/committee/files/{app_id}")
    shown = officer.locator("table:has(#reviews-caption) tbody th").all_inner_texts()
    names = [n.strip() for n in shown if n.strip() in REVIEWER_EMAILS]  # conflicted: not equal
    offered = [o.strip() for o in officer.locator("#assign-reviewer_id option").all_inner_texts()]
    assert not set(names) & set(offered)  # an assigned reviewer is never offered again
    extra = [n for n in offered if n in REVIEWER_EMAILS][: max(0, 2 - len(names))]
    assign_reviewers(officer, server, app_id, tuple(extra))
    names += extra
    assert len(names) >= 2, (shown, offered)
    officer.context.close()
    for email in (REVIEWER_EMAILS[n] for n in names):
        reviewer = browser.new_context(locale="ar-MA").new_page()
        sign_in(reviewer, server, email)
        reviewer.goto(f"{server}/committee/files/{app_id}/score")
        score_all(reviewer, points)
        reviewer.locator("form[data-score-form] button[type=submit]").click()
        expect(reviewer.locator(".notice")).to_have_count(1, timeout=15_000)
        assert RECORDED["ar"] in notice(reviewer), (email, reviewer.url)
        reviewer.context.close()
    caught_up(server)
    return app_id


def _give_work(browser: Browser | None, server: str, name: str) -> None:
    """The officer assigns the reviewer one more file in review (the demo server is shared by
    every browser test: earlier ones may have scored or decided this reviewer's files)."""
    assert browser is not None
    officer = browser.new_context(locale="ar-MA").new_page()
    sign_in(officer, server, "officer@demo.ma")
    officer.goto(f"{server}/committee/queue?status=in_review&sort=amount")
    for app_id in officer.locator("tr[data-file]").evaluate_all(
        "rows => rows.map((r) => r.dataset.file)"
    ):
        officer.goto(f"{server}/committee/files/{app_id}")
        offered = [
            o.strip() for o in officer.locator("#assign-reviewer_id option").all_inner_texts()
        ]
        if name in offered:
            assign_reviewers(officer, server, app_id, (name,))
            break
    officer.context.close()
    caught_up(server)


def _send_twice(page: Page, action: str) -> list[int]:
    """POST the filled form twice at once, as a double click or a retry would (same key)."""
    statuses: list[int] = page.evaluate(
        """async (action) => {
            const form = document.querySelector(`form[action$='/${action}']`);
            const body = () => new URLSearchParams(new FormData(form));
            const send = () => fetch(form.action, {method: "POST", body: body(), redirect: "manual"});
            const answers = await Promise.all([send(), send()]);
            return answers.map((r) => r.status);
        }""",
        action,
    )
    return statuses


def _ledger_rows(page: Page, server: str, app_id: str, kind_text: str) -> int:
    page.goto(f"{server}/ledger/grants/{app_id}?lang=en")
    return page.locator("table tbody tr", has_text=kind_text).count()


def test_money_moving_forms_sent_twice_record_one_decision(browser: Browser, server: str) -> None:
    caught_up(server)
    good, low = _fresh_file(browser, server, "5"), _fresh_file(browser, server, "1", shift=1)
    chair = browser.new_context(locale="ar-MA").new_page()
    sign_in(chair, server, "chair@demo.ma")

    chair.goto(f"{server}/committee/files/{good}")
    chair.fill("#fund-amount", "10000")  # below the call's minimum request: within any file's
    chair.check("#fund-confirm")
    expect(chair.locator("form[action$='/fund'] button.danger")).to_be_visible()
    screenshot(chair, "committee-decisive-forms")
    chair.locator("form[action$='/fund'] button[type=submit]").dblclick()  # a real double click
    # the click navigates: wait for the page it lands on (same address, with the confirmation)
    expect(chair.locator(".notice")).to_have_count(1, timeout=15_000)
    screenshot(chair, "committee-funded-after-double-click")
    notice(chair)
    caught_up(server)
    assert _ledger_rows(chair, server, good, "Funding decision") == 1

    chair.goto(f"{server}/committee/files/{low}")
    chair.fill("#override-amount", "10000")
    chair.fill("#override-justification", "Seul projet agro-industriel de la commune.")
    chair.check("#override-confirm")
    sent = _send_twice(chair, "override")
    assert all(s in (200, 303, 0) for s in sent), sent  # 0: a redirect, not followed
    caught_up(server)
    assert _ledger_rows(chair, server, low, "Funding decision") == 1
    chair.goto(f"{server}/ledger/grants/{low}?lang=en")
    expect(chair.locator("[data-override]")).to_be_visible()
    screenshot(chair, "public-grant-override")
    chair.context.close()

    officer = browser.new_context(locale="ar-MA").new_page()
    sign_in(officer, server, "officer@demo.ma")
    sign_agreement(officer, server, good)
    caught_up(server)
    officer.goto(f"{server}/committee/files/{good}")
    officer.fill("#tranche-amount", "5000")
    officer.check("#tranche-confirm")
    sent = _send_twice(officer, "tranches")
    assert all(s in (200, 303, 0) for s in sent), sent
    caught_up(server)
    assert _ledger_rows(officer, server, good, "Tranche") == 1
    officer.context.close()


def test_enter_in_an_application_field_saves_a_draft_and_never_submits(
    page: Page, server: str
) -> None:
    sign_in(page, server, "investor3@demo.ma")
    page.goto(f"{server}/my/applications/new?lang=fr")
    page.fill("#f-title", "Atelier de tissage à Tinghir")
    page.locator("#f-title").press("Enter")
    page.wait_for_load_state()
    assert "saved=true" in page.url  # a draft, kept; nothing submitted
    assert "submitted" not in page.url
    assert page.locator("#f-title").input_value() == "Atelier de tissage à Tinghir"
