-- The node's SM2 signing keys (reports' seals and files, audit checkpoints): generated at random,
-- never derived from the master key, so that the master key can be rotated without changing who
-- signed. The private half is sealed under the master key, bound to its public half. One key per
-- purpose is active (it signs); retired keys still verify what they signed; a revoked key
-- verifies nothing (what it had signed is signed again by the active key when it is revoked).
CREATE TABLE node_key (
    id {{id}},
    purpose TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    secret_enc {{blob}} NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    changed_at TEXT,
    reason TEXT NOT NULL DEFAULT ''
);
