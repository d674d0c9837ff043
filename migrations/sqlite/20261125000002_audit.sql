-- Audit log: an append-only record of every state-changing action, each record
-- chained to the previous one by SHA-256. See core/src/audit/.
--
-- `id` is a plain INTEGER primary key, not AUTOINCREMENT: the application
-- assigns MAX(id) + 1 while holding the write lock, because the id is part of
-- the hashed content and must be known before the hash is computed.
-- UNIQUE (prev_hash): two records can never follow the same record, so a
-- concurrent append fails instead of forking the chain.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY NOT NULL CHECK (id >= 1),
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    role         TEXT,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    request_id   TEXT,
    prev_hash    TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash         TEXT NOT NULL CHECK (length(hash) = 64),
    CONSTRAINT audit_log_prev_hash_unique UNIQUE (prev_hash),
    CONSTRAINT audit_log_hash_unique UNIQUE (hash)
);

-- Newest-first keyset pagination (WHERE ... AND id < ? ORDER BY id DESC) for
-- each filter; the unfiltered listing uses the primary key.
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE INDEX audit_log_at ON audit_log (at, id);

-- Append-only in the database too. Tests drop these to simulate a hand edit by
-- someone with raw database access (which `verify` must then detect).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
