//! The OpenID Connect sign-in end to end: our real router (on a seeded SQLite
//! database) against a real provider process, `oidc-provider-mock`, driven the
//! way a browser would: `/auth/login` → the provider's authorize endpoint →
//! `/auth/callback` → a session → the API, then sign-out. And every way the
//! callback must refuse, each with an error page and no session.
//!
//! Needs the provider: `scripts/test.sh` starts it and sets OIDC_TEST_ISSUER.
//! By hand: `.venv/bin/oidc-provider-mock -H 127.0.0.1 -p 9400 &` and
//! `OIDC_TEST_ISSUER=http://127.0.0.1:9400 cargo test -p server --test sso`.
//!
//! Users are created at the provider with `PUT /users/<sub>`, each with a sub
//! unique to this test run, so parallel tests (and runs) never share one.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gantry_core::audit::{store, AuditFilter, AuditRecord, PageRequest};
use gantry_core::roadmap::service;
use gantry_core::shared::Actor;
use gantry_core::Services;
use gantry_server::auth::AuthState;
use gantry_server::config::Config;
use gantry_server::http::{router, AppState};
use gantry_server::startup::leptos_options;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use url::Url;

const SEED: &str = include_str!("../../../fixtures/infrastructure-status.md");
const PUBLIC_URL: &str = "http://127.0.0.1:3000";
const REDIRECT_URI: &str = "http://127.0.0.1:3000/auth/callback";
const CLIENT_ID: &str = "gantry-sso-test";

// --- The harness ------------------------------------------------------------

/// The provider's issuer URL; a clear failure (never a silent skip) without it.
fn issuer() -> String {
    match std::env::var("OIDC_TEST_ISSUER") {
        Ok(issuer) if !issuer.trim().is_empty() => issuer.trim_end_matches('/').to_owned(),
        _ => panic!(
            "OIDC_TEST_ISSUER is not set: the SSO tests need the mock OpenID Connect provider. \
             Run scripts/test.sh (it starts one), or start `.venv/bin/oidc-provider-mock -H 127.0.0.1 -p 9400` \
             and run with OIDC_TEST_ISSUER=http://127.0.0.1:9400"
        ),
    }
}

/// A sub no other test (or earlier run against the same provider) uses.
fn unique_sub(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// The Set-Cookie header for `name`, if any.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// `name=value` of a cookie being set (not removed), for a Cookie header.
    fn cookie_pair(&self, name: &str) -> Option<String> {
        self.set_cookie(name)
            .filter(|c| !c.starts_with(&format!("{name}=;")))
            .map(|c| c.split(';').next().unwrap().to_owned())
    }
}

/// The router with `[auth.oidc]` pointing at the mock provider, on a fresh
/// seeded SQLite database; plus an HTTP client for the provider.
struct SsoApp {
    router: Router,
    services: Services,
    issuer: String,
    discovery: Value,
    http: reqwest::Client,
}

impl SsoApp {
    async fn new() -> Self {
        Self::with_auth("").await
    }

    /// The app with `auth_settings` (lines of the `[auth]` table) added.
    async fn with_auth(auth_settings: &str) -> Self {
        Self::with_issuer(&issuer(), auth_settings).await
    }

