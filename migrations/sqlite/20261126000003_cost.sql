-- Cost: what Cost Explorer answered at the last successful refresh (the whole
-- 13-month window, replaced in one transaction per refresh), its forecasts,
-- and a log of every refresh. See core/src/cost/store.rs.
--
-- Amounts are micro-dollars (Cost Explorer's decimal strings parsed without
-- floating point); `tag` is the cost-allocation tag's value, '' for spend
-- without the tag. Days are YYYY-MM-DD and months YYYY-MM, so text order is
-- time order. Times are RFC 3339 UTC with milliseconds.
CREATE TABLE cost_daily (
    day            TEXT NOT NULL,
    service        TEXT NOT NULL,
    tag            TEXT NOT NULL,
    amount_micros  INTEGER NOT NULL,
    PRIMARY KEY (day, service, tag)
);

CREATE TABLE cost_monthly (
    month          TEXT NOT NULL,
    service        TEXT NOT NULL,
    tag            TEXT NOT NULL,
    amount_micros  INTEGER NOT NULL,
    estimated      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, service, tag)
);

-- Cost Explorer's forecast for the rest of a month, per tag value (whole month:
-- month-to-date included). Absent when Cost Explorer did not answer.
CREATE TABLE cost_forecasts (
    month          TEXT NOT NULL,
    tag            TEXT NOT NULL,
    amount_micros  INTEGER NOT NULL,
    PRIMARY KEY (month, tag)
);

CREATE TABLE cost_refreshes (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    triggered_by       TEXT NOT NULL CHECK (triggered_by IN ('schedule', 'admin')),
    started_at         TEXT NOT NULL,
    finished_at        TEXT,
    status             TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    error              TEXT,
    upstream_requests  INTEGER NOT NULL DEFAULT 0,
    metric             TEXT NOT NULL,
    tag_key            TEXT NOT NULL,
    data_through       TEXT,
    days               INTEGER NOT NULL DEFAULT 0,
    rows_stored        INTEGER NOT NULL DEFAULT 0,
    forecast_source    TEXT
);

CREATE INDEX cost_refreshes_status_id ON cost_refreshes (status, id);
