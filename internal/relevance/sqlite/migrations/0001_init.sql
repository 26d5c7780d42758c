-- Relevance of one node: its users' subscriptions and notifications. Like
-- the token store (and unlike the projection) it cannot be rebuilt from
-- the ledger.

-- subscriptions: a user's named filter (JSON of relevance.Filter).
CREATE TABLE subscriptions (
    id      TEXT    PRIMARY KEY,        -- "sub_" + 16 hex digits
    owner   TEXT    NOT NULL,           -- user name, or "token:" + token id
    name    TEXT    NOT NULL,
    filter  TEXT    NOT NULL,
    notify  INTEGER NOT NULL,
    webhook TEXT    NOT NULL DEFAULT '',
    created INTEGER NOT NULL,           -- unix nanoseconds
    UNIQUE (owner, name)
) WITHOUT ROWID;

-- notifications: one per (owner, record); only header fields, never content.
CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    owner         TEXT    NOT NULL,
    idx           INTEGER NOT NULL,     -- ledger index of the record
    object_id     TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    author        TEXT    NOT NULL,
    tlp           INTEGER NOT NULL,     -- 1 CLEAR … 5 RED
    subscriptions TEXT    NOT NULL,     -- JSON array of subscription ids
    names         TEXT    NOT NULL,     -- JSON array of their names
    created       INTEGER NOT NULL,     -- unix nanoseconds
    read_at       INTEGER,              -- unix nanoseconds; NULL while unread
    UNIQUE (owner, idx)
);
CREATE INDEX notifications_owner ON notifications (owner, id);

-- meta: next_index is the first ledger index the notifier has not seen.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
