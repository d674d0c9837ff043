//! `/auth/*`: the sign-in page, the OpenID Connect redirect and callback, the
//! development sign-in, and sign-out. Every outcome that changes who is signed
//! in is written to the audit log.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use axum_extra::extract::CookieJar;
use gantry_core::audit::{self, NewAuditEntry};
use gantry_core::auth::{flow, session, NewSession, Principal, SessionToken};
use gantry_core::Services;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::limit::ClientKey;
use super::pages::{self, SignInPage};
use super::{safe_return_to, AuthState};
use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/sign-in", get(sign_in_page))
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/dev", post(dev_sign_in))
        .route("/auth/logout", post(logout))
}

/// The request id set by the request-id layer, for the audit log.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn internal(headers: &HeaderMap, e: impl std::fmt::Debug) -> Response {
    let id = request_id(headers).unwrap_or_default();
    tracing::error!(error = ?e, request_id = %id, "sign-in failed");
    pages::refused(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &format!(
            "Gantry could not complete the sign-in. Try again; if it keeps failing, tell the platform team (request id {id})."
        ),
    )
}

#[derive(Deserialize)]
struct ReturnTo {
    return_to: Option<String>,
}

async fn sign_in_page(
    State(auth): State<AuthState>,
    user: Option<Extension<Principal>>,
    Query(query): Query<ReturnTo>,
) -> Response {
    let return_to = safe_return_to(&auth.public_url, query.return_to.as_deref());
    if user.is_some() {
        return Redirect::to(&return_to).into_response();
    }
    pages::sign_in(&SignInPage {
        return_to: &return_to,
        sso: auth.oidc.is_some(),
        dev_users: &auth.dev_users,
        notice: None,
    })
}

