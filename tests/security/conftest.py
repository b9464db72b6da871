"""The security suite runs on the e2e fixtures: the real app over HTTP on a fresh database."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import app, client, db
from tests.e2e.conftest import web_settings as e2e_settings

if TYPE_CHECKING:
    from service.settings import Settings

__all__ = ["app", "client", "db", "e2e_settings"]


@pytest.fixture
def web_settings(e2e_settings: Settings) -> Settings:
    """Event streams end quickly: the crawls GET every route, streams included."""
    return dataclasses.replace(e2e_settings, stream_seconds=0.3)
