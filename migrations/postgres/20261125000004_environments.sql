-- Environments: where Gantry deploys, and under which rules. See
-- core/src/environments/. Lists (services, approver groups, freeze windows) are
-- JSON text; booleans are 0/1 (BIGINT, as sqlx's Any driver reads them on both
-- backends).
--
-- `expires_at` (created_at + ttl_hours, RFC 3339 UTC with milliseconds, so text
-- order is time order) is derived by the application and indexed to find the
-- preview environments to tear down. COLLATE "C": byte order, as in SQLite.
CREATE TABLE environments (
    name                      TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    production                BIGINT NOT NULL CHECK (production IN (0, 1)),
    region                    TEXT NOT NULL,
    account_id                TEXT NOT NULL CHECK (length(account_id) = 12),
    role_arn                  TEXT,
    cluster                   TEXT NOT NULL,
    services                  TEXT NOT NULL DEFAULT '[]',
    ssm_prefix                TEXT NOT NULL,
    cost_tag_key              TEXT,
    cost_tag_value            TEXT,
    monthly_budget_cents      BIGINT CHECK (monthly_budget_cents >= 0),
    required_approvals        BIGINT NOT NULL CHECK (required_approvals BETWEEN 0 AND 5),
    approver_groups           TEXT NOT NULL DEFAULT '[]',
    approval_expiry_hours     BIGINT NOT NULL CHECK (approval_expiry_hours BETWEEN 1 AND 720),
    approval_reason_required  BIGINT NOT NULL CHECK (approval_reason_required IN (0, 1)),
    freeze_windows            TEXT NOT NULL DEFAULT '[]',
    ttl_hours                 BIGINT CHECK (ttl_hours BETWEEN 1 AND 720),
    expires_at                TEXT COLLATE "C",
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL,
    CHECK ((cost_tag_key IS NULL) = (cost_tag_value IS NULL)),
    CHECK ((ttl_hours IS NULL) = (expires_at IS NULL)),
    CHECK (production = 0 OR (required_approvals >= 1 AND ttl_hours IS NULL))
);

CREATE INDEX environments_expires_at ON environments (expires_at) WHERE expires_at IS NOT NULL;
