-- Where each projection stands in the event log, written in the same transaction as its rows.
-- A projection's own tables are created from its DDL by the runner (and re-created by a rebuild),
-- so that a rebuild can build them under another schema and swap them in.
CREATE TABLE projection_tracking (
    name            text        PRIMARY KEY,
    version         integer     NOT NULL,
    tx_id           xid8        NOT NULL DEFAULT '0',
    notification_id bigint      NOT NULL DEFAULT 0,
    applied         bigint      NOT NULL DEFAULT 0,
    skipped         bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    error           text
);
