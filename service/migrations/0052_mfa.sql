-- Second factor (TOTP, RFC 6238). The shared secret is sealed with AES-GCM under a key derived
-- from GRANTS_SECRET_KEY (service/mfa.py); last_timestep makes each code usable once.
CREATE TABLE totp_credentials (
    user_id       uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed bytea       NOT NULL,
    confirmed_at  timestamptz,
    last_timestep bigint,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Recovery codes: only the SHA-256 of each random code is kept; a code works once.
CREATE TABLE recovery_codes (
    user_id   uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea       NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);
