"""The steps the browser journeys share, each as a person would take it in a real browser.

Every step checks the page's language (``lang`` and ``dir``) and one translated text, so a
journey run in Arabic, French or English proves that step works in that language.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from domain.identifiers import ice_with_check
from tests.browser.conftest import screenshot, serious_violations

if TYPE_CHECKING:
    from playwright.sync_api import Page

LANGUAGES = ("ar", "fr", "en")
ICE = ice_with_check("0024681357913")
WRONG_ICE = ICE[:-1] + str((int(ICE[-1]) + 1) % 10)
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FILE_ID = re.compile(r"/my/files/([0-9a-f-]{36})")


@dataclass(frozen=True)
class Words:
    """What a person reads at each step, in one language (copied from the catalogs on purpose:
    a message that lost its translation fails here)."""

    direction: str
    ice_label: str
    ice_error: str
    submitted: str
    review_recorded: str


WORDS = {
    "ar": Words(
        direction="rtl",
        ice_label="رقم التعريف الموحد للمقاولة (ICE)",
        ice_error="يتكون رقم التعريف الموحد للمقاولة من 15 رقمًا",
        submitted="شكرًا: تم تقديم طلبك.",
        review_recorded="تم تسجيل تقييمك",
    ),
    "fr": Words(
        direction="ltr",
        ice_label="ICE (identifiant commun de l’entreprise)",
        ice_error="L’ICE compte 15 chiffres",
        submitted="Merci : votre demande a été déposée.",
        review_recorded="Votre évaluation est enregistrée",
    ),
    "en": Words(
        direction="ltr",
        ice_label="ICE (common company identifier)",
        ice_error="An ICE has 15 digits",
        submitted="Thank you: your application has been submitted.",
        review_recorded="Your review is recorded",
    ),
}


def caught_up(server: str, seconds: float = 60) -> None:
    """Wait until the projections have read the whole log (the server answers earlier)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{server}/healthz", timeout=5) as response:  # noqa: S310
            lags = [p["lag_events"] for p in json.load(response)["projections"].values()]
        if not any(lags):
            return
        time.sleep(0.2)
    raise AssertionError("the projections did not catch up")


def assert_language(page: Page, language: str) -> None:
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == WORDS[language].direction


def switch_language(page: Page, language: str) -> None:
    """Pick the language in the page's switcher, as a person would (it submits on change)."""
    if page.locator("html").get_attribute("lang") != language:
        with page.expect_navigation():
            page.select_option("#lang-select", language)
        page.wait_for_load_state()
    assert_language(page, language)


def notice(page: Page) -> str:
    """The one confirmation the last action showed (fails with the page's alerts if none)."""
    found = page.locator(".notice")
    assert found.count() == 1, page.locator(".alert, .error").all_inner_texts()
    return found.inner_text()


def _digits(text: str, language: str) -> str:
    return text.translate(ARABIC_DIGITS) if language == "ar" else text


def fill_application(page: Page, title: str, language: str, ice: str) -> None:
    """A complete application; numbers typed as a person writing in ``language`` would."""
    page.select_option("#f-call_id", index=1)
    page.fill("#f-company_name", "شركة واحة زاكورة للخدمات")
    page.select_option("#f-legal_form", "sarl")
    page.fill("#f-ice", _digits(ice, language))
    page.fill("#f-rc_court", "ورزازات")
    page.fill("#f-rc_number", _digits("4521", language))
    page.fill("#f-contact_name", "سلمى آيت بنحدو")
    page.fill("#f-contact_email", "salma@example.ma")
    page.fill("#f-contact_phone", _digits("0612345678", language))
    page.select_option("#f-sector", "offshoring")
    page.select_option("#f-province", "zagora")
    page.select_option("#f-commune", "agdz")
    page.fill("#f-title", title)
    page.fill("#f-summary", "مركز نداء ثنائي اللغة يشغل شباب المنطقة.")
    page.fill("#f-total_investment", "٢ ٠٠٠ ٠٠٠" if language == "ar" else "2 000 000")
    page.fill("#f-requested", "٥٠٠٬٠٠٠" if language == "ar" else "500000")
    page.fill("#f-jobs", _digits("40", language))
    page.fill("#f-jobs_women", _digits("25", language))
    page.fill("#f-timeline_months", _digits("18", language))
    attach_mandatory_documents(page)


