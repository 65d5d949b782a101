-- A snapshot is full (the source's whole data as of its date) or incremental (only what changed
-- since the last full snapshot).
ALTER TABLE import_batch ADD COLUMN mode TEXT NOT NULL DEFAULT 'full';
