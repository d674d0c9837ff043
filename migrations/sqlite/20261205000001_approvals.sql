-- Production approvals. See core/src/approvals/.
--
-- `requested_subject` is the identity provider's subject of the person who
-- asked for the job (the requester never approves their own change; names
-- can repeat, subjects cannot). Jobs enqueued before this migration have
-- none and can be approved by anyone eligible.
ALTER TABLE jobs ADD COLUMN requested_subject TEXT;
-- Why the person asked (shown to approvers).
ALTER TABLE jobs ADD COLUMN request_reason TEXT;
-- An admin ran the job without approvals (break-glass): who and why, and
-- the other admin who reviewed it afterwards.
ALTER TABLE jobs ADD COLUMN break_glass_by TEXT;
ALTER TABLE jobs ADD COLUMN break_glass_subject TEXT;
ALTER TABLE jobs ADD COLUMN break_glass_reason TEXT;
ALTER TABLE jobs ADD COLUMN reviewed_by TEXT;
ALTER TABLE jobs ADD COLUMN reviewed_at TEXT;

-- "From N distinct groups": the approvals of a change must come from at
-- least N different approver groups (0: any mix).
ALTER TABLE environments ADD COLUMN approval_distinct_groups INTEGER NOT NULL DEFAULT 0
    CHECK (approval_distinct_groups BETWEEN 0 AND 5);

-- One row per decision. A decision counts for the plan it was made on
-- (`plan_hash`): a re-planned job needs new ones. One person decides once
-- per plan (the unique index), whatever session or token they use.
CREATE TABLE job_approvals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      INTEGER NOT NULL REFERENCES jobs (id),
    subject     TEXT NOT NULL,
    name        TEXT NOT NULL,
    groups_json TEXT NOT NULL DEFAULT '[]',
    decision    TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason      TEXT,
    plan_hash   TEXT NOT NULL CHECK (length(plan_hash) = 64),
    at          TEXT NOT NULL
);
CREATE UNIQUE INDEX job_approvals_once ON job_approvals (job_id, subject, plan_hash);
CREATE INDEX job_approvals_subject ON job_approvals (subject, id);
-- The break-glass review list.
CREATE INDEX jobs_break_glass_unreviewed ON jobs (id)
    WHERE break_glass_by IS NOT NULL AND reviewed_by IS NULL;
