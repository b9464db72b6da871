-- Run once on a database restored with pg_restore (or psql < dump), BEFORE any grants process
-- starts; then rebuild every projection (docs/operations.md, section 3; tested by
-- tests/faults/test_logical_restore.py). Refuses to run when the server's transaction counter is
-- too low for the renumbering; burn transaction ids first in that case.
BEGIN;
DO $$
DECLARE
  needed bigint := (SELECT count(DISTINCT tx_id) FROM events) + 3;
  counter bigint := pg_current_xact_id()::text::bigint;
BEGIN
  IF counter <= needed THEN
    RAISE EXCEPTION 'transaction counter % is not above % yet: burn transaction ids first',
      counter, needed;
  END IF;
END $$;
-- Same order, small values below every transaction the new server will run (3 is the first
-- normal transaction id): the log's order, and with it the ledger's hash chain, is unchanged.
UPDATE events e SET tx_id = r.new_tx::text::xid8
FROM (SELECT tx_id, 2 + dense_rank() OVER (ORDER BY tx_id) AS new_tx
      FROM (SELECT DISTINCT tx_id FROM events) d) r
WHERE e.tx_id = r.tx_id;
-- Where the projections stood was counted in the old server's transaction ids: forget it.
DELETE FROM projection_tracking;
COMMIT;
