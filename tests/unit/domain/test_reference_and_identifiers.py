"""Reference data and company identifiers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.ma import ice as stdnum_ice

from domain.errors import InvalidValueError, UnknownReferenceError
from domain.identifiers import (
    ascii_digits,
    is_valid_ice,
    normalise_ice,
    normalise_rc,
)
from domain.identifiers import ice_with_check as ice_for
from domain.reference import LEGAL_FORMS, PROVINCES, SECTORS, legal_form, province, sector


def test_the_five_provinces_of_the_region_with_their_charter_categories() -> None:
    categories = {p.key: p.category for p in PROVINCES}
    assert categories == {
        "errachidia": "B",
        "ouarzazate": "A",
        "midelt": "B",
        "tinghir": "B",
        "zagora": "B",
    }


def test_every_label_exists_in_arabic_french_and_english() -> None:
    labelled = [*PROVINCES, *SECTORS, *LEGAL_FORMS] + [c for p in PROVINCES for c in p.communes]
    for item in labelled:
        assert all(item.labels.get(lang) for lang in ("ar", "fr", "en")), item.key


def test_labels_fall_back_to_french_for_an_unknown_language() -> None:
    assert province("zagora").labels.get("de") == "Zagora"
    assert sector("crafts").labels.get("ar") == "الصناعة التقليدية"


def test_offshoring_is_the_first_sector() -> None:
    assert SECTORS[0].key == "offshoring"
    assert SECTORS[-1].key == "other"


def test_communes_belong_to_their_province() -> None:
    assert province("errachidia").commune("rissani").labels.fr == "Rissani"
    with pytest.raises(UnknownReferenceError) as refused:
        province("errachidia").commune("zagora")
    assert refused.value.code == "unknown_reference"


@pytest.mark.parametrize(
    ("lookup", "key"), [(province, "casablanca"), (sector, "banking"), (legal_form, "gmbh")]
)
def test_unknown_keys_are_refused(lookup: object, key: str) -> None:
    with pytest.raises(UnknownReferenceError):
        lookup(key)  # type: ignore[operator]


def test_arabic_indic_and_persian_digits_become_ascii() -> None:
    assert ascii_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert ascii_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert ascii_digits("RC 12a") == "RC 12a"


@pytest.mark.parametrize("ice", ["001561191000066", "002136093000040"])
def test_real_ices_are_valid(ice: str) -> None:
    # Two real companies' ICEs (python-stdnum's own test vectors).
    assert is_valid_ice(ice)
    assert normalise_ice(ice) == ice


def test_an_ice_valid_only_under_the_old_mod_97_is_one_rule_is_refused() -> None:
    assert int("001234567000063") % 97 == 1
    assert not is_valid_ice("001234567000063")
    with pytest.raises(InvalidValueError):
        normalise_ice("001234567000063")


def test_an_ice_with_its_check_digits_is_valid_and_int_mod_97_is_zero() -> None:
    ice = ice_for("0012345670000")
    assert len(ice) == 15
    assert is_valid_ice(ice)
    assert int(ice) % 97 == 0


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_generated_ices_agree_with_python_stdnum(first13: str) -> None:
    ice = ice_for(first13)
    assert stdnum_ice.is_valid(ice)
    wrong = ice[:-2] + f"{(int(ice[-2:]) + 1) % 100:02d}"
    assert is_valid_ice(wrong) == stdnum_ice.is_valid(wrong) is False


@given(st.text(alphabet="0123456789 ", max_size=18))
def test_is_valid_ice_agrees_with_python_stdnum_on_ascii_digits(text: str) -> None:
    compact = text.replace(" ", "")
    assert is_valid_ice(compact) == stdnum_ice.is_valid(compact)


@pytest.mark.parametrize(
    "ice",
    ["", "12345678901234", "1234567890123456", "00123456700000x", "٠٠١٢٣٤٥٦٧٠٠٠٠٠٠"],
)
def test_an_ice_that_is_not_15_ascii_digits_is_invalid(ice: str) -> None:
    assert not is_valid_ice(ice)


def test_an_ice_with_a_wrong_check_is_invalid() -> None:
    ice = ice_for("0012345670000")
    wrong = ice[:-1] + str((int(ice[-1]) + 1) % 10)
    assert not is_valid_ice(wrong)


def test_normalising_an_ice_accepts_arabic_digits_and_spaces() -> None:
    ice = ice_for("0012345670000")
    arabic = ice.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert normalise_ice(f" {arabic[:5]} {arabic[5:]} ") == ice


def test_normalising_an_invalid_ice_is_refused() -> None:
    with pytest.raises(InvalidValueError) as refused:
        normalise_ice("001234567000000")
    assert refused.value.field == "ice"
    assert refused.value.code == "invalid_value"


def test_ice_with_check_needs_13_digits() -> None:
    with pytest.raises(InvalidValueError):
        ice_for("123")


def test_an_rc_is_a_court_and_digits() -> None:
    assert normalise_rc("  Errachidia ", "١٢٣٤") == ("Errachidia", "1234")


@pytest.mark.parametrize(("court", "number"), [("", "12"), ("Errachidia", "12-A"), ("X" * 41, "1")])
def test_a_malformed_rc_is_refused(court: str, number: str) -> None:
    with pytest.raises(InvalidValueError):
        normalise_rc(court, number)