#: A minimal PDF as a person's scanner would give it (recognised by its "%PDF-" header).
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def attach_mandatory_documents(page: Page) -> None:
    """Choose a file for every document the form marks as required (the open calls' lists)."""
    fields = page.locator("#documents .field")
    for index in range(fields.count()):
        field = fields.nth(index)
        if field.locator(".required").count():
            kind = field.locator("input[type=file]").get_attribute("name")
            field.locator("input[type=file]").set_input_files(
                files=[{"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )


def apply_with_a_wrong_ice(page: Page, server: str, title: str, language: str, shot: str) -> str:
    """On the form: a mistyped ICE is reported next to its field, fixed, and the file submitted.
    The investor is signed in; returns the new file's id."""
    words = WORDS[language]
    page.goto(f"{server}/my/applications/new")
    switch_language(page, language)
    assert page.locator("label[for=f-ice]").inner_text().startswith(words.ice_label)
    screenshot(page, f"{shot}-1-application-form")

    fill_application(page, title, language, WRONG_ICE)
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()
    assert_language(page, language)
    error = page.locator("#f-ice-error")
    assert error.is_visible()
    assert words.ice_error in error.inner_text()
    ice = page.locator("#f-ice")
    assert ice.get_attribute("aria-invalid") == "true"
    assert "f-ice-error" in (ice.get_attribute("aria-describedby") or "")
    assert page.locator("#f-title").input_value() == title  # what was typed is kept
    assert page.locator("#f-commune").input_value() == "agdz"
    assert serious_violations(page) == []
    screenshot(page, f"{shot}-2-ice-error-next-to-the-field")

    ice.fill(_digits(ICE, language))
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()
    found = FILE_ID.search(page.url)
    assert found, page.url
    assert page.url.endswith("?submitted=true"), page.url
    assert_language(page, language)
    assert page.locator("h1").inner_text() == title
    expect(page.locator("p.notice[role=status]")).to_have_text(words.submitted)
    screenshot(page, f"{shot}-3-submitted")
    return found[1]


def open_my_file(page: Page, server: str, title: str) -> None:
    """From "my files" (once the projection lists it) to the file's page and its timeline."""
    for _ in range(40):
        page.goto(f"{server}/my/files")
        if page.get_by_text(title).count():
            break
        page.wait_for_timeout(250)
    link = page.get_by_role("link", name=title)
    assert link.count() == 1
    link.click()
    page.wait_for_load_state()


def committee_file(page: Page, server: str, app_id: str) -> None:
    page.goto(f"{server}/committee/files/{app_id}")


def assign_reviewers(page: Page, server: str, app_id: str, names: tuple[str, ...]) -> None:
    """The officer (signed in) makes sure each reviewer is assigned, from the file's page: the
    list offers only eligible reviewers, so one already assigned is listed among the reviews."""
    for name in names:
        committee_file(page, server, app_id)
        offered = [o.strip() for o in page.locator("#assign-reviewer_id option").all_inner_texts()]
        if name not in offered:
            assigned = page.locator("table:has(#reviews-caption) tbody th").all_inner_texts()
            assert name in [a.strip() for a in assigned], (name, offered, assigned)
            continue
        page.select_option("#assign-reviewer_id", label=name)
        page.locator("form[action$='/assign'] button[type=submit]").click()
        page.wait_for_load_state()
        notice(page)


def score_all(page: Page, value: str) -> str:
    """Type ``value`` for every criterion a reviewer scores (the fact criteria are scored from
    the file, read-only); the live total it shows."""
    for field in page.locator("input[data-weight]:not([readonly])").all():
        field.fill(value)
    return page.locator("#score-total").inner_text()


def expected_total(page: Page) -> str:
    """The weighted total of the values on the scoring page, computed by the domain's rule."""
    from domain.rubrics import DEFAULT_CRITERIA, weighted_score

    scores = {c.key: int(page.locator(f"#s-{c.key}").input_value()) for c in DEFAULT_CRITERIA}
    total = weighted_score(DEFAULT_CRITERIA, scores)
    mark = "." if page.locator("html").get_attribute("lang") == "en" else ","  # the page's mark
    return f"{total // 100}{mark}{total % 100:02d}"


def submit_score(page: Page, language: str, comment: str = "") -> str:
    """Send the scoring form; the confirmation shown on the file's page."""
    if comment:
        page.fill("#s-comment", comment)
    page.locator("form[data-score-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert "/committee/files/" in page.url
    assert "/score" not in page.url
    assert_language(page, language)
    shown = notice(page)
    assert WORDS[language].review_recorded in shown
    return shown


def fund(page: Page, server: str, app_id: str, amount_mad: str, note: str) -> str:
    """The chair (signed in) funds the file; the confirmation shown."""
    committee_file(page, server, app_id)
    page.fill("#fund-amount", amount_mad)
    page.fill("#fund-note", note)
    page.check("#fund-confirm")
    page.locator("form[action$='/fund'] button[type=submit]").click()
    page.wait_for_load_state()
    return notice(page)


def sign_agreement(page: Page, server: str, app_id: str) -> str:
    """The officer (signed in) records the signed agreement; the confirmation shown."""
    committee_file(page, server, app_id)
    page.locator("form[action$='/agreement'] button[type=submit]").click()
    page.wait_for_load_state()
    return notice(page)


def pay_tranche(page: Page, server: str, app_id: str, amount_mad: str) -> str:
    """The officer (signed in) records a tranche paid; the confirmation shown."""
    committee_file(page, server, app_id)
    page.fill("#tranche-amount", amount_mad)
    page.check("#tranche-confirm")
    page.locator("form[action$='/tranches'] button[type=submit]").click()
    page.wait_for_load_state()
    return notice(page)
