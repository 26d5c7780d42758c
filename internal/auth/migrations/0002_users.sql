-- Version 2: user accounts with a TLP clearance, tokens bound to users, and
-- the admin's per-record grants of RED records.

-- users are the people and integrations of the member (or clients it
-- registers) that read through this node.
CREATE TABLE users (
    name      TEXT    PRIMARY KEY,
    role      TEXT    NOT NULL,           -- admin, analyst, machine or reader
    clearance INTEGER NOT NULL,           -- highest TLP level: 1 CLEAR … 5 RED
    client    INTEGER NOT NULL DEFAULT 0, -- 1: a registered client, not the member's own
    created   INTEGER NOT NULL            -- unix nanoseconds
) WITHOUT ROWID;

-- A token with a user_name acts as that user; one without predates user
-- accounts and acts as the member's own, fully cleared user.
ALTER TABLE tokens ADD COLUMN user_name TEXT REFERENCES users (name);

-- grants name a user for one RED record (by STIX id).
CREATE TABLE grants (
    user_name TEXT    NOT NULL REFERENCES users (name),
    object_id TEXT    NOT NULL,
    granted   INTEGER NOT NULL,           -- unix nanoseconds
    PRIMARY KEY (user_name, object_id)
) WITHOUT ROWID;
