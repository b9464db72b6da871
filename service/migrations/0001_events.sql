-- The event log, in eventsourcing's shape plus the writing transaction's id for gap-safe reads.
CREATE TABLE events (
    originator_id      uuid   NOT NULL,
    originator_version bigint NOT NULL,
    topic              text   NOT NULL,
    state              bytea  NOT NULL,
    notification_id    bigint GENERATED ALWAYS AS IDENTITY,
    tx_id              xid8   NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (originator_id, originator_version)
);
CREATE UNIQUE INDEX events_log_position ON events (tx_id, notification_id);

CREATE TABLE snapshots (
    originator_id      uuid   NOT NULL,
    originator_version bigint NOT NULL,
    topic              text   NOT NULL,
    state              bytea  NOT NULL,
    PRIMARY KEY (originator_id, originator_version)
);

-- Commands that carry an idempotency key record their result here, in the same transaction
-- as their events, so a retried command returns the first result and appends nothing.
CREATE TABLE idempotency_keys (
    scope       text        NOT NULL,
    key         text        NOT NULL,
    result      bytea       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
