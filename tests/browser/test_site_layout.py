"""Every page of every role, in Arabic, French and English, at 1280 and 390 px, in a real Chromium.

At 390 px no page scrolls sideways (``scrollWidth <= innerWidth``); at 1280 px the header's
navigation and tools each sit on one line; axe finds no serious or critical violation. Every page
is saved to ``test-artifacts/gallery/<role>-<page>-<lang>-<width>.png`` for people to look at.
Failures are gathered so that one bad page does not stop the gallery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import ARTIFACTS, serious_violations, sign_in
from tests.browser.test_public import wait_for_ledger

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import Browser, Page

GALLERY = ARTIFACTS / "gallery"
WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
LANGS = ("ar", "fr", "en")
ZERO = "00000000-0000-0000-0000-000000000000"


def first_link(page: Page, url: str, selector: str) -> str | None:
    """The first link matching ``selector`` on ``url`` (to reach pages that need an id)."""
    page.goto(url)
    link = page.locator(selector).first
    return link.get_attribute("href") if link.count() else None


def visitor_pages(page: Page, server: str) -> dict[str, str]:
    grant = first_link(page, f"{server}/ledger", "table.data tbody a[href^='/ledger/grants/']")
    assert grant, "the demo ledger has no grant"
    return {
        "home": "/", "ledger": "/ledger", "ledger-filtered": "/ledger?province=zagora",
        "grant": grant, "statistics": "/statistics", "verify": "/verify?check=1",
        "privacy": "/privacy", "login": "/login", "register": "/register",
        "password-forgot": "/password/forgot", "not-found": f"/ledger/grants/{ZERO}",
    }  # fmt: skip


def investor_pages(page: Page, server: str) -> dict[str, str]:
    found = first_link(page, f"{server}/my/files", "a[href^='/my/files/']")
    pages = {
        "files": "/my/files", "apply": "/my/applications/new", "account": "/account/password",
        "mfa-setup": "/account/mfa/setup",
    }  # fmt: skip
    if found:
        pages["file"] = found
    return pages


def committee_pages(page: Page, server: str) -> dict[str, str]:
    found = first_link(
        page, f"{server}/committee/queue", "table.queue a[href^='/committee/files/']"
    )
    assert found, "the demo queue is empty"
    return {
        "queue": "/committee/queue",
        "queue-by-score": "/committee/queue?sort=score",
        "file": found,
    }


def reviewer_pages(page: Page, server: str) -> dict[str, str]:
    pages = committee_pages(page, server)
    score = first_link(page, f"{server}/committee/queue?status=in_review", "table.queue tbody a")
    if score:
        pages["score"] = score + "/score"
    return pages


def officer_pages(page: Page, server: str) -> dict[str, str]:
    pages = {
        "admin": "/admin", "envelopes": "/admin/envelopes", "calls": "/admin/calls",
        "rubrics": "/admin/rubrics", "users": "/admin/users", "projections": "/admin/projections",
        "privacy-admin": "/admin/privacy", "queue": "/committee/queue",
    }  # fmt: skip
    rubric = first_link(page, f"{server}/admin/rubrics", "a[href^='/admin/rubrics/']")
    if rubric:
        pages["rubric"] = rubric
    found = first_link(
        page, f"{server}/committee/queue", "table.queue a[href^='/committee/files/']"
    )
    if found:
        pages["file"] = found
    return pages


ROLES: dict[str, tuple[str | None, Callable[[Page, str], dict[str, str]]]] = {
    "visitor": (None, visitor_pages),
    "investor": ("investor1@demo.ma", investor_pages),
    "reviewer": ("reviewer1@demo.ma", reviewer_pages),
    "chair": ("chair@demo.ma", committee_pages),
    "officer": ("officer@demo.ma", officer_pages),
}

HEADER_ROWS = """() => {
  // one line: some horizontal line crosses every item (the highest bottom is below the lowest top)
  const boxes = (selector) => [...document.querySelectorAll(selector)]
    .filter((el) => el.getClientRects().length).map((el) => el.getBoundingClientRect());
  const oneLine = (rects) => !rects.length ||
    Math.min(...rects.map((r) => r.bottom)) > Math.max(...rects.map((r) => r.top));
  return {
    nav: oneLine(boxes(".nav > li")),
    tools: oneLine(boxes(".account-links > li, .language-switch")),
    brand: boxes(".brand-name").every((r) => r.height < 40),
    count: boxes(".nav > li").length,
  };
}"""
OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 1 || el.getBoundingClientRect().left < -1)
    .filter((el) => !el.closest(".table-scroll, .skip-link"))
    .slice(0, 3).map((el) => el.tagName.toLowerCase() + "." + el.className);
  return {scroll: document.documentElement.scrollWidth, inner: width, culprits: wide};
}"""


