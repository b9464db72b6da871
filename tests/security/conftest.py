"""The security suite runs on the e2e fixtures: the real app over HTTP on a fresh database."""

from tests.e2e.conftest import app, client, db, web_settings

__all__ = ["app", "client", "db", "web_settings"]
