-- hedui schema, version 1. Standard SQL that SQLite and PostgreSQL both accept;
-- {{id}} and {{blob}} are replaced per backend. Never edit a released migration.

CREATE TABLE person (
    id {{id}},
    id_bidx {{blob}} NOT NULL UNIQUE,
    id_enc {{blob}} NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE import_batch (
    id {{id}},
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sm3 TEXT NOT NULL,
    as_of TEXT NOT NULL,
    status TEXT NOT NULL,
    rows_total BIGINT NOT NULL DEFAULT 0,
    rows_accepted BIGINT NOT NULL DEFAULT 0,
    rows_duplicate BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    rows_unresolved BIGINT NOT NULL DEFAULT 0,
    columns TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (source, file_sm3)
);

CREATE TABLE record (
    id {{id}},
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    batch_id BIGINT,
    job_id BIGINT,
    person_id BIGINT,
    raw_id_enc {{blob}},
    name_bidx {{blob}},
    as_of TEXT NOT NULL,
    period_from TEXT,
    period_to TEXT,
    on_date TEXT,
    amount BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    item_key TEXT NOT NULL,
    detail_enc {{blob}} NOT NULL
);
CREATE INDEX record_person ON record (person_id);
CREATE INDEX record_unresolved_name ON record (name_bidx) WHERE name_bidx IS NOT NULL;

-- Rows are stored once per snapshot (source, as_of). Each stored chunk of an import keeps the
-- keyed digests of its rows here, as one blob written in the chunk's own transaction; the importer
-- loads a snapshot's digests once. Per-row digest columns with an index made every record insert
-- also a random B-tree write, and a plain SM3 of a row could be dictionary-attacked.
CREATE TABLE record_digest (
    id {{id}},
    batch_id BIGINT NOT NULL REFERENCES import_batch (id),
    source TEXT NOT NULL,
    as_of TEXT NOT NULL,
    digests {{blob}} NOT NULL
);
CREATE INDEX record_digest_snapshot ON record_digest (source, as_of);

CREATE TABLE import_issue (
    id {{id}},
    batch_id BIGINT NOT NULL,
    line BIGINT NOT NULL,
    severity TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw_enc {{blob}} NOT NULL
);
CREATE INDEX import_issue_batch ON import_issue (batch_id, line);

CREATE TABLE household (
    id {{id}},
    number TEXT NOT NULL UNIQUE,
    region TEXT NOT NULL,
    address_enc {{blob}} NOT NULL,
    programme TEXT NOT NULL,
    applied_on TEXT NOT NULL,
    declared_income BIGINT NOT NULL,
    declared_assets BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX household_region ON household (region);

CREATE TABLE member (
    id {{id}},
    household_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    person_id BIGINT,
    name_enc {{blob}} NOT NULL,
    name_bidx {{blob}} NOT NULL,
    id_enc {{blob}} NOT NULL,
    id_note TEXT NOT NULL,
    relation TEXT NOT NULL,
    excluded TEXT,
    capacity TEXT NOT NULL,
    guardian_seq BIGINT,
    declared_income BIGINT NOT NULL,
    UNIQUE (household_id, seq)
);
CREATE INDEX member_person ON member (person_id);

CREATE TABLE supporter (
    id {{id}},
    household_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    person_id BIGINT,
    name_enc {{blob}} NOT NULL,
    name_bidx {{blob}} NOT NULL,
    id_enc {{blob}} NOT NULL,
    id_note TEXT NOT NULL,
    duty TEXT NOT NULL,
    UNIQUE (household_id, seq)
);
CREATE INDEX supporter_person ON supporter (person_id);

CREATE TABLE authz_letter (
    id {{id}},
    number TEXT NOT NULL UNIQUE,
    household_id BIGINT NOT NULL,
    scopes TEXT NOT NULL,
    signatures TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX authz_letter_household ON authz_letter (household_id);

CREATE TABLE commission (
    id {{id}},
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    programme TEXT NOT NULL,
    household_id BIGINT NOT NULL,
    department TEXT NOT NULL,
    note_enc {{blob}},
    created_at TEXT NOT NULL
);

CREATE TABLE job (
    id {{id}},
    commission_id BIGINT NOT NULL,
    household_id BIGINT NOT NULL,
    authorization_id BIGINT,
    state TEXT NOT NULL,
    as_of TEXT NOT NULL,
    outcome TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX job_state ON job (state);
CREATE INDEX job_household ON job (household_id);

CREATE TABLE report (
    id {{id}},
    job_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    body_enc {{blob}} NOT NULL,
    body_sm3 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (job_id, version)
);

CREATE TABLE audit (
    id {{id}},
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    request_id TEXT NOT NULL
);
CREATE INDEX audit_object ON audit (object);

CREATE TABLE app_user (
    id {{id}},
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    region TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE app_session (
    token_sm3 TEXT NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
