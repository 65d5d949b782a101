-- Key epochs (issue 13). Every sealed value carries the epoch of the master key that sealed it
-- (its key id); a blind index is always written with a sealed value of the same row and epoch,
-- which says its epoch. A rotation re-seals every row under the new epoch, chunk by chunk, each
-- chunk in one transaction with its cursor (`meta` key `rekey.<table>`), so a killed run resumes.
-- When it is done the old master key is retired: only its index key is kept, sealed under the
-- current key, to check the audit MACs and password verifiers made under it.
CREATE TABLE key_epoch (
    id {{id}},
    epoch BIGINT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    retained_enc {{blob}}
);

-- An audit row's sealed text is re-sealed by a rotation like every other sealed value: its MAC
-- covers the text, not the ciphertext. Only a rotation's own transaction (which sets `rekeying`,
-- under the purge role on PostgreSQL) may change those two columns, and nothing else of a row.
ALTER TABLE audit_head ADD COLUMN rekeying BIGINT NOT NULL DEFAULT 0;
{{sqlite}}
DROP TRIGGER audit_no_update;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
WHEN (SELECT rekeying FROM audit_head WHERE chain = OLD.chain) = 0
    OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.actor IS NOT OLD.actor
    OR NEW.action IS NOT OLD.action OR NEW.object IS NOT OLD.object OR NEW.outcome IS NOT OLD.outcome
    OR NEW.detail IS NOT OLD.detail OR NEW.request_id IS NOT OLD.request_id OR NEW.client IS NOT OLD.client
    OR NEW.basis IS NOT OLD.basis OR NEW.search IS NOT OLD.search OR NEW.search_bidx IS NOT OLD.search_bidx
    OR NEW.chain IS NOT OLD.chain OR NEW.seq IS NOT OLD.seq OR NEW.key_epoch IS NOT OLD.key_epoch
    OR NEW.mac IS NOT OLD.mac OR NEW.link IS NOT OLD.link
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;
{{/sqlite}}
{{postgres}}
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND (SELECT purging FROM audit_head WHERE chain = OLD.chain) = 1 THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND (SELECT rekeying FROM audit_head WHERE chain = OLD.chain) = 1
        AND NEW.id IS NOT DISTINCT FROM OLD.id AND NEW.at IS NOT DISTINCT FROM OLD.at
        AND NEW.actor IS NOT DISTINCT FROM OLD.actor AND NEW.action IS NOT DISTINCT FROM OLD.action
        AND NEW.object IS NOT DISTINCT FROM OLD.object AND NEW.outcome IS NOT DISTINCT FROM OLD.outcome
        AND NEW.detail IS NOT DISTINCT FROM OLD.detail AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id
        AND NEW.client IS NOT DISTINCT FROM OLD.client AND NEW.basis IS NOT DISTINCT FROM OLD.basis
        AND NEW.search IS NOT DISTINCT FROM OLD.search AND NEW.search_bidx IS NOT DISTINCT FROM OLD.search_bidx
        AND NEW.chain IS NOT DISTINCT FROM OLD.chain AND NEW.seq IS NOT DISTINCT FROM OLD.seq
        AND NEW.key_epoch IS NOT DISTINCT FROM OLD.key_epoch AND NEW.mac IS NOT DISTINCT FROM OLD.mac
        AND NEW.link IS NOT DISTINCT FROM OLD.link THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only (%)', TG_OP;
END
$$;
{{/postgres}}
