-- Access (GB/T 22239-2019 level 3): each user belongs to an organization as well as a region, and
-- staff record their close relatives (近亲属备案) so that they are kept off those relatives' cases.
-- A relative is held as the blind index of their ID number (to match members) and the number sealed.
ALTER TABLE app_user ADD COLUMN organization TEXT NOT NULL DEFAULT '';
-- Accounts the demo makes (published passwords), marked on every page they see.
ALTER TABLE app_user ADD COLUMN demo BIGINT NOT NULL DEFAULT 0;

CREATE TABLE staff_relative (
    id {{id}},
    login TEXT NOT NULL,
    id_bidx {{blob}} NOT NULL,
    id_enc {{blob}} NOT NULL,
    relation TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (login, id_bidx)
);

-- Account management by the 安全管理员: a disabled account cannot log in; a reset password must be
-- changed at the next login; passwords expire (the time of the last change) and may not repeat
-- the last few (their verifiers are kept).
ALTER TABLE app_user ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN must_change BIGINT NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN password_changed_at TEXT;

CREATE TABLE password_history (
    id {{id}},
    user_id BIGINT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id);

-- Second factors: a TOTP secret (sealed, bound to its user) or an SM2 public key (a UKey's), one
-- of each kind per user. A login whose password is right but whose second factor is still to come
-- holds a pending session (with the SM2 challenge it must sign), which opens nothing.
CREATE TABLE second_factor (
    id {{id}},
    user_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    secret_enc {{blob}},
    public_key TEXT,
    created_at TEXT NOT NULL,
    -- The last TOTP time step accepted: a code is good once.
    last_step BIGINT,
    UNIQUE (user_id, kind)
);
ALTER TABLE app_session ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE app_session ADD COLUMN challenge TEXT;
