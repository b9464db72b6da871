-- Application forms an investor saved before submitting: the values as typed, even incomplete.
-- They hold personal data (the contact person), so service/drafts.py erases them with the person.
CREATE TABLE application_drafts (
    id          uuid        PRIMARY KEY,
    investor_id uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    "values"    jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_drafts_by_investor ON application_drafts (investor_id, updated_at DESC);
