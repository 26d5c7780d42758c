-- Phalanx local alerts of one node, version 1: hits of the detection
-- matcher, aggregated per indicator and matched value.
CREATE TABLE alerts (
    indicator_id TEXT    NOT NULL,
    value        TEXT    NOT NULL,  -- the indicator value that matched
    type         TEXT    NOT NULL,  -- ipv4-addr, domain-name, ...
    marking      TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    benign       INTEGER NOT NULL,  -- 1 when the last hit was on a warninglist
    hits         INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,  -- unix nanoseconds
    last_seen    INTEGER NOT NULL,
    last_where   TEXT    NOT NULL,  -- source:line:offset of the last hit
    last_observed TEXT   NOT NULL,
    PRIMARY KEY (indicator_id, value)
);
CREATE INDEX alerts_last_seen ON alerts (last_seen DESC);
