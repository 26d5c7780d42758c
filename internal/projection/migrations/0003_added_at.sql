-- Version 3: the first version stored at each block time replaces the index
-- on versions.added.
--
-- versions_added held one entry per version and served one query: TAXII's
-- added_after probe for the first index committed after a time (list.go).
-- Block times only increase with the ledger index and every version of a
-- block shares its block's time, so one row per block time answers the
-- same probe, and Apply writes one row per block instead of one index
-- entry per version (docs/benchmarks.md, "Session 6").

-- added_at: for each block time (unix nanoseconds) of a stored version, the
-- lowest versions.idx stored with that time.
CREATE TABLE added_at (
    added     INTEGER PRIMARY KEY,
    first_idx INTEGER NOT NULL
);
INSERT INTO added_at (added, first_idx) SELECT added, min(idx) FROM versions GROUP BY added;
DROP INDEX versions_added;
