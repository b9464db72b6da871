-- Server-side web sessions, shared by every worker. The cookie holds a random id; only its
-- SHA-256 is stored, so a leaked table does not hand out live sessions.
CREATE TABLE web_sessions (
    id_hash    bytea       PRIMARY KEY,
    data       jsonb       NOT NULL DEFAULT '{}',
    user_id    uuid        REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_sessions_user ON web_sessions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen);
