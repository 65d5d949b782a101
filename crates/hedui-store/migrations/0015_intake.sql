-- Intake in the browser (issue 14): the signed scan of an authorization letter, stored sealed
-- under its letter (one scan per letter: a letter on paper is scanned once; a new letter is
-- recorded for a new signature), and the corrections (补正) of a member's name or ID number,
-- which change the member row in place with an audit row saying what changed.
CREATE TABLE letter_scan (
    id {{id}},
    authorization_id BIGINT NOT NULL UNIQUE,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_sm3 TEXT NOT NULL,
    content_enc {{blob}} NOT NULL,
    created_at TEXT NOT NULL
);
