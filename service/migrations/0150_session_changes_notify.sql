-- Every process keeps the sessions it read in the last few seconds (service/sessions.py,
-- SessionCache). A session that changes or ends, and an account whose name, role or state
-- changes, is announced on 'grants_sessions' so that every process forgets it at once; the
-- notification leaves with the transaction's commit, never before.
CREATE OR REPLACE FUNCTION grants_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('grants_sessions', encode(OLD.id_hash, 'hex'));
    RETURN NULL;
END
$$;

CREATE TRIGGER web_sessions_changed AFTER UPDATE OR DELETE ON web_sessions
    FOR EACH ROW EXECUTE FUNCTION grants_session_changed();

CREATE OR REPLACE FUNCTION grants_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('grants_sessions', 'u' || OLD.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_changed AFTER UPDATE OF email, display_name, role, disabled OR DELETE
    ON users FOR EACH ROW EXECUTE FUNCTION grants_account_changed();
