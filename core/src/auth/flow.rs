//! Sign-ins in progress. Between the redirect to the identity provider and its
//! callback, the server keeps the `state`, `nonce` and PKCE verifier; the
//! browser keeps only a random flow id in a short-lived cookie, which binds the
//! callback to the browser that started it. A flow is consumed on first use, so
//! a replayed callback finds nothing.

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::{random_token, token_hash};
use crate::db::codec::timestamp;
use crate::db::Db;
use crate::error::CoreResult;

/// How long a user has to complete the sign-in at the provider.
pub const FLOW_LIFETIME_MINUTES: i64 = 10;

#[derive(Debug)]
pub struct PendingFlow {
    pub state: String,
    pub nonce: SecretString,
    pub pkce_verifier: SecretString,
    /// A local path to return to after sign-in ("/roadmap").
    pub return_to: String,
}

/// Stores a flow; returns the flow id for the browser's cookie.
pub async fn start(db: &Db, flow: &PendingFlow) -> CoreResult<SecretString> {
    let id = random_token()?;
    let expires = Utc::now() + Duration::minutes(FLOW_LIFETIME_MINUTES);
    sqlx::query(
        "INSERT INTO auth_flows (id_hash, state, nonce, pkce_verifier, return_to, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&id))
    .bind(&flow.state)
    .bind(flow.nonce.expose_secret())
    .bind(flow.pkce_verifier.expose_secret())
    .bind(&flow.return_to)
    .bind(timestamp(expires))
    .execute(db.pool())
    .await?;
    Ok(SecretString::from(id))
}

/// Takes (deletes and returns) the unexpired flow for a cookie's flow id.
pub async fn take(db: &Db, flow_id: &str) -> CoreResult<Option<PendingFlow>> {
    // One statement: consuming is atomic, so two racing callbacks cannot both
    // get the flow.
    let row: Option<(String, String, String, String, String)> = sqlx::query_as(
        "DELETE FROM auth_flows WHERE id_hash = $1 \
         RETURNING state, nonce, pkce_verifier, return_to, expires_at",
    )
    .bind(token_hash(flow_id))
    .fetch_optional(db.pool())
    .await?;
    let Some((state, nonce, pkce_verifier, return_to, expires)) = row else {
        return Ok(None);
    };
    if expires <= timestamp(Utc::now()) {
        return Ok(None);
    }
    Ok(Some(PendingFlow {
        state,
        nonce: SecretString::from(nonce),
        pkce_verifier: SecretString::from(pkce_verifier),
        return_to,
    }))
}

/// Deletes the flows that expired by `now` (sign-ins started and never
/// finished); returns how many went.
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> CoreResult<u64> {
    let done = sqlx::query("DELETE FROM auth_flows WHERE expires_at <= $1")
        .bind(timestamp(now))
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(n: u32) -> PendingFlow {
        PendingFlow {
            state: format!("state-{n}"),
            nonce: SecretString::from(format!("nonce-{n}")),
            pkce_verifier: SecretString::from(format!("verifier-{n}")),
            return_to: "/roadmap".to_owned(),
        }
    }

    async fn count(db: &Db) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM auth_flows")
            .fetch_one(db.pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn unfinished_flows_are_purged_once_expired() {
        let db = crate::db::testing::sqlite().await;
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(start(&db, &pending(n)).await.unwrap());
        }
        // Not yet expired: nothing goes.
        assert_eq!(purge_expired(&db, Utc::now()).await.unwrap(), 0);
        assert_eq!(count(&db).await, 3);
        let later = Utc::now() + Duration::minutes(FLOW_LIFETIME_MINUTES + 1);
        assert_eq!(purge_expired(&db, later).await.unwrap(), 3);
        assert_eq!(count(&db).await, 0);
        assert!(take(&db, ids[0].expose_secret()).await.unwrap().is_none());
    }
}
