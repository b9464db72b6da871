"""The site's last mile, without I/O: chart geometry, French elision, one wording per term, one
decimal mark per page."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.numbers import format_percent
from hypothesis import example, given
from hypothesis import strategies as st

from domain.reference import PROVINCES, french_of
from service.passwords import check_policy, names_the_programme
from web.common.i18n import (
    FORMAT_LOCALES,
    LANGUAGES,
    decimal_mark,
    format_hundredths,
    format_mad,
    format_share,
)
from web.pages.public import charts

LOCALES = Path(__file__).resolve().parents[2] / "web" / "locales"
LTR, RTL = charts.Frame(lang="en", rtl=False), charts.Frame(lang="ar", rtl=True)


@given(st.integers(min_value=1, max_value=10**13))
@example(9)
@example(1)
@example(40_000_000_00)
def test_axis_ticks_are_round_even_steps_from_zero_past_the_top(top: int) -> None:
    ticks = charts.nice_ticks(top)
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert ticks[0] == 0
    assert ticks[-1] >= top > ticks[-2]
    assert len(steps) == 1
    assert 2 <= len(ticks) <= 9
    step = steps.pop()
    assert re.fullmatch(r"(1|2|25|5)0*", str(step)), step
    assert len(ticks) <= 5


def test_months_without_a_grant_are_included_across_a_new_year() -> None:
    assert charts.month_keys(["2025-11", "2026-02"]) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    rows = [{"key": "2025-11", "funded_count": 1, "funded_centimes": 500},
            {"key": "2026-02", "funded_count": 2, "funded_centimes": 1000}]  # fmt: skip
    chart = charts.columns(rows, LTR)
    assert [c["row"]["funded_centimes"] for c in chart["items"]] == [500, 0, 0, 1000]
    assert [c["height"] for c in chart["items"]][1:3] == [0, 0]
    assert chart["items"][0]["label"] == "Nov 2025"


def test_sectors_are_sorted_by_amount_and_labelled_in_the_page_language() -> None:
    rows = [{"key": "mining", "funded_count": 1, "funded_centimes": 100_00},
            {"key": "offshoring", "funded_count": 3, "funded_centimes": 900_00}]  # fmt: skip
    chart = charts.bars(rows, {"mining": "المعادن", "offshoring": "ترحيل الخدمات"}, RTL)
    assert [b["label"] for b in chart["items"]] == ["ترحيل الخدمات", "المعادن"]
    assert chart["items"][0]["value"] == "900"


def test_bars_grow_from_the_right_in_arabic_and_from_the_left_otherwise() -> None:
    rows = [{"key": "a", "funded_count": 1, "funded_centimes": 7_000_000_00}]
    ltr, rtl = charts.bars(rows, {"a": "A"}, LTR)["items"][0], charts.bars(rows, {"a": "A"}, RTL)
    rtl_bar = rtl["items"][0]
    assert rtl_bar["bar_x"] == pytest.approx(charts.WIDTH - ltr["bar_x"] - ltr["width"])
    assert (ltr["label_anchor"], rtl_bar["label_anchor"]) == ("end", "start")
    assert ltr["value_x"] > ltr["bar_x"] + ltr["width"]
    assert rtl_bar["value_x"] < rtl_bar["bar_x"]


def test_committed_is_decided_less_released_and_disbursed_adds_up_month_by_month() -> None:
    rows = [
        {"key": "2026-01", "committed_centimes": 1000, "released_centimes": 0, "disbursed_centimes": 0},
        {"key": "2026-03", "committed_centimes": 500, "released_centimes": 200,
         "disbursed_centimes": 400},
    ]  # fmt: skip
    series = charts.committed_and_disbursed(rows, LTR)["series"]
    assert [(s["key"], s["committed"], s["disbursed"]) for s in series] == [
        ("2026-01", 1000, 0), ("2026-02", 1000, 0), ("2026-03", 1300, 400),
    ]  # fmt: skip


def test_the_map_labels_each_of_the_five_provinces_with_its_amount() -> None:
    rows = [{"key": "zagora", "funded_count": 2, "funded_centimes": 2_500_000_00}]
    shapes = charts.province_map(rows, {"zagora": "Zagora"}, charts.Frame(lang="fr", rtl=False))
    assert {s["key"] for s in shapes} == {p.key for p in PROVINCES}
    zagora = next(s for s in shapes if s["key"] == "zagora")
    assert zagora["value"] == "2,5\xa0M"
    assert zagora["dark"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Errachidia", "d’Errachidia"), ("Ouarzazate", "d’Ouarzazate"), ("Midelt", "de Midelt"),
     ("Tinghir", "de Tinghir"), ("Zagora", "de Zagora")],
)  # fmt: skip
def test_french_elides_de_before_a_vowel(name: str, expected: str) -> None:
    assert french_of(name) == expected


def test_each_term_has_one_wording_per_language_across_catalogs() -> None:
    for lang in LANGUAGES:
        wordings: dict[str, dict[str, str]] = defaultdict(dict)
        for path in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as po:
                for m in read_po(po):
                    if m.id and m.string:
                        wordings[str(m.id)][path.stem] = str(m.string)
        clashes = {k: v for k, v in wordings.items() if len(set(v.values())) > 1}
        assert clashes == {}, f"{lang}: one msgid, several wordings"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_scores_use_the_decimal_mark_of_the_amounts_on_the_same_page(lang: str) -> None:
    mark = decimal_mark(lang)
    assert format_hundredths(7523, lang) == f"75{mark}23"
    assert re.search(rf"234{re.escape(mark)}56", format_mad(123456, lang))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_share_uses_the_decimal_mark_and_the_percent_pattern_of_the_page(lang: str) -> None:
    """14.88 % of a grant page reads "14,88 %" in French (it read "14.88 %" on every page)."""
    shown = format_share(1488, lang)
    assert f"14{decimal_mark(lang)}88" in shown
    # The sign where CLDR puts it for the language: Babel's own rendering of a whole percent.
    assert shown.replace(f"14{decimal_mark(lang)}88", "15") == format_percent(
        0.15, locale=FORMAT_LOCALES[lang], numbering_system="latn"
    )
    assert format_share(3000, lang).startswith("30")  # no ",00"


def test_a_password_naming_the_region_is_refused_and_the_page_can_say_why() -> None:
    problem = check_policy("Zagora-oasis-2026")
    assert problem is not None
    assert problem.code == "too_common"
    assert names_the_programme("Zagora-oasis-2026")
    assert not names_the_programme("password123")