def switch_language(page: Page, server: str, lang: str, signed_in: bool) -> None:
    """Visitors carry the language in the query; signed-in people choose it in the header."""
    if signed_in:
        page.set_viewport_size(WIDE)  # on a phone the switch sits in the folded menu
        page.goto(f"{server}/")
        with page.expect_navigation():
            page.select_option("#lang-select", lang)


def url_for(server: str, path: str, lang: str, signed_in: bool) -> str:
    if signed_in:
        return server + path
    return server + path + ("&" if "?" in path else "?") + f"lang={lang}"


def check_page(page: Page, name: str, lang: str) -> list[str]:
    """The checks at both widths on the page already loaded; the screenshots on the way."""
    problems = []
    page.set_viewport_size(WIDE)
    assert page.locator("html").get_attribute("lang") == lang, f"{name}: not in {lang}"
    rows = page.evaluate(HEADER_ROWS)
    if not (rows["nav"] and rows["tools"] and rows["brand"] and rows["count"]):
        problems.append(f"{name}-{lang}: header on several lines at 1280 px: {rows}")
    page.screenshot(path=str(GALLERY / f"{name}-{lang}-1280.png"), full_page=True)
    if lang != "en":  # axe reads structure and contrast; one Latin language is enough for it
        problems.extend(f"{name}-{lang}: {v}" for v in serious_violations(page))
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(50)  # app.js reacts to the resize (wide tables become focusable)
    if lang == "ar":  # on a phone too: tables that scroll in their box must take the keyboard
        problems.extend(f"{name}-{lang}-390: {v}" for v in serious_violations(page))
    found = page.evaluate(OVERFLOW)
    if found["scroll"] > found["inner"]:
        problems.append(f"{name}-{lang}: scrolls sideways at 390 px: {found}")
    page.screenshot(path=str(GALLERY / f"{name}-{lang}-390.png"), full_page=True)
    return problems


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_phones_keeps_a_one_line_header_and_passes_axe(
    browser: Browser, server: str, role: str
) -> None:
    GALLERY.mkdir(parents=True, exist_ok=True)
    email, pages_of = ROLES[role]
    problems: list[str] = []
    # A visitor's browser asks for its language (pages outside the public site follow
    # Accept-Language); a signed-in person picks it in the header, and the session keeps it.
    for lang in LANGS if email is None else ("ar",):
        context = browser.new_context(locale=lang, viewport=WIDE)
        page = context.new_page()
        try:
            wait_for_ledger(page, server)
            if email:
                sign_in(page, server, email)
            pages = pages_of(page, server)
            for shown in LANGS if email else (lang,):
                switch_language(page, server, shown, signed_in=email is not None)
                for name, path in pages.items():
                    response = page.goto(url_for(server, path, shown, email is not None))
                    assert response is not None
                    if response.status >= 500:
                        problems.append(f"{role}-{name}: HTTP {response.status}")
                        continue
                    problems.extend(check_page(page, f"{role}-{name}", shown))
        finally:
            context.close()
    assert problems == [], "\n".join(problems)


def test_the_menu_opens_on_a_phone_and_a_latin_page_skips_the_arabic_fonts(
    browser: Browser, server: str
) -> None:
    GALLERY.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    fonts: list[str] = []
    page.on("request", lambda r: fonts.append(r.url) if r.url.endswith(".woff2") else None)
    try:
        page.goto(f"{server}/?lang=fr")
        nav = page.locator(".main-nav")
        toggle = page.locator(".menu-toggle")
        assert not nav.is_visible()
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert nav.is_visible()
        page.screenshot(path=str(GALLERY / "visitor-menu-open-fr-390.png"))
        page.keyboard.press("Escape")
        assert not nav.is_visible()
        page.wait_for_load_state("networkidle")
        assert fonts, "the Latin font files load"
        assert not [f for f in fonts if "arabic" in f]
        page.goto(f"{server}/?lang=ar")
        page.wait_for_load_state("networkidle")
        assert [f for f in fonts if "arabic" in f]
    finally:
        context.close()


def test_the_commune_list_follows_the_province_chosen(browser: Browser, server: str) -> None:
    from domain.reference import PROVINCES

    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, server, "investor2@demo.ma")
        page.goto(f"{server}/my/applications/new")
        enabled = "#f-commune optgroup:not([disabled]) option"
        assert page.locator(enabled).count() == sum(len(p.communes) for p in PROVINCES)
        for province in PROVINCES:
            page.select_option("#f-province", province.key)
            shown = page.locator(enabled).evaluate_all("options => options.map(o => o.value)")
            assert shown == [c.key for c in province.communes], province.key
        page.select_option("#f-commune", "zagora")
        page.select_option("#f-province", "midelt")
        assert page.locator("#f-commune").input_value() == "", "a commune of another province"
    finally:
        context.close()
