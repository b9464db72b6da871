"""What an application states about the investor and the project, and the rules it must meet.

Personal data of a natural person (name, e-mail, phone, CIN) never appears here in clear: the
service layer stores a ``person_id`` reference and an opaque, encrypted ``contact`` blob.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from domain.errors import InvalidValueError, require_non_negative, require_positive
from domain.identifiers import normalise_ice, normalise_rc, normalise_rnae
from domain.reference import APPLICANT_KINDS, SOLE_TRADER, legal_form, province, sector

#: Fields an investor may change by amending (the rest identify the file or the applicant).
AMENDABLE_FIELDS: Final = frozenset(
    {
        "title",
        "summary",
        "commune",
        "total_investment_centimes",
        "requested_centimes",
        "jobs",
        "jobs_women",
        "timeline_months",
    }
)
_MAX_TITLE: Final = 200


def check_applicant(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise the applicant part; return the normalised fields.

    A company gives its ICE and its commercial-register (RC) court and number. A sole trader
    (auto-entrepreneur) is registered in the RNAE, not the RC: it gives its RNAE number or its
    ICE (or both) and no RC.
    """
    kind = facts["applicant_kind"]
    if kind not in APPLICANT_KINDS:
        raise InvalidValueError("applicant_kind", kind, f"one of {APPLICANT_KINDS}")
    legal_form(facts["legal_form"])
    if (kind == SOLE_TRADER) != (facts["legal_form"] == SOLE_TRADER):
        raise InvalidValueError("legal_form", facts["legal_form"], f"does not fit {kind}")
    if facts.get("identity"):
        if kind != SOLE_TRADER:
            raise InvalidValueError("identity", "", "only a sole trader's identity is sealed")
        return _sealed_sole_trader(facts)
    if not facts["company_name"].strip():
        raise InvalidValueError("company_name", facts["company_name"], "must not be blank")
    names = {"company_name": facts["company_name"].strip()}
    if kind == SOLE_TRADER:
        return {**names, **_sole_trader_identifiers(facts)}
    court, number = normalise_rc(facts["rc_court"], facts["rc_number"])
    ice = normalise_ice(facts["ice"])
    return {**names, "ice": ice, "rc_court": court, "rc_number": number, "rnae_number": ""}


#: What identifies a sole trader as a natural person: sealed with the person's key in the event.
SOLE_TRADER_IDENTITY: Final = ("company_name", "ice", "rnae_number")
_IDENTIFYING: Final = (*SOLE_TRADER_IDENTITY, "rc_court", "rc_number")


def _sealed_sole_trader(facts: Mapping[str, Any]) -> dict[str, Any]:
    """A sole trader whose identity arrives sealed (checked in clear by the use case with
    :func:`check_applicant` before sealing): nothing identifying may stay in clear."""
    clear = [name for name in _IDENTIFYING if str(facts.get(name, "")).strip()]
    if clear:
        raise InvalidValueError(clear[0], "", "sealed in identity for a sole trader")
    return dict.fromkeys(_IDENTIFYING, "")


def _sole_trader_identifiers(facts: Mapping[str, Any]) -> dict[str, str]:
    if facts.get("rc_court", "").strip() or facts.get("rc_number", "").strip():
        raise InvalidValueError("rc_number", facts.get("rc_number", ""), "not for a sole trader")
    rnae, ice = facts.get("rnae_number", "").strip(), facts.get("ice", "").strip()
    if not rnae and not ice:
        raise InvalidValueError("rnae_number", "", "an RNAE number or an ICE is required")
    return {
        "ice": normalise_ice(ice) if ice else "",
        "rc_court": "",
        "rc_number": "",
        "rnae_number": normalise_rnae(rnae) if rnae else "",
    }


def check_project(facts: Mapping[str, Any]) -> None:
    """Check the project part: reference data, amounts, jobs and timeline."""
    sector(facts["sector"])
    province(facts["province"]).commune(facts["commune"])
    title = facts["title"]
    if not title.strip() or len(title) > _MAX_TITLE:
        raise InvalidValueError("title", title, f"1 to {_MAX_TITLE} characters")
    require_positive("total_investment_centimes", facts["total_investment_centimes"])
    require_positive("requested_centimes", facts["requested_centimes"])
    require_positive("timeline_months", facts["timeline_months"])
    require_non_negative("jobs", facts["jobs"])
    require_non_negative("jobs_women", facts["jobs_women"])
    if facts["requested_centimes"] > facts["total_investment_centimes"]:
        raise InvalidValueError("requested_centimes", facts["requested_centimes"], "> investment")
    if facts["jobs_women"] > facts["jobs"]:
        raise InvalidValueError("jobs_women", facts["jobs_women"], "more than jobs")


def check_changes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """Refuse changes to fields an investor may not amend, or that break the project rules."""
    refused = sorted(set(changes) - AMENDABLE_FIELDS)
    if refused:
        raise InvalidValueError("changes", refused, "these fields cannot be amended")
    if not changes:
        raise InvalidValueError("changes", {}, "nothing to amend")
    check_project({**current, **changes})
