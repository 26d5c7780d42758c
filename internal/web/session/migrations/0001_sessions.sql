-- Phalanx web UI sessions of one node, version 1.

-- sessions holds signed-in browsers: never the session id itself, only its
-- SHA-256, so a copy of this file signs no one in.
CREATE TABLE sessions (
    hash     BLOB    PRIMARY KEY,  -- SHA-256 of the session id in the cookie
    token_id TEXT    NOT NULL,     -- the credential the user signed in with
    role     TEXT    NOT NULL,     -- its role at sign-in (re-checked per request)
    csrf     TEXT    NOT NULL,     -- per-session CSRF token for forms
    created  INTEGER NOT NULL,     -- unix nanoseconds
    expires  INTEGER NOT NULL      -- unix nanoseconds
) WITHOUT ROWID;
CREATE INDEX sessions_expires ON sessions (expires);
