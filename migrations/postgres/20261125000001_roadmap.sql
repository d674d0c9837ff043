-- Roadmap: the team's status document, structured. See core/src/roadmap/model.rs.
CREATE TABLE roadmap_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE roadmap_modules (
    slug          TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    section       TEXT NOT NULL CHECK (section IN ('implemented', 'ready', 'future')),
    grp           TEXT,
    position      BIGINT NOT NULL,
    path          TEXT,
    path_note     TEXT,
    purpose       TEXT,
    features      TEXT NOT NULL DEFAULT '[]',
    priority      TEXT NOT NULL DEFAULT '{}',
    status_note   TEXT,
    current_note  TEXT,
    config_lang   TEXT,
    config_body   TEXT,
    phase         TEXT CHECK (phase IN ('immediate', 'short', 'medium', 'long')),
    owner         TEXT,
    target_date   TEXT,
    notes         TEXT,
    dependencies  TEXT NOT NULL DEFAULT '[]',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE roadmap_module_statuses (
    module_slug  TEXT NOT NULL REFERENCES roadmap_modules (slug) ON DELETE CASCADE,
    environment  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('planned', 'ready', 'in_progress', 'deployed', 'retired')),
    PRIMARY KEY (module_slug, environment)
);

CREATE TABLE roadmap_next_steps (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phase        TEXT NOT NULL CHECK (phase IN ('immediate', 'short', 'medium', 'long')),
    position     BIGINT NOT NULL,
    text         TEXT NOT NULL,
    completed    BIGINT NOT NULL,
    module_slug  TEXT REFERENCES roadmap_modules (slug) ON DELETE SET NULL
);

CREATE TABLE roadmap_cost_sections (
    environment       TEXT PRIMARY KEY NOT NULL,
    position          BIGINT NOT NULL,
    title             TEXT NOT NULL,
    projected         BIGINT NOT NULL,
    total_low_cents   BIGINT,
    total_high_cents  BIGINT
);

CREATE TABLE roadmap_cost_items (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment  TEXT NOT NULL REFERENCES roadmap_cost_sections (environment) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    component    TEXT NOT NULL,
    qualifier    TEXT,
    low_cents    BIGINT NOT NULL,
    high_cents   BIGINT NOT NULL,
    module_slug  TEXT REFERENCES roadmap_modules (slug) ON DELETE SET NULL
);

CREATE TABLE roadmap_history (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module_slug  TEXT NOT NULL REFERENCES roadmap_modules (slug) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    source       TEXT NOT NULL,
    field        TEXT NOT NULL,
    from_value   TEXT,
    to_value     TEXT
);
CREATE INDEX roadmap_history_module ON roadmap_history (module_slug, id);