async fn login(
    State(auth): State<AuthState>,
    State(services): State<Services>,
    client: ClientKey,
    headers: HeaderMap,
    jar: CookieJar,
    Query(query): Query<ReturnTo>,
) -> Response {
    if let Err(too_many) = auth.limits.start(client) {
        return too_many.into_response();
    }
    let Some(provider) = auth.oidc.as_ref() else {
        return pages::refused(
            StatusCode::NOT_FOUND,
            "SSO is not configured",
            "This Gantry has no OpenID Connect provider configured.",
        );
    };
    let request = provider.authorization_request();
    let pending = flow::PendingFlow {
        state: request.state,
        nonce: request.nonce,
        pkce_verifier: request.pkce_verifier,
        return_to: safe_return_to(&auth.public_url, query.return_to.as_deref()),
    };
    let flow_id = match flow::start(&services.db, &pending).await {
        Ok(id) => id,
        Err(e) => return internal(&headers, e),
    };
    let cookie = auth.cookie(
        auth.flow_cookie,
        flow_id.expose_secret().to_owned(),
        "/auth",
        flow::FLOW_LIFETIME_MINUTES * 60,
    );
    (jar.add(cookie), Redirect::to(request.url.as_str())).into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(auth): State<AuthState>,
    State(services): State<Services>,
    client: ClientKey,
    headers: HeaderMap,
    jar: CookieJar,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let jar_without_flow = jar.clone().remove(auth.removal(auth.flow_cookie, "/auth"));
    let refuse = |status, heading: &str, reason: &str| {
        (
            jar_without_flow.clone(),
            pages::refused(status, heading, reason),
        )
            .into_response()
    };
    if let Some(error) = &query.error {
        // Anyone can link to this URL: the provider's words are shown only when
        // the response belongs to the sign-in this browser started.
        let pending = match jar.get(auth.flow_cookie) {
            Some(cookie) => flow::take(&services.db, cookie.value())
                .await
                .ok()
                .flatten(),
            None => None,
        };
        let ours = pending.is_some_and(|p| query.state.as_deref() == Some(p.state.as_str()));
        let is_code =
            |e: &str| e.len() <= 64 && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let reason = if ours {
            let detail = query.error_description.as_deref().unwrap_or_default();
            format!("The identity provider refused the sign-in: {error}. {detail}")
        } else if is_code(error) {
            format!("The identity provider refused the sign-in ({error}).")
        } else {
            "The identity provider refused the sign-in.".to_owned()
        };
        return refuse(StatusCode::UNAUTHORIZED, "Sign-in failed", &reason);
    }
    let Some(provider) = auth.oidc.as_ref() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "SSO is not configured",
            "No provider.",
        );
    };
    let Some(flow_cookie) = jar.get(auth.flow_cookie) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in was not started in this browser, or it expired. Start again.",
        );
    };
    let pending = match flow::take(&services.db, flow_cookie.value()).await {
        Ok(Some(pending)) => pending,
        Ok(None) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Sign-in expired or already used",
                "This sign-in link was already used or has expired. Start again.",
            )
        }
        Err(e) => return internal(&headers, e),
    };
    if query.state.as_deref() != Some(pending.state.as_str()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "The state parameter is missing or does not match this sign-in.",
        );
    }
    let Some(code) = query.code.as_deref() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "The identity provider sent no authorization code.",
        );
    };
    let verified = match provider
        .complete(code, &pending.pkce_verifier, &pending.nonce)
        .await
    {
        Ok(user) => user,
        Err(e) => {
            // The detail (the provider's answer, URLs) is for the log only.
            let id = request_id(&headers).unwrap_or_default();
            tracing::warn!(error = %e, request_id = %id, "OpenID Connect sign-in refused");
            let reason = format!(
                "Sign-in failed: {}. Start again; if it keeps failing, tell the platform team (request id {id}).",
                e.summary()
            );
            return refuse(StatusCode::UNAUTHORIZED, "Sign-in refused", &reason);
        }
    };
    let id_token = verified.id_token.expose_secret().to_owned();
    let refresh_token = verified
        .refresh_token
        .as_ref()
        .map(|t| t.expose_secret().to_owned());
    let Some(principal) = auth.principal(
        verified.subject.clone(),
        verified.name.clone(),
        verified.email.clone(),
        verified.groups.clone(),
    ) else {
        return refuse_no_role(
            &auth,
            client,
            &services,
            &headers,
            &verified.subject,
            &verified.name,
            &verified.groups,
        )
        .await
        .map(|r| (jar_without_flow.clone(), r).into_response())
        .unwrap_or_else(|e| internal(&headers, e));
    };
    let new = NewSession {
        principal: &principal,
        provider: "oidc",
        id_token: Some(&id_token),
        refresh_token: refresh_token.as_deref(),
    };
    match start_session(&auth, &services, &headers, &jar, new).await {
        Ok(cookie) => (
            jar_without_flow.add(cookie),
            // Checked again: the stored value is only as safe as the code that stored it.
            Redirect::to(&safe_return_to(&auth.public_url, Some(&pending.return_to))),
        )
            .into_response(),
        Err(e) => internal(&headers, e),
    }
}

#[derive(Deserialize)]
struct DevSignIn {
    subject: String,
    return_to: Option<String>,
}

async fn dev_sign_in(
    State(auth): State<AuthState>,
    State(services): State<Services>,
    client: ClientKey,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<DevSignIn>,
) -> Response {
    if let Err(too_many) = auth.limits.start(client) {
        return too_many.into_response();
    }
    let Some(user) = auth.dev_users.iter().find(|u| u.subject == form.subject) else {
        return pages::refused(
            StatusCode::NOT_FOUND,
            "No such user",
            "The development sign-in is off, or this user is not configured.",
        );
    };
    let Some(principal) = auth.principal(
        user.subject.clone(),
        user.name.clone(),
        user.email.clone(),
        user.groups.clone(),
    ) else {
        return refuse_no_role(
            &auth,
            client,
            &services,
            &headers,
            &user.subject,
            &user.name,
            &user.groups,
        )
        .await
        .unwrap_or_else(|e| internal(&headers, e));
    };
    let new = NewSession {
        principal: &principal,
        provider: "dev",
        id_token: None,
        refresh_token: None,
    };
    match start_session(&auth, &services, &headers, &jar, new).await {
        Ok(cookie) => (
            jar.add(cookie),
            Redirect::to(&safe_return_to(&auth.public_url, form.return_to.as_deref())),
        )
            .into_response(),
        Err(e) => internal(&headers, e),
    }
}

