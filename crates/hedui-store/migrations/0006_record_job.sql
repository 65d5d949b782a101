-- A job's institution answers are read by job when its report is built. Mirror rows carry no job,
-- so the partial index costs imports nothing.
CREATE INDEX record_job ON record (job_id) WHERE job_id IS NOT NULL;
