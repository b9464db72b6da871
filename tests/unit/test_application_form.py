"""Parsing the application form: numbers in any digits, each wrong field named, nothing else."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calls import CallClosedError, IneligibleError
from domain.errors import InvalidValueError, UnknownReferenceError
from domain.identifiers import ice_with_check
from projections.programme import CallView
from web.common.forms import Form
from web.common.numbers import parse_mad
from web.pages.portal import application_form as af

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
NOW = datetime(2026, 3, 1, tzinfo=UTC)
CALL = CallView(
    call_id=uuid4(), envelope_id=uuid4(), title="Appel", eligible_sectors=[],
    eligible_provinces=[], min_request_centimes=100_000_00, max_request_centimes=5_000_000_00,
    opens_at=NOW, closes_at=None, closed_at=None,
)  # fmt: skip
VALID = {
    "call_id": str(CALL.call_id), "company_name": "Oasis Agro SARL", "legal_form": "sarl",
    "ice": ice_with_check("0000000000042"), "rc_court": "Errachidia", "rc_number": "912",
    "contact_name": "Youssef Amrani", "contact_email": "Y.Amrani@Example.ma",
    "contact_phone": "0612-34-56-78", "title": "Unité de conditionnement de dattes",
    "summary": "Tri et emballage.", "sector": "agri_food", "province": "errachidia",
    "commune": "erfoud", "total_investment": "3 000 000", "requested": "900,000.5",
    "jobs": "25", "jobs_women": "15", "timeline_months": "12",
}  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "centimes"),
    [
        ("1.250.000,50", 125_000_050),  # French: dots group, a comma before the centimes
        ("1,250,000.50", 125_000_050),
        ("١٬٢٥٠٬٠٠٠٫٥", 125_000_050),  # Arabic-Indic digits and separators
        ("1 250 000 DH", 125_000_000),
        ("۱۲۵۰۰۰۰ درهم", 125_000_000),
    ],
)
def test_amounts_are_read_by_the_one_money_parser(typed: str, centimes: int) -> None:
    parsed = af.parse_application(Form({**VALID, "requested": typed}), [CALL])
    assert parsed is not None
    assert parsed.project.requested_centimes == centimes
    assert parse_mad(typed) == centimes


@pytest.mark.parametrize("typed", ["12,34,5", "1.234.5", "1,234.567", "-5", "1e6", "abc"])
def test_an_ambiguous_or_malformed_amount_is_refused_at_its_field(typed: str) -> None:
    form = Form({**VALID, "total_investment": typed})
    assert af.parse_application(form, [CALL]) is None
    assert form.errors == {"total_investment": af.NOT_AN_AMOUNT}
    assert form.values["total_investment"] == typed  # what was typed is kept


@given(st.integers(min_value=0, max_value=10**12))
def test_format_then_parse_is_the_identity(centimes: int) -> None:
    assert parse_mad(af.format_centimes(centimes)) == centimes


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from([None, ARABIC, PERSIAN]))
def test_counts_in_any_digits(count: int, digits: dict[int, str] | None) -> None:
    text = f"{count:,}"
    assert af.parse_count(text.translate(digits) if digits else text) == count


@pytest.mark.parametrize("text", ["1.5", "-1", "2,00", "", "7 jours", "1000001"])
def test_what_is_not_a_whole_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(text)}$"):
        af.parse_count(text)


def test_a_valid_form_becomes_the_use_case_types() -> None:
    parsed = af.parse_application(Form(dict(VALID)), [CALL])
    assert parsed is not None
    assert parsed.call is CALL
    assert parsed.applicant.applicant_kind == "company"
    assert parsed.contact.email == "y.amrani@example.ma"
    assert parsed.contact.phone == "0612345678"
    assert parsed.project.requested_centimes == 90_000_050
    assert parsed.project.total_investment_centimes == 300_000_000
    assert (parsed.project.province, parsed.project.commune) == ("errachidia", "erfoud")


def test_a_sole_trader_applies_with_an_rnae_number_and_no_rc() -> None:
    values = {**VALID, "legal_form": "sole_trader", "ice": "", "rc_court": "", "rc_number": "",
              "rnae_number": "٢٠٢٣١٢٣٤"}  # fmt: skip
    parsed = af.parse_application(Form(values), [CALL])
    assert parsed is not None
    assert parsed.applicant.applicant_kind == "sole_trader"
    assert (parsed.applicant.rnae_number, parsed.applicant.rc_number) == ("20231234", "")


def test_a_sole_trader_may_give_its_ice_instead_of_an_rnae_number() -> None:
    values = {**VALID, "legal_form": "sole_trader", "ice": "001561191000066", "rc_court": "",
              "rc_number": ""}  # fmt: skip
    parsed = af.parse_application(Form(values), [CALL])
    assert parsed is not None
    assert parsed.applicant.ice == "001561191000066"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"ice": "", "rnae_number": ""}, {"rnae_number": af.RNAE_OR_ICE}),
        ({"ice": "", "rnae_number": "12"}, {"rnae_number": af.RNAE_NUMBER}),
        ({"ice": "001234567000063"}, {"ice": af.ICE_INVALID}),
        ({"rc_number": "4521"}, {"rc_number": af.NO_RC_FOR_SOLE_TRADER}),
    ],
)
def test_a_sole_trader_is_told_what_is_wrong(
    changes: dict[str, str], errors: dict[str, str]
) -> None:
    values = {**VALID, "legal_form": "sole_trader", "rc_court": "", "rc_number": "",
              "rnae_number": "20231234", **changes}  # fmt: skip
    form = Form(values)
    assert af.parse_application(form, [CALL]) is None
    assert form.errors == errors


def test_a_real_ice_is_accepted_and_one_valid_only_under_the_old_rule_is_refused() -> None:
    assert af.parse_application(Form({**VALID, "ice": "001561191000066"}), [CALL]) is not None
    form = Form({**VALID, "ice": "001234567000063"})
    assert af.parse_application(form, [CALL]) is None
    assert form.errors == {"ice": af.ICE_INVALID}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"ice": VALID["ice"][:-1] + "0"}, {"ice": af.ICE_INVALID}),
        ({"ice": "12345"}, {"ice": af.ICE_INVALID}),
        ({"commune": "skoura"}, {"commune": af.COMMUNE_PROVINCE}),
        ({"requested": "3,000,001"}, {"requested": af.ABOVE_TOTAL}),
        ({"requested": "99 999.99"}, {"requested": af.OUTSIDE_CALL}),
        ({"jobs_women": "26"}, {"jobs_women": af.WOMEN_ABOVE_JOBS}),
        ({"timeline_months": "0"}, {"timeline_months": af.POSITIVE}),
        ({"call_id": str(uuid4())}, {"call_id": af.CHOOSE}),
        ({"legal_form": "gie"}, {"legal_form": af.CHOOSE}),
        ({"rc_number": "12-34"}, {"rc_number": af.RC_NUMBER}),
        ({"contact_phone": "06 12"}, {"contact_phone": af.PHONE_INVALID}),
        ({"title": "x" * 201}, {"title": af.TOO_LONG}),
        ({"jobs": "", "summary": ""}, {"jobs": af.REQUIRED, "summary": af.REQUIRED}),
    ],
)
def test_each_wrong_field_is_named_and_only_it(
    changes: dict[str, str], errors: dict[str, str]
) -> None:
    form = Form({**VALID, **changes})
    assert af.parse_application(form, [CALL]) is None
    assert form.errors == errors


def test_an_amendment_keeps_only_what_changed() -> None:
    current = {"province": "errachidia", "commune": "erfoud", "title": "T", "summary": "S",
               "total_investment_centimes": 300_000_000, "requested_centimes": 90_000_050,
               "jobs": 25, "jobs_women": 15, "timeline_months": 12}  # fmt: skip
    values = af.amendment_values(current)
    assert values["requested"] == "900000.50"
    assert af.parse_amendment(Form(dict(values)), current, CALL) == {}
    changed = af.parse_amendment(Form({**values, "jobs": "٣٠"}), current, CALL)
    assert changed == {"jobs": 30}
    form = Form({**values, "commune": "zagora"})
    assert af.parse_amendment(form, current, CALL) is None
    assert form.errors == {"commune": af.COMMUNE_PROVINCE}


@pytest.mark.parametrize(
    ("error", "where"),
    [
        (CallClosedError(uuid4(), NOW), ("call_id", af.CALL_CLOSED)),
        (IneligibleError(uuid4(), "sector", "mining"), ("sector", af.SECTOR_INELIGIBLE)),
        (IneligibleError(uuid4(), "requested_centimes", 1), ("requested", af.OUTSIDE_CALL)),
        (UnknownReferenceError("commune", "x"), ("commune", af.COMMUNE_PROVINCE)),
        (InvalidValueError("changes", {}, "nothing"), (af.FORM, af.NOTHING_CHANGED)),
        (InvalidValueError("requested_centimes", 0, "x"), ("requested", af.INVALID)),
        (InvalidValueError("ice", "1", "x"), ("ice", af.ICE_INVALID)),
        (InvalidValueError("person", "1", "x"), (af.FORM, af.INVALID)),
    ],
)
def test_domain_errors_land_on_their_field(error: Exception, where: tuple[str, str]) -> None:
    assert af.field_of(error) == where  # type: ignore[arg-type]
