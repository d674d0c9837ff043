//! Re-reads a session's groups every `auth.role_refresh_minutes`, so a user
//! removed from a group at the identity provider loses the role in Gantry
//! within that time, not at the end of a 12-hour session.
//!
//! OpenID Connect sessions ask the provider with their refresh token; a
//! session without one cannot be re-checked, so it ends when the check is due
//! (the browser signs in again, usually without a prompt). Development
//! sign-in sessions re-read the configured users. Only one request per session
//! asks ([`refresh::claim`]); the others go on with the roles they have.

use gantry_core::auth::refresh::{self, GroupsCheck, RoleRefresh};
use gantry_core::auth::{Session, SessionToken};
use gantry_core::Services;

use super::oidc::RefreshError;
use super::AuthState;

/// The session's principal after a role check when one is due: the same
/// principal, new roles, or [`RoleRefresh::Ended`].
pub async fn check_roles(
    auth: &AuthState,
    services: &Services,
    token: &SessionToken,
    session: Session,
    request_id: Option<String>,
) -> gantry_core::CoreResult<RoleRefresh> {
    let now = chrono::Utc::now();
    // The roles as they stand when no answer comes: kept within the grace,
    // read access only past it (fail closed).
    let unanswered = |session: Session| {
        if refresh::unconfirmed_too_long(&session, auth.role_refresh, auth.role_grace, now) {
            RoleRefresh::Limited {
                principal: refresh::limited(&session.principal),
                reason: refresh::limited_reason(&session),
            }
        } else {
            RoleRefresh::Active(session.principal)
        }
    };
    if !refresh::due(&session, auth.role_refresh, now)
        || !refresh::claim(&services.db, token, &session, now).await?
    {
        return Ok(unanswered(session));
    }
    let check = match ask(auth, &session).await {
        Ok(check) => check,
        Err(reason) => {
            let outcome = unanswered(session);
            tracing::warn!(
                error = %reason,
                limited = matches!(outcome, RoleRefresh::Limited { .. }),
                "could not re-read the user's groups; past the grace the session may only read"
            );
            refresh::retry_soon(&services.db, token, auth.role_refresh, now).await?;
            return Ok(outcome);
        }
    };
    let outcome = refresh::apply(
        &services.db,
        &auth.roles,
        token,
        &session,
        check,
        request_id,
    )
    .await?;
    match &outcome {
        RoleRefresh::Ended { reason } => tracing::info!(
            subject = %session.principal.subject,
            %reason,
            "session ended at the role check"
        ),
        RoleRefresh::Active(now) if now.roles != session.principal.roles => tracing::info!(
            subject = %now.subject,
            roles = ?now.roles,
            "roles changed at the identity provider"
        ),
        RoleRefresh::Active(_) | RoleRefresh::Limited { .. } => {}
    }
    Ok(outcome)
}

/// The user's groups as the provider (or the dev config) says now; `Err` when
/// it could not be asked.
async fn ask(auth: &AuthState, session: &Session) -> Result<GroupsCheck, String> {
    let subject = &session.principal.subject;
    match session.provider.as_str() {
        "dev" => Ok(
            match auth.dev_users.iter().find(|u| &u.subject == subject) {
                Some(user) => GroupsCheck::Groups {
                    groups: user.groups.clone(),
                    refresh_token: None,
                },
                None => GroupsCheck::Revoked {
                    reason: "no longer a configured development user".to_owned(),
                },
            },
        ),
        "oidc" => {
            let Some(provider) = auth.oidc.as_ref() else {
                return Ok(GroupsCheck::Revoked {
                    reason: "single sign-on is no longer configured".to_owned(),
                });
            };
            let Some(refresh_token) = session.refresh_token.as_ref() else {
                return Ok(GroupsCheck::Revoked {
                    reason: "the identity provider gave no refresh token to re-read the roles with"
                        .to_owned(),
                });
            };
            match provider.refresh_groups(refresh_token, subject).await {
                Ok(fresh) => Ok(GroupsCheck::Groups {
                    groups: fresh.groups,
                    refresh_token: fresh
                        .refresh_token
                        .map(|t| secrecy::ExposeSecret::expose_secret(&t).to_owned()),
                }),
                Err(RefreshError::Revoked(detail)) => {
                    tracing::info!(subject = %subject, %detail, "the identity provider refused the refresh token");
                    Ok(GroupsCheck::Revoked {
                        reason: "the identity provider refused to renew the sign-in".to_owned(),
                    })
                }
                Err(RefreshError::Unavailable(detail)) => Err(detail),
            }
        }
        other => Ok(GroupsCheck::Revoked {
            reason: format!("unknown sign-in provider {other:?}"),
        }),
    }
}
