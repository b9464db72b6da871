-- Idempotency-Key of API requests that create something, per user: the request's fingerprint
-- (method, path, body) and, once done, the response it got. A retry with the same key and body
-- gets that response again; the same key with another body is refused. A claim with no response
-- yet is a request in flight (or one that died: it may be taken over after a while).
CREATE TABLE api_idempotency (
    user_id     uuid        NOT NULL,
    key         text        NOT NULL,
    fingerprint bytea       NOT NULL,
    status      integer,
    response    bytea,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
