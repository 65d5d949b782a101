-- Online exchange with departments and financial institutions.
--
-- A query is one person at one source for one job. Queued queries are batched into requests
-- (one message to a source, up to its batch size of persons); a request keeps its message id
-- across retries and restarts, so a source counts it once. Answers are stored in the same
-- transaction that marks the request and its queries answered, so an answer is never stored
-- twice nor lost.
CREATE TABLE exchange_request (
    id {{id}},
    source TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    transaction_id TEXT NOT NULL,
    query_date TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    deadline_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX exchange_request_state ON exchange_request (state, next_attempt_at);

CREATE TABLE exchange_query (
    id {{id}},
    job_id BIGINT NOT NULL REFERENCES job (id),
    source TEXT NOT NULL,
    member_seq BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    query_date TEXT NOT NULL,
    request_id BIGINT REFERENCES exchange_request (id),
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (job_id, source, member_seq)
);
CREATE INDEX exchange_query_job ON exchange_query (job_id);
CREATE INDEX exchange_query_request ON exchange_query (request_id);
-- Only queued queries are looked up by state; a partial index leaves every later state change
-- (sent, answered) out of it.
CREATE INDEX exchange_query_queued ON exchange_query (source) WHERE state = 'queued';
