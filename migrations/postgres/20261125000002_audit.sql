-- Audit log: an append-only record of every state-changing action, each record
-- chained to the previous one by SHA-256. See core/src/audit/.
--
-- `id` is a plain BIGINT primary key, not an identity column: the application
-- assigns MAX(id) + 1 while holding an advisory lock, because the id is part of
-- the hashed content and must be known before the hash is computed.
-- UNIQUE (prev_hash): two records can never follow the same record, so a
-- concurrent append fails instead of forking the chain.
-- COLLATE "C": byte order, as in SQLite, so that time ranges (RFC 3339 text) and
-- action prefixes compare the same on both backends and can use the indexes.
CREATE TABLE audit_log (
    id           BIGINT PRIMARY KEY NOT NULL CHECK (id >= 1),
    at           TEXT COLLATE "C" NOT NULL,
    actor        TEXT COLLATE "C" NOT NULL,
    role         TEXT,
    action       TEXT COLLATE "C" NOT NULL,
    target       TEXT COLLATE "C" NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    request_id   TEXT,
    prev_hash    TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash         TEXT NOT NULL CHECK (length(hash) = 64),
    CONSTRAINT audit_log_prev_hash_unique UNIQUE (prev_hash),
    CONSTRAINT audit_log_hash_unique UNIQUE (hash)
);

-- Newest-first keyset pagination (WHERE ... AND id < $n ORDER BY id DESC) for
-- each filter; the unfiltered listing uses the primary key.
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE INDEX audit_log_at ON audit_log (at, id);

-- Append-only in the database too. Tests drop the two row triggers to simulate
-- a hand edit by someone with raw database access (which `verify` must detect).
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
