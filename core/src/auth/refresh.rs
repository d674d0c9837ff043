//! Roles follow the identity provider during a session: at most every
//! `auth.role_refresh_minutes` the user's groups are read again, the session's
//! roles are replaced (audited as `auth.roles_changed`), and a user who lost
//! every role, or whom the provider no longer knows, has the session ended
//! (audited as `auth.session_ended`).
//!
//! Reading the groups is the server's business (the OpenID Connect client
//! lives there); this module decides when, makes sure one request at a time
//! does it, and applies the answer in one transaction.

use chrono::{DateTime, Duration, Utc};

use super::session::{Session, SessionToken};
use super::{token_hash, Principal, RoleMapping};
use crate::audit::{AuditedTx, NewAuditEntry};
use crate::db::codec::{parse_optional_timestamp, timestamp};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};

/// How long to wait before asking again after the provider could not answer.
pub const RETRY_AFTER_FAILURE: Duration = Duration::minutes(1);

/// What the provider said about the user's groups.
#[derive(Debug, Clone)]
pub enum GroupsCheck {
    /// The user's current groups, and the refresh token to keep (the provider
    /// may rotate it).
    Groups {
        groups: Vec<String>,
        refresh_token: Option<String>,
    },
    /// The provider no longer vouches for the user (refresh token revoked or
    /// expired, user removed): the session ends.
    Revoked { reason: String },
}

/// The session after a role check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleRefresh {
    /// Still signed in, with these (possibly changed) roles.
    Active(Principal),
    /// Still signed in, but the provider has not confirmed the roles for
    /// longer than the grace allows: read access only ([`limited`]) until a
    /// check gets an answer. `reason` is shown to the person.
    Limited {
        principal: Principal,
        reason: String,
    },
    /// The session was ended; the request is anonymous.
    Ended { reason: String },
}

/// Whether `session`'s roles went unconfirmed for longer than a check
/// interval (`every`) plus `grace` at `now`: fail closed.
pub fn unconfirmed_too_long(
    session: &Session,
    every: Duration,
    grace: Duration,
    now: DateTime<Utc>,
) -> bool {
    session
        .roles_confirmed_at
        .or(session.roles_checked_at)
        .is_some_and(|confirmed| now - confirmed > every + grace)
}

/// `principal` with read access only: every role that grants more than
/// reading is set aside (a viewer remains), until the roles are confirmed.
pub fn limited(principal: &Principal) -> Principal {
    let roles = if principal.roles.is_empty() {
        std::collections::BTreeSet::new()
    } else {
        [super::Role::Viewer].into()
    };
    Principal {
        roles,
        ..principal.clone()
    }
}

/// What a person whose roles are limited is told.
pub fn limited_reason(session: &Session) -> String {
    let since = session
        .roles_confirmed_at
        .or(session.roles_checked_at)
        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "sign-in".to_owned());
    format!(
        "Your roles could not be confirmed with the identity provider since {since}: until they are, you can read but not run, approve or administer."
    )
}

/// Whether `session`'s roles are due to be read again at `now`.
pub fn due(session: &Session, every: Duration, now: DateTime<Utc>) -> bool {
    session
        .roles_checked_at
        .is_none_or(|checked| now - checked >= every)
}

