"""Second factor: TOTP (RFC 6238) with single-use codes, and single-use recovery codes.

The TOTP secret is sealed at rest with AES-GCM under a key derived (HKDF) from the platform's
secret, bound to the user's id, so a copied row is useless without the secret and for another
user. A code is accepted once: the time step it belongs to is recorded, and only later steps
are accepted afterwards (the UPDATE that records it is the check, so two concurrent requests
cannot both use it).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from typing import TYPE_CHECKING

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from service import sessions

if TYPE_CHECKING:
    import uuid

    import asyncpg

ISSUER = "Draa-Tafilalet grants"
STEP_S = 30
# Accept the previous and the next step too: phones' clocks drift.
DRIFT_STEPS = 1
RECOVERY_CODES = 10

SELECT_CREDENTIAL = (
    "SELECT secret_sealed, confirmed_at IS NOT NULL AS confirmed "
    "FROM totp_credentials WHERE user_id = $1"
)
UPSERT_CONFIRMED = """
INSERT INTO totp_credentials (user_id, secret_sealed, confirmed_at, last_timestep)
VALUES ($1, $2, now(), $3)
ON CONFLICT (user_id) DO UPDATE SET secret_sealed = $2, confirmed_at = now(), last_timestep = $3
"""
# The whole single-use check: a step at or before the last one used matches no row.
USE_STEP = """
UPDATE totp_credentials SET last_timestep = $2
WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_timestep IS NULL OR last_timestep < $2)
RETURNING user_id
"""
DELETE_CODES = "DELETE FROM recovery_codes WHERE user_id = $1"
INSERT_CODE = "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)"
USE_CODE = """
UPDATE recovery_codes SET used_at = now()
WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING user_id
"""
DELETE_CREDENTIAL = "DELETE FROM totp_credentials WHERE user_id = $1"
COUNT_CODES = "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"


def _key(secret_key: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"grants totp secret v1"
    ).derive(secret_key.encode())
    return AESGCM(derived)


def seal(secret_key: str, user_id: uuid.UUID, totp_secret: str) -> bytes:
    """``totp_secret`` encrypted for storage (nonce + ciphertext), bound to ``user_id``."""
    nonce = os.urandom(12)
    return nonce + _key(secret_key).encrypt(nonce, totp_secret.encode(), user_id.bytes)


def unseal(secret_key: str, user_id: uuid.UUID, sealed: bytes) -> str:
    """The TOTP secret back from ``seal``'s output."""
    return _key(secret_key).decrypt(sealed[:12], sealed[12:], user_id.bytes).decode()


def provisioning_uri(totp_secret: str, account: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (typed or scanned)."""
    return pyotp.TOTP(totp_secret).provisioning_uri(name=account, issuer_name=ISSUER)


def matching_step(totp_secret: str, code: str, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to, within the allowed drift, or ``None``."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(totp_secret)
    step = int((time.time() if now is None else now) // STEP_S)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.at(candidate * STEP_S), code):
            return candidate
    return None


async def secret_of(
    pool: asyncpg.Pool | asyncpg.Connection, secret_key: str, user_id: uuid.UUID
) -> tuple[str, bool] | None:
    """The user's TOTP secret and whether enrolment was confirmed, or ``None``."""
    row = await pool.fetchrow(SELECT_CREDENTIAL, user_id)
    if row is None:
        return None
    return unseal(secret_key, user_id, row["secret_sealed"]), row["confirmed"]


async def is_enrolled(pool: asyncpg.Pool, user_id: uuid.UUID) -> bool:
    """True when the user has a confirmed second factor."""
    row = await pool.fetchrow(SELECT_CREDENTIAL, user_id)
    return row is not None and bool(row["confirmed"])


def new_secret() -> str:
    """A fresh TOTP secret (160 random bits, base32), to be confirmed with ``confirm_enrolment``."""
    return pyotp.random_base32(32)


async def confirm_enrolment(
    pool: asyncpg.Pool, secret_key: str, user_id: uuid.UUID, totp_secret: str, code: str
) -> list[str] | None:
    """Store ``totp_secret`` once the app shows a matching code; fresh recovery codes, or ``None``."""
    step = matching_step(totp_secret, code)
    if step is None:
        return None
    async with pool.acquire() as conn, conn.transaction():
        sealed = seal(secret_key, user_id, totp_secret)
        await conn.execute(UPSERT_CONFIRMED, user_id, sealed, step)
        return await _new_recovery_codes(conn, user_id)


async def enrol(
    pool: asyncpg.Pool | asyncpg.Connection, secret_key: str, user_id: uuid.UUID, totp_secret: str
) -> list[str]:
    """Enrol with a given secret, confirmed at once (demo accounts, tests, the CLI)."""
    pyotp.TOTP(totp_secret).now()  # refuses a secret that is not base32
    await pool.execute(UPSERT_CONFIRMED, user_id, seal(secret_key, user_id, totp_secret), None)
    return await _new_recovery_codes(pool, user_id)


async def verify_code(
    pool: asyncpg.Pool, secret_key: str, user_id: uuid.UUID, code: str, now: float | None = None
) -> bool:
    """True when ``code`` is a TOTP code not used before, or an unused recovery code."""
    found = await secret_of(pool, secret_key, user_id)
    if found is None or not found[1]:
        return False
    step = matching_step(found[0], code, now)
    if step is not None:
        return await pool.fetchval(USE_STEP, user_id, step) is not None
    return await pool.fetchval(USE_CODE, user_id, _code_hash(code)) is not None


async def reset(pool: asyncpg.Pool, user_id: uuid.UUID) -> None:
    """Forget the user's second factor (a lost phone and lost codes); their sessions end.

    Staff then enrol again at their next log-in, after the password."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(DELETE_CREDENTIAL, user_id)
        await conn.execute(DELETE_CODES, user_id)
        await sessions.end_all_for_user(conn, user_id)


async def recovery_codes_left(pool: asyncpg.Pool, user_id: uuid.UUID) -> int:
    """How many recovery codes the user has not used."""
    return int(await pool.fetchval(COUNT_CODES, user_id))


async def _new_recovery_codes(
    conn: asyncpg.Pool | asyncpg.Connection, user_id: uuid.UUID
) -> list[str]:
    codes = [_format_code(secrets.token_hex(5)) for _ in range(RECOVERY_CODES)]
    await conn.execute(DELETE_CODES, user_id)
    await conn.executemany(INSERT_CODE, [(user_id, _code_hash(code)) for code in codes])
    return codes


def _format_code(raw: str) -> str:
    return f"{raw[:5]}-{raw[5:]}"


def _code_hash(code: str) -> bytes:
    # 40 random bits per code, used once and throttled: a fast hash is enough here.
    normalised = code.strip().lower().replace(" ", "").replace("-", "")
    return hashlib.sha256(normalised.encode()).digest()
