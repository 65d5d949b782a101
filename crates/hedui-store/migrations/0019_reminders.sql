-- Waiting for sources (issue 14): a job started by a clerk waits for its sources up to their
-- deadlines. A source that has not answered by its deadline is late (超时未反馈); the clerk may
-- remind it (催办), which is recorded here and gives it a new deadline counted from the reminder.
CREATE TABLE source_reminder (
    id {{id}},
    job_id BIGINT NOT NULL REFERENCES job (id),
    source TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX source_reminder_job ON source_reminder (job_id);