/// Takes the role check of `token`'s session for this request: true for the
/// one request that moved `roles_checked_at` from what `session` saw to
/// `now`; every concurrent request gets false and keeps the current roles
/// (so a rotating refresh token is used once).
pub async fn claim(
    db: &Db,
    token: &SessionToken,
    session: &Session,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let seen = session.roles_checked_at.map(timestamp).unwrap_or_default();
    let done = sqlx::query(
        "UPDATE auth_sessions SET roles_checked_at = $3 \
         WHERE id_hash = $1 AND COALESCE(roles_checked_at, '') = $2",
    )
    .bind(token_hash(token.expose()))
    .bind(seen)
    .bind(timestamp(now))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// After the provider could not be asked: try again in
/// [`RETRY_AFTER_FAILURE`] rather than a whole interval later.
pub async fn retry_soon(
    db: &Db,
    token: &SessionToken,
    every: Duration,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let checked = now - every + RETRY_AFTER_FAILURE;
    sqlx::query("UPDATE auth_sessions SET roles_checked_at = $2 WHERE id_hash = $1")
        .bind(token_hash(token.expose()))
        .bind(timestamp(checked.min(now)))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Applies the provider's answer to `token`'s session: new roles (audited when
/// they changed), or the end of the session (audited). One transaction.
pub async fn apply(
    db: &Db,
    mapping: &RoleMapping,
    token: &SessionToken,
    session: &Session,
    check: GroupsCheck,
    request_id: Option<String>,
) -> CoreResult<RoleRefresh> {
    let old = &session.principal;
    let (groups, refresh_token) = match check {
        GroupsCheck::Revoked { reason } => {
            end(db, token, old, &reason, request_id).await?;
            return Ok(RoleRefresh::Ended { reason });
        }
        GroupsCheck::Groups {
            groups,
            refresh_token,
        } => (groups, refresh_token),
    };
    let roles = mapping.roles_for(groups.iter().map(String::as_str));
    if roles.is_empty() {
        let reason = "no group of the user maps to a Gantry role any more".to_owned();
        end(db, token, old, &reason, request_id).await?;
        return Ok(RoleRefresh::Ended { reason });
    }
    let principal = Principal {
        groups,
        roles,
        ..old.clone()
    };
    let json = serde_json::to_string(&principal).map_err(|e| CoreError::Corrupt(e.to_string()))?;
    let confirmed = RoleConfirmation {
        token,
        principal: &json,
        refresh_token,
        at: Utc::now(),
    };
    if principal.roles == old.roles {
        // Not an action: the same roles, confirmed again.
        confirmed.store(db.pool()).await?;
    } else {
        let mut entry = NewAuditEntry::new(
            old.actor(),
            "auth.roles_changed",
            format!("user:{}", old.subject),
        );
        entry.request_id = request_id;
        entry.before = Some(serde_json::json!({ "roles": old.roles, "groups": old.groups }));
        entry.after =
            Some(serde_json::json!({ "roles": principal.roles, "groups": principal.groups }));
        let mut tx = AuditedTx::begin(db).await?;
        confirmed.store(&mut *tx).await?;
        tx.commit_with(&entry).await?;
    }
    Ok(RoleRefresh::Active(principal))
}

/// Ends the session and records why, in one transaction.
async fn end(
    db: &Db,
    token: &SessionToken,
    principal: &Principal,
    reason: &str,
    request_id: Option<String>,
) -> CoreResult<()> {
    let mut entry = NewAuditEntry::new(
        principal.actor(),
        "auth.session_ended",
        format!("user:{}", principal.subject),
    );
    entry.request_id = request_id;
    entry.before =
        Some(serde_json::json!({ "roles": principal.roles, "groups": principal.groups }));
    entry.after = Some(serde_json::json!({ "reason": reason }));
    let mut tx = AuditedTx::begin(db).await?;
    sqlx::query("DELETE FROM auth_sessions WHERE id_hash = $1")
        .bind(token_hash(token.expose()))
        .execute(&mut *tx)
        .await?;
    tx.commit_with(&entry).await?;
    Ok(())
}

/// A session's roles confirmed with the provider: the principal as JSON, the
/// rotated refresh token (if the provider sent one), when.
struct RoleConfirmation<'a> {
    token: &'a SessionToken,
    principal: &'a str,
    refresh_token: Option<String>,
    at: DateTime<Utc>,
}

impl RoleConfirmation<'_> {
    async fn store<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
        self,
        conn: E,
    ) -> CoreResult<()> {
        sqlx::query(
            "UPDATE auth_sessions SET principal = $2, refresh_token = COALESCE($3, refresh_token), \
             roles_confirmed_at = $4 WHERE id_hash = $1",
        )
        .bind(token_hash(self.token.expose()))
        .bind(self.principal)
        .bind(self.refresh_token)
        .bind(timestamp(self.at))
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// When `token`'s session last had its roles read (tests and diagnostics).
pub async fn checked_at(db: &Db, token: &SessionToken) -> CoreResult<Option<DateTime<Utc>>> {
    let checked: Option<Option<String>> =
        sqlx::query_scalar("SELECT roles_checked_at FROM auth_sessions WHERE id_hash = $1")
            .bind(token_hash(token.expose()))
            .fetch_optional(db.pool())
            .await?;
    Ok(parse_optional_timestamp(
        "auth_sessions.roles_checked_at",
        checked.flatten().as_deref(),
    )?)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn session(checked: Option<DateTime<Utc>>) -> Session {
        Session {
            principal: Principal {
                subject: "s".into(),
                name: "n".into(),
                email: None,
                groups: vec![],
                roles: BTreeSet::new(),
            },
            provider: "oidc".into(),
            id_token: None,
            refresh_token: None,
            roles_checked_at: checked,
            roles_confirmed_at: checked,
            absolute_expires_at: Utc::now(),
        }
    }

    #[test]
    fn a_check_is_due_after_the_interval_and_when_never_made() {
        let now = Utc::now();
        let every = Duration::minutes(15);
        assert!(due(&session(None), every, now));
        assert!(!due(
            &session(Some(now - Duration::minutes(14))),
            every,
            now
        ));
        assert!(due(&session(Some(now - Duration::minutes(15))), every, now));
        assert!(due(&session(Some(now)), Duration::zero(), now));
    }

    #[test]
    fn roles_unconfirmed_past_the_grace_are_limited_to_reading() {
        let now = Utc::now();
        let (every, grace) = (Duration::minutes(15), Duration::minutes(15));
        let at = |minutes| session(Some(now - Duration::minutes(minutes)));
        assert!(!unconfirmed_too_long(&at(29), every, grace, now));
        assert!(!unconfirmed_too_long(&at(30), every, grace, now));
        assert!(unconfirmed_too_long(&at(31), every, grace, now));
        assert!(!unconfirmed_too_long(&session(None), every, grace, now));
        let mut admin = at(31).principal;
        admin.roles = [super::super::Role::Admin, super::super::Role::Operator].into();
        let read_only = limited(&admin);
        assert_eq!(read_only.roles, [super::super::Role::Viewer].into());
        for p in [
            super::super::Permission::RunJobs,
            super::super::Permission::Approve,
            super::super::Permission::Administer,
            super::super::Permission::EditRoadmap,
        ] {
            assert!(!read_only.can(p), "{p:?}");
        }
        assert!(read_only.can(super::super::Permission::Read));
        assert!(limited_reason(&at(31)).contains("could not be confirmed"));
    }
}
