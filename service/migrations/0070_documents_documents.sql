-- Files investors and officers attach (business plans, certificates, replies, agreements).
-- The content is sealed with the owner's key (service/privacy.py): erasing the person destroys
-- the key and service/erasure.py deletes these rows. A DocumentAttached event records the id,
-- kind, size and SHA-256; never the bytes. No file name is kept (it may name a person).
CREATE TABLE documents (
    id             uuid        PRIMARY KEY,
    owner_id       uuid        NOT NULL,
    application_id uuid,
    draft_id       uuid,
    kind           text        NOT NULL,
    media_type     text        NOT NULL,
    size           integer     NOT NULL CHECK (size > 0),
    sha256         text        NOT NULL,
    sealed         bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (application_id IS NOT NULL OR draft_id IS NOT NULL)
);
-- Sealed content is already random: compressing it is wasted work.
ALTER TABLE documents ALTER COLUMN sealed SET STORAGE EXTERNAL;
CREATE INDEX documents_by_application ON documents (application_id, created_at);
CREATE INDEX documents_by_draft ON documents (draft_id, created_at);
CREATE INDEX documents_by_owner ON documents (owner_id);
