-- Version 2: who may read a version, and a separate full-text index for
-- records opened from sealed content, from which a withdrawal can delete.

-- tlp: the TLP level (1 CLEAR, 2 GREEN, 3 AMBER, 4 AMBER+STRICT, 5 RED).
-- recipients: the member ids a sealed record was sealed for, comma-separated
-- ('' for plaintext records). grp: the sharing group it was addressed to.
ALTER TABLE versions ADD COLUMN tlp        INTEGER NOT NULL DEFAULT 2;
ALTER TABLE versions ADD COLUMN recipients TEXT    NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN grp        TEXT    NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN sealed     INTEGER NOT NULL DEFAULT 0;

-- fts_sealed indexes the text of opened sealed records. Unlike fts it
-- supports deleting rows (contentless_delete), so that a withdrawn
-- record's words leave the index too.
CREATE VIRTUAL TABLE fts_sealed USING fts5 (
    name, description, pattern, vals,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
