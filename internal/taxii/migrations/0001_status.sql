-- TAXII status resources (TAXII 2.1 §4.3), kept so that a client can poll
-- them after a restart.
CREATE TABLE statuses (
    id        TEXT    PRIMARY KEY, -- UUIDv4
    token     TEXT    NOT NULL,    -- id of the API token that posted
    requested INTEGER NOT NULL     -- unix nanoseconds
) WITHOUT ROWID;

-- One row per posted object, in request order.
CREATE TABLE status_items (
    status  TEXT    NOT NULL,
    pos     INTEGER NOT NULL,
    object  TEXT    NOT NULL, -- STIX id ('' when the object had none)
    version TEXT    NOT NULL, -- modified or created; '' for SCOs
    tx      TEXT    NOT NULL, -- transaction hash while pending
    state   TEXT    NOT NULL, -- pending, success or failure
    message TEXT    NOT NULL,
    PRIMARY KEY (status, pos)
) WITHOUT ROWID;
