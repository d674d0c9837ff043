-- Roles are re-read from the identity provider every auth.role_refresh_minutes:
-- when they were last read, and the OpenID Connect refresh token to read them
-- with (server-side only, like the ID token). NULL roles_checked_at = due now.
ALTER TABLE auth_sessions ADD COLUMN refresh_token TEXT;
ALTER TABLE auth_sessions ADD COLUMN roles_checked_at TEXT;
