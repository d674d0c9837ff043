-- Health: one row per environment per poll, and the changes of status between
-- polls. See core/src/health/store.rs.
--
-- `body` is the whole EnvironmentSnapshot as JSON (what the pages show);
-- `status` and `reason` repeat its overall assessment for listings. Times are
-- RFC 3339 UTC with milliseconds, so text order is time order. No foreign key
-- to environments: the history outlives an environment's deletion (a page may
-- still want "what was preview-42 like before it went"), and the poller never
-- waits on an environment row lock.
CREATE TABLE health_snapshots (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    environment  TEXT NOT NULL,
    polled_at    TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('healthy', 'progressing', 'unknown', 'missing', 'degraded')),
    reason       TEXT NOT NULL,
    body         TEXT NOT NULL
);

CREATE INDEX health_snapshots_environment_polled_at ON health_snapshots (environment, polled_at);

-- System observations, not user actions: kept here, not in the audit log.
-- `subject` is `environment`, `service:<name>` or `database`; `from_status` is
-- NULL on an environment's first poll.
CREATE TABLE health_transitions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    environment  TEXT NOT NULL,
    subject      TEXT NOT NULL,
    from_status  TEXT CHECK (from_status IN ('healthy', 'progressing', 'unknown', 'missing', 'degraded')),
    to_status    TEXT NOT NULL CHECK (to_status IN ('healthy', 'progressing', 'unknown', 'missing', 'degraded')),
    reason       TEXT NOT NULL,
    at           TEXT NOT NULL
);

CREATE INDEX health_transitions_environment_at ON health_transitions (environment, at);
