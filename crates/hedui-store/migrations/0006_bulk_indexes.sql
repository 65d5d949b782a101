-- Indexes for bulk runs.
--
-- A job's institution answers are read by job when its report is built. Mirror rows carry no job,
-- so the partial index costs imports nothing.
CREATE INDEX record_job ON record (job_id) WHERE job_id IS NOT NULL;

-- Queued queries are read oldest first, many times during a collection. Keyed by id, the partial
-- index serves that order directly; keyed by source, the planner preferred scanning every query
-- ever made in id order.
DROP INDEX exchange_query_queued;
CREATE INDEX exchange_query_queued ON exchange_query (id) WHERE state = 'queued';
