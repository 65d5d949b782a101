-- Sealed values bound to their rows, reports signed when completed and when issued, and the
-- fingerprint of the database's master key.
--
-- A record's identity within its batch (or its job's answers) is its line: the line of the file
-- for a mirror row, the answer's position for an online one. Rows stored before this migration
-- take their own id, which is as unique.
ALTER TABLE record ADD COLUMN line BIGINT NOT NULL DEFAULT 0;
UPDATE record SET line = id;

-- A report is completed (computed and signed, not yet given out) and then issued (signed again).
-- The issue lives in its own table, so that issuing never rewrites the report's row and its
-- sealed body. Reports issued before this migration are signed by it, and say so.
ALTER TABLE report ADD COLUMN completed_sig TEXT NOT NULL DEFAULT '';
ALTER TABLE report ADD COLUMN signed_in_migration BIGINT NOT NULL DEFAULT 0;
CREATE TABLE report_issue (
    report_id BIGINT NOT NULL PRIMARY KEY REFERENCES report (id),
    issued_sig TEXT NOT NULL,
    issued_at TEXT NOT NULL
);

-- Facts about the database itself: the fingerprint of its master key, the format its sealed
-- values are in.
CREATE TABLE meta (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
