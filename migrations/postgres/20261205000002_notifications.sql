-- The approval notifications' outbox. See core/src/approvals/outbox.rs.
-- A row is written in the same transaction as what it tells; a deliverer
-- posts it to the environment's webhook (whose URL lives in the server's
-- config, never here), retrying with backoff. `next_attempt_ms` is epoch
-- milliseconds; a deliverer claims a row by moving it forward.
CREATE TABLE notification_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id          BIGINT NOT NULL REFERENCES jobs (id),
    environment     TEXT NOT NULL,
    event           TEXT NOT NULL,
    text            TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_ms BIGINT NOT NULL,
    last_error      TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_ms)
    WHERE delivered_at IS NULL;
CREATE INDEX notification_outbox_job ON notification_outbox (job_id, id);