    /// [`Self::with_auth`] against the provider at `issuer`.
    async fn with_issuer(issuer: &str, auth_settings: &str) -> Self {
        let issuer = issuer.to_owned();
        let config = Config::from_toml(&format!(
            r#"
[server]
public_url = "{PUBLIC_URL}"

[auth]
{auth_settings}

[auth.oidc]
issuer_url = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret = "sso-test-secret"
"#
        ))
        .expect("test config");
        let db = gantry_core::db::testing::sqlite().await;
        let roadmap = config.roadmap_settings().expect("roadmap settings");
        let seeder = Actor {
            name: "seed".to_owned(),
            role: None,
            request_id: None,
            source: "import: seed".to_owned(),
            subject: None,
        };
        service::import_markdown(
            &db,
            &roadmap,
            SEED,
            &seeder,
            Default::default(),
            gantry_core::clock::testing::clock().now(),
        )
        .await
        .expect("seed");
        let services = Services {
            db,
            roadmap,
            health_poll_interval: config.health_poll_interval(),
            clock: gantry_core::clock::testing::clock(),
            fargate: config.cost.fargate,
            approver_groups: config.auth.roles.approver_groups(),
        };
        let auth = AuthState::from_config(&config).await.unwrap_or_else(|e| {
            panic!("discovery at {issuer} failed (is the provider running?): {e:#}")
        });
        let router = router(AppState {
            leptos_options: leptos_options(&config),
            services: services.clone(),
            auth,
            ops: gantry_server::startup::ops_state(&config, Default::default()),
            cost: None,
            poll: None,
            jobs: gantry_server::http::JobsState::without_workers(
                gantry_core::jobs::service::JobsHandle {
                    clients: gantry_core::aws::AwsClients::new(
                        config.aws_settings().unwrap(),
                        Default::default(),
                    ),
                    notifier: Default::default(),
                    template: None,
                    sealer: None,
                    planning: Default::default(),
                },
            ),
        });
        // A browser, minus the redirects: each hop is checked by hand.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap();
        let discovery: Value = http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            router,
            services,
            issuer,
            discovery,
            http,
        }
    }

    async fn send(&self, mut request: Request<Body>) -> Reply {
        // What a browser at PUBLIC_URL sends.
        request
            .headers_mut()
            .insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A browser navigation (GET, Accept: text/html).
    async fn get(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(uri).header(header::ACCEPT, "text/html");
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A same-origin form POST, as the app's server functions and forms send.
    async fn post(&self, uri: &str, form: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::ORIGIN, PUBLIC_URL)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        self.send(request.body(Body::from(form.to_owned())).unwrap())
            .await
    }

    /// Creates (or replaces) a user at the provider.
    async fn put_user(&self, sub: &str, claims: Value) {
        let response = self
            .http
            .put(format!("{}/users/{sub}", self.issuer))
            .json(&claims)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            reqwest::StatusCode::NO_CONTENT,
            "PUT /users/{sub}"
        );
    }

    /// Creates a user with a fresh sub, `name` and `groups`; returns the sub.
    async fn user(&self, prefix: &str, name: &str, groups: &[&str]) -> String {
        let sub = unique_sub(prefix);
        self.put_user(
            &sub,
            json!({ "name": name, "email": format!("{sub}@example.test"), "groups": groups }),
        )
        .await;
        sub
    }

    /// `GET /auth/login?return_to=…`: checks the redirect to the provider.
    async fn login(&self, return_to: &str) -> Login {
        let reply = self
            .get(
                &format!("/auth/login?return_to={}", urlencode(return_to)),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let authorize = Url::parse(&reply.location()).unwrap();
        let endpoint = self.discovery["authorization_endpoint"].as_str().unwrap();
        assert_eq!(
            &authorize.as_str()[..authorize.as_str().find('?').unwrap()],
            endpoint,
            "redirects to the provider's authorization endpoint"
        );
        let query = |name: &str| {
            authorize
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| panic!("no {name} in {authorize}"))
        };
        assert_eq!(query("response_type"), "code");
        assert_eq!(query("client_id"), CLIENT_ID);
        assert_eq!(query("redirect_uri"), REDIRECT_URI);
        let scopes = query("scope");
        for scope in ["openid", "email", "profile"] {
            assert!(scopes.split(' ').any(|s| s == scope), "{scopes}");
        }
        assert_eq!(query("code_challenge_method"), "S256");
        assert_eq!(query("code_challenge").len(), 43, "a SHA-256 challenge");
        let state = query("state");
        let nonce = query("nonce");
        assert!(
            state.len() >= 16 && nonce.len() >= 16,
            "random state, nonce"
        );

        let flow = reply.set_cookie("gantry_flow").expect("flow cookie");
        assert_cookie_attributes(&flow, "/auth");
        assert!(flow.contains("Max-Age=600"), "{flow}");
        Login {
            authorize,
            state,
            nonce,
            flow_cookie: reply.cookie_pair("gantry_flow").unwrap(),
        }
    }

    /// POSTs the provider's authorize form as `sub` would ("Authorize").
    async fn authorize(&self, login: &Login, form: &[(&str, &str)]) -> Url {
        let response = self
            .http
            .post(login.authorize.clone())
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            reqwest::StatusCode::FOUND,
            "authorize {form:?}: {}",
            response.text().await.unwrap_or_default()
        );
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        Url::parse(&location).unwrap()
    }

    /// Signs `sub` in at the provider; returns the `/auth/callback?…` path.
    async fn provider_sign_in(&self, login: &Login, sub: &str) -> String {
        let url = self.authorize(login, &[("sub", sub)]).await;
        assert!(query_param(&url, "code").is_some(), "{url}");
        assert_eq!(
            query_param(&url, "state").as_deref(),
            Some(login.state.as_str()),
            "the provider echoes our state"
        );
        path_and_query(&url)
    }

    async fn callback(&self, path: &str, flow_cookie: Option<&str>) -> Reply {
        self.get(path, flow_cookie).await
    }

    /// The whole sign-in; returns the session cookie (`gantry_session=…`).
    async fn sign_in(&self, sub: &str) -> String {
        let login = self.login("/roadmap/board").await;
        let path = self.provider_sign_in(&login, sub).await;
        let reply = self.callback(&path, Some(&login.flow_cookie)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        assert_eq!(reply.location(), "/roadmap/board");
        let session = reply.set_cookie("gantry_session").expect("session cookie");
        assert_cookie_attributes(&session, "/");
        let flow = reply
            .set_cookie("gantry_flow")
            .expect("flow cookie removed");
        assert!(flow.starts_with("gantry_flow=;"), "{flow}");
        assert!(flow.contains("Max-Age=0"), "{flow}");
        reply.cookie_pair("gantry_session").unwrap()
    }

    async fn me(&self, cookie: &str) -> Reply {
        self.post("/api/auth/me", "", Some(cookie)).await
    }

    async fn audit(&self, action: &str, target: &str) -> Vec<AuditRecord> {
        let filter = AuditFilter {
            action: Some(action.to_owned()),
            target: Some(target.to_owned()),
            ..AuditFilter::default()
        };
        store::query(&self.services.db, &filter, &PageRequest::first(50))
            .await
            .unwrap()
            .records
    }
}

