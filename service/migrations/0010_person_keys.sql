-- One AES-256-GCM key per natural person. Personal data in events is encrypted with it;
-- deleting the row erases the person (crypto-shredding) while the events stay intact.
CREATE TABLE person_keys (
    person_id  uuid PRIMARY KEY,
    key        bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE person_erasures (
    person_id uuid PRIMARY KEY,
    erased_at timestamptz NOT NULL DEFAULT now()
);
