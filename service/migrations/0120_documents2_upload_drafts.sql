-- Drafts opened over the API (POST /api/v1/drafts) exist to hold files until the submission
-- takes them; left alone they expire (service/upload_drafts.py deletes them and their files).
-- A draft saved on the portal keeps expires_at NULL: it stays until submitted or deleted, and
-- saving an API draft on the portal makes it such a draft.
ALTER TABLE application_drafts ADD COLUMN expires_at timestamptz;
CREATE INDEX application_drafts_expiring ON application_drafts (expires_at)
    WHERE expires_at IS NOT NULL;
