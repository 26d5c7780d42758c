-- Phalanx API credentials of one node, version 1.

-- tokens holds API tokens: never the secret, only its SHA-256.
CREATE TABLE tokens (
    id      TEXT    PRIMARY KEY,       -- public id, "tok_" + 8 hex digits
    name    TEXT    NOT NULL,          -- what the token is for
    role    TEXT    NOT NULL,          -- admin, analyst, machine or reader
    hash    BLOB    NOT NULL UNIQUE,   -- SHA-256 of the secret
    created INTEGER NOT NULL,          -- unix nanoseconds
    revoked INTEGER                    -- unix nanoseconds; NULL while valid
);
