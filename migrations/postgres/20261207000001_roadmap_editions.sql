-- Each imported edition of the team's status document: its text as
-- imported, the date it carries (its "Last Updated", else its "Current
-- Date"), who imported it and what it changed. /roadmap/history lists them
-- and diffs two; an edition older than the newest dated one is refused
-- unless forced.
CREATE TABLE roadmap_editions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dated       TEXT,
    label       TEXT,
    source      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    forced      INTEGER NOT NULL DEFAULT 0,
    document    TEXT NOT NULL,
    warnings    TEXT NOT NULL,
    summary     TEXT NOT NULL
);
CREATE INDEX roadmap_editions_by_date ON roadmap_editions (dated, id);
