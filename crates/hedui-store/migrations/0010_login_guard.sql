-- Lock-out and idle sessions (GB/T 22239-2019 level 3): consecutive failed logins and the time an
-- account is locked until; the last time a session was used, so an idle one ends.
ALTER TABLE app_user ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN locked_until TEXT;
ALTER TABLE app_session ADD COLUMN last_seen TEXT;
