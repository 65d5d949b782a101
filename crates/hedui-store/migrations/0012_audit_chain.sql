-- The audit trail as chains (GB/T 39786-2021 level 3: the integrity of behaviour logs by
-- HMAC-SM3), one per retention class: `security` (logins, refusals, accounts, the trail's own
-- readings; kept at least 6 months) and `query` (every query, provision and change of case data;
-- at least 3 years), so that each is purged from its oldest end. Each row carries its chain, its
-- place in it (seq, dense from 1), the key epoch its MACs were made under, the MAC of its content
-- and the link (a MAC over the previous row's link and this row's MAC). Rows written before this
-- migration have no seq: they predate the chains.
-- The client address and the basis (the commission and letter relied on) are recorded too.
-- Rows are never updated: see the triggers at the end.
ALTER TABLE audit ADD COLUMN client TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN basis TEXT NOT NULL DEFAULT '';
-- A search's conditions (no personal data); a searched ID number or name as its blind index and a
-- sealed copy; free text a user wrote, sealed.
ALTER TABLE audit ADD COLUMN search TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN search_bidx {{blob}};
ALTER TABLE audit ADD COLUMN search_enc {{blob}};
ALTER TABLE audit ADD COLUMN note_enc {{blob}};
ALTER TABLE audit ADD COLUMN chain TEXT NOT NULL DEFAULT 'query';
ALTER TABLE audit ADD COLUMN seq BIGINT;
ALTER TABLE audit ADD COLUMN key_epoch BIGINT;
ALTER TABLE audit ADD COLUMN mac {{blob}};
ALTER TABLE audit ADD COLUMN link {{blob}};
CREATE UNIQUE INDEX audit_seq ON audit (chain, seq);

-- Each chain's head: the last seq given and the last link. Every append updates it first, which
-- serializes appends across processes (a row lock on PostgreSQL, the write lock on SQLite).
CREATE TABLE audit_head (
    chain TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    link {{blob}}
);
INSERT INTO audit_head (chain, seq, link) VALUES ('security', 0, NULL);
INSERT INTO audit_head (chain, seq, link) VALUES ('query', 0, NULL);

-- Signed checkpoints: the chain head (seq, link), the rows held and the first seq held, signed
-- with the node's SM2 key. They are exported off the database (a file, syslog); this copy is for
-- the viewer and for the next checkpoint, never what `verify` trusts.
CREATE TABLE audit_checkpoint (
    id {{id}},
    chain TEXT NOT NULL,
    seq BIGINT NOT NULL,
    link TEXT NOT NULL,
    rows_held BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    key_epoch BIGINT NOT NULL,
    signer TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX audit_checkpoint_chain ON audit_checkpoint (chain, id);

-- Audit rows are never updated, and deleted only by a retention run (which sets `purging` in its
-- own transaction, under the purge role on PostgreSQL). The application's database role on
-- PostgreSQL may only insert and read them in the first place (see `hedui db roles`); these
-- triggers also hold for the tables' owner. Someone who can drop them is caught by
-- `hedui audit verify`.
ALTER TABLE audit_head ADD COLUMN purging BIGINT NOT NULL DEFAULT 0;
{{sqlite}}
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
WHEN (SELECT purging FROM audit_head WHERE chain = OLD.chain) = 0
BEGIN
    SELECT RAISE(ABORT, 'audit rows are deleted only by a retention run');
END;
{{/sqlite}}
{{postgres}}
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND (SELECT purging FROM audit_head WHERE chain = OLD.chain) = 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only (%)', TG_OP;
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
{{/postgres}}
