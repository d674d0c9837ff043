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
    position      INTEGER NOT NULL,
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
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    phase        TEXT NOT NULL CHECK (phase IN ('immediate', 'short', 'medium', 'long')),
    position     INTEGER NOT NULL,
    text         TEXT NOT NULL,
    completed    INTEGER NOT NULL,
    module_slug  TEXT REFERENCES roadmap_modules (slug) ON DELETE SET NULL
);

CREATE TABLE roadmap_cost_sections (
    environment       TEXT PRIMARY KEY NOT NULL,
    position          INTEGER NOT NULL,
    title             TEXT NOT NULL,
    projected         INTEGER NOT NULL,
    total_low_cents   INTEGER,
    total_high_cents  INTEGER
);

CREATE TABLE roadmap_cost_items (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    environment  TEXT NOT NULL REFERENCES roadmap_cost_sections (environment) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    component    TEXT NOT NULL,
    qualifier    TEXT,
    low_cents    INTEGER NOT NULL,
    high_cents   INTEGER NOT NULL,
    module_slug  TEXT REFERENCES roadmap_modules (slug) ON DELETE SET NULL
);

CREATE TABLE roadmap_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    module_slug  TEXT NOT NULL REFERENCES roadmap_modules (slug) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    source       TEXT NOT NULL,
    field        TEXT NOT NULL,
    from_value   TEXT,
    to_value     TEXT
);
CREATE INDEX roadmap_history_module ON roadmap_history (module_slug, id);