/// A sign-in started at `/auth/login`.
struct Login {
    authorize: Url,
    state: String,
    nonce: String,
    flow_cookie: String,
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn path_and_query(url: &Url) -> String {
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

/// Replaces (or adds, or with `None` removes) one query parameter.
fn with_param(path: &str, name: &str, value: Option<&str>) -> String {
    let url = Url::parse(&format!("{PUBLIC_URL}{path}")).unwrap();
    let mut out = url.clone();
    {
        let mut pairs = out.query_pairs_mut();
        pairs.clear();
        for (k, v) in url.query_pairs().filter(|(k, _)| k != name) {
            pairs.append_pair(&k, &v);
        }
        if let Some(v) = value {
            pairs.append_pair(name, v);
        }
    }
    path_and_query(&out)
}

/// HttpOnly, SameSite=Lax, the path; no Secure over http.
fn assert_cookie_attributes(cookie: &str, path: &str) {
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "samesite=lax"), "{cookie}");
    assert!(
        attributes.iter().any(|a| *a == format!("path={path}")),
        "{cookie}"
    );
    assert!(
        !attributes.iter().any(|a| a == "secure"),
        "no Secure on http: {cookie}"
    );
}

/// A refusal: the status, an HTML error page saying `text`, no session
/// cookie, and the flow cookie deleted.
fn assert_refused(reply: &Reply, status: StatusCode, text: &str) {
    assert_refusal_page(reply, status, text);
    let flow = reply
        .set_cookie("gantry_flow")
        .expect("flow cookie removed");
    assert!(flow.starts_with("gantry_flow=;"), "{flow}");
    assert!(flow.contains("Max-Age=0"), "{flow}");
}

/// [`assert_refused`] for a request that carried no flow cookie (nothing to
/// delete in the browser).
fn assert_refusal_page(reply: &Reply, status: StatusCode, text: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let content_type = reply
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(reply.body.contains("<h1"), "an error page: {}", reply.body);
    assert!(reply.body.contains(text), "{text:?} in: {}", reply.body);
    assert!(
        reply.body.contains("href=\"/auth/sign-in\""),
        "a way back to sign-in"
    );
    assert_eq!(
        reply.set_cookie("gantry_session"),
        None,
        "no session cookie on a refusal"
    );
}

/// A refused callback's page names the request id and none of the
/// provider's answer: no error code from the token endpoint, no verifier
/// detail, no URL.
fn assert_no_provider_detail(app: &SsoApp, reply: &Reply) {
    let id = reply.headers["x-request-id"].to_str().unwrap();
    assert!(
        reply.body.contains(&format!("request id {id}")),
        "{}",
        reply.body
    );
    for detail in [
        "invalid_grant",
        "nonce",
        "Server returned",
        "error response",
        "http://",
        "https://",
        app.issuer.as_str(),
    ] {
        assert!(!reply.body.contains(detail), "{detail:?} in {}", reply.body);
    }
}

/// A 403 from the permission check (not from the origin check).
fn assert_forbidden(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert!(
        reply.body.contains("your roles do not allow this"),
        "{}",
        reply.body
    );
}

/// The JSON body of a successful reply.
fn json_of(reply: &Reply) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// The form of the module edit panel (app/src/roadmap/edit.rs) for waf.
fn waf_update(owner: &str) -> String {
    format!(
        "slug=waf&status%5Bdev%5D=deployed&status%5Bprod%5D=in_progress\
         &priority%5Bdefault%5D=high&phase=short&owner={}&target_date=2031-01-31&notes=",
        urlencode(owner)
    )
}

const AUDIT_PAGE: &str = "actor=&action=&target=&from=&to=";

/// Signs a user in with `groups`, checks who `/api/auth/me` says they are and
/// the `auth.sign_in` audit record; returns (app, sub, session cookie).
async fn signed_in(
    prefix: &str,
    name: &str,
    groups: &[&str],
    roles: &[&str],
) -> (SsoApp, String, String) {
    let app = SsoApp::new().await;
    let sub = app.user(prefix, name, groups).await;
    let cookie = app.sign_in(&sub).await;

    let me = json_of(&app.me(&cookie).await);
    assert_eq!(me["name"], name);
    assert_eq!(me["subject"], sub.as_str());
    assert_eq!(me["roles"], json!(roles));

    let records = app.audit("auth.sign_in", &format!("user:{sub}")).await;
    assert_eq!(records.len(), 1, "one auth.sign_in record: {records:?}");
    let record = &records[0];
    assert_eq!(record.actor, format!("{name} <{sub}>"));
    assert_eq!(record.role.as_deref(), Some(roles.join(",").as_str()));
    let after = record.after.as_ref().unwrap();
    assert_eq!(after["provider"], "oidc");
    assert_eq!(after["groups"], json!(groups));
    assert!(record.request_id.is_some(), "the request id is recorded");
    (app, sub, cookie)
}

// --- Sign-in per role -------------------------------------------------------

