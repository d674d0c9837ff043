//! The sign-in use case: the browser's previous session (if any) ends, the
//! new session starts and the `auth.sign_in` audit record is appended, all in
//! one transaction, so there is never a session without its record.

use super::session::{self, NewSession, SessionSettings, SessionToken};
use super::token_hash;
use crate::audit::{AuditedTx, NewAuditEntry};
use crate::db::Db;
use crate::error::CoreResult;

/// Starts `new.principal`'s session, replacing `previous`, and audits it with
/// `entry`; returns the new session's token.
pub async fn sign_in(
    db: &Db,
    settings: &SessionSettings,
    new: NewSession<'_>,
    previous: Option<&SessionToken>,
    entry: &NewAuditEntry,
) -> CoreResult<SessionToken> {
    let mut tx = AuditedTx::begin(db).await?;
    if let Some(previous) = previous {
        sqlx::query("DELETE FROM auth_sessions WHERE id_hash = $1")
            .bind(token_hash(previous.expose()))
            .execute(&mut *tx)
            .await?;
    }
    let token = session::create_on(&mut tx, settings, new).await?;
    tx.commit_with(entry).await?;
    Ok(token)
}
