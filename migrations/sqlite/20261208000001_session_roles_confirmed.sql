-- When the identity provider last confirmed a session's roles (sign-in, or a
-- role check that got an answer). A session whose roles could not be
-- confirmed for longer than auth.role_refresh_minutes plus
-- auth.role_refresh_grace_minutes keeps read access only. NULL (sessions from
-- before this column): counted from roles_checked_at.
ALTER TABLE auth_sessions ADD COLUMN roles_confirmed_at TEXT;
