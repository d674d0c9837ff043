//! The real `gantry` binary, logging at `debug`, with a production webhook
//! whose URL carries a secret: an operator requests a production configure,
//! an approver approves it, the job runs against moto, and the webhook
//! receiver (the test's own) gets the request, the decision and the
//! outcome. Then the attacker's view: every page and JSON answer the
//! operator, the approver and an admin can read, the server's log and the database files are searched
//! for the secret, which must be in none of them.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gantry_core::aws::testing::PrivateMoto;

use crate::common::process::{dev_sign_in, free_port, wait_ready, GantryProcess};

const SECRET: &str = "T0KEN-hook-secret-9f8e7d6c5b4a";

/// A webhook receiver on loopback that answers 200 and keeps each body.
async fn receiver() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let app = axum::Router::new().fallback(move |body: String| {
        let seen = seen.clone();
        async move {
            if let Ok(value) = serde_json::from_str(&body) {
                seen.lock().expect("bodies").push(value);
            }
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (
        format!("http://127.0.0.1:{port}/services/T000/B000/{SECRET}"),
        bodies,
    )
}

fn write_config(dir: &Path, port: u16, moto: &PrivateMoto, webhook: &str) -> std::path::PathBuf {
    let path = dir.join("gantry.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[server]
bind = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"

[database]
url = "sqlite://{db}"

[auth.dev]
enabled = true
users = [
  {{ subject = "oscar", name = "Oscar Operator", groups = ["gantry-operators"] }},
  {{ subject = "ada", name = "Ada Approver", groups = ["gantry-approvers"] }},
  {{ subject = "root", name = "Rita Admin", groups = ["gantry-admins"] }},
]

[aws]
endpoint_url = "{endpoint}"
stand_in_credentials = true

[health]
enabled = false

[cost]
enabled = false

[jobs]
workers = 1
poll_interval_ms = 100

[notifications]
deliver_every_secs = 1
webhooks = {{ prod = "{webhook}" }}

[[environments]]
name = "prod"
production = true
region = "us-east-1"
account_id = "123456789012"
cluster = "secret-prod"
services = [{{ name = "api", container = "django" }}]
ssm_prefix = "/secret/prod/"
approvals_required = 1
approver_groups = ["gantry-approvers"]
approval_reason_required = false
"#,
            db = dir.join("gantry.db").display(),
            endpoint = moto.endpoint().as_str().trim_end_matches('/'),
        ),
    )
    .expect("config");
    path
}

struct Person {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Person {
    async fn sign_in(port: u16, subject: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let base = format!("http://127.0.0.1:{port}");
        let cookie = dev_sign_in(&http, &base, subject).await;
        Self { http, base, cookie }
    }

    async fn call(&self, function: &str, form: &[(&str, &str)]) -> (u16, String) {
        let reply = self
            .http
            .post(format!("{}/api/{function}", self.base))
            .header("origin", &self.base)
            .header("accept", "application/json")
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .expect("call");
        (
            reply.status().as_u16(),
            reply.text().await.unwrap_or_default(),
        )
    }

    async fn page(&self, path: &str) -> String {
        let reply = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("page");
        assert_eq!(reply.status().as_u16(), 200, "{path}");
        reply.text().await.expect("body")
    }
}

#[tokio::test]
async fn the_webhook_secret_is_in_no_page_answer_log_line_or_database_file() {
    let moto = PrivateMoto::start();
    let (webhook, received) = receiver().await;
    let dir = std::env::temp_dir().join(format!("gantry-webhook-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let port = free_port();
    let config = write_config(&dir, port, &moto, &webhook);
    let log = dir.join("server.log");
    let mut server = GantryProcess(
        std::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args(["--config", config.to_str().expect("path"), "serve"])
            .env("GANTRY_LOG__FILTER", "debug")
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(dir.join("server.out")).expect("out"))
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("start gantry"),
    );
    wait_ready(port, &mut server).await;
    let oscar = Person::sign_in(port, "oscar").await;
    let ada = Person::sign_in(port, "ada").await;

    // Oscar requests a production configure; Ada approves it.
    let mut form = vec![
        ("environment", "prod"),
        ("kind", "configure"),
        ("service", ""),
        ("desired", ""),
        ("image", ""),
        ("revision", ""),
        ("set", "/secret/prod/FEATURE_FLAG=on"),
    ];
    let (status, body) = oscar.call("jobs/plan", &form).await;
    assert_eq!(status, 200, "{body}");
    let plan: serde_json::Value = serde_json::from_str(&body).expect("plan");
    let hash = plan["plan_hash"].as_str().expect("hash").to_owned();
    form.push(("plan_hash", &hash));
    form.push(("reason", "turn the flag on for the launch"));
    let (status, body) = oscar.call("jobs/confirm", &form).await;
    assert_eq!(status, 200, "{body}");
    let id = body.trim().to_owned();
    let (status, body) = ada
        .call(
            "approvals/decide",
            &[("id", &id), ("decision", "approve"), ("plan_hash", &hash)],
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The job runs, and the receiver hears of the request, the decision and
    // the outcome.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let events: Vec<String> = received
            .lock()
            .expect("bodies")
            .iter()
            .map(|b| b["text"].as_str().unwrap_or_default().to_owned())
            .collect();
        if events.iter().any(|t| t.contains("succeeded")) {
            assert!(events.iter().any(|t| t.contains("requested")), "{events:?}");
            assert!(events.iter().any(|t| t.contains("approved")), "{events:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no outcome delivered in 30 s: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Everything the three can read (the inbox: approvers and admins; the
    // audit log: admins).
    let rita = Person::sign_in(port, "root").await;
    let mut seen = Vec::new();
    for (person, extra) in [
        (&oscar, vec![]),
        (&ada, vec!["/approvals"]),
        (&rita, vec!["/approvals", "/audit"]),
    ] {
        let common = [
            format!("/jobs/{id}"),
            "/jobs".to_owned(),
            "/environments".to_owned(),
            "/environments/prod".to_owned(),
            "/roadmap".to_owned(),
        ];
        for path in common
            .into_iter()
            .chain(extra.into_iter().map(str::to_owned))
        {
            seen.push((path.clone(), person.page(&path).await));
        }
        for (function, form) in [
            ("approvals/job", vec![("id", id.as_str())]),
            ("jobs/get", vec![("id", id.as_str()), ("after", "0")]),
            ("environments/list", vec![]),
            ("environments/get", vec![("name", "prod")]),
        ] {
            let (status, body) = person.call(function, &form).await;
            assert_eq!(status, 200, "{function}: {body}");
            seen.push((function.to_owned(), body));
        }
    }
    assert!(
        seen.iter()
            .any(|(_, body)| body.contains("turn the flag on")),
        "the pages show the request"
    );
    for (what, body) in &seen {
        assert!(!body.contains(SECRET), "{what} shows the webhook secret");
    }
    drop(server);

    // The log (at debug) and the database files.
    let log_text = std::fs::read_to_string(&log).expect("log")
        + &std::fs::read_to_string(dir.join("server.out")).expect("out");
    assert!(
        log_text.lines().count() > 20,
        "the debug log has lines: {log_text}"
    );
    assert!(
        !log_text.contains(SECRET),
        "the log shows the webhook secret"
    );
    for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("gantry.db") {
            let bytes = std::fs::read(entry.path()).expect("db file");
            assert!(
                !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                "{name} holds the webhook secret"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
