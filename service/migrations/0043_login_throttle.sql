-- Failed log-ins per account and per client address ('account:<email>', 'ip:<address>'),
-- consulted before any password is hashed.
CREATE TABLE login_failures (
    key           text        PRIMARY KEY,
    failures      integer     NOT NULL,
    first_failure timestamptz NOT NULL DEFAULT now(),
    last_failure  timestamptz NOT NULL DEFAULT now(),
    blocked_until timestamptz
);
