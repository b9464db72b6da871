"""Security events as structured log records, and a formatter that keeps every record on one line.

Records name the user by id and the client by address, never by e-mail or name (personal data);
a login attempt for an unknown or mistyped address carries a short keyed digest of the address so
that repeated attempts can be correlated without the address reaching the log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger("grants.audit")

LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"
LOGIN_THROTTLED = "login.throttled"
MFA_SUCCEEDED = "mfa.succeeded"
MFA_FAILED = "mfa.failed"
MFA_ENROLLED = "mfa.enrolled"
ACCESS_REFUSED = "access.refused"
CSRF_REFUSED = "csrf.refused"
LOGOUT = "logout"
PASSWORD_CHANGED = "password.changed"  # noqa: S105 - an event name


def audit(event: str, **fields: Any) -> None:
    """Log one security event as a JSON object with a UTC timestamp (``None`` fields dropped)."""
    record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
    record.update({k: str(v) for k, v in fields.items() if v is not None})
    level = logging.INFO if event in (LOGIN_SUCCEEDED, MFA_SUCCEEDED, LOGOUT) else logging.WARNING
    # JSON escapes CR, LF and every control character: a field cannot forge a second record.
    logger.log(level, "%s", json.dumps(record, ensure_ascii=True), extra={"audit": record})


def digest(secret_key: str, value: str) -> str:
    """A short keyed digest of ``value`` (an e-mail address) for correlating records."""
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()[:16]


class OneLineFormatter(logging.Formatter):
    """Escapes CR and LF in messages, so that no logged value can start a forged record."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The formatted line, with line breaks in the message shown as ``\\n``."""
        return _escape(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        """A traceback, indented so that each of its lines is visibly part of this record."""
        return "\n    ".join(super().formatException(ei).splitlines())


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
