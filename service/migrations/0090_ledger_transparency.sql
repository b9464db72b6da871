-- The transparency log (issue 15): what has been published of the ledger, append-only.
-- ledger_log holds each published entry (RFC 8785 canonical JSON) and its RFC 9162 leaf hash,
-- plus the ledger projection's chain hash at that entry, which lets a rebuilt projection be
-- compared with what was published in O(1) (equal chain hash at entry n = equal first n entries).
CREATE TABLE ledger_log (
    idx        bigint PRIMARY KEY CHECK (idx >= 0),
    entry      bytea  NOT NULL,
    leaf_hash  bytea  NOT NULL CHECK (octet_length(leaf_hash) = 32),
    chain_hash text   NOT NULL
);
-- Every signed checkpoint ever issued (C2SP tlog-checkpoint in a signed note), by tree size.
CREATE TABLE ledger_checkpoints (
    size      bigint      PRIMARY KEY CHECK (size >= 0),
    root      bytea       NOT NULL CHECK (octet_length(root) = 32),
    note      text        NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now()
);
-- Whether the ledger projection still extends what was published (one row; /healthz reads it).
CREATE TABLE ledger_consistency (
    id            boolean     PRIMARY KEY DEFAULT true CHECK (id),
    consistent    boolean     NOT NULL,
    diverging_seq bigint,
    problem       text,
    checked_at    timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the published ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE FUNCTION ledger_log_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.idx <> coalesce((SELECT max(idx) + 1 FROM ledger_log), 0) THEN
        RAISE EXCEPTION 'ledger_log entry % is not the next one', NEW.idx
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE FUNCTION ledger_checkpoints_grow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_checkpoints WHERE size >= NEW.size) THEN
        RAISE EXCEPTION 'a checkpoint of size % does not extend the latest', NEW.size
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER ledger_log_no_change BEFORE UPDATE OR DELETE ON ledger_log
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_log_no_truncate BEFORE TRUNCATE ON ledger_log
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_log_next BEFORE INSERT ON ledger_log
    FOR EACH ROW EXECUTE FUNCTION ledger_log_in_order();
CREATE TRIGGER ledger_checkpoints_no_change BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_checkpoints_next BEFORE INSERT ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_checkpoints_grow();
