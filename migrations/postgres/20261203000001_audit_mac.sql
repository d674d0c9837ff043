-- Keyed audit chain: each new record stores the name of the audit key that
-- MACed it and its HMAC-SHA256 (see core/src/audit/chain.rs). Both are NULL for
-- the legacy records written before a key was configured, which stay
-- verifiable by their SHA-256 `hash`.
--
-- No new table: the chain's head is checkpointed to a file outside the
-- database. The append-only triggers of audit_log (20261125000002: UPDATE,
-- DELETE, TRUNCATE) stay in place and cover the new columns; ADD COLUMN fires
-- no row trigger.
ALTER TABLE audit_log
    ADD COLUMN key_id TEXT COLLATE "C"
        CHECK (key_id IS NULL OR length(key_id) BETWEEN 1 AND 32),
    ADD COLUMN mac TEXT
        CHECK (mac IS NULL OR length(mac) = 64),
    ADD CONSTRAINT audit_log_key_id_mac_together CHECK ((key_id IS NULL) = (mac IS NULL)),
    ADD CONSTRAINT audit_log_mac_unique UNIQUE (mac);
