//! Server-side sessions. The browser holds a random 256-bit id in an HttpOnly
//! cookie; the database holds only its SHA-256, so a leaked database cannot be
//! replayed as cookies. Sessions end on sign-out, after an idle period, and at
//! an absolute lifetime, whichever comes first.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::principal::Principal;
use super::{random_token, token_hash};
use crate::db::codec::{from_json, parse_optional_timestamp, parse_timestamp, timestamp, to_json};
use crate::db::Db;
use crate::error::CoreResult;

/// The secret session id as the cookie carries it. Never `Serialize`, never logged.
pub struct SessionToken(SecretString);

impl SessionToken {
    pub fn from_cookie(value: &str) -> Self {
        Self(SecretString::from(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(***)")
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    pub idle: Duration,
    pub absolute: Duration,
}

/// A live session: the user and, for RP-initiated logout, the ID token.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    /// "oidc" or "dev".
    pub provider: String,
    /// Kept server-side only, for the provider's logout `id_token_hint`.
    pub id_token: Option<SecretString>,
    /// Kept server-side only, to re-read the user's groups (OpenID Connect).
    pub refresh_token: Option<SecretString>,
    /// When the roles were last read from the provider; `None` = never (due).
    pub roles_checked_at: Option<DateTime<Utc>>,
    /// When the provider last confirmed them (sign-in, or a check that got
    /// an answer); `None` for sessions older than this record.
    pub roles_confirmed_at: Option<DateTime<Utc>>,
    pub absolute_expires_at: DateTime<Utc>,
}

/// What a sign-in stores: who, through which provider, and the provider's
/// tokens (server-side only).
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    pub principal: &'a Principal,
    /// "oidc" or "dev".
    pub provider: &'a str,
    pub id_token: Option<&'a str>,
    pub refresh_token: Option<&'a str>,
}

/// Starts a session and returns its token (to put in the cookie). A new id at
/// every sign-in: an id planted before sign-in is never promoted.
pub async fn create(
    db: &Db,
    settings: &SessionSettings,
    new: NewSession<'_>,
) -> CoreResult<SessionToken> {
    let mut conn = db.pool().acquire().await?;
    create_on(&mut conn, settings, new).await
}

/// [`create`] on `conn` (normally a transaction that also audits it).
pub async fn create_on(
    conn: &mut sqlx::AnyConnection,
    settings: &SessionSettings,
    new: NewSession<'_>,
) -> CoreResult<SessionToken> {
    let token = random_token()?;
    let now = Utc::now();
    let principal_json = to_json(new.principal)?;
    sqlx::query(
        "INSERT INTO auth_sessions (id_hash, subject, principal, provider, id_token, refresh_token, \
         created_at, last_seen_at, roles_checked_at, roles_confirmed_at, idle_expires_at, \
         absolute_expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, $7, $8, $9)",
    )
    .bind(token_hash(&token))
    .bind(&new.principal.subject)
    .bind(principal_json)
    .bind(new.provider)
    .bind(new.id_token)
    .bind(new.refresh_token)
    .bind(timestamp(now))
    .bind(timestamp(now + settings.idle))
    .bind(timestamp(now + settings.absolute))
    .execute(&mut *conn)
    .await?;
    Ok(SessionToken(SecretString::from(token)))
}

/// The live session for a cookie value, or `None` (unknown, expired, signed out).
/// Extends the idle expiry, writing at most once a minute per session.
pub async fn lookup(
    db: &Db,
    settings: &SessionSettings,
    token: &SessionToken,
) -> CoreResult<Option<Session>> {
    let hash = token_hash(token.expose());
    let Some(row) = sqlx::query_as::<_, SessionRow>(
        "SELECT principal, provider, id_token, refresh_token, roles_checked_at, \
         roles_confirmed_at, last_seen_at, idle_expires_at, absolute_expires_at \
         FROM auth_sessions WHERE id_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let idle_expires = parse_timestamp("auth_sessions.idle_expires_at", &row.idle_expires_at)?;
    let absolute_expires = parse_timestamp(
        "auth_sessions.absolute_expires_at",
        &row.absolute_expires_at,
    )?;
    if now >= idle_expires || now >= absolute_expires {
        sqlx::query("DELETE FROM auth_sessions WHERE id_hash = $1")
            .bind(&hash)
            .execute(db.pool())
            .await?;
        return Ok(None);
    }
    let last_seen = parse_timestamp("auth_sessions.last_seen_at", &row.last_seen_at)?;
    if now - last_seen > Duration::minutes(1) {
        sqlx::query(
            "UPDATE auth_sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE id_hash = $1",
        )
        .bind(&hash)
        .bind(timestamp(now))
        .bind(timestamp((now + settings.idle).min(absolute_expires)))
        .execute(db.pool())
        .await?;
    }
    Ok(Some(Session {
        principal: from_json("auth_sessions.principal", &row.principal)?,
        provider: row.provider,
        id_token: row.id_token.map(SecretString::from),
        refresh_token: row.refresh_token.map(SecretString::from),
        roles_checked_at: parse_optional_timestamp(
            "auth_sessions.roles_checked_at",
            row.roles_checked_at.as_deref(),
        )?,
        roles_confirmed_at: parse_optional_timestamp(
            "auth_sessions.roles_confirmed_at",
            row.roles_confirmed_at.as_deref(),
        )?,
        absolute_expires_at: absolute_expires,
    }))
}

/// An `auth_sessions` row as [`lookup`] reads it. The tokens stay plain text
/// only until they are wrapped in [`SecretString`].
#[derive(sqlx::FromRow)]
struct SessionRow {
    principal: String,
    provider: String,
    id_token: Option<String>,
    refresh_token: Option<String>,
    roles_checked_at: Option<String>,
    roles_confirmed_at: Option<String>,
    last_seen_at: String,
    idle_expires_at: String,
    absolute_expires_at: String,
}

/// Ends a session (sign-out). Unknown tokens are fine: nothing to end.
pub async fn revoke(db: &Db, token: &SessionToken) -> CoreResult<()> {
    sqlx::query("DELETE FROM auth_sessions WHERE id_hash = $1")
        .bind(token_hash(token.expose()))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The people with a session still valid, newest sign-in first, each once
/// (their roles as last read): whom the approval page can name. Session
/// times are the server's wall clock, like the rest of this module.
pub async fn signed_in(db: &Db) -> CoreResult<Vec<Principal>> {
    let now = Utc::now();
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT principal FROM auth_sessions \
         WHERE idle_expires_at > $1 AND absolute_expires_at > $1 \
         ORDER BY created_at DESC",
    )
    .bind(timestamp(now))
    .fetch_all(db.pool())
    .await?;
    let mut people: Vec<Principal> = Vec::new();
    for row in rows {
        let principal: Principal = from_json("auth_sessions.principal", &row)?;
        if !people.iter().any(|p| p.subject == principal.subject) {
            people.push(principal);
        }
    }
    Ok(people)
}

/// Deletes expired sessions and sign-in flows; returns how many sessions went.
pub async fn purge_expired(db: &Db) -> CoreResult<u64> {
    let now = Utc::now();
    let done = sqlx::query(
        "DELETE FROM auth_sessions WHERE idle_expires_at <= $1 OR absolute_expires_at <= $1",
    )
    .bind(timestamp(now))
    .execute(db.pool())
    .await?;
    super::flow::purge_expired(db, now).await?;
    Ok(done.rows_affected())
}

/// Test support: moves a session's expiry into the past.
#[cfg(any(test, feature = "testing"))]
pub async fn expire_for_tests(db: &Db, token: &SessionToken) -> CoreResult<()> {
    let past = timestamp(Utc::now() - Duration::seconds(1));
    sqlx::query("UPDATE auth_sessions SET idle_expires_at = $2 WHERE id_hash = $1")
        .bind(token_hash(token.expose()))
        .bind(past)
        .execute(db.pool())
        .await?;
    Ok(())
}
