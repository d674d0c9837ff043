-- Jobs: durable, planned, leased units of work against one environment. See
-- core/src/jobs/. BIGINT where SQLite says INTEGER (sqlx's Any driver reads
-- i64 on both backends); COLLATE "C": byte order, as in SQLite.
--
-- Lease timestamps (`lease_expires_ms`, `heartbeat_ms`, `step_started_ms`) are
-- BIGINT epoch milliseconds from the DATABASE's clock, so that replicas with
-- skewed clocks agree on who holds a lease. The display timestamps
-- (`created_at`, `started_at`, `finished_at`, `updated_at`) are RFC 3339 UTC
-- text from the application's clock (pinned in tests).
--
-- `lease_token` is the fencing token: every claim increments it, and every
-- write of a worker names the token it was given, so a worker whose lease was
-- taken over can never write again.
CREATE TABLE jobs (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment         TEXT COLLATE "C" NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('provision', 'deploy', 'scale', 'configure', 'rollback', 'teardown')),
    state               TEXT NOT NULL CHECK (state IN ('awaiting_approval', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'rolled_back', 'stale', 'stuck')),
    requested_by        TEXT COLLATE "C" NOT NULL,
    requested_role      TEXT,
    request_id          TEXT,
    params_json         TEXT NOT NULL DEFAULT '{}',
    plan_json           TEXT NOT NULL,
    plan_hash           TEXT NOT NULL CHECK (length(plan_hash) = 64),
    fingerprint         TEXT NOT NULL,
    step_count          BIGINT NOT NULL CHECK (step_count >= 0),
    current_step        BIGINT NOT NULL DEFAULT 0 CHECK (current_step >= 0 AND current_step <= step_count),
    lease_owner         TEXT,
    lease_token         BIGINT NOT NULL DEFAULT 0,
    lease_expires_ms    BIGINT,
    heartbeat_ms        BIGINT,
    cancel_requested    BIGINT NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    cancel_requested_by TEXT,
    reason              TEXT,
    created_at          TEXT NOT NULL,
    started_at          TEXT,
    finished_at         TEXT,
    updated_at          TEXT NOT NULL
);

-- The environment's lock: at most one running (or stuck: it may still be
-- applying something) job per environment, enforced by the database.
CREATE UNIQUE INDEX jobs_one_active_per_environment ON jobs (environment)
    WHERE state IN ('running', 'stuck');
-- The claim: queued jobs oldest first, FIFO per environment.
CREATE INDEX jobs_state_id ON jobs (state, id);
CREATE INDEX jobs_environment_state_id ON jobs (environment, state, id);
-- The list's filters, newest first.
CREATE INDEX jobs_environment_id ON jobs (environment, id);
CREATE INDEX jobs_requested_by_id ON jobs (requested_by, id);
CREATE INDEX jobs_kind_id ON jobs (kind, id);

-- The plan's steps, one row each; `position` 0, 1, 2, … in plan order.
CREATE TABLE job_steps (
    job_id          BIGINT NOT NULL REFERENCES jobs (id),
    position        BIGINT NOT NULL CHECK (position >= 0),
    name            TEXT NOT NULL,
    action          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    timeout_ms      BIGINT NOT NULL CHECK (timeout_ms > 0),
    step_started_ms BIGINT,
    output_json     TEXT,
    error           TEXT,
    started_at      TEXT,
    finished_at     TEXT,
    PRIMARY KEY (job_id, position)
);

-- Log lines, `seq` 1, 2, 3, … per job (assigned under the job's lease).
CREATE TABLE job_logs (
    job_id    BIGINT NOT NULL REFERENCES jobs (id),
    seq       BIGINT NOT NULL CHECK (seq >= 1),
    at        TEXT NOT NULL,
    level     TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    position  BIGINT,
    message   TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
