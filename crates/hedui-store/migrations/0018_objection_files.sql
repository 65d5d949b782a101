-- Objections with their materials (issue 14): the family's objection to a report comes with
-- documents (a 户口簿 page, a bank's statement, a hospital's bill), each stored sealed under its
-- job and number, read back only as a download.
CREATE TABLE objection_file (
    id {{id}},
    job_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_sm3 TEXT NOT NULL,
    content_enc {{blob}} NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (job_id, seq)
);