#[tokio::test]
async fn viewer_signs_in_and_may_only_read() {
    let (app, _, cookie) =
        signed_in("viewer", "Vic Viewer", &["gantry-viewers"], &["viewer"]).await;
    let me = json_of(&app.me(&cookie).await);
    assert_eq!(me["can_edit_roadmap"], false);
    assert_eq!(me["can_read_audit"], false);

    // The page the sign-in returned to renders for them.
    let page = app.get("/roadmap/board", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-phase=\"immediate\""));
    let module = json_of(
        &app.post("/api/roadmap/module", "slug=waf", Some(&cookie))
            .await,
    );
    assert_eq!(module["name"], "WAF Module");

    let reply = app
        .post(
            "/api/roadmap/module/update",
            &waf_update("vic"),
            Some(&cookie),
        )
        .await;
    assert_forbidden(&reply);
    let reply = app.post("/api/audit/page", AUDIT_PAGE, Some(&cookie)).await;
    assert_forbidden(&reply);
}

#[tokio::test]
async fn operator_signs_in_and_may_edit_the_roadmap() {
    let (app, sub, cookie) = signed_in(
        "operator",
        "Olga Operator",
        &["gantry-operators"],
        &["operator"],
    )
    .await;
    let reply = app
        .post(
            "/api/roadmap/module/update",
            &waf_update("olga"),
            Some(&cookie),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let module = json_of(
        &app.post("/api/roadmap/module", "slug=waf", Some(&cookie))
            .await,
    );
    assert_eq!(module["owner"], "olga", "{module}");
    // The edit is attributed to the SSO identity.
    let filter = AuditFilter {
        action: Some("roadmap.*".to_owned()),
        actor: Some(format!("Olga Operator <{sub}>")),
        ..AuditFilter::default()
    };
    let records = store::query(&app.services.db, &filter, &PageRequest::first(10))
        .await
        .unwrap()
        .records;
    assert!(
        !records.is_empty(),
        "the edit is audited under the SSO user"
    );
    assert_eq!(records[0].role.as_deref(), Some("operator"));

    let reply = app.post("/api/audit/page", AUDIT_PAGE, Some(&cookie)).await;
    assert_forbidden(&reply);
}

#[tokio::test]
async fn approver_signs_in_and_may_read_the_audit_but_not_edit() {
    let (app, sub, cookie) = signed_in(
        "approver",
        "Abe Approver",
        &["gantry-approvers"],
        &["approver"],
    )
    .await;
    let reply = app
        .post(
            "/api/roadmap/module/update",
            &waf_update("abe"),
            Some(&cookie),
        )
        .await;
    assert_forbidden(&reply);
    let page = json_of(&app.post("/api/audit/page", AUDIT_PAGE, Some(&cookie)).await);
    let rows = page["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["action"] == "auth.sign_in" && r["target"] == format!("user:{sub}")),
        "their own sign-in is in the audit log: {page}"
    );
}

#[tokio::test]
async fn admin_signs_in_with_every_permission() {
    // Groups beyond the mapped one are kept but grant nothing more.
    let (app, _, cookie) = signed_in(
        "admin",
        "Ada Admin",
        &["gantry-admins", "everyone"],
        &["admin"],
    )
    .await;
    let me = json_of(&app.me(&cookie).await);
    assert_eq!(me["can_edit_roadmap"], true);
    assert_eq!(me["can_read_audit"], true);
    let reply = app
        .post(
            "/api/roadmap/module/update",
            &waf_update("ada"),
            Some(&cookie),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app.post("/api/audit/page", AUDIT_PAGE, Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn a_hostile_return_to_becomes_the_roadmap() {
    let app = SsoApp::new().await;
    let sub = app.user("viewer", "Vic Viewer", &["gantry-viewers"]).await;
    for hostile in [
        "//evil.example",
        "https://evil.example/x",
        "/auth/logout",
        "/%09/evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "/\u{FF0F}evil.example",
        "/%C0%AF/evil.example",
        "/%2e%2e/auth/logout",
        "javascript:alert(1)",
    ] {
        let login = app.login(hostile).await;
        let path = app.provider_sign_in(&login, &sub).await;
        let reply = app.callback(&path, Some(&login.flow_cookie)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        assert_eq!(reply.location(), "/roadmap", "{hostile}");
    }
}

// --- Refusals -----------------------------------------------------------------

#[tokio::test]
async fn a_user_whose_groups_map_to_no_role_is_refused() {
    let app = SsoApp::new().await;
    let sub = app
        .user("nogroup", "Ned Nogroup", &["sales", "marketing"])
        .await;
    let login = app.login("/roadmap").await;
    let path = app.provider_sign_in(&login, &sub).await;
    let reply = app.callback(&path, Some(&login.flow_cookie)).await;
    assert_refused(&reply, StatusCode::FORBIDDEN, "No access to Gantry");
    assert!(reply.body.contains("Ned Nogroup"), "{}", reply.body);

    let records = app
        .audit("auth.sign_in_refused", &format!("user:{sub}"))
        .await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0].after.as_ref().unwrap()["groups"],
        json!(["sales", "marketing"])
    );
    assert!(app
        .audit("auth.sign_in", &format!("user:{sub}"))
        .await
        .is_empty());

    // No groups claim at all (ID token and userinfo alike): refused the same way.
    let bare = unique_sub("bare");
    app.put_user(&bare, json!({ "name": "Bea Bare" })).await;
    let login = app.login("/roadmap").await;
    let path = app.provider_sign_in(&login, &bare).await;
    let reply = app.callback(&path, Some(&login.flow_cookie)).await;
    assert_refused(&reply, StatusCode::FORBIDDEN, "No access to Gantry");
}

#[tokio::test]
async fn a_callback_without_the_flow_cookie_is_refused() {
    let app = SsoApp::new().await;
    let sub = app.user("viewer", "Vic Viewer", &["gantry-viewers"]).await;
    let login = app.login("/roadmap").await;
    let path = app.provider_sign_in(&login, &sub).await;
    let reply = app.callback(&path, None).await;
    assert_refusal_page(&reply, StatusCode::BAD_REQUEST, "Sign-in expired");
    // A flow cookie that was never issued: the same.
    let reply = app
        .callback(&path, Some("gantry_flow=not-a-flow-we-started"))
        .await;
    assert_refused(
        &reply,
        StatusCode::BAD_REQUEST,
        "already used or has expired",
    );
}

#[tokio::test]
async fn a_wrong_state_is_refused() {
    let app = SsoApp::new().await;
    let sub = app.user("viewer", "Vic Viewer", &["gantry-viewers"]).await;
    let login = app.login("/roadmap").await;
    let path = app.provider_sign_in(&login, &sub).await;
    let forged = with_param(&path, "state", Some("an-attackers-state"));
    let reply = app.callback(&forged, Some(&login.flow_cookie)).await;
    assert_refused(
        &reply,
        StatusCode::BAD_REQUEST,
        "The state parameter is missing or does not match this sign-in.",
    );
    // The flow was consumed by the attempt: the genuine callback now fails too.
    let reply = app.callback(&path, Some(&login.flow_cookie)).await;
    assert_refused(
        &reply,
        StatusCode::BAD_REQUEST,
        "already used or has expired",
    );
}

#[tokio::test]
async fn a_missing_state_is_refused() {
    let app = SsoApp::new().await;
    let sub = app.user("viewer", "Vic Viewer", &["gantry-viewers"]).await;
    let login = app.login("/roadmap").await;
    let path = app.provider_sign_in(&login, &sub).await;
    let stripped = with_param(&path, "state", None);
    assert!(!stripped.contains("state="), "{stripped}");
    let reply = app.callback(&stripped, Some(&login.flow_cookie)).await;
    assert_refused(
        &reply,
        StatusCode::BAD_REQUEST,
        "The state parameter is missing or does not match this sign-in.",
    );
}

#[tokio::test]
async fn a_replayed_callback_is_refused() {
    let app = SsoApp::new().await;
    let sub = app.user("viewer", "Vic Viewer", &["gantry-viewers"]).await;
    let login = app.login("/roadmap").await;
    let path = app.provider_sign_in(&login, &sub).await;
    let first = app.callback(&path, Some(&login.flow_cookie)).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    assert!(first.cookie_pair("gantry_session").is_some());

    // The same URL and the same flow cookie again (a back button, a leaked URL).
    let replay = app.callback(&path, Some(&login.flow_cookie)).await;
    assert_refused(
        &replay,
        StatusCode::BAD_REQUEST,
        "already used or has expired",
    );
    assert_eq!(
        app.audit("auth.sign_in", &format!("user:{sub}"))
            .await
            .len(),
        1,
        "one sign-in, not two"
    );
}

#[tokio::test]
async fn a_replayed_authorization_code_in_a_fresh_flow_is_refused() {
    let app = SsoApp::new().await;
    let sub = app.user("viewer", "Vic Viewer", &["gantry-viewers"]).await;
    let login = app.login("/roadmap").await;
    let path = app.provider_sign_in(&login, &sub).await;
    let old_code =
        query_param(&Url::parse(&format!("{PUBLIC_URL}{path}")).unwrap(), "code").unwrap();
    let first = app.callback(&path, Some(&login.flow_cookie)).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);

    // A new sign-in, whose callback carries its own state but the old, spent code.
    let fresh = app.login("/roadmap").await;
    let replay = format!(
        "/auth/callback?code={}&state={}",
        urlencode(&old_code),
        urlencode(&fresh.state)
    );
    let reply = app.callback(&replay, Some(&fresh.flow_cookie)).await;
    // The provider refuses the spent code (invalid_grant) at the token endpoint.
    assert_refused(
        &reply,
        StatusCode::UNAUTHORIZED,
        "the identity provider refused the authorization code",
    );
    assert_no_provider_detail(&app, &reply);
    assert_eq!(
        app.audit("auth.sign_in", &format!("user:{sub}"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn an_unspent_code_injected_into_another_flow_is_refused_by_the_nonce() {
    // A code intercepted before its owner used it, redeemed through a flow the
    // attacker started. PKCE should refuse it at the provider, but the mock
    // does not check PKCE: the nonce bound to the code is what refuses it here.
    let app = SsoApp::new().await;
    let sub = app.user("victim", "Val Victim", &["gantry-admins"]).await;
    let victim = app.login("/roadmap").await;
    let stolen = app.provider_sign_in(&victim, &sub).await;
    let code = query_param(
        &Url::parse(&format!("{PUBLIC_URL}{stolen}")).unwrap(),
        "code",
    )
    .unwrap();

    let attacker = app.login("/roadmap").await;
    assert_ne!(attacker.nonce, victim.nonce);
    let injected = format!(
        "/auth/callback?code={}&state={}",
        urlencode(&code),
        urlencode(&attacker.state)
    );
    let reply = app.callback(&injected, Some(&attacker.flow_cookie)).await;
    assert_refused(
        &reply,
        StatusCode::UNAUTHORIZED,
        "the ID token was rejected",
    );
    assert_no_provider_detail(&app, &reply);
    assert!(app
        .audit("auth.sign_in", &format!("user:{sub}"))
        .await
        .is_empty());
}

#[tokio::test]
async fn a_provider_denial_is_refused() {
    let app = SsoApp::new().await;
    let login = app.login("/roadmap").await;
    // The "Deny" button of the provider's consent page. (oidc-provider-mock
    // 0.3.4 leaves `state` out of this error redirect, which RFC 6749 4.1.2.1
    // requires; a provider that follows the RFC sends it: both are refused.)
    let url = app.authorize(&login, &[("action", "deny")]).await;
    assert_eq!(query_param(&url, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&url, "code"), None);
    let denied = path_and_query(&url);
    let reply = app.callback(&denied, Some(&login.flow_cookie)).await;
    // Without `state` the response cannot be tied to this sign-in: only the
    // standard error code is shown, never the provider's free text.
    assert_refused(
        &reply,
        StatusCode::UNAUTHORIZED,
        "The identity provider refused the sign-in (access_denied).",
    );

    let login = app.login("/roadmap").await;
    let with_state = with_param(&denied, "state", Some(&login.state));
    let reply = app.callback(&with_state, Some(&login.flow_cookie)).await;
    assert_refused(
        &reply,
        StatusCode::UNAUTHORIZED,
        "The identity provider refused the sign-in: access_denied",
    );
}

#[tokio::test]
async fn a_forged_error_link_shows_none_of_its_text_and_ends_the_pending_sign_in() {
    let app = SsoApp::new().await;
    let sub = app.user("viewer", "Vic Viewer", &["gantry-viewers"]).await;
    let login = app.login("/roadmap").await;
    let genuine = app.provider_sign_in(&login, &sub).await;
    let forged = "/auth/callback?error=Call%20+1-555-0100%20now&error_description=Your%20account%20is%20locked";
    let reply = app.callback(forged, Some(&login.flow_cookie)).await;
    assert_refused(
        &reply,
        StatusCode::UNAUTHORIZED,
        "The identity provider refused the sign-in.",
    );
    assert!(!reply.body.contains("555-0100"), "{}", reply.body);
    assert!(!reply.body.contains("locked"), "{}", reply.body);
    // The pending sign-in was consumed: its genuine callback no longer works.
    let reply = app.callback(&genuine, Some(&login.flow_cookie)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
}

// --- Sign-out -----------------------------------------------------------------

#[tokio::test]
async fn sign_out_ends_the_session_and_the_provider_session() {
    let (app, sub, cookie) = signed_in(
        "operator",
        "Olga Operator",
        &["gantry-operators"],
        &["operator"],
    )
    .await;

    let reply = app.post("/auth/logout", "", Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let removed = reply
        .set_cookie("gantry_session")
        .expect("session cookie removed");
    assert!(removed.starts_with("gantry_session=;"), "{removed}");
    assert!(removed.contains("Max-Age=0"), "{removed}");

    // The session is gone server-side, whatever the browser keeps.
    let me = app.me(&cookie).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.body);
    let page = app.get("/roadmap", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.location().starts_with("/auth/sign-in"),
        "{}",
        page.location()
    );

    // RP-initiated logout at the provider, which advertises an end_session_endpoint.
    let end_session = app.discovery["end_session_endpoint"]
        .as_str()
        .expect("the mock advertises end_session_endpoint");
    let location = Url::parse(&reply.location()).unwrap();
    assert_eq!(
        &location.as_str()[..location.as_str().find('?').unwrap()],
        end_session
    );
    assert_eq!(
        query_param(&location, "post_logout_redirect_uri").as_deref(),
        Some("http://127.0.0.1:3000/auth/sign-in")
    );
    assert_eq!(
        query_param(&location, "client_id").as_deref(),
        Some(CLIENT_ID)
    );
    let hint = query_param(&location, "id_token_hint").expect("id_token_hint");
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(hint.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        payload["sub"],
        sub.as_str(),
        "the hint is this user's ID token"
    );
    assert!(
        payload["aud"] == CLIENT_ID || payload["aud"] == json!([CLIENT_ID]),
        "{payload}"
    );

    // The provider accepts it and offers the way back to our sign-in page.
    let response = app.http.get(location).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("http://127.0.0.1:3000/auth/sign-in"),
        "{page}"
    );

    let records = app.audit("auth.sign_out", &format!("user:{sub}")).await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].role.as_deref(), Some("operator"));

    // Signing out again (the old cookie) is harmless: back to our sign-in page.
    let again = app.post("/auth/logout", "", Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.location(), "/auth/sign-in");
}

#[tokio::test]
async fn signing_in_again_ends_the_previous_session() {
    let (app, _, old) = signed_in("viewer", "Vic Viewer", &["gantry-viewers"], &["viewer"]).await;
    let other = app.user("admin", "Ada Admin", &["gantry-admins"]).await;
    let login = app.login("/roadmap").await;
    let path = app.provider_sign_in(&login, &other).await;
    // The browser still carries the first session's cookie.
    let reply = app
        .callback(&path, Some(&format!("{}; {old}", login.flow_cookie)))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let new = reply.cookie_pair("gantry_session").unwrap();
    assert_ne!(new, old);
    assert_eq!(app.me(&old).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(&app.me(&new).await)["subject"], other.as_str());
}

#[tokio::test]
async fn sign_in_starts_are_limited_per_client_and_flows_stay_bounded() {
    let app = SsoApp::new().await;
    let start = |peer: &str| {
        let mut request = Request::get("/auth/login?return_to=/roadmap")
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(
            peer.parse::<std::net::SocketAddr>().unwrap(),
        ));
        request
    };
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(app.send(start("198.51.100.7:40000")).await.status);
    }
    // The default: 20 at once. Refill is one every 3 s, so on a slow machine
    // a start or two more may pass, never all 30.
    let served = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    assert!((20..=22).contains(&served), "{statuses:?}");
    assert!(
        statuses[..20].iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
    assert_eq!(statuses[29], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let limited = app.send(start("198.51.100.7:40001")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    assert!(limited.set_cookie("gantry_flow").is_none());
    // Another client is served.
    let other = app.send(start("198.51.100.8:40000")).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
    let flows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM auth_flows")
        .fetch_one(app.services.db.pool())
        .await
        .unwrap();
    assert_eq!(flows as usize, served + 1, "one flow per served start only");
}

// --- Roles follow the provider ----------------------------------------------

/// Signs `sub` in on `app` and returns the session cookie.
async fn signed_in_on(app: &SsoApp, sub: &str) -> String {
    let cookie = app.sign_in(sub).await;
    assert_eq!(app.me(&cookie).await.status, StatusCode::OK);
    cookie
}

#[tokio::test]
async fn a_group_change_at_the_provider_changes_the_role_at_the_next_check() {
    let app = SsoApp::with_auth("role_refresh_minutes = 0").await;
    let sub = app.user("op", "Otto Operator", &["gantry-operators"]).await;
    let cookie = signed_in_on(&app, &sub).await;
    assert_eq!(
        json_of(&app.me(&cookie).await)["roles"],
        json!(["operator"])
    );

    // Demoted at the provider: the very next request is a viewer's.
    app.put_user(
        &sub,
        json!({ "name": "Otto Operator", "groups": ["gantry-viewers"] }),
    )
    .await;
    let me = json_of(&app.me(&cookie).await);
    assert_eq!(me["roles"], json!(["viewer"]));
    assert_eq!(me["can_edit_roadmap"], false);
    let reply = app
        .post(
            "/api/roadmap/module/update",
            &waf_update("otto"),
            Some(&cookie),
        )
        .await;
    assert_forbidden(&reply);

    let records = app
        .audit("auth.roles_changed", &format!("user:{sub}"))
        .await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0].before.as_ref().unwrap()["roles"],
        json!(["operator"])
    );
    assert_eq!(
        records[0].after.as_ref().unwrap()["roles"],
        json!(["viewer"])
    );
    // Unchanged groups at the next check: no second record.
    assert_eq!(app.me(&cookie).await.status, StatusCode::OK);
    assert_eq!(
        app.audit("auth.roles_changed", &format!("user:{sub}"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn losing_every_role_at_the_provider_ends_the_session() {
    let app = SsoApp::with_auth("role_refresh_minutes = 0").await;
    let sub = app.user("gone", "Gus Gone", &["gantry-admins"]).await;
    let cookie = signed_in_on(&app, &sub).await;
    app.put_user(&sub, json!({ "name": "Gus Gone", "groups": ["marketing"] }))
        .await;
    assert_eq!(app.me(&cookie).await.status, StatusCode::UNAUTHORIZED);
    // A page now goes to the sign-in; the session is gone for good.
    let page = app.get("/roadmap", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.location().starts_with("/auth/sign-in"),
        "{}",
        page.location()
    );
    let ended = app
        .audit("auth.session_ended", &format!("user:{sub}"))
        .await;
    assert_eq!(ended.len(), 1, "{ended:?}");
    let after = ended[0].after.as_ref().unwrap();
    assert!(
        after["reason"].as_str().unwrap().contains("no group"),
        "{after}"
    );
    // Even with the group back, the ended session stays ended.
    app.put_user(
        &sub,
        json!({ "name": "Gus Gone", "groups": ["gantry-admins"] }),
    )
    .await;
    assert_eq!(app.me(&cookie).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_refresh_token_revoked_at_the_provider_ends_the_session() {
    let app = SsoApp::with_auth("role_refresh_minutes = 0").await;
    let sub = app
        .user("revoked", "Rita Revoked", &["gantry-operators"])
        .await;
    let cookie = signed_in_on(&app, &sub).await;
    let response = app
        .http
        .post(format!("{}/users/{sub}/revoke-tokens", app.issuer))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(app.me(&cookie).await.status, StatusCode::UNAUTHORIZED);
    let ended = app
        .audit("auth.session_ended", &format!("user:{sub}"))
        .await;
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert!(
        ended[0].after.as_ref().unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("refused"),
        "{:?}",
        ended[0].after
    );
}

#[tokio::test]
async fn roles_are_not_re_read_before_the_interval() {
    let app = SsoApp::with_auth("role_refresh_minutes = 15").await;
    let sub = app
        .user("steady", "Stella Steady", &["gantry-operators"])
        .await;
    let cookie = signed_in_on(&app, &sub).await;
    app.put_user(
        &sub,
        json!({ "name": "Stella Steady", "groups": ["gantry-viewers"] }),
    )
    .await;
    // Inside the interval the provider is not asked: still an operator.
    assert_eq!(
        json_of(&app.me(&cookie).await)["roles"],
        json!(["operator"])
    );
    assert!(app
        .audit("auth.roles_changed", &format!("user:{sub}"))
        .await
        .is_empty());
}

#[tokio::test]
async fn concurrent_requests_re_read_the_roles_once() {
    let app = SsoApp::with_auth("role_refresh_minutes = 0").await;
    let sub = app.user("many", "Max Many", &["gantry-operators"]).await;
    let cookie = signed_in_on(&app, &sub).await;
    app.put_user(
        &sub,
        json!({ "name": "Max Many", "groups": ["gantry-approvers"] }),
    )
    .await;
    // Ten requests at once, one rotating refresh token: none may end the
    // session by replaying a token another request already used.
    let replies = futures::future::join_all((0..10).map(|_| app.me(&cookie))).await;
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    assert_eq!(
        json_of(&app.me(&cookie).await)["roles"],
        json!(["approver"])
    );
    assert!(app
        .audit("auth.session_ended", &format!("user:{sub}"))
        .await
        .is_empty());
}

/// A provider process of one test's own, which the test may pause (its
/// answers stop; every request to it times out) and resume.
struct PrivateProvider {
    child: std::process::Child,
    issuer: String,
}

impl PrivateProvider {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../.venv/bin/oidc-provider-mock");
        let child = std::process::Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        // Owned at once: dropped (killed and reaped) on every path.
        let provider = Self {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let up = reqwest::get(format!(
                "{}/.well-known/openid-configuration",
                provider.issuer
            ))
            .await
            .is_ok_and(|r| r.status().is_success());
            if up {
                return provider;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the private provider did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }
}

impl Drop for PrivateProvider {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SsoApp {
    /// Makes `sub`'s session look as if its roles were last checked and
    /// confirmed `minutes` ago (`confirmed`), or only checked then.
    async fn roles_seen_ago(&self, sub: &str, minutes: i64, confirmed: bool) {
        let at = (chrono::Utc::now() - chrono::Duration::minutes(minutes))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let sql = if confirmed {
            "UPDATE auth_sessions SET roles_checked_at = $1, roles_confirmed_at = $1 WHERE subject = $2"
        } else {
            "UPDATE auth_sessions SET roles_checked_at = $1 WHERE subject = $2"
        };
        let done = sqlx::query(sql)
            .bind(at)
            .bind(sub)
            .execute(self.services.db.pool())
            .await
            .expect("session times");
        assert_eq!(done.rows_affected(), 1);
    }
}

/// The provider stops answering (paused): within the grace the session
/// keeps its roles; past it the session may only read, every page says why,
/// and running a job is refused; once the provider answers again the roles
/// are back.
#[tokio::test]
async fn roles_fail_closed_when_the_provider_cannot_be_asked_past_the_grace() {
    let provider = PrivateProvider::start().await;
    let app = SsoApp::with_issuer(
        &provider.issuer,
        "role_refresh_minutes = 5\nrole_refresh_grace_minutes = 15",
    )
    .await;
    let sub = app
        .user("cutoff", "Carl Cutoff", &["gantry-operators"])
        .await;
    let cookie = signed_in_on(&app, &sub).await;
    provider.signal("-STOP");

    // A check due 1 minute ago gets no answer: within the grace.
    app.roles_seen_ago(&sub, 6, true).await;
    let me = json_of(&app.me(&cookie).await);
    assert_eq!(me["roles"], json!(["operator"]), "{me}");
    assert!(me["roles_limited"].is_null(), "{me}");

    // Unconfirmed for 21 minutes, past 5 + 15: read access only.
    app.roles_seen_ago(&sub, 21, true).await;
    let me = json_of(&app.me(&cookie).await);
    assert_eq!(me["roles"], json!(["viewer"]), "{me}");
    let why = me["roles_limited"].as_str().expect("a reason");
    assert!(why.contains("could not be confirmed"), "{why}");
    let page = app.get("/jobs", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("data-testid=\"roles-limited\""),
        "{}",
        page.body
    );
    let refused = app.post("/api/jobs/targets", "", Some(&cookie)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // The provider answers again: the next check confirms the roles.
    provider.signal("-CONT");
    app.roles_seen_ago(&sub, 6, false).await;
    let me = json_of(&app.me(&cookie).await);
    assert_eq!(me["roles"], json!(["operator"]), "{me}");
    assert!(me["roles_limited"].is_null(), "{me}");
    assert_eq!(
        app.post("/api/jobs/targets", "", Some(&cookie))
            .await
            .status,
        StatusCode::OK
    );
}
