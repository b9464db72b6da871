"""The application form's phone rule, checked against libphonenumber (the ``phonenumbers`` port):
every valid Moroccan number, as people write it, is accepted and keeps its meaning."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from web.pages.portal.application_form import normalise_phone

TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.VOIP)
FORMATS = (PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.NATIONAL)


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("style", FORMATS)
def test_a_valid_moroccan_number_is_accepted_and_means_the_same(kind: int, style: int) -> None:
    number = phonenumbers.example_number_for_type("MA", kind)
    assert number is not None
    typed = phonenumbers.format_number(number, style)
    normalised = normalise_phone(typed)
    assert normalised is not None, typed
    assert phonenumbers.parse(normalised, "MA") == number


@pytest.mark.parametrize("typed", ["06 12", "phone", "+212 6 12 34 56 78 90 12 34"])
def test_what_is_not_a_phone_number_is_refused(typed: str) -> None:
    assert normalise_phone(typed) is None