async fn logout(
    State(auth): State<AuthState>,
    State(services): State<Services>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    let mut provider_logout = None;
    if let Some(cookie) = jar.get(auth.session_cookie) {
        let token = SessionToken::from_cookie(cookie.value());
        if let Ok(Some(live)) = session::lookup(&services.db, &auth.sessions, &token).await {
            if live.provider == "oidc" {
                provider_logout = auth
                    .oidc
                    .as_ref()
                    .and_then(|p| p.logout_url(live.id_token.as_ref()));
            }
            let mut entry = NewAuditEntry::new(
                live.principal.actor(),
                "auth.sign_out",
                format!("user:{}", live.principal.subject),
            );
            entry.role = roles_text(&live.principal);
            entry.request_id = request_id(&headers);
            if let Err(e) = revoke_and_audit(&services, &token, &entry).await {
                return internal(&headers, e);
            }
        }
    }
    let jar = jar.remove(auth.removal(auth.session_cookie, "/"));
    match provider_logout {
        Some(url) => (jar, Redirect::to(url.as_str())).into_response(),
        None => (jar, Redirect::to("/auth/sign-in")).into_response(),
    }
}

async fn revoke_and_audit(
    services: &Services,
    token: &SessionToken,
    entry: &NewAuditEntry,
) -> gantry_core::CoreResult<()> {
    session::revoke(&services.db, token).await?;
    audit::store::append_standalone(&services.db, entry).await?;
    Ok(())
}

fn roles_text(principal: &Principal) -> Option<String> {
    Some(
        principal
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// Creates the session, audits the sign-in, returns the session cookie.
async fn start_session(
    auth: &AuthState,
    services: &Services,
    headers: &HeaderMap,
    jar: &CookieJar,
    new: NewSession<'_>,
) -> gantry_core::CoreResult<axum_extra::extract::cookie::Cookie<'static>> {
    let NewSession {
        principal,
        provider,
        ..
    } = new;
    let mut entry = NewAuditEntry::new(
        principal.actor(),
        "auth.sign_in",
        format!("user:{}", principal.subject),
    );
    entry.role = roles_text(principal);
    entry.request_id = request_id(headers);
    entry.after = Some(serde_json::json!({ "provider": provider, "groups": principal.groups }));
    // Signing in again ends the session this browser had: one live session
    // per cookie, and a planted cookie never outlives a sign-in.
    let previous = jar
        .get(auth.session_cookie)
        .map(|c| SessionToken::from_cookie(c.value()));
    let token = gantry_core::auth::sign_in::sign_in(
        &services.db,
        &auth.sessions,
        new,
        previous.as_ref(),
        &entry,
    )
    .await?;
    Ok(auth.cookie(
        auth.session_cookie,
        token.expose().to_owned(),
        "/",
        auth.sessions.absolute.num_seconds(),
    ))
}

/// A verified user whose groups grant no role: refused, and recorded.
async fn refuse_no_role(
    auth: &AuthState,
    client: ClientKey,
    services: &Services,
    headers: &HeaderMap,
    subject: &str,
    name: &str,
    groups: &[String],
) -> gantry_core::CoreResult<Response> {
    if let Err(too_many) = auth.limits.refusal(client) {
        return Ok(too_many.into_response());
    }
    let mut entry = NewAuditEntry::new(
        format!("{name} <{subject}>"),
        "auth.sign_in_refused",
        format!("user:{subject}"),
    );
    entry.request_id = request_id(headers);
    entry.after = Some(serde_json::json!({ "reason": "no mapped group", "groups": groups }));
    audit::store::append_standalone(&services.db, &entry).await?;
    Ok(pages::refused(
        StatusCode::FORBIDDEN,
        "No access to Gantry",
        &format!(
            "You are signed in at the identity provider as {name}, but none of your groups grants a Gantry role. Ask a Gantry admin to add you to one."
        ),
    ))
}
