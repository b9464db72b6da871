"""The funding policy is read from GRANTS_* variables, with the programme's defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from service.settings import Policy, SettingsError, load_settings

if TYPE_CHECKING:
    from pathlib import Path


def test_policy_defaults_are_the_programmes(tmp_path: Path) -> None:
    settings = load_settings({"GRANTS_DATA_DIR": str(tmp_path)})
    assert settings.policy == Policy(
        review_quorum=2, funding_threshold_hundredths=5_000, max_share_basis_points=3_000
    )


def test_policy_is_read_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "GRANTS_DATA_DIR": str(tmp_path),
            "GRANTS_REVIEW_QUORUM": "3",
            "GRANTS_FUNDING_THRESHOLD": "6500",
            "GRANTS_MAX_SHARE_PERCENT": "25",
        }
    )
    assert (settings.review_quorum, settings.funding_threshold_hundredths) == (3, 6_500)
    assert settings.max_share_basis_points == 2_500


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GRANTS_REVIEW_QUORUM", "0"),
        ("GRANTS_FUNDING_THRESHOLD", "10001"),
        ("GRANTS_MAX_SHARE_PERCENT", "thirty"),
    ],
)
def test_policy_out_of_range_is_refused(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"GRANTS_DATA_DIR": str(tmp_path), name: value})
