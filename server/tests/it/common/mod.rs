//! The test harness: the real router on a seeded SQLite database, with the
//! development sign-in configured for one user per role.

#![allow(
    dead_code,
    reason = "the integration tests and benches/cost_page.rs each use a different part"
)]

pub mod process;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use gantry_core::roadmap::service;
use gantry_core::shared::Actor;
use gantry_core::Services;
use gantry_server::auth::AuthState;
use gantry_server::config::Config;
use gantry_server::http::{router, AppState};
use gantry_server::startup::leptos_options;
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const SEED: &str = include_str!("../../../../fixtures/infrastructure-status.md");
pub const ORIGIN: &str = "http://127.0.0.1:3000";

pub const CONFIG: &str = r#"
[auth.dev]
enabled = true
users = [
  { subject = "vera", name = "Vera Viewer", groups = ["gantry-viewers"] },
  { subject = "oscar", name = "Oscar Operator", groups = ["gantry-operators"] },
  { subject = "april", name = "April Approver", groups = ["gantry-approvers"] },
  { subject = "ada", name = "Ada Admin", groups = ["gantry-admins"] },
  { subject = "nora", name = "Nora Nogroup", groups = ["sales"] },
]

[[environments]]
name = "dev"
region = "us-east-1"
account_id = "123456789012"
cluster = "backend-booking-dev"
database = "backend-booking-dev"
services = [{ name = "backend-booking-api", container = "django" }]
ssm_prefix = "/backend-booking/dev/"
monthly_budget_usd = 80

[[environments]]
name = "prod"
production = true
region = "us-east-1"
account_id = "123456789012"
cluster = "backend-booking-prod"
database = "backend-booking-prod"
services = [{ name = "backend-booking-api", container = "django", health_url = "https://booking.example.com/health/" }]
ssm_prefix = "/backend-booking/prod/"
monthly_budget_usd = 475
approvals_required = 2
approver_groups = ["gantry-approvers"]
"#;

