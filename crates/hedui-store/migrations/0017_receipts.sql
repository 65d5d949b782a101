-- Delivery (issue 14): an issued report reaches the department that commissioned it, which sees
-- it in its own list and records its 回执: the day it received the report and the decision it
-- took (只核对、不认定: the decision is the department's, recorded here as a code and a date).
-- One receipt per report version.
CREATE TABLE report_receipt (
    id {{id}},
    report_id BIGINT NOT NULL UNIQUE,
    job_id BIGINT NOT NULL,
    received_by TEXT NOT NULL,
    organization TEXT NOT NULL,
    received_on TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_on TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX report_receipt_job ON report_receipt (job_id);
