-- Weekly change-freeze windows ("fri 15:00" to "mon 08:00", JSON), the IANA
-- time zone they are in, and what a freeze does to a production change
-- ('refuse': nothing is approved; 'wait': approved changes run when it ends).
ALTER TABLE environments ADD COLUMN weekly_freezes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE environments ADD COLUMN freeze_time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE environments ADD COLUMN freeze_mode TEXT NOT NULL DEFAULT 'refuse'
    CHECK (freeze_mode IN ('refuse', 'wait'));