pub struct TestApp {
    /// Every AWS request the app's health poller (see [`Self::poll_health`])
    /// sent; `/metrics` reads the same counter.
    pub aws_calls: gantry_core::aws::AwsCallCounter,
    pub aws_settings: gantry_core::aws::AwsSettings,
    pub router: Router,
    pub services: Services,
    /// `host[:port]` of the public URL: the Host header [`Self::send`] adds.
    pub host: String,
    /// The router's open job event streams.
    pub streams: gantry_server::routes::jobs::EventStreams,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(CONFIG).await
    }

    /// The app serving its assets from `site_root`.
    pub async fn with_site_root(site_root: &std::path::Path) -> Self {
        let config = format!(
            "[server]\nsite_root = {:?}\n{CONFIG}",
            site_root.display().to_string()
        );
        Self::with_config(&config).await
    }

    pub async fn with_config(toml: &str) -> Self {
        Self::build(toml, false, false).await
    }

    /// The app with the background health poller running as the server runs
    /// it (`startup::spawn_health_poller`: a poll at once, then every
    /// `[health] poll_interval_secs`, and on "check now"), against the AWS
    /// endpoint the config names, counted in [`Self::aws_calls`].
    pub async fn with_poller(toml: &str) -> Self {
        Self::build(toml, false, true).await
    }

    /// The app with the cost refresher `[cost]` describes, as the server
    /// builds it (not scheduled: tests refresh through `/api/cost/refresh`),
    /// its Cost Explorer requests counted in [`Self::aws_calls`].
    pub async fn with_cost_refresher(toml: &str) -> Self {
        Self::build(toml, true, false).await
    }

    /// The same database served by a server started with another config
    /// (a restart after a config change).
    pub async fn restarted_with(&self, toml: &str) -> Self {
        Self::build_on(Some(self.services.db.clone()), toml, false, false).await
    }

    async fn build(toml: &str, with_cost: bool, with_poller: bool) -> Self {
        Self::build_on(None, toml, with_cost, with_poller).await
    }

    async fn build_on(
        existing: Option<gantry_core::db::Db>,
        toml: &str,
        with_cost: bool,
        with_poller: bool,
    ) -> Self {
        let restarted = existing.is_some();
        let db = match existing {
            Some(db) => db,
            None => gantry_core::db::testing::sqlite().await,
        };
        let config = Config::from_toml(toml).expect("test config");
        let roadmap = config.roadmap_settings().expect("roadmap settings");
        let seeder = Actor {
            name: "seed".to_owned(),
            role: None,
            request_id: None,
            source: "import: seed".to_owned(),
            subject: None,
        };
        if !restarted {
            let now = gantry_core::clock::testing::clock().now();
            service::import_markdown(&db, &roadmap, SEED, &seeder, Default::default(), now)
                .await
                .expect("seed");
            gantry_core::environments::service::seed_from(&db, &config.environments)
                .await
                .expect("environments");
        }
        let services = Services {
            db,
            roadmap,
            health_poll_interval: config.health_poll_interval(),
            clock: gantry_core::clock::testing::clock(),
            fargate: config.cost.fargate,
            approver_groups: config.auth.roles.approver_groups(),
        };
        let auth = AuthState::from_config(&config).await.expect("auth state");
        let aws_calls = gantry_core::aws::AwsCallCounter::new();
        let cost = if with_cost {
            let clients = gantry_core::aws::AwsClients::new(
                config.aws_settings().expect("aws settings"),
                aws_calls.clone(),
            );
            gantry_server::startup::cost_refresher(&config, &services, clients)
                .expect("cost settings")
        } else {
            None
        };
        let poll = if with_poller {
            let clients = gantry_core::aws::AwsClients::new(
                config.aws_settings().expect("aws settings"),
                aws_calls.clone(),
            );
            // Runs until the test's runtime ends.
            let (_task, trigger) = gantry_server::startup::spawn_health_poller(
                &config,
                &services,
                clients,
                tokio_util::sync::CancellationToken::new(),
            )
            .expect("health poller");
            Some(trigger)
        } else {
            None
        };
        // Jobs can be planned and requested; no worker runs them here (the
        // jobs tests start the real binary, or a worker of their own).
        let jobs = gantry_server::http::JobsState::without_workers(
            gantry_core::jobs::service::JobsHandle {
                clients: gantry_core::aws::AwsClients::new(
                    config.aws_settings().expect("aws settings"),
                    aws_calls.clone(),
                ),
                notifier: gantry_core::jobs::notify::JobsNotifier::new(),
                template: config.provision.clone().map(std::sync::Arc::new),
                sealer: config.jobs.sealer().expect("secrets key"),
                planning: config.jobs.plan_limit(),
            },
        );
        // A stream that wakes within a test's bound woke on a notification,
        // not on its own look a minute later.
        let streams = gantry_server::routes::jobs::EventStreams::new(
            config.jobs.max_streams_per_person,
            std::time::Duration::from_secs(60),
        );
        let jobs = gantry_server::http::JobsState {
            streams: streams.clone(),
            ..jobs
        };
        let router = router(AppState {
            leptos_options: leptos_options(&config),
            services: services.clone(),
            auth,
            ops: gantry_server::startup::ops_state(&config, aws_calls.clone()),
            cost,
            poll,
            jobs,
        });
        let public = config.public_url().expect("public url");
        let host = match public.port() {
            Some(port) => format!("{}:{port}", public.host_str().expect("host")),
            None => public.host_str().expect("host").to_owned(),
        };
        Self {
            router,
            services,
            host,
            streams,
            aws_calls,
            aws_settings: config.aws_settings().expect("aws settings"),
        }
    }

    /// One pass of the health poller over every environment, through the real
    /// AWS clients (against the endpoint the config names), counted in
    /// [`Self::aws_calls`]; the snapshots are stored as the server's would be.
    pub async fn poll_health(&self) -> Vec<gantry_core::health::snapshot::EnvironmentSnapshot> {
        let clients =
            gantry_core::aws::AwsClients::new(self.aws_settings.clone(), self.aws_calls.clone());
        let source = gantry_core::aws::AwsHealthSource::new(clients).expect("health source");
        gantry_core::health::poll::Poller::new(
            self.services.db.clone(),
            std::sync::Arc::new(source),
            std::time::Duration::from_secs(30),
            chrono::Duration::days(1),
        )
        .poll_once(self.services.clock.now())
        .await
        .expect("health poll")
    }

    /// The app's "today" (its clock is pinned: see `gantry_core::clock::testing`).
    pub fn today(&self) -> chrono::NaiveDate {
        self.services.clock.today()
    }

    /// Sends `request` as a browser would: with the public URL's Host
    /// unless it names one.
    pub async fn send(&self, mut request: Request<Body>) -> Reply {
        if !request.headers().contains_key(header::HOST) && request.uri().authority().is_none() {
            let host = self.host.parse().expect("host header");
            request.headers_mut().insert(header::HOST, host);
        }
        self.send_raw(request).await
    }

    /// Sends `request` (a Host added) and returns the response with its
    /// body unread: for event streams, read frame by frame.
    pub async fn open(&self, mut request: Request<Body>) -> axum::response::Response {
        if !request.headers().contains_key(header::HOST) {
            let host = self.host.parse().expect("host header");
            request.headers_mut().insert(header::HOST, host);
        }
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("response")
    }

    /// Sends `request` exactly as given (no Host added).
    pub async fn send_raw(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Signs in through the development sign-in form; returns the cookie header value.
    pub async fn sign_in(&self, subject: &str) -> String {
        let reply = self
            .send(
                Request::post("/auth/dev")
                    .header(header::ORIGIN, ORIGIN)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("subject={subject}&return_to=/roadmap")))
                    .expect("request"),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "sign-in as {subject}: {}",
            reply.body
        );
        session_cookie(&reply.headers).expect("session cookie")
    }

    pub async fn get(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(uri).header(header::ACCEPT, "text/html");
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    /// Calls a server function the way the browser does (same-origin POST).
    pub async fn call(&self, path: &str, form: &str, cookie: Option<&str>) -> Reply {
        self.request(Method::POST, path, form, cookie, Some(ORIGIN))
            .await
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        form: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        if let Some(o) = origin {
            request = request.header(header::ORIGIN, o);
        }
        self.send(request.body(Body::from(form.to_owned())).expect("request"))
            .await
    }
}

/// `gantry_session=…` from a Set-Cookie header, ready for a Cookie header.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gantry_session=") && !v.starts_with("gantry_session=;"))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}
