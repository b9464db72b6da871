"""Specifications of a grant application: submission and the investor's commands."""

from __future__ import annotations

from typing import Any

import pytest

from domain.applications import GrantApplication, NotYourApplicationError, Status
from domain.errors import InvalidTransitionError, InvalidValueError, UnknownReferenceError
from tests.unit.domain.builders import APP, INVESTOR, OFFICER, R1, facts, in_review, submitted
from tests.unit.domain.support import at, given, names, uid, when

PERSONAL = ("name", "email", "phone", "cin", "contact_name", "national_id")


def test_submitting_records_submitted_with_the_facts_and_no_clear_personal_data() -> None:
    [event] = submitted().collect_events()
    assert type(event).__name__ == "Submitted"
    assert (event.originator_id, event.timestamp) == (APP, at())
    assert (event.investor_id, event.requested_centimes, event.jobs_women) == (
        INVESTOR,
        2_500_000_00,
        70,
    )
    assert (event.person_id, event.contact) == (uid(99), b"\x00ciphertext")
    assert not set(PERSONAL) & set(vars(event))


def test_submitting_normalises_the_ice_and_rc() -> None:
    arabic = facts()["ice"].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    [event] = submitted(ice=arabic, rc_number="٤٥٢١").collect_events()
    assert (event.ice, event.rc_number) == (facts()["ice"], "4521")


def test_a_new_application_is_submitted() -> None:
    assert given(submitted()).status is Status.SUBMITTED


@pytest.mark.parametrize(
    "overrides",
    [
        {"ice": "001234567000000"},
        {"requested_centimes": 10_000_000_01},
        {"jobs_women": 121},
        {"jobs": -1},
        {"timeline_months": 0},
        {"title": " "},
        {"applicant_kind": "association"},
        {"applicant_kind": "sole_trader"},  # with legal form sarl
        {"legal_form": "sole_trader"},  # for a company
        {"rc_number": "12/B"},
    ],
)
def test_submitting_refused_when_a_fact_breaks_a_rule(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidValueError):
        submitted(**overrides)


@pytest.mark.parametrize(
    "overrides", [{"sector": "banking"}, {"province": "rabat"}, {"commune": "zagora"}]
)
def test_submitting_refused_for_unknown_reference_data(overrides: dict[str, Any]) -> None:
    with pytest.raises(UnknownReferenceError):
        submitted(**overrides)


def test_a_sole_trader_may_submit() -> None:
    app = submitted(applicant_kind="sole_trader", legal_form="sole_trader", company_name="A. B.")
    assert app.applicant_kind == "sole_trader"


SOLE = {"applicant_kind": "sole_trader", "legal_form": "sole_trader", "company_name": "A. B."}


def test_a_sole_trader_gives_an_rnae_number_and_no_rc() -> None:
    [event] = submitted(**SOLE, ice="", rnae_number="٢٠٢٣١٢٣٤").collect_events()
    assert (event.rnae_number, event.ice, event.rc_court, event.rc_number) == (
        "20231234",
        "",
        "",
        "",
    )


def test_a_sole_trader_may_give_an_ice_instead() -> None:
    [event] = submitted(**SOLE, ice="001561191000066", rnae_number="").collect_events()
    assert (event.ice, event.rnae_number) == ("001561191000066", "")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ice": "", "rnae_number": ""}, "rnae_number"),
        ({"rnae_number": "12"}, "rnae_number"),
        ({"rc_number": "4521"}, "rc_number"),
        ({"ice": "001234567000063"}, "ice"),  # valid only under the old % 97 == 1 rule
    ],
)
def test_a_sole_trader_is_refused_without_rnae_or_ice_or_with_an_rc(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidValueError) as refused:
        submitted(**{**SOLE, **overrides})
    assert refused.value.field == field


def test_a_company_records_no_rnae_number() -> None:
    [event] = submitted(rnae_number="20231234").collect_events()
    assert event.rnae_number == ""


def test_amending_records_amended_with_the_changes() -> None:
    app = given(submitted())
    events = when(app, lambda a: a.amend(INVESTOR, {"jobs": 130, "jobs_women": 80}, at(1)))
    assert names(events) == ["Amended"]
    assert (events[0].investor_id, events[0].changes) == (INVESTOR, {"jobs": 130, "jobs_women": 80})
    assert app.project["jobs"] == 130


def test_amending_refused_when_not_your_application() -> None:
    app = given(submitted())
    with pytest.raises(NotYourApplicationError) as refused:
        app.amend(uid(666), {"jobs": 1}, at(1))
    assert (refused.value.code, refused.value.investor_id) == ("not_your_application", uid(666))
    assert app.collect_events() == []


@pytest.mark.parametrize("changes", [{"ice": "x"}, {"sector": "mining"}, {}, {"jobs_women": 500}])
def test_amending_refused_for_fields_not_amendable_or_breaking_rules(
    changes: dict[str, Any],
) -> None:
    app = given(submitted())
    with pytest.raises(InvalidValueError):
        app.amend(INVESTOR, changes, at(1))
    assert app.collect_events() == []


def test_amending_refused_once_in_review() -> None:
    app = given(in_review())
    with pytest.raises(InvalidTransitionError) as refused:
        app.amend(INVESTOR, {"jobs": 1}, at(2))
    assert (refused.value.code, refused.value.status, refused.value.application_id) == (
        "invalid_transition",
        "in_review",
        APP,
    )
    assert app.collect_events() == []


def test_answering_a_question_by_amending_returns_the_file_to_where_it_was() -> None:
    built = in_review()
    built.request_information(R1, "Water source?", at(2))
    app = given(built)
    assert app.status is Status.INFORMATION_REQUESTED
    assert names(when(app, lambda a: a.amend(INVESTOR, {"summary": "Wells."}, at(3)))) == [
        "Amended"
    ]
    assert app.status is Status.IN_REVIEW


def test_withdrawing_records_withdrawn() -> None:
    app = given(in_review())
    assert names(when(app, lambda a: a.withdraw(INVESTOR, at(2)))) == ["Withdrawn"]
    assert app.status is Status.WITHDRAWN


def test_withdrawing_refused_when_not_your_application() -> None:
    app = given(submitted())
    with pytest.raises(NotYourApplicationError):
        app.withdraw(OFFICER, at(1))
    assert app.collect_events() == []


def test_withdrawing_twice_is_refused() -> None:
    built = submitted()
    built.withdraw(INVESTOR, at(1))
    app = given(built)
    with pytest.raises(InvalidTransitionError):
        app.withdraw(INVESTOR, at(2))
    assert app.collect_events() == []


def test_every_event_has_a_stable_topic() -> None:
    classes = [v for v in vars(GrantApplication).values() if isinstance(v, type)]
    topics = {c.__name__: c.TOPIC for c in classes if c.__name__ != "Event"}
    assert topics["Submitted"] == "grants.application:Submitted"
    assert all(t.startswith("grants.application:") for t in topics.values())
