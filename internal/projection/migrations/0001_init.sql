-- Phalanx projection schema, version 1. The projection is derived from the
-- ledger and can be rebuilt at will, so it favours read queries and bulk
-- apply over normal form.

-- meta holds the projection's position in the ledger.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('next_index', 0), ('height', 0);

-- versions holds one row per accepted STIX object version.
CREATE TABLE versions (
    idx         INTEGER PRIMARY KEY,         -- ledger Merkle leaf index
    id          TEXT    NOT NULL,            -- STIX id
    type        TEXT    NOT NULL,            -- STIX type
    version     TEXT    NOT NULL,            -- as the ledger normalised it; '' for SCOs
    vkey        TEXT    NOT NULL,            -- version in fixed-width sortable form; '' for SCOs
    created     TEXT    NOT NULL DEFAULT '', -- the object's created property
    revoked     INTEGER NOT NULL DEFAULT 0,
    author      TEXT    NOT NULL,            -- member id that signed the transaction
    height      INTEGER NOT NULL,            -- block height
    added       INTEGER NOT NULL,            -- block time, unix nanoseconds
    tx_hash     BLOB    NOT NULL,
    object      BLOB    NOT NULL,            -- the STIX object's JSON as published
    name        TEXT    NOT NULL DEFAULT '', -- for listings; the searchable text is in fts
    is_latest   INTEGER NOT NULL             -- 1 for the greatest vkey of its id (kept by Apply)
);
-- Each index also orders by idx (the rowid), so a filter on one column
-- reads its matches newest first. Apply keeps is_latest and skips repeated
-- (id, version) pairs itself, so versions_id need not be unique.
CREATE INDEX versions_id     ON versions (id);
CREATE INDEX versions_type   ON versions (type);
CREATE INDEX versions_vkey   ON versions (vkey);
CREATE INDEX versions_author ON versions (author);
CREATE INDEX versions_added  ON versions (added);

-- labels: one row per (version, label).
CREATE TABLE labels (
    label TEXT    NOT NULL,
    idx   INTEGER NOT NULL,
    PRIMARY KEY (label, idx)
) WITHOUT ROWID;

-- obs_values: observable values (IPs, domains, URLs, hashes...) of a version,
-- lower-cased, for exact-value search.
CREATE TABLE obs_values (
    value TEXT    NOT NULL,
    idx   INTEGER NOT NULL,
    PRIMARY KEY (value, idx)
) WITHOUT ROWID;

-- fts: full-text index over a version's text, rowid = versions.idx. It is
-- contentless (the text is in versions.object); vals holds the observable
-- values of objects without a pattern (a pattern already holds its own).
CREATE VIRTUAL TABLE fts USING fts5 (
    name, description, pattern, vals,
    content = '',
    columnsize = 0,
    tokenize = 'unicode61 remove_diacritics 2'
);
