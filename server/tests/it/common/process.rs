//! The real `gantry` binary as a child process, for the crash and replica
//! tests: killed (SIGKILL) when dropped.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use gantry_core::aws::testing::PrivateMoto;
use serde_json::Value;

pub struct GantryProcess(pub Child);

impl Drop for GantryProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits (60 s at most) until the process on `port` answers `/readyz`
/// with 200; panics if it exits first.
pub async fn wait_ready(port: u16, process: &mut GantryProcess) {
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = process.0.try_wait() {
            panic!("gantry on port {port} exited: {status}");
        }
        if let Ok(reply) = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            if reply.status().is_success() {
                return;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "gantry on port {port} not ready in 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Signs `subject` in through the development sign-in of the process at
/// `base` (a plain form POST, as the sign-in page's button sends it) and
/// returns the session cookie (`gantry_session=…`) to send back.
pub async fn dev_sign_in(http: &reqwest::Client, base: &str, subject: &str) -> String {
    let reply = http
        .post(format!("{base}/auth/dev"))
        .header("origin", base)
        .form(&[("subject", subject), ("return_to", "/")])
        .send()
        .await
        .expect("sign in");
    reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gantry_session=") && !v.starts_with("gantry_session=;"))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .expect("a session cookie")
}

/// A signed-in person talking to the binary's server functions.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
}

impl Client {
    pub fn new(port: u16) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
            base: format!("http://127.0.0.1:{port}"),
            cookie: None,
        }
    }

    /// Signs Oscar Operator in (the development sign-in).
    pub async fn sign_in(&mut self) {
        self.cookie = Some(dev_sign_in(&self.http, &self.base, "oscar").await);
    }

    pub async fn call(&self, function: &str, form: &[(&str, String)]) -> (u16, String) {
        let reply = self
            .http
            .post(format!("{}/api/{function}", self.base))
            .header("origin", &self.base)
            .header("accept", "application/json")
            .header("cookie", self.cookie.clone().unwrap_or_default())
            .form(form)
            .send()
            .await
            .expect("call");
        let status = reply.status().as_u16();
        let location = reply
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = reply.text().await.unwrap_or_default();
        (status, location.unwrap_or(body))
    }

    /// Plans and confirms a deploy of `image` to `service` of `environment`.
    pub async fn deploy(&self, environment: &str, service: &str, image: &str) -> i64 {
        let form = vec![
            ("environment", environment.to_owned()),
            ("kind", "deploy".to_owned()),
            ("service", service.to_owned()),
            ("desired", String::new()),
            ("image", image.to_owned()),
            ("revision", String::new()),
        ];
        self.plan_and_confirm(form).await.1
    }

    /// Plans `form`, confirms the plan shown: the plan and the new job's id.
    pub async fn plan_and_confirm(&self, mut form: Vec<(&str, String)>) -> (Value, i64) {
        let (status, body) = self.call("jobs/plan", &form).await;
        assert_eq!(status, 200, "{body}");
        let plan: Value = serde_json::from_str(&body).expect("plan");
        form.push((
            "plan_hash",
            plan["plan_hash"].as_str().expect("hash").to_owned(),
        ));
        let (status, body) = self.call("jobs/confirm", &form).await;
        assert!(status < 400, "{status}: {body}");
        let id = body
            .trim_start_matches("/jobs/")
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("a job id in {body:?}"));
        (plan, id)
    }

    pub async fn job(&self, id: i64) -> Value {
        let (status, body) = self
            .call("jobs/get", &[("id", id.to_string()), ("after", "0".into())])
            .await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("job")
    }

    /// Polls the job until `done` says so (30 s at most).
    pub async fn until(&self, id: i64, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let job = self.job(id).await;
            if done(&job) {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {id}: no {what} in 30 s: {job:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The binary's config for the process tests: SQLite in `dir`, the dev
/// sign-in for Oscar Operator, `moto` as AWS, one worker polling fast, and
/// `dev` on the demo account's cluster; `aws` and `jobs` add lines to those
/// tables.
pub fn write_config(dir: &Path, port: u16, moto: &PrivateMoto, aws: &str, jobs: &str) -> PathBuf {
    let path = dir.join("gantry.toml");
    let endpoint = moto.endpoint().as_str().trim_end_matches('/');
    std::fs::write(
        &path,
        format!(
            r#"
[server]
bind = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"

[database]
url = "sqlite://{db}"

[roadmap]
environments = ["dev", "prod"]
seed_file = "{seed}"

[auth.dev]
enabled = true
users = [{{ subject = "oscar", name = "Oscar Operator", groups = ["gantry-operators"] }}]

[aws]
endpoint_url = "{endpoint}"
stand_in_credentials = true
{aws}

[health]
enabled = false

[cost]
enabled = false

[jobs]
workers = 1
{jobs}
heartbeat_secs = 1
poll_interval_ms = 100
rollout_poll_secs = 1

[[environments]]
name = "dev"
region = "us-east-1"
account_id = "123456789012"
cluster = "backend-booking-dev"
services = [{{ name = "backend-booking-api", container = "django" }}]
ssm_prefix = "/backend-booking/dev/"
"#,
            db = dir.join("gantry.db").display(),
            seed = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../fixtures/infrastructure-status.md")
                .display(),
        ),
    )
    .expect("config");
    path
}
