-- Server-side sessions: only a SHA-256 of the session id is stored.
CREATE TABLE auth_sessions (
    id_hash              TEXT PRIMARY KEY NOT NULL,
    subject              TEXT NOT NULL,
    principal            TEXT NOT NULL,
    provider             TEXT NOT NULL,
    id_token             TEXT,
    created_at           TEXT NOT NULL,
    last_seen_at         TEXT NOT NULL,
    idle_expires_at      TEXT NOT NULL,
    absolute_expires_at  TEXT NOT NULL
);
CREATE INDEX auth_sessions_expiry ON auth_sessions (absolute_expires_at);

-- Sign-ins in progress (OpenID Connect state, nonce, PKCE verifier), single use,
-- keyed by a hash of the id held in the browser's flow cookie.
CREATE TABLE auth_flows (
    id_hash        TEXT PRIMARY KEY NOT NULL,
    state          TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    return_to      TEXT NOT NULL,
    expires_at     TEXT NOT NULL
);
