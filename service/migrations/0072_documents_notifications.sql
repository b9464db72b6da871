-- E-mail notifications follow the event log from here (service/notifier.py). A database that
-- already has history starts at its head: deploying notifications never mails the past.
CREATE TABLE mail_notifier (
    id              integer     PRIMARY KEY CHECK (id = 1),
    tx_id           xid8        NOT NULL DEFAULT '0',
    notification_id bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO mail_notifier (id, tx_id, notification_id)
SELECT 1, coalesce(max(tx_id), '0'), coalesce(max(notification_id), 0) FROM events;
-- Each staff member's daily digest is sent once a day (Moroccan date).
CREATE TABLE mail_digests (
    user_id uuid NOT NULL,
    day     date NOT NULL,
    PRIMARY KEY (user_id, day)
);
-- The language a person reads their mail in: their last choice on the site.
ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT 'ar' CHECK (language IN ('ar', 'fr', 'en'));
