"""An investor's API client uploads the business plan to a draft; the investor then finds that
draft on the portal, its file already held in the form's slot, in Arabic and French, wide and on
a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.browser.journeys import PDF, assert_language, switch_language

if TYPE_CHECKING:
    from playwright.sync_api import Page

EMAIL, PASSWORD = "api.client@example.ma", "a long enough secret for the api"


def test_a_draft_filled_over_the_api_opens_on_the_portal_with_its_file(
    page: Page, server: str
) -> None:
    start = page.request.get(f"{server}/api/v1/session").json()["csrf_token"]
    account = {"email": EMAIL, "display_name": "API client", "password": PASSWORD}
    made = page.request.post(f"{server}/api/v1/accounts", data=account,
                             headers={"X-CSRF-Token": start})  # fmt: skip
    assert made.status == 201, made.text()
    sign_in(page, server, EMAIL, PASSWORD)
    token = page.request.get(f"{server}/api/v1/session").json()["csrf_token"]
    headers = {"X-CSRF-Token": token}
    draft = page.request.post(f"{server}/api/v1/drafts", headers=headers)
    assert draft.status == 201, draft.text()
    draft_id = draft.json()["draft_id"]
    sent = page.request.post(
        f"{server}/api/v1/drafts/{draft_id}/documents?kind=business_plan",
        headers={**headers, "Content-Type": "application/pdf"}, data=PDF,
    )  # fmt: skip
    assert sent.status == 201, sent.text()
    held = f"business_plan-{sent.json()['document_id'][:8]}.pdf"

    for language in ("ar", "fr"):
        page.set_viewport_size({"width": 1280, "height": 900})  # the switcher folds away at 390
        page.goto(f"{server}/my/files")
        switch_language(page, language)
        page.click(f"a[href='/my/drafts/{draft_id}']")
        page.wait_for_load_state()
        assert_language(page, language)
        slot = page.locator("#documents .field").filter(has=page.locator("#f-doc_business_plan"))
        assert held in slot.inner_text()
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            screenshot(page, f"api-draft-on-portal-{language}-{width}")
        assert serious_violations(page) == []
