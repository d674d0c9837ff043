-- Keyed audit chain: each new record stores the name of the audit key that
-- MACed it and its HMAC-SHA256 (see core/src/audit/chain.rs). Both are NULL for
-- the legacy records written before a key was configured, which stay
-- verifiable by their SHA-256 `hash`.
--
-- No new table: the chain's head is checkpointed to a file outside the
-- database. The append-only triggers of audit_log (20261125000002) stay in
-- place and cover the new columns: ALTER TABLE ... ADD COLUMN fires no row
-- trigger, and every later UPDATE or DELETE is still refused.
ALTER TABLE audit_log ADD COLUMN key_id TEXT
    CHECK (key_id IS NULL OR length(key_id) BETWEEN 1 AND 32);
ALTER TABLE audit_log ADD COLUMN mac TEXT
    CHECK ((mac IS NULL AND key_id IS NULL) OR (length(mac) = 64 AND key_id IS NOT NULL));

-- Like hash: no two records may carry the same MAC (NULLs are distinct).
CREATE UNIQUE INDEX audit_log_mac_unique ON audit_log (mac);
